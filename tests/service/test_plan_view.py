"""The plan shown before a launch: resources per region, the references that cross
regions, the critical path and its time, learnt from earlier operations when there
were some."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossheat.errors import TemplateError
from crossheat.service import Inputs, Service, launch_check, plan_summary

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "examples" / "east-west-vpn.yaml").read_text()
PSK = {"vpn_psk": "a-pre-shared-key-of-20"}

CHAIN = """\
heat_template_version: 2018-08-31
resources:
  first: {type: OS::Heat::Value, region: East, properties: {value: one}}
  second:
    type: OS::Heat::TestResource
    region: East
    properties: {value: {get_attr: [first, value]}, action_wait_secs: {create: 0.3}}
  aside: {type: OS::Heat::None, region: East}
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with Service(database_url=f"sqlite:///{tmp_path / 'plan.db'}") as service:
        yield service


def test_the_reference_plan_spans_both_regions_with_their_references(service: Service) -> None:
    summary = plan_summary(service, Inputs(REFERENCE, parameters=PSK))
    assert sorted(summary.regions) == ["East", "West"]
    assert {len(items) for items in summary.regions.values()} == {9}
    east = {item.name: item.type for item in summary.regions["East"]}
    assert east["east_server"] == "OS::Nova::Server"
    refs = {(r.source, r.source_region, r.target, r.target_region) for r in summary.cross_region}
    assert refs == {
        ("east_to_west", "East", "west_router", "West"),
        ("west_to_east", "West", "east_router", "East"),
    }
    assert {r.function for r in summary.cross_region} == {"get_attr"}
    # router 2 s, interface 1 s, server 10 s: the planner's estimates (ties: East first)
    assert summary.critical_path == ["east_router", "east_router_interface", "east_server"]
    assert summary.estimated_seconds == summary.planner_seconds == 13.0
    assert summary.learnt == 0


def test_an_invalid_template_has_no_plan(service: Service) -> None:
    with pytest.raises(TemplateError):
        plan_summary(service, Inputs(REFERENCE, parameters={"vpn_psk": "short"}))


def test_durations_seen_in_earlier_operations_replace_the_estimates(
    service: Service, tmp_path: Path
) -> None:
    region_map = tmp_path / "regions.yaml"
    region_map.write_text("regions:\n  East: {cloud: nowhere}\ndefault_region: East\n")
    inputs = Inputs(CHAIN, region_map=region_map)
    before = plan_summary(service, inputs)
    assert before.estimated_seconds == 0.0 and before.learnt == 0  # OS::Heat: no cloud call
    service.run_here(service.create("chain", inputs))
    after = plan_summary(service, inputs)
    assert after.critical_path == ["first", "second"]
    assert 0.3 <= after.estimated_seconds < 1.0
    assert after.planner_seconds == 0.0
    learnt = {item.name: item.learnt for item in after.regions["East"]}
    assert learnt == {"first": True, "second": True, "aside": True}


def test_launch_check_gives_the_plan_only_when_the_values_are_right(service: Service) -> None:
    form, summary = launch_check(service, Inputs(REFERENCE, parameters={"vpn_psk": "short"}))
    assert summary is None
    assert form.errors == {"vpn_psk": ["parameter 'vpn_psk': length must be at least 16"]}
    form, summary = launch_check(service, Inputs(REFERENCE))
    assert summary is None and set(form.errors) == {"vpn_psk"}
    form, summary = launch_check(service, Inputs(REFERENCE, parameters=PSK))
    assert form.ok and summary is not None
    assert summary.as_dict() == plan_summary(service, Inputs(REFERENCE, parameters=PSK)).as_dict()
