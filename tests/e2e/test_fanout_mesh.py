"""One definition, many regions: examples/mesh.yaml over a list of sites, grown and shrunk."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import PSK, ROOT, World, start_emulator

MESH = ROOT / "examples" / "mesh.yaml"
THREE = "OnPrem,East,West"
FOUR = "OnPrem,East,West,North"
#: what must keep its cloud object while sites come and go
KEPT = ("OS::Neutron::Net", "OS::Neutron::Router", "OS::Nova::Server")
#: the resources of examples/mesh.yaml with one copy per site
SITE = ("net", "subnet", "router", "router_interface", "vpn", "ike", "ipsec", "server")


def _tunnel_status(stack: dict[str, Any]) -> dict[str, str]:
    [output] = [o for o in stack["outputs"] if o["output_key"] == "tunnel_status"]
    return dict(output["output_value"])


def _tunnels(sites: str) -> set[str]:
    names = sites.split(",")
    return {f"tunnel[{a}->{b}]" for a in names for b in names if a != b}


def _ids(world: World) -> dict[str, str]:
    """Resource name -> physical id, of the networks, routers and servers."""
    return {r["resource_name"]: r["physical_resource_id"] for r in world.resources("mesh")
            if r["resource_type"] in KEPT}  # fmt: skip


def _touched_since(world: World, after: int) -> dict[str, set[str]]:
    touched: dict[str, set[str]] = {}
    for e in world.events("mesh"):
        if e["id"] > after and e["resource_type"] != "OS::Heat::Stack":
            touched.setdefault(e["resource_name"], set()).add(e["resource_status"])
    return touched


def _last_event(world: World) -> int:
    return max(e["id"] for e in world.events("mesh"))


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_mesh_over_a_list_of_sites_grows_and_shrinks_by_one_sites_copies(world: World) -> None:
    start_emulator(world, latency="default=0.005,server=0.02", regions=FOUR)
    done = world.crossheat("validate", "-t", str(MESH), "--parameter", f"psk={PSK}", "-f", "json")
    assert json.loads(done.stdout)["diagnostics"] == []

    stack = world.create("mesh", MESH, {"psk": PSK, "sites": THREE})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    assert _tunnel_status(stack) == dict.fromkeys(_tunnels(THREE), "ACTIVE")
    regions = {r["resource_name"]: r["region"] for r in world.resources("mesh")}
    assert regions["net[East]"] == "East" and regions["tunnel[West->OnPrem]"] == "West"
    before = _ids(world)
    assert len(before) == 9 and all(before.values())

    # a fourth site: its copies and the six tunnels to and from it, nothing else touched
    preview = world.update("mesh", existing=True, parameters={"sites": FOUR}, dry_run=True)
    added = {r["resource_name"] for r in preview["added"]}
    assert added == {f"{n}[North]" for n in SITE} | (_tunnels(FOUR) - _tunnels(THREE))
    assert preview["replaced"] == preview["updated"] == preview["deleted"] == []
    mark = _last_event(world)
    stack = world.update("mesh", existing=True, parameters={"sites": FOUR})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert _tunnel_status(stack) == dict.fromkeys(_tunnels(FOUR), "ACTIVE")
    north = {n for n in _ids(world) if n.endswith("[North]")} | (_tunnels(FOUR) - _tunnels(THREE))
    touched = _touched_since(world, mark)
    assert {n for n in touched if not n.endswith("[North]")} == _tunnels(FOUR) - _tunnels(THREE)
    assert all(statuses == {"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}
               for statuses in touched.values())  # fmt: skip
    grown = _ids(world)
    assert {n: grown[n] for n in before} == before
    assert world.leftovers("North")["networks"] == ["net-North"]
    with world.service() as service:  # `stack check`: every copy read back from its region
        checked = service.check("mesh")
    assert checked.ok, checked.reason
    assert len(checked.reports) == 8 * 4 + 12

    # back to three: only North's copies and the tunnels to it go
    mark = _last_event(world)
    stack = world.update("mesh", existing=True, parameters={"sites": THREE})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert _tunnel_status(stack) == dict.fromkeys(_tunnels(THREE), "ACTIVE")
    touched = _touched_since(world, mark)
    assert north <= set(touched)
    assert {n for n in touched if not n.endswith("[North]")} == _tunnels(FOUR) - _tunnels(THREE)
    assert all("DELETE_COMPLETE" in statuses and not statuses & {"CREATE_COMPLETE"}
               for statuses in touched.values())  # fmt: skip
    assert _ids(world) == before
    assert world.leftovers("North") == {}

    world.delete("mesh")
    for region in FOUR.split(","):
        assert world.leftovers(region) == {}, region
