"""``crossheat stack check``: drift made behind crossheat's back, through openstacksdk."""

from __future__ import annotations

import json
from typing import Any

from openstack.config import OpenStackConfig
from openstack.connection import Connection

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator


def _connect(world: World, region: str) -> Connection:
    """A user's own openstacksdk connection, from the clouds.yaml the emulator wrote."""
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    return Connection(config=config.get_one(cloud="emulator", region_name=region))


def _deploy(world: World) -> None:
    start_emulator(world, latency="default=0.0,server=0.05")
    stack = world.json("stack", "create", "vpn", "-t", str(REFERENCE),
                       "--parameter", f"vpn_psk={PSK}", "--wait")  # fmt: skip
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]


def _check(world: World) -> tuple[int, dict[str, dict[str, Any]]]:
    done = world.crossheat("stack", "check", "vpn", "-f", "json", check=False)
    return done.returncode, {r["resource_name"]: r for r in json.loads(done.stdout)}


def test_check_reports_a_deleted_server_and_a_renamed_network(world: World) -> None:
    _deploy(world)
    west, east = _connect(world, "West"), _connect(world, "East")
    try:
        server = west.compute.find_server("vpn-west_server", ignore_missing=False)
        west.compute.delete_server(server)
        west.compute.wait_for_delete(server, wait=30)
        network = east.network.find_network("east-net", ignore_missing=False)
        east.network.update_network(network, name="renamed")
    finally:
        west.close()
        east.close()

    code, report = _check(world)
    assert code == 1
    assert len(report) == 18
    drifted = {name: r["status"] for name, r in report.items() if r["status"] != "IN_SYNC"}
    assert drifted == {"west_server": "DELETED", "east_net": "MODIFIED"}
    assert report["east_net"]["differences"] == [
        {"property": "name", "expected": "east-net", "actual": "renamed"}
    ]
    assert report["west_server"]["physical_resource_id"] == server.id
    assert report["east_net"]["physical_resource_id"] == network.id
    assert report["west_server"]["region"] == "West"

    stack = world.json("stack", "show", "vpn")
    assert stack["stack_status"] == "CHECK_FAILED"
    assert "west_server" in stack["stack_status_reason"]
    assert "east_net" in stack["stack_status_reason"]
    resources = {r["resource_name"]: r for r in world.json("stack", "resource", "list", "vpn")}
    assert resources["west_server"]["resource_status"] == "CHECK_FAILED"
    assert resources["west_server"]["physical_resource_id"] == server.id
    assert resources["east_subnet"]["resource_status"] == "CHECK_COMPLETE"
    events = world.json("stack", "event", "list", "vpn")
    failed = {
        e["resource_name"]: e["resource_status_reason"]
        for e in events
        if e["resource_status"] == "CHECK_FAILED" and e["resource_name"] != "vpn"
    }
    assert failed == {
        "west_server": "deleted outside crossheat",
        "east_net": "changed outside crossheat: name 'east-net' -> 'renamed'",
    }
    assert "operation_in_progress" not in stack

    preview = world.json("stack", "update", "vpn", "--existing", "--dry-run")
    planned = {
        c["resource_name"]: (kind, c["reason"])
        for kind in ("added", "updated", "replaced", "deleted")
        for c in preview[kind]
    }
    assert planned == {
        "west_server": ("replaced", "deleted outside crossheat: recreate"),
        "east_net": ("updated", "changed outside crossheat: reset name"),
    }
    assert world.json("stack", "show", "vpn")["stack_status"] == "CHECK_FAILED"  # untouched

    repaired = world.json("stack", "update", "vpn", "--existing", "--wait")
    assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
    code, report = _check(world)
    assert {n: r["status"] for n, r in report.items() if r["status"] != "IN_SYNC"} == {}
    assert code == 0
    assert report["west_server"]["physical_resource_id"] != server.id  # recreated
    assert report["east_net"]["physical_resource_id"] == network.id  # renamed back in place
    names = {n["name"] for n in world.admin.resources("East")["networks"]}
    assert names == {"east-net"}

    world.crossheat("stack", "delete", "vpn", "--wait", "--yes")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_check_right_after_create_finds_everything_in_sync(world: World) -> None:
    _deploy(world)
    table = world.crossheat("stack", "check", "vpn").stdout  # exits 0
    rows = [
        line for line in table.splitlines() if "_" in line and ("East" in line or "West" in line)
    ]
    assert len(rows) == 18 and all("IN_SYNC" in row for row in rows)
    assert PSK not in table
    stack = world.json("stack", "show", "vpn")
    assert (stack["stack_status"], stack["stack_status_reason"]) == (
        "CHECK_COMPLETE", "Stack CHECK completed successfully",
    )  # fmt: skip


def test_a_server_resized_outside_is_reported_and_resized_back(world: World) -> None:
    _deploy(world)
    east = _connect(world, "East")
    try:
        server = east.compute.find_server("vpn-east_server", ignore_missing=False)
        medium = east.compute.find_flavor("m1.medium", ignore_missing=False)
        east.compute.resize_server(server, medium.id)
        east.compute.wait_for_server(server, status="VERIFY_RESIZE", interval=0.05, wait=30)
        east.compute.confirm_server_resize(server)
        east.compute.wait_for_server(server, status="ACTIVE", interval=0.05, wait=30)
    finally:
        east.close()

    code, report = _check(world)
    assert code == 1
    assert {n: r["status"] for n, r in report.items() if r["status"] != "IN_SYNC"} == {
        "east_server": "MODIFIED"
    }
    assert report["east_server"]["differences"] == [
        {"property": "flavor", "expected": "m1.small", "actual": "m1.medium"}
    ]
    preview = world.json("stack", "update", "vpn", "--existing", "--dry-run")
    assert [(c["resource_name"], c["reason"]) for c in preview["updated"]] == [
        ("east_server", "changed outside crossheat: reset flavor")
    ]
    assert preview["replaced"] == [] and preview["added"] == []

    repaired = world.json("stack", "update", "vpn", "--existing", "--wait")
    assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
    code, report = _check(world)
    assert (code, report["east_server"]["status"]) == (0, "IN_SYNC")
    assert report["east_server"]["physical_resource_id"] == server.id  # resized, not replaced
    east = _connect(world, "East")
    try:
        assert east.compute.get_server(server.id).flavor["original_name"] == "m1.small"
    finally:
        east.close()
