"""Full meshes and a hub and spoke: several IPsec connections on one router, end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import PSK, ROOT, World, start_emulator

EXAMPLES = ROOT / "examples"
LATENCY = "default=0.01,server=0.05"
FOUR = "OnPrem,East,West,North"


def _tunnel_status(stack: dict[str, Any]) -> dict[str, str]:
    [output] = [o for o in stack["outputs"] if o["output_key"] == "tunnel_status"]
    return dict(output["output_value"])


def _validate(world: World, example: str) -> None:
    done = world.crossheat(
        "validate", "-t", str(EXAMPLES / example), "--parameter", f"vpn_psk={PSK}", "-f", "json"
    )
    assert json.loads(done.stdout)["diagnostics"] == []


def _create(world: World, example: str) -> dict[str, Any]:
    stack = world.create("mesh", EXAMPLES / example, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    return stack


def _touched_by_update(world: World) -> dict[str, set[str]]:
    """Resource name -> the statuses its events reached after the create completed."""
    events = world.events("mesh")
    created = max(
        e["id"] for e in events
        if e["resource_type"] == "OS::Heat::Stack" and e["resource_status"] == "CREATE_COMPLETE"
    )  # fmt: skip
    touched: dict[str, set[str]] = {}
    for e in events:
        if e["id"] > created and e["resource_type"] != "OS::Heat::Stack":
            touched.setdefault(e["resource_name"], set()).add(e["resource_status"])
    return touched


def _delete(world: World, regions: str) -> None:
    world.delete("mesh")
    for region in regions.split(","):
        assert world.leftovers(region) == {}, region


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("example", "regions", "connections"),
    [("mesh-3.yaml", "OnPrem,East,West", 6), ("mesh-4.yaml", FOUR, 12)],
    ids=["3-regions", "4-regions"],
)
def test_full_mesh_deploys_with_every_tunnel_active_updates_and_deletes(
    world: World, example: str, regions: str, connections: int
) -> None:
    start_emulator(world, latency=LATENCY, regions=regions)
    _validate(world, example)
    stack = _create(world, example)
    status = _tunnel_status(stack)
    assert len(status) == connections
    assert set(status.values()) == {"ACTIVE"}

    # a new key for every tunnel: each connection is replaced (psk cannot change in place)
    # and the new ones come up together
    new_psk = "e2e-another-pre-shared-key-77"
    stack = world.update("mesh", existing=True, parameters={"vpn_psk": new_psk})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    touched = _touched_by_update(world)
    assert set(touched) == set(status)
    assert all({"CREATE_COMPLETE", "DELETE_COMPLETE"} <= done for done in touched.values())
    assert set(_tunnel_status(stack).values()) == {"ACTIVE"}
    assert not [log for log in world.logs if new_psk in log]

    _delete(world, regions)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_hub_and_spoke_deploys_then_grows_into_a_full_mesh(world: World) -> None:
    start_emulator(world, latency=LATENCY, regions=FOUR)
    _validate(world, "hub-and-spoke.yaml")
    stack = _create(world, "hub-and-spoke.yaml")
    assert _tunnel_status(stack) == {
        "onprem_to_east": "ACTIVE",
        "onprem_to_west": "ACTIVE",
        "onprem_to_north": "ACTIVE",
        "east_to_onprem": "ACTIVE",
        "west_to_onprem": "ACTIVE",
        "north_to_onprem": "ACTIVE",
    }

    # the spokes get tunnels between them: six more connections, the hub's untouched
    stack = world.update("mesh", EXAMPLES / "mesh-4.yaml", {"vpn_psk": PSK})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    added = {"east_to_west", "east_to_north", "west_to_east", "west_to_north",
             "north_to_east", "north_to_west"}  # fmt: skip
    assert _touched_by_update(world) == {name: {"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}
                                         for name in added}  # fmt: skip
    status = _tunnel_status(stack)
    assert len(status) == 12 and set(status.values()) == {"ACTIVE"}

    _delete(world, FOUR)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_tunnel_down_in_a_mesh_is_named_alone_with_its_true_peer(world: World) -> None:
    """onprem_to_west's peer_cidrs read the wrong subnet (known only once it exists): the
    failure names that tunnel and no other."""
    start_emulator(world, latency=LATENCY, regions="OnPrem,East,West")
    text = (EXAMPLES / "mesh-3.yaml").read_text()
    start = text.index("\n  onprem_to_west:\n")
    end = text.index("\n\n", start + 1)
    wrong = text[start:end].replace(
        "peer_cidrs: [{get_param: west_cidr}]", "peer_cidrs: [{get_attr: [east_subnet, cidr]}]"
    )
    template = world.tmp / "wrong-peer.yaml"
    template.write_text(text[:start] + wrong + text[end:])
    world.crossheat("validate", "-t", str(template), "--parameter", f"vpn_psk={PSK}")
    done = world.crossheat("stack", "create", "mesh", "-t", str(template), "--parameter",
                           f"vpn_psk={PSK}", "--wait", "--tunnel-timeout", "3",
                           "--disable-rollback", "-f", "json", check=False)  # fmt: skip
    assert done.returncode == 1
    reason = world.json("stack", "show", "mesh")["stack_status_reason"]
    assert reason.count("<->") == 1, reason
    assert "onprem_to_west (OnPrem, DOWN) <-> west_to_onprem (West, DOWN)" in reason
    assert "onprem_to_west.peer_cidrs is ['10.2.0.0/24'] but the subnet behind " in reason
    assert "west_to_onprem is 10.3.0.0/24" in reason
