"""Updating a stack from a form: the form prefilled with the stack's values (hidden
ones empty), a hidden parameter left empty keeps its value, and the preview says what
each resource would go through before anything changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossheat.errors import TemplateError
from crossheat.service import (
    Inputs,
    Service,
    prepare_form_update,
    update_form,
    update_preview,
)

TEMPLATE = """\
heat_template_version: 2018-08-31
parameters:
  label: {type: string, default: zero}
  size: {type: number, default: 1}
  secret: {type: string, hidden: true}
resources:
  labelled:
    type: OS::Heat::TestResource
    properties: {value: {get_param: label}}
  sized:
    type: OS::Heat::RandomString
    properties: {length: {get_param: size}, salt: {get_param: secret}}
  still: {type: OS::Heat::None}
"""


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    region_map = tmp_path / "regions.yaml"
    region_map.write_text("regions:\n  East: {cloud: nowhere}\ndefault_region: East\n")
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(region_map))
    with Service(database_url=f"sqlite:///{tmp_path / 'update.db'}") as service:
        yield service


@pytest.fixture
def stack_id(service: Service) -> str:
    given = {"label": "one", "size": "8", "secret": "s3cret-salt"}
    started = service.create("s", Inputs(TEMPLATE, parameters=given))
    assert service.run_here(started).stack_status == "CREATE_COMPLETE"
    return started.stack.id


def test_the_form_shows_the_values_the_stack_has_but_not_the_hidden_one(
    service: Service, stack_id: str
) -> None:
    form = update_form(service, stack_id)
    assert {f.name: f.value for f in form.fields} == {"label": "one", "size": "8", "secret": None}
    assert form.field("secret").hidden and not form.field("secret").required
    assert form.ok
    assert "s3cret-salt" not in repr(form)


def test_the_preview_says_what_changes_and_a_hidden_value_left_empty_is_kept(
    service: Service, stack_id: str
) -> None:
    prepared = prepare_form_update(service, stack_id, parameters={"label": "two", "size": "9"})
    assert prepared.spec.parameters["secret"] == "s3cret-salt"
    preview = update_preview(service, prepared)
    assert preview.counts() == {
        "added": 0, "updated": 1, "replaced": 1, "deleted": 0, "unchanged": 1,
    }  # fmt: skip
    [updated] = preview.of("updated")
    assert (updated.name, updated.region) == ("labelled", "East")
    assert [(p.property, p.old, p.new) for p in updated.properties] == [("value", "one", "two")]
    [replaced] = preview.of("replaced")
    assert replaced.name == "sized" and replaced.reason
    assert preview.regions() == {
        "East": {
            "added": [], "updated": ["labelled"], "replaced": ["sized"], "deleted": [],
            "unchanged": ["still"],
        }
    }  # fmt: skip
    assert "s3cret-salt" not in repr(preview)
    assert service.get_by_id(stack_id).spec.parameters["label"] == "one"  # nothing changed yet


def test_a_new_template_adds_and_deletes(service: Service, stack_id: str) -> None:
    new = TEMPLATE.replace("  still: {type: OS::Heat::None}", "  fresh: {type: OS::Heat::None}")
    prepared = prepare_form_update(service, stack_id, template=new)
    preview = update_preview(service, prepared)
    assert [c.name for c in preview.of("added")] == ["fresh"]
    assert [c.name for c in preview.of("deleted")] == ["still"]
    assert {c.name for c in preview.of("unchanged")} == {"labelled", "sized"}


def test_an_invalid_value_is_refused_before_any_preview(service: Service, stack_id: str) -> None:
    with pytest.raises(TemplateError):
        prepare_form_update(service, stack_id, parameters={"size": "many"})
