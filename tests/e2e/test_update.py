"""Changing a running stack: only what changed is touched, failures roll back, one at a time.

Stacks are deployed and mostly updated in this process through the service; the tests
about what the command prints or how it exits run ``crossheat`` itself.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

KINDS = (
    "networks",
    "subnets",
    "routers",
    "servers",
    "vpnservices",
    "ikepolicies",
    "ipsecpolicies",
    "ipsec_site_connections",
)


def deploy(world: World, latency: str = "default=0.02,server=0.1") -> None:
    start_emulator(world, latency=latency)
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]


def west_flavor_template(tmp: Path, flavor: str = "m1.medium") -> Path:
    text = REFERENCE.read_text()
    head, tail = text.split("  west_server:", 1)
    path = tmp / "west-flavor.yaml"
    path.write_text(head + "  west_server:" + tail.replace("{get_param: flavor}", flavor, 1))
    return path


def with_resources(world: World, extra: str) -> Path:
    """The reference template with ``extra`` resources (YAML text) added."""
    head, outputs = REFERENCE.read_text().split("\noutputs:", 1)
    grown = world.tmp / "grown.yaml"
    grown.write_text(head.rstrip("\n") + "\n\n" + extra + "\noutputs:" + outputs)
    return grown


def counts(world: World, region: str) -> dict[str, int]:
    found = world.admin.resources(region)
    return {kind: len(found.get(kind, [])) for kind in KINDS}


def events_after(world: World, last: int) -> list[dict[str, Any]]:
    return [
        e for e in world.events("vpn") if e["id"] > last and e["resource_type"] != "OS::Heat::Stack"
    ]


def last_event(world: World) -> int:
    return max(e["id"] for e in world.events("vpn"))


def test_west_flavor_change_updates_west_server_only_and_never_calls_east(world: World) -> None:
    deploy(world)
    before = last_event(world)
    world.admin.reset_counters()
    stack = world.update("vpn", west_flavor_template(world.tmp), existing=True)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    touched = {e["resource_name"] for e in events_after(world, before)}
    assert touched == {"west_server"}
    calls = world.admin.counters()
    assert sum(calls.get("East", {}).values()) == 0
    assert any("action" in path for path in calls["West"])  # resized in place
    server = world.admin.resources("West")["servers"][0]
    assert server["flavor_id"] == "3"  # m1.medium


def test_west_cidr_change_replaces_what_follows_and_tunnels_come_back(world: World) -> None:
    deploy(world)
    preview = world.update(
        "vpn", existing=True, parameters={"west_cidr": "10.3.0.0/24"}, dry_run=True
    )
    replaced = {r["resource_name"] for r in preview["replaced"]}
    assert replaced == {
        "west_subnet",
        "west_router_interface",
        "west_vpn",
        "west_to_east",
        "west_server",
        "east_to_west",
    }
    assert preview["added"] == [] and preview["deleted"] == [] and preview["updated"] == []
    assert set(preview["regions"]["East"]["replaced"]) == {"east_to_west"}
    planned = world.json(
        "plan", "-t", str(REFERENCE), "--stack", "vpn", "--parameter", "west_cidr=10.3.0.0/24"
    )
    assert {r["resource_name"] for r in planned["replaced"]} == replaced
    stack = world.update("vpn", existing=True, parameters={"west_cidr": "10.3.0.0/24"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}
    assert outputs["west_server_ip"].startswith("10.3.0.")
    assert counts(world, "West") == dict.fromkeys(KINDS, 1)
    assert counts(world, "East") == dict.fromkeys(KINDS, 1)


def test_failed_update_rolls_back_to_the_old_template(world: World) -> None:
    deploy(world)
    before = {r: world.admin.resources(r) for r in ("East", "West")}
    extra = (
        "  extra_net:\n    type: OS::Neutron::Net\n    region: West\n"
        "  extra_server:\n    type: OS::Nova::Server\n    region: West\n"
        "    properties:\n      image: cirros\n      flavor: m1.tiny\n"
        "      networks: [{network: {get_resource: extra_net}}]\n"
    )
    grown = with_resources(world, extra)
    world.admin.faults({"quota.West.servers": 1})
    done = world.crossheat(
        "stack",
        "update",
        "vpn",
        "-t",
        str(grown),
        "--existing",
        "--wait",
        "-f",
        "json",
        check=False,
    )
    assert done.returncode == 1
    stack = world.json("stack", "show", "vpn")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    names = {r["resource_name"] for r in world.json("stack", "resource", "list", "vpn")}
    assert "extra_net" not in names and "extra_server" not in names and len(names) == 18
    for region in ("East", "West"):
        after = world.admin.resources(region)
        for kind in KINDS:
            ids_before = {item["id"] for item in before[region].get(kind, [])}
            ids_after = {item["id"] for item in after.get(kind, [])}
            assert ids_after == ids_before, (region, kind)


def test_second_update_is_refused_while_the_first_runs(world: World) -> None:
    deploy(world)
    # The first update's resize takes long enough for the second command to start and be
    # refused while it runs, however slowly processes start on a loaded machine.
    world.admin.latency({"server": 15, "jitter": 0})
    first = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "stack", "update", "vpn", "-t",
         str(west_flavor_template(world.tmp, "m1.large")), "--existing", "--wait"],
        env=world.env, cwd=world.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "operation_in_progress" not in world.show("vpn"):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.1)
    second = world.crossheat(
        "stack",
        "update",
        "vpn",
        "--existing",
        "--parameter",
        "west_cidr=10.4.0.0/24",
        "--wait",
        check=False,
    )
    assert second.returncode == 1
    assert "locked by a UPDATE operation" in second.stderr
    assert "since" in second.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    stack = world.show("vpn")
    assert stack["stack_status"] == "UPDATE_COMPLETE"
    assert "west_cidr" not in stack["parameters"]  # the refused update changed nothing


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_cancel_stops_the_update_and_rolls_back(world: World) -> None:
    deploy(world, latency="default=0.02,server=3,jitter=0")
    before = {r: world.admin.resources(r) for r in ("East", "West")}
    extra = (
        "  slow_server:\n    type: OS::Nova::Server\n    region: West\n"
        "    properties: {image: cirros, flavor: m1.tiny, networks: [{network: west-net}]}\n"
        "  after_server:\n    type: OS::Neutron::Net\n    region: West\n"
        "    properties: {name: {get_attr: [slow_server, name]}}\n"
    )
    grown = with_resources(world, extra)
    # A boot far longer than the test: the cancel must end the wait for it, as Heat's
    # does, not wait for the server (deleting it is quick).
    world.admin.latency({"server": 60, "server_delete": 0.05, "jitter": 0})
    world.crossheat("stack", "update", "vpn", "-t", str(grown), "--existing")  # no --wait
    deadline = time.monotonic() + 60
    while not any(e["resource_name"] == "slow_server" for e in world.events("vpn")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    world.crossheat("stack", "cancel", "vpn")
    cancelled = time.monotonic()
    while world.show("vpn")["stack_status"].endswith("IN_PROGRESS"):
        assert time.monotonic() < cancelled + 30, "the cancel waited for the server to boot"
        time.sleep(0.2)
    stack = world.show("vpn")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    events = world.events("vpn")
    assert not any(e["resource_name"] == "after_server" for e in events)  # never started
    assert any("cancelled" in e["resource_status_reason"] for e in events)
    slow = [e for e in events if e["resource_name"] == "slow_server"]
    assert any(
        e["resource_status"] == "CREATE_FAILED" and "cancelled" in e["resource_status_reason"]
        for e in slow
    ), slow  # its wait was cut short, then the rollback deleted it
    for region in ("East", "West"):
        after = world.admin.resources(region)
        for kind in KINDS:
            assert {i["id"] for i in after.get(kind, [])} == {
                i["id"] for i in before[region].get(kind, [])
            }, (region, kind)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_in_place_update_is_one_call_and_a_noop_none(world: World) -> None:
    """Counted by the emulator: renaming a network is its PUT alone (the PUT's answer is
    the new state, nothing is read back); updating to the same template calls nothing."""
    deploy(world)
    renamed = world.tmp / "renamed.yaml"
    renamed.write_text(REFERENCE.read_text().replace("{name: east-net}", "{name: east-net-2}"))
    world.admin.reset_counters()
    stack = world.update("vpn", renamed, existing=True)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert regional_calls(world) == {"East": {"PUT /network/v2.0/networks/{id}": 1}, "West": {}}
    network = next(n for n in world.admin.resources("East")["networks"] if n["name"] != "public")
    assert network["name"] == "east-net-2"
    world.admin.reset_counters()
    stack = world.update("vpn", renamed, existing=True)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert regional_calls(world) == {"East": {}, "West": {}}


def regional_calls(world: World) -> dict[str, dict[str, int]]:
    """The emulator's counts of Nova/Neutron/Glance calls per region (Keystone's left out:
    every command authenticates)."""
    calls = world.admin.counters()
    return {
        region: {
            call: n
            for call, n in calls.get(region, {}).items()
            if not call.split(" ", 1)[-1].startswith(("/identity", "/v3"))
        }
        for region in ("East", "West")
    }
