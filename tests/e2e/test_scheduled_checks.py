"""Scheduled checks: ``crossheat serve --check-interval`` finds drift made behind its back
(a network deleted, a tunnel gone DOWN) by itself; a check reads each region with a few
list calls, not a GET per resource."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from openstack.config import OpenStackConfig
from openstack.connection import Connection
from sqlalchemy import text

from crossheat.errors import StackLocked
from crossheat.service import Inputs
from crossheat.service.schedule import CHECK_TASK
from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import serving
from tests.e2e.workers import worker_pool

pytestmark = pytest.mark.e2e

SQLITE = pytest.mark.parametrize("world", ["sqlite"], indirect=True)


def _connect(world: World, region: str) -> Connection:
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    return Connection(config=config.get_one(cloud="emulator", region_name=region))


def _with_spare_network(tmp: Path) -> Path:
    """The reference stack and a network nothing uses (``spare_net``, East)."""
    head, tail = REFERENCE.read_text().split("  west_server:", 1)
    spare = "  spare_net:\n    type: OS::Neutron::Net\n    region: East\n    properties:\n"
    path = tmp / "with-spare.yaml"
    path.write_text(f"{head}{spare}      name: spare-net\n  west_server:{tail}")
    return path


def _wait_for(world: World, name: str, wanted: Callable[[Any], bool], within: float) -> Any:
    """The stack as ``stack show`` gives it once ``wanted``; fails after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        stack = world.show(name)
        if wanted(stack):
            return stack
        assert time.monotonic() < deadline, (stack["stack_status"], stack["stack_status_reason"])
        time.sleep(0.25)


def _repair(world: World, name: str) -> Any:
    """``stack update --existing``; tried again while a scheduled check holds the stack."""
    for _ in range(20):
        try:
            return world.update(name, existing=True)
        except StackLocked:
            time.sleep(0.25)
    raise AssertionError("the stack stayed locked")


def _check_failed_events(world: World, name: str, after: int) -> dict[str, str]:
    events = world.events(name)[after:]
    return {
        e["resource_name"]: e["resource_status_reason"]
        for e in events
        if e["resource_status"] == "CHECK_FAILED" and e["resource_name"] != name
    }


def _big_template() -> str:
    """In East and West: 24 networks with a subnet and two ports each, 4 security groups
    (the quota is 10): 200 resources."""
    lines = ["heat_template_version: 2021-04-16", "resources:"]
    for region in ("East", "West"):
        r = region.lower()
        lines += [f"  {r}_sg{g}: {{type: OS::Neutron::SecurityGroup, region: {region}}}"
                  for g in range(4)]  # fmt: skip
        for i in range(24):
            n = f"{r}{i}"
            lines += [
                f"  {n}_net: {{type: OS::Neutron::Net, region: {region}}}",
                f"  {n}_subnet:",
                "    type: OS::Neutron::Subnet",
                f"    region: {region}",
                f"    properties: {{network: {{get_resource: {n}_net}}, cidr: 10.{i}.0.0/24}}",
            ]
            for p in range(2):
                lines += [
                    f"  {n}_port{p}:",
                    "    type: OS::Neutron::Port",
                    f"    region: {region}",
                    "    properties:",
                    f"      network: {{get_resource: {n}_net}}",
                    f"      fixed_ips: [{{subnet: {{get_resource: {n}_subnet}}}}]",
                    f"      security_groups: [{{get_resource: {r}_sg{(i + p) % 4}}}]",
                ]
    return "\n".join(lines) + "\n"


def _create_big(world: World) -> None:
    """The 200 resources of ``_big_template``, tagged never to be checked on a schedule."""
    template = world.tmp / "big.yaml"
    template.write_text(_big_template())
    with world.service() as service:
        started = service.create("big", Inputs.from_files(template), tags=["check-interval=off"])
        stack = service.run_here(started)
    assert stack.stack_status == "CREATE_COMPLETE", stack.status_reason


