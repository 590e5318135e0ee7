"""Reads come from the store: show, outputs, resources, events and list call no cloud."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World
from tests.e2e.test_update import deploy

pytestmark = pytest.mark.e2e


def test_reads_of_the_reference_stack_make_no_cloud_request(world: World) -> None:
    deploy(world)
    world.admin.reset_counters()
    shown = world.json("stack", "show", "vpn")
    outputs = {o["output_key"]: o["output_value"] for o in shown["outputs"]}
    assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}
    assert world.crossheat("stack", "output", "show", "vpn", "--all").stdout
    assert world.crossheat("stack", "output", "show", "vpn", "west_gateway_ip").stdout
    resources = world.json("stack", "resource", "list", "vpn")
    assert {r["region"] for r in resources} == {"East", "West"}
    assert world.json("stack", "event", "list", "vpn")
    assert [s["Stack Name"] for s in world.json("stack", "list")] == ["vpn"]
    calls = world.admin.counters()
    assert {region: n for region, c in calls.items() if (n := sum(c.values()))} == {}
