"""Stack update on ``Test::Box``: only what the diff names is touched, in Heat's order."""

from __future__ import annotations

import asyncio
from typing import Any

from crossheat.engine.spec import load_spec
from crossheat.engine.update import UpdateOperation
from crossheat.store import StackRecord, StackSpec, Store
from tests.engine.boxes import BoxCloud, box, new_operation, registry, template


def _deploy(store: Store, resources: dict[str, Any]) -> StackRecord:
    op = new_operation(store, resources)
    try:
        assert asyncio.run(op.create()).stack_status == "CREATE_COMPLETE"
    finally:
        op.close()
    return op.stack


def _update(
    store: Store, stack: StackRecord, resources: dict[str, Any], rollback: bool = False
) -> StackRecord:
    spec = StackSpec(template=template(resources), disable_rollback=not rollback)
    store.save_template_for_update(stack.id, spec)
    stack = store.get_stack(stack.id)
    op = UpdateOperation(
        store, registry(), stack, load_spec(stack.spec), None, None, old_spec=stack.previous
    )
    try:
        return asyncio.run(op.update())
    finally:
        op.close()


def _current(store: Store, stack: StackRecord) -> dict[str, str | None]:
    return {r.name: r.physical_id for r in store.list_resources(stack.id)}


def test_update_touches_only_what_changed(store: Store, cloud: BoxCloud) -> None:
    stack = _deploy(store, {"same": box(), "grow": box(), "paint": box("West"), "gone": box()})
    before = _current(store, stack)
    cloud.calls.clear()
    done = _update(
        store, stack,
        {"same": box(), "grow": box(size=4), "paint": box("West", color="blue"), "new": box()},
    )  # fmt: skip
    assert done.stack_status == "UPDATE_COMPLETE"
    assert sorted(cloud.calls) == sorted([
        ("update", "grow"), ("create", "paint"), ("delete", "paint"),
        ("delete", "gone"), ("create", "new"),
    ])  # fmt: skip
    # the replacement is made before the old one is deleted
    assert cloud.calls.index(("create", "paint")) < cloud.calls.index(("delete", "paint"))
    after = _current(store, stack)
    assert set(after) == {"same", "grow", "paint", "new"}  # old rows removed
    assert after["same"] == before["same"] and after["grow"] == before["grow"]
    assert after["paint"] != before["paint"] and after["paint"] in cloud.boxes
    assert cloud.boxes[str(after["grow"])]["props"]["size"] == 4
    assert before["gone"] not in cloud.boxes


def test_a_reader_of_a_replaced_box_is_replaced_after_it(store: Store, cloud: BoxCloud) -> None:
    stack = _deploy(store, {"a": box(), "reader": box(after="a")})
    cloud.calls.clear()
    assert _update(
        store, stack, {"a": box(color="blue"), "reader": box(after="a")}
    ).stack_status == ("UPDATE_COMPLETE")
    assert cloud.calls[:2] == [("create", "a"), ("create", "reader")]
    assert cloud.calls[2:] == [("delete", "reader"), ("delete", "a")]  # old ones, reverse
    rows = {r.name: r for r in store.list_resources(stack.id)}
    assert rows["reader"].properties["after"] == rows["a"].physical_id


def test_an_unchanged_template_makes_no_call(store: Store, cloud: BoxCloud) -> None:
    resources = {"a": box(), "b": box("West", after="a")}
    stack = _deploy(store, resources)
    cloud.calls.clear()
    assert _update(store, stack, resources).stack_status == "UPDATE_COMPLETE"
    assert cloud.calls == []


def test_a_failed_update_rolls_back_to_the_previous_template(store: Store, cloud: BoxCloud) -> None:
    stack = _deploy(store, {"a": box(size=1)})
    original = _current(store, stack)["a"]
    done = _update(store, stack, {"a": box(size=2), "bad": box(fail=True)}, rollback=True)
    assert done.stack_status == "ROLLBACK_COMPLETE"
    assert set(cloud.boxes) == {original}
    assert cloud.boxes[str(original)]["props"]["size"] == 1  # in-place change reverted
    assert set(_current(store, stack)) == {"a"}
