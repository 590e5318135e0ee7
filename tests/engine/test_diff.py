"""What an update would do, from the stored state alone: Heat's preview categories."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml

from crossheat.engine.diff import Change, Diff, Drift, diff
from crossheat.store import ResourceRecord, Store
from crossheat.template import Template, load_template_text
from tests.engine.boxes import BoxCloud, box, new_operation, registry, template


def _deploy(store: Store, resources: dict[str, Any]) -> dict[str, ResourceRecord]:
    op = new_operation(store, resources)
    try:
        assert asyncio.run(op.create()).stack_status == "CREATE_COMPLETE"
    finally:
        op.close()
    return {r.name: r for r in store.list_resources(op.stack.id)}


def _load(resources: dict[str, Any]) -> Template:
    return load_template_text(yaml.safe_dump(template(resources)))


def _diff(records: dict[str, ResourceRecord], resources: dict[str, Any], **kw: Any) -> Diff:
    new = _load(resources)
    regions = {n: str(d.region) for n, d in new.resources.items()}
    return diff(new, records, registry(), regions, **kw)


def _kinds(found: Diff) -> dict[str, Change]:
    return {name: c.change for name, c in found.changes.items()}


def test_each_preview_category(store: Store, cloud: BoxCloud) -> None:
    records = _deploy(
        store, {"same": box(), "grow": box(size=1), "paint": box("West"), "gone": box()}
    )
    found = _diff(
        records,
        {"same": box(), "grow": box(size=2), "paint": box("West", color="blue"), "new": box()},
    )
    assert _kinds(found) == {
        "same": Change.UNCHANGED, "grow": Change.UPDATED, "paint": Change.REPLACED,
        "new": Change.ADDED, "gone": Change.DELETED,
    }  # fmt: skip
    assert found.changes["grow"].properties == {"size": (1, 2)}
    assert found.changes["paint"].reason == "color cannot change in place"
    preview = found.preview()
    assert [c["resource_name"] for c in preview["replaced"]] == ["paint"]
    assert preview["regions"]["West"]["replaced"] == ["paint"]
    assert preview["regions"]["East"]["unchanged"] == ["same"]
    assert found.touches_cloud


def test_nothing_changed_touches_no_cloud(store: Store, cloud: BoxCloud) -> None:
    resources = {"a": box(size=2), "b": box(after="a")}
    found = _diff(_deploy(store, resources), resources)
    assert set(_kinds(found).values()) == {Change.UNCHANGED} and not found.touches_cloud


def test_depends_on_a_replaced_resource_replaces_it_too(store: Store, cloud: BoxCloud) -> None:
    records = _deploy(store, {"base": box(), "on_top": {**box(), "depends_on": ["base"]}})
    found = _diff(records, {"base": box(color="blue"), "on_top": {**box(), "depends_on": ["base"]}})
    assert _kinds(found) == {"base": Change.REPLACED, "on_top": Change.REPLACED}
    assert found.changes["on_top"].reason == "depends on base, which is replaced"


def test_a_reference_changes_with_a_replacement_not_with_an_update(
    store: Store, cloud: BoxCloud
) -> None:
    records = _deploy(store, {"a": box(), "reader": box(after="a")})
    grown = _diff(records, {"a": box(size=5), "reader": box(after="a")})
    assert _kinds(grown) == {"a": Change.UPDATED, "reader": Change.UNCHANGED}  # same id
    repainted = _diff(records, {"a": box(color="blue"), "reader": box(after="a")})
    assert _kinds(repainted) == {"a": Change.REPLACED, "reader": Change.REPLACED}
    assert repainted.changes["reader"].properties["after"][1] is None  # known only then


def test_a_region_move_replaces(store: Store, cloud: BoxCloud) -> None:
    found = _diff(_deploy(store, {"a": box("East")}), {"a": box("West")})
    assert found.changes["a"].change is Change.REPLACED
    assert found.changes["a"].reason == "type or region changed"


def test_drift_recreates_what_was_deleted_and_resets_what_changed(
    store: Store, cloud: BoxCloud
) -> None:
    resources = {"lost": box(), "resized": box(size=2), "repainted": box(color="blue")}
    records = _deploy(store, resources)
    drift = Drift(
        frozenset({"lost"}),
        {"resized": frozenset({"size"}), "repainted": frozenset({"color"})},
    )
    found = _diff(records, resources, drift=drift)
    assert _kinds(found) == {
        "lost": Change.REPLACED, "resized": Change.UPDATED, "repainted": Change.REPLACED,
    }  # fmt: skip
    assert found.changes["resized"].reason == "changed outside crossheat: reset size"
    assert found.changes["repainted"].reason == (
        "changed outside crossheat: reset color (color cannot change in place)"
    )


def test_what_was_marked_unhealthy_is_replaced(store: Store, cloud: BoxCloud) -> None:
    resources = {"sick": box(), "well": box()}
    records = _deploy(store, resources)
    found = _diff(records, resources, drift=Drift(unhealthy=frozenset({"sick"})))
    assert _kinds(found) == {"sick": Change.REPLACED, "well": Change.UNCHANGED}
    assert found.changes["sick"].reason == "marked unhealthy: replace"
