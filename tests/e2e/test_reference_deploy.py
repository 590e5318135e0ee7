"""The reference use case, deployed and deleted with the real command, on SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator


def _outputs(stack: dict[str, Any]) -> dict[str, Any]:
    return {o["output_key"]: o["output_value"] for o in stack["outputs"]}


def _public_cidr(world: World, region: str) -> ipaddress.IPv4Network:
    subnets = world.admin.resources(region, all=True)["subnets"]
    public = [s for s in subnets if s.get("name", "").startswith("public")]
    return ipaddress.ip_network(public[0]["cidr"])  # type: ignore[return-value]


def test_reference_use_case_deploys_with_both_tunnels_active_and_deletes_cleanly(
    world: World,
) -> None:
    start_emulator(world)
    stack = world.json(
        "stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "--wait"
    )
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = _outputs(stack)
    assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}
    assert ipaddress.ip_address(outputs["east_server_ip"]) in ipaddress.ip_network("10.1.0.0/24")
    assert ipaddress.ip_address(outputs["west_server_ip"]) in ipaddress.ip_network("10.2.0.0/24")
    assert ipaddress.ip_address(outputs["east_gateway_ip"]) in _public_cidr(world, "East")
    assert ipaddress.ip_address(outputs["west_gateway_ip"]) in _public_cidr(world, "West")

    resources = world.json("stack", "resource", "list", "vpn")
    assert {r["region"] for r in resources} == {"East", "West"}
    assert len(resources) == 18
    assert all(r["resource_status"] == "CREATE_COMPLETE" for r in resources)
    assert [s["Regions"] for s in world.json("stack", "list")] == [["East", "West"]]

    world.crossheat("stack", "delete", "vpn", "--wait", "--yes")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
    listed = world.json("stack", "list")
    assert listed == []
