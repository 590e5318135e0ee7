"""Versions, sections, resource and output keys."""

from __future__ import annotations

import pytest

from crossheat.template import SUPPORTED_VERSIONS, functions_for_version
from tests.template.helpers import errors, hot, load

ALIASES = {
    "newton": "2016-10-14",
    "ocata": "2017-02-24",
    "pike": "2017-09-01",
    "queens": "2018-03-02",
    "rocky": "2018-08-31",
    "wallaby": "2021-04-16",
}


@pytest.mark.parametrize(("alias", "date"), ALIASES.items())
def test_aliases_resolve_to_dates(alias: str, date: str) -> None:
    assert SUPPORTED_VERSIONS[alias] == date
    assert load(hot(alias)).version == date


def test_every_date_is_supported() -> None:
    dates = {v for v in SUPPORTED_VERSIONS.values()}
    assert len(dates) == 11 and min(dates) == "2013-05-23" and max(dates) == "2021-04-16"


def test_function_tables_follow_heat() -> None:
    assert set(functions_for_version("2013-05-23")) == {
        "get_param", "get_resource", "get_attr", "get_file", "resource_facade",
        "list_join", "str_replace",
    }  # fmt: skip
    assert "str_replace_vstrict" in functions_for_version("pike")
    assert "filter" not in functions_for_version("2016-10-14")
    assert functions_for_version("2021-04-16")["if"].__name__ == "IfNullable"


def test_unknown_version_lists_supported() -> None:
    found = errors(hot("2019-01-01"))
    assert found[0].message == "unknown heat_template_version '2019-01-01'"
    assert found[0].hint is not None and "wallaby" in found[0].hint


def test_cloudformation_templates_not_supported() -> None:
    found = errors('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}')
    assert found[0].code == "not-supported"


def test_unknown_section_and_keys() -> None:
    found = errors(hot(outputz={}))
    assert found[0].message == "unknown key 'outputz' in the template"
    assert found[0].hint is not None and found[0].hint.startswith(
        "did you mean 'outputs'? allowed:"
    )
    resources = {"r": {"type": "X", "regoin": "East"}}
    found = errors(hot(resources=resources))
    assert found[0].path == ("resources", "r", "regoin")
    found = errors(hot(outputs={"o": {"value": 1, "descr": "x"}}))
    assert "unknown key 'descr' in output" in found[0].message
    assert found[0].hint == "did you mean 'description'? allowed: value, description, condition"


def test_condition_and_external_id_only_from_newton() -> None:
    found = errors(hot("2016-04-08", resources={"r": {"type": "X", "condition": True}}))
    assert found[0].message == "unknown key 'condition' in resource"


def test_resource_fields() -> None:
    resources = {
        "a": {"type": "X"},
        "r": {
            "type": "OS::Neutron::Net",
            "region": "West",
            "properties": {"name": "n"},
            "metadata": {"m": 1},
            "depends_on": "a",
            "deletion_policy": "retain",
            "update_policy": {"batch": 1},
            "external_id": "abc",
        },
    }
    r = load(hot(resources=resources)).resources["r"]
    assert (r.region, r.depends_on, r.deletion_policy) == ("West", ["a"], "Retain")
    assert (r.metadata, r.update_policy, r.external_id) == ({"m": 1}, {"batch": 1}, "abc")
    assert r.path == ("resources", "r")
    assert load(hot(resources={"a": {"type": "X"}})).resources["a"].region is None


def test_resource_shape_errors() -> None:
    assert "needs a type" in errors(hot(resources={"r": {"properties": {}}}))[0].message
    found = errors(hot(resources={"r": {"type": "X", "deletion_policy": "Keep"}}))
    assert found[0].message == "invalid deletion_policy 'Keep'"
    found = errors(hot(resources={"r": {"type": "X", "region": 7}}))
    known = "region must be a region name or a list of them, known before deploy"
    assert [d.message for d in found] == [known]
    other = {"o": {"type": "X"}, "r": {"type": "X", "region": {"get_attr": ["o", "az"]}}}
    found = errors(hot(resources=other))
    assert [d.message for d in found] == [known]
    found = errors(hot("2016-04-08", resources={"r": {"type": "X", "deletion_policy": "retain"}}))
    assert found[0].message == "invalid deletion_policy 'retain'"


def test_region_and_deletion_policy_from_parameters() -> None:
    params = {
        "where": {"type": "string", "default": "West"},
        "keep": {"type": "string", "default": "Retain"},
    }
    resources = {
        "r": {
            "type": "X",
            "region": {"get_param": "where"},
            "deletion_policy": {"get_param": "keep"},
        }
    }
    r = load(hot(parameters=params, resources=resources)).resources["r"]
    assert (r.region, r.deletion_policy) == ("West", "Retain")


def test_parameter_groups() -> None:
    params = {"a": {"type": "string", "default": ""}}
    groups = [{"label": "L", "parameters": ["a"]}]
    assert load(hot(parameters=params, parameter_groups=groups)).parameter_groups == groups
    found = errors(hot(parameters=params, parameter_groups=[{"parameters": ["b"]}]))
    assert "unknown parameter 'b'" in found[0].message
