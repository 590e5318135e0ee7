"""OS::Heat::ResourceGroup: schema and expansion into members."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crossheat.errors import TemplateError, format_path
from crossheat.plan.pipeline import analyse
from crossheat.resources.registry import default_registry
from crossheat.resources.types.resource_group import GroupMember, ResourceGroup, expand_group
from crossheat.template.values import UNKNOWN

PATH = ("resources", "group", "properties")
DEFINITION: dict[str, Any] = {
    "type": "OS::Nova::Server",
    "properties": {"name": "web-%index%", "networks": [{"network": "net-%index%"}], "n": 3},
}


def test_schema_requires_a_definition_with_a_type() -> None:
    assert [d.path for d in ResourceGroup.validate({}, PATH)] == [(*PATH, "resource_def")]
    diags = ResourceGroup.validate({"resource_def": {"properties": {}}}, PATH)
    assert [d.path for d in diags] == [(*PATH, "resource_def", "type")]
    diags = ResourceGroup.validate({"count": -1, "resource_def": DEFINITION}, PATH)
    assert [d.path for d in diags] == [(*PATH, "count")]


def test_count_and_definition_change_in_place_as_in_heat_index_var_replaces() -> None:
    old = {"count": 2, "resource_def": DEFINITION}
    new = {"count": 3, "resource_def": {**DEFINITION, "properties": {"name": "db-%index%"}}}
    assert ResourceGroup.classify_update(old, new) == ({"count", "resource_def"}, set())
    assert ResourceGroup.classify_update(old, {**old, "index_var": "%n%"}) == (set(), {"index_var"})


def test_expand_replaces_the_index_everywhere() -> None:
    members = expand_group({"count": "2", "resource_def": DEFINITION})
    assert members == [
        GroupMember(
            "0",
            "OS::Nova::Server",
            {"name": "web-0", "networks": [{"network": "net-0"}], "n": 3},
        ),
        GroupMember(
            "1",
            "OS::Nova::Server",
            {"name": "web-1", "networks": [{"network": "net-1"}], "n": 3},
        ),
    ]
    assert DEFINITION["properties"]["name"] == "web-%index%"


def test_expand_defaults_to_one_member_and_honours_index_var() -> None:
    definition = {"type": "OS::Heat::Value", "properties": {"value": "v-__n__"}}
    members = expand_group({"index_var": "__n__", "resource_def": definition})
    assert [(m.name, m.properties) for m in members] == [("0", {"value": "v-0"})]


def test_expand_skips_removed_names() -> None:
    props = {
        "count": 3,
        "resource_def": {"type": "OS::Heat::None"},
        "removal_policies": [{"resource_list": ["1"]}],
    }
    assert [m.name for m in expand_group(props)] == ["0", "2", "3"]


def test_expand_zero_members() -> None:
    assert expand_group({"count": 0, "resource_def": DEFINITION}) == []


def test_expand_needs_a_known_count() -> None:
    with pytest.raises(TemplateError, match="must be known"):
        expand_group({"count": UNKNOWN, "resource_def": DEFINITION})


POLICY = ("resources", "group", "update_policy")


def test_update_policy_schema_is_heats_with_its_defaults() -> None:
    good = {"rolling_update": {"max_batch_size": "2", "pause_time": 0.5}, "batch_create": {}}
    assert ResourceGroup.validate_update_policy(good, POLICY) == []
    diags = ResourceGroup.validate_update_policy(
        {
            "rolling_updates": {},
            "rolling_update": {"max_batch_size": 0, "min_in_service": -1, "pause": 1},
            "batch_create": {"pause_time": "soon", "min_in_service": 1},
        },
        POLICY,
    )
    found = {(format_path(d.path), d.message, d.hint) for d in diags}
    assert found == {
        (
            "resources.group.update_policy.rolling_updates",
            "unknown property 'rolling_updates'",
            "did you mean 'rolling_update'?",
        ),
        (
            "resources.group.update_policy.rolling_update.max_batch_size",
            "0 is out of range (min: 1, max: None)",
            None,
        ),
        (
            "resources.group.update_policy.rolling_update.min_in_service",
            "-1 is out of range (min: 0, max: None)",
            None,
        ),
        (
            "resources.group.update_policy.rolling_update.pause",
            "unknown property 'pause'",
            "did you mean 'pause_time'?",
        ),
        (
            "resources.group.update_policy.batch_create.pause_time",
            "'soon' is not a number; expected number",
            None,
        ),
        (
            "resources.group.update_policy.batch_create.min_in_service",
            "unknown property 'min_in_service'",
            "known properties: max_batch_size, pause_time",
        ),
    }


TEMPLATE = """\
heat_template_version: 2018-08-31
parameters:
  batch: {type: number, default: 0}
resources:
  group:
    type: OS::Heat::ResourceGroup
    update_policy:
      rolling_update: {max_batch_size: {get_param: batch}}
    properties:
      resource_def: {type: OS::Heat::None}
  other:
    type: OS::Heat::None
    update_policy: {rolling_update: {}}
"""


def test_validate_reports_a_bad_update_policy_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "group.yaml"
    path.write_text(TEMPLATE)
    analysis = analyse(path, registry=default_registry())
    [error] = analysis.errors
    assert format_path(error.path) == "resources.group.update_policy.rolling_update.max_batch_size"
    assert error.message == "0 is out of range (min: 1, max: None)"
    assert error.location is not None and error.location.line == 8
    [warning] = analysis.warnings
    assert format_path(warning.path) == "resources.other.update_policy"
    assert "OS::Heat::None has no update policies" in warning.message
    fixed = analyse(path, parameters={"batch": "2"}, registry=default_registry())
    assert fixed.errors == []
