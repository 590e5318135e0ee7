"""The conditions section, condition functions per version, and what they leave out."""

from __future__ import annotations

from typing import Any

import pytest

from crossheat.template import PlanContext, resolve
from crossheat.template.versions import VERSIONS, at_least
from tests.template.helpers import errors, hot, load, messages

PARAMS = {"env": {"type": "string", "default": "prod"}, "zones": {"type": "json", "default": ["a"]}}
WITH_CONDITIONS = [v for v in VERSIONS if at_least(v, "2016-10-14")]

# (condition expression, value)
EXPRESSIONS: list[tuple[Any, bool]] = [
    ({"equals": [{"get_param": "env"}, "prod"]}, True),
    ({"not": {"equals": [{"get_param": "env"}, "prod"]}}, False),
    ({"and": ["is_prod", True]}, True),
    ({"and": ["is_prod", False]}, False),
    ({"or": [False, "is_prod"]}, True),
    ({"or": [False, {"not": "is_prod"}]}, False),
    (True, True),
]


@pytest.mark.parametrize("version", WITH_CONDITIONS)
@pytest.mark.parametrize(("expr", "value"), EXPRESSIONS)
def test_condition_functions(expr: Any, value: bool, version: str) -> None:
    conditions = {"is_prod": {"equals": [{"get_param": "env"}, "prod"]}, "c": expr}
    template = load(hot(version, parameters=PARAMS, conditions=conditions))
    assert template.conditions["c"] is value


@pytest.mark.parametrize("version", WITH_CONDITIONS)
def test_contains_in_conditions_from_pike(version: str) -> None:
    conditions = {"c": {"contains": ["a", {"get_param": "zones"}]}}
    text = hot(version, parameters=PARAMS, conditions=conditions)
    if at_least(version, "2017-09-01"):
        assert load(text).conditions == {"c": True}
    else:
        assert "contains is not available in conditions in heat_template_version" in messages(text)


@pytest.mark.parametrize("version", [v for v in VERSIONS if not at_least(v, "2016-10-14")])
def test_no_conditions_section_before_newton(version: str) -> None:
    found = errors(hot(version, conditions={"c": True}))
    assert "conditions are not available" in found[0].message
    assert found[0].hint == "the conditions section was added in 2016-10-14 (newton)"


def test_other_functions_not_allowed_in_conditions() -> None:
    text = hot(conditions={"c": {"equals": [{"list_join": ["", ["a"]]}, "a"]}})
    assert "list_join is not allowed in conditions" in messages(text)


def test_false_condition_leaves_resources_and_outputs_out() -> None:
    resources = {
        "kept": {"type": "OS::Heat::None"},
        "gone": {"type": "OS::Heat::None", "condition": "is_dev"},
        "inline": {"type": "OS::Heat::None", "condition": {"not": "is_dev"}},
    }
    outputs = {
        "a": {"value": {"get_resource": "kept"}, "condition": "is_dev"},
        "b": {"value": {"if": ["is_dev", {"get_resource": "gone"}, "none"]}},
    }
    conditions = {"is_dev": {"equals": [{"get_param": "env"}, "dev"]}}
    template = load(
        hot(parameters=PARAMS, resources=resources, outputs=outputs, conditions=conditions)
    )
    assert set(template.resources) == {"kept", "inline"}
    assert set(template.outputs) == {"b"}
    assert template.resources["inline"].condition is None


def test_reference_to_resource_left_out_is_an_error() -> None:
    resources = {
        "gone": {"type": "OS::Heat::None", "condition": False},
        "user": {"type": "OS::Heat::None", "properties": {"x": {"get_resource": "gone"}}},
    }
    found = errors(hot(resources=resources))
    assert found[0].message == "resource 'gone' is left out by its condition 'False'"


def test_unknown_condition_and_self_reference() -> None:
    assert "unknown condition 'nop'" in messages(hot(conditions={"c": {"not": "nop"}}))
    assert "refers to itself" in messages(hot(conditions={"c": {"not": "c"}}))
    assert "a condition must be a boolean" in messages(hot(conditions={"c": "text"}))


def test_bad_condition_is_reported_once() -> None:
    resources = {"r": {"type": "X", "condition": "c"}, "s": {"type": "X", "condition": "c"}}
    found = errors(hot(resources=resources, conditions={"c": {"equals": [1]}}))
    assert [d.message for d in found] == ["equals takes [value_1, value_2]"]
    assert found[0].path == ("conditions", "c")


def test_if_without_false_value_omits_the_item() -> None:
    resources = {
        "r": {
            "type": "X",
            "properties": {"kept": 1, "gone": {"if": [False, 2]}, "list": [{"if": [False, 3]}, 4]},
        }
    }
    template = load(hot(resources=resources, outputs={"o": {"value": {"if": [False, 1]}}}))
    assert resolve(template.resources["r"].properties, PlanContext()) == {"kept": 1, "list": [4]}
    assert resolve(template.outputs["o"].value, PlanContext()) is None


def test_if_condition_may_be_an_expression() -> None:
    expr = {"if": [{"equals": [{"get_param": "env"}, "prod"]}, "big", "small"]}
    text = hot(parameters=PARAMS, outputs={"o": {"value": expr}})
    assert resolve(load(text).outputs["o"].value, PlanContext()) == "big"