@SQLITE
def test_scheduled_checks_find_a_deleted_network_and_a_tunnel_down_reading_lists(
    world: World,
) -> None:
    start_emulator(world, latency="default=0.0,server=0.05")
    with ExitStack() as running, ThreadPoolExecutor(1) as boot:
        # The server starts meanwhile (it takes seconds); it checks nothing until the
        # reference stack below exists: the 200 resources are tagged check-interval=off.
        server = boot.submit(
            running.enter_context,
            serving(world, "--auth", "none", "--check-interval", "5"),
        )
        # A check of 200 resources reads each region with one list call per type.
        _create_big(world)
        world.admin.reset_counters()
        with world.service() as service:
            result = service.check("big")
        assert result.ok and len(result.reports) == 200, result.reason
        calls = world.admin.counters()
        for region in ("East", "West"):
            assert calls[region] == {
                "GET /network/v2.0/networks": 1,
                "GET /network/v2.0/subnets": 1,
                "GET /network/v2.0/ports": 1,
                "GET /network/v2.0/security-groups": 1,
            }, calls[region]

        created = world.create("vpn", _with_spare_network(world.tmp), {"vpn_psk": PSK})
        assert created["stack_status"] == "CREATE_COMPLETE", created["stack_status_reason"]
        server.result()  # serving: now a network goes behind its back
        east = _connect(world, "East")
        try:
            spare = east.network.find_network("spare-net", ignore_missing=False)
            seen = len(world.events("vpn"))
            east.network.delete_network(spare)
        finally:
            east.close()
        gone = time.monotonic()
        failed = _wait_for(world, "vpn", lambda s: s["stack_status"] == "CHECK_FAILED", 15)
        assert time.monotonic() - gone < 15
        assert failed["stack_status_reason"] == (
            "Resource CHECK failed: spare_net: deleted outside crossheat"
        )
        assert _check_failed_events(world, "vpn", seen) == {
            "spare_net": "deleted outside crossheat"
        }
        preview = world.update("vpn", existing=True, dry_run=True)
        assert [(c["resource_name"], c["reason"]) for c in preview["replaced"]] == [
            ("spare_net", "deleted outside crossheat: recreate")
        ]

        repaired = _repair(world, "vpn")
        assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
        again = _wait_for(world, "vpn", lambda s: s["stack_status"] == "CHECK_COMPLETE", 10)
        assert again["stack_status_reason"] == "Stack CHECK completed successfully"
        assert "spare-net" in {n["name"] for n in world.admin.resources("East")["networks"]}

        east_to_west = next(
            r["physical_resource_id"] for r in world.resources("vpn")
            if r["resource_name"] == "east_to_west"
        )  # fmt: skip
        world.admin.link_down("East", east_to_west)
        seen = len(world.events("vpn"))
        down = _wait_for(world, "vpn", lambda s: s["stack_status"] == "CHECK_FAILED", 10)
        pair = "tunnel east_to_west <-> west_to_east is DOWN"
        assert down["stack_status_reason"] == (
            f"Resource CHECK failed: east_to_west: {pair}; west_to_east: {pair}"
        )
        assert _check_failed_events(world, "vpn", seen) == {
            "east_to_west": pair,
            "west_to_east": pair,
        }
    # Tagged check-interval=off: the server never checked it.
    assert world.show("big")["stack_status"] == "CHECK_COMPLETE"
    assert len([e for e in world.events("big") if e["resource_status"] == "CHECK_IN_PROGRESS"]) == 1


NETWORKS = """\
heat_template_version: 2021-04-16
resources:
  east_net: {type: OS::Neutron::Net, region: East, properties: {name: east-net}}
  west_net: {type: OS::Neutron::Net, region: West, properties: {name: west-net}}
"""


@pytest.mark.parametrize("world", ["postgresql"], indirect=True)
def test_workers_take_turns_at_the_scheduled_checks(world: World) -> None:
    start_emulator(world, latency="default=0.0")
    template = world.tmp / "networks.yaml"
    template.write_text(NETWORKS)
    assert world.create("nets", template)["stack_status"] == "CREATE_COMPLETE"
    with worker_pool(world, CROSSHEAT_CHECK_INTERVAL="2") as pool:
        pool.start(concurrency=2)
        pool.start(concurrency=2)
        first = _wait_for(world, "nets", lambda s: s["stack_status"] == "CHECK_COMPLETE", 15)
        assert first["stack_status_reason"] == "Stack CHECK completed successfully"
        east = _connect(world, "East")
        try:
            east.network.delete_network(east.network.find_network("east-net"))
        finally:
            east.close()
        failed = _wait_for(world, "nets", lambda s: s["stack_status"] == "CHECK_FAILED", 15)
        assert failed["stack_status_reason"] == (
            "Resource CHECK failed: east_net: deleted outside crossheat"
        )
    with world.service() as service, service.store().engine.connect() as conn:
        ticks = conn.execute(
            text(
                "SELECT args->>'timestamp', count(*) FROM procrastinate_jobs"
                " WHERE task_name = :task GROUP BY 1"
            ),
            {"task": CHECK_TASK},
        ).all()
    assert ticks and all(count == 1 for _, count in ticks)  # each tick run by one worker
