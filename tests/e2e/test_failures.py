"""Failures a user meets: quota in one region, flaky APIs, a tunnel whose ends disagree."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.test_update import KINDS, counts


def test_quota_in_west_fails_naming_west_server_and_rolls_back_everywhere(world: World) -> None:
    start_emulator(world, faults="quota.West.servers=0")
    done = world.crossheat(
        "stack",
        "create",
        "vpn",
        "-t",
        str(REFERENCE),
        "--parameter",
        f"vpn_psk={PSK}",
        "--wait",
        "-f",
        "json",
        check=False,
    )
    assert done.returncode == 1
    stack = world.show("vpn")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE"
    events = world.events("vpn")
    failed = [
        e
        for e in events
        if e["resource_status"] == "CREATE_FAILED" and e["resource_type"] != "OS::Heat::Stack"
    ]
    assert [e["resource_name"] for e in failed] == ["west_server"]
    assert "quota" in failed[0]["resource_status_reason"].lower()
    stack_failed = [
        e for e in events if e["resource_name"] == "vpn" and e["resource_status"] == "CREATE_FAILED"
    ]
    assert "west_server" in stack_failed[0]["resource_status_reason"]
    assert "quota" in stack_failed[0]["resource_status_reason"].lower()
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_stack_timeout_fails_the_create_naming_what_was_unfinished_and_rolls_back(
    world: World,
) -> None:
    """``--timeout 1``: servers that take five minutes to boot stop the create at one (and
    are deleted quickly, so that the rollback fits in its own minute)."""
    start_emulator(world, latency="default=0.02,server=300,server_delete=0.1")
    started = time.monotonic()
    done = world.crossheat("stack", "create", "vpn", "-t", str(REFERENCE), "--parameter",
                           f"vpn_psk={PSK}", "--timeout", "1", "--wait", "-f", "json",
                           check=False)  # fmt: skip
    assert done.returncode == 1
    assert 60 <= time.monotonic() - started < 120
    stack = world.show("vpn")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE"
    assert stack["timeout_mins"] == 1
    failed = [
        e["resource_status_reason"]
        for e in world.events("vpn")
        if e["resource_name"] == "vpn" and e["resource_status"] == "CREATE_FAILED"
    ]
    assert len(failed) == 1
    assert "timed out after 1 min" in failed[0]
    assert "east_server" in failed[0] and "west_server" in failed[0]
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_transient_503s_at_20_percent_still_complete(world: World) -> None:
    start_emulator(world, faults="error_rate=0.2")
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    world.admin.faults(reset=True)
    world.delete("vpn")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_lost_answers_to_creates_make_no_duplicates(world: World) -> None:
    """A 502 after the cloud made the resource (a proxy gave up): crossheat looks for it
    by its tags before creating again, so every resource exists exactly once."""
    start_emulator(world, faults="lost_answer_rate=0.3")
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    counters = world.admin.counters()
    lost = sum(n for c in counters.values() for key, n in c.items() if key.startswith("LOST"))
    assert lost >= 1  # 20 POSTs and PUTs at 30%: the chance that none is lost is 8e-4
    for region in ("East", "West"):
        assert counts(world, region) == dict.fromkeys(KINDS, 1), region
    world.admin.faults(reset=True)
    world.delete("vpn")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_a_lost_answer_to_adding_a_router_interface_adopts_the_interface(world: World) -> None:
    """The PUT ``add_router_interface`` was carried out but its answer lost (a 502): the
    interface exists, and sending the PUT again gets Neutron's 400 "already has a port on
    subnet". crossheat adopts the router's port on that subnet: one interface per region,
    the stack complete, and a delete that removes it."""
    start_emulator(world, faults="lost_answer_rate=1,lost_answer_path=/add_router_interface")
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    path = "/network/v2.0/routers/{id}/add_router_interface"
    for region, calls in world.admin.counters().items():
        assert calls[f"LOST {path}"] >= 1, region
        ports = world.admin.resources(region)["ports"]
        interfaces = [p for p in ports if p["device_owner"] == "network:router_interface"]
        assert len(interfaces) == 1, region
        assert interfaces[0]["tags"], region  # marked as the stack's, like one it answered
    world.admin.faults(reset=True)
    world.delete("vpn")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_psk_appears_nowhere_in_clear(world: World) -> None:
    start_emulator(world)
    world.crossheat(
        "stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "--wait"
    )
    world.crossheat("stack", "show", "vpn", "-f", "json")
    world.crossheat("stack", "show", "vpn", "-f", "yaml")
    world.crossheat("stack", "event", "list", "vpn", "-f", "json")
    world.crossheat("stack", "resource", "list", "vpn", "-f", "json")
    world.crossheat("stack", "output", "show", "vpn", "--all", "-f", "json")
    assert not [log for log in world.logs if PSK in log]
    if world.db_url.startswith("sqlite"):
        path = world.db_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal"):
            file = Path(path + suffix)
            if not file.exists():
                continue
            raw = file.read_bytes()
            assert PSK.encode() not in raw
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(world.db_url)
        with engine.connect() as conn:
            for table in ("stacks", "resources", "events"):
                dump = conn.execute(text(f"SELECT CAST(t AS TEXT) FROM {table} t")).all()
                assert not [row for row in dump if PSK in row[0]], table
        engine.dispose()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_tunnel_that_stays_down_names_the_pair_and_the_disagreement(world: World) -> None:
    """A mistake validate cannot see (the CIDR is known only once the subnet exists)."""
    start_emulator(world)
    wrong = REFERENCE.read_text().replace(
        "peer_cidrs: [{get_param: west_cidr}]", "peer_cidrs: [{get_attr: [east_subnet, cidr]}]"
    )
    template = world.tmp / "wrong-peer.yaml"
    template.write_text(wrong)
    assert (
        world.crossheat("validate", "-t", str(template), "--parameter", f"vpn_psk={PSK}").returncode
        == 0
    )
    done = world.crossheat(
        "stack",
        "create",
        "vpn",
        "-t",
        str(template),
        "--parameter",
        f"vpn_psk={PSK}",
        "--wait",
        "--tunnel-timeout",
        "3",
        "--disable-rollback",
        "-f",
        "json",
        check=False,
    )
    assert done.returncode == 1
    stack = world.show("vpn")
    assert stack["stack_status"] == "CREATE_FAILED"
    reason = stack["stack_status_reason"]
    assert "east_to_west (East, DOWN) <-> west_to_east (West, DOWN)" in reason
    assert "east_to_west.peer_cidrs is ['10.1.0.0/24']" in reason
    assert "10.2.0.0/24" in reason
    assert PSK not in reason
