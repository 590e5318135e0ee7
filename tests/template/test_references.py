"""References and dependencies, and the reference use case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crossheat.errors import TemplateError
from crossheat.template import PlanContext, Reference, load_template, render, resolve
from crossheat.template.values import UNKNOWN
from tests.template.helpers import FakeCloud, errors, hot, load

USECASE = Path("/work/shared/usecases/east-west-vpn.yaml")
PSK = {"vpn_psk": "0123456789abcdef"}


def test_dependencies_from_depends_on_properties_and_metadata() -> None:
    resources = {
        "a": {"type": "X"},
        "b": {"type": "X"},
        "c": {"type": "X"},
        "d": {"type": "X"},
        "user": {
            "type": "X",
            "depends_on": ["a"],
            "properties": {"p": {"list_join": ["", [{"get_attr": ["b", "x"]}]]}},
            "metadata": {"m": {"get_resource": "c"}},
        },
    }
    template = load(hot(resources=resources, outputs={"o": {"value": {"get_attr": ["d", "y"]}}}))
    assert template.resources["user"].dependencies() == {"a", "b", "c"}
    assert template.references() == [
        Reference(
            "get_attr", "b", ("x",), ("resources", "user", "properties", "p", "list_join", 1, 0)
        ),
        Reference("get_resource", "c", (), ("resources", "user", "metadata", "m")),
        Reference("get_attr", "d", ("y",), ("outputs", "o", "value")),
    ]


def test_if_branch_not_taken_is_no_dependency() -> None:
    resources = {
        "a": {"type": "X"},
        "b": {"type": "X"},
        "user": {
            "type": "X",
            "properties": {"p": {"if": [False, {"get_resource": "a"}, {"get_resource": "b"}]}},
        },
    }
    user = load(hot(resources=resources)).resources["user"]
    assert user.dependencies() == {"b"}
    assert [r.resource for r in user.references()] == ["b"]


def test_get_attr_all_attributes_reference() -> None:
    resources = {"a": {"type": "X"}, "u": {"type": "X", "properties": {"p": {"get_attr": ["a"]}}}}
    assert load(hot(resources=resources)).resources["u"].references()[0].attribute == ()


def test_unknown_references_suggest_close_names() -> None:
    resources = {
        "east_net": {"type": "X"},
        "u": {"type": "X", "properties": {"p": {"get_attr": ["east_nte", "id"]}}},
    }
    found = errors(hot(resources=resources))
    assert found[0].message == "unknown resource 'east_nte'"
    assert found[0].hint == "did you mean 'east_net'?"
    assert found[0].code == "unknown-reference"


def test_usecase_loads_with_regions_and_references() -> None:
    template = load_template(USECASE, parameters=PSK)
    assert len(template.resources) == 18
    regions = {r.region for r in template.resources.values()}
    assert regions == {"East", "West"}
    assert all(r.region == "East" for n, r in template.resources.items() if n.startswith("east"))
    assert template.hidden_parameters() == {"vpn_psk"}
    east_to_west = template.resources["east_to_west"]
    assert east_to_west.dependencies() == {"east_vpn", "east_ike", "east_ipsec", "west_router"}
    cross = [
        ref
        for name, r in template.resources.items()
        for ref in r.references()
        if r.region != template.resources[ref.resource].region
    ]
    assert {(ref.path[1], ref.resource) for ref in cross} == {
        ("east_to_west", "west_router"),
        ("west_to_east", "east_router"),
    }
    attribute = ("external_gateway_info", "external_fixed_ips", 0, "ip_address")
    assert all(ref.attribute == attribute for ref in cross)
    assert template.resources["east_vpn"].depends_on == ["east_router_interface"]


def test_usecase_resolves_at_plan_and_deploy_time() -> None:
    template = load_template(USECASE, parameters=PSK)
    subnet = template.resources["east_subnet"].properties
    assert resolve(subnet, PlanContext()) == {"network": UNKNOWN, "cidr": "10.1.0.0/24"}
    assert resolve(subnet, FakeCloud()) == {"network": "east_net-id", "cidr": "10.1.0.0/24"}
    conn = resolve(template.resources["west_to_east"].properties, FakeCloud())
    assert conn["psk"] == PSK["vpn_psk"]
    assert conn["peer_cidrs"] == ["10.1.0.0/24"]


def test_usecase_needs_a_long_enough_psk() -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(USECASE, parameters={"vpn_psk": "short"})
    (problem,) = caught.value.diagnostics
    assert problem.message == "parameter 'vpn_psk': length must be at least 16"
    assert problem.hint is None
    with pytest.raises(TemplateError) as caught:
        load_template(USECASE)
    assert caught.value.diagnostics[0].hint == "--parameter vpn_psk=VALUE"


def test_render_gives_back_the_template_syntax() -> None:
    template = load_template(USECASE, parameters=PSK)
    raw = yaml.load(USECASE.read_text(), Loader=yaml.CSafeLoader)
    for name, resource in template.resources.items():
        assert render(resource.properties) == raw["resources"][name].get("properties", {})
    assert (
        render(template.outputs["tunnel_status"].value) == raw["outputs"]["tunnel_status"]["value"]
    )
