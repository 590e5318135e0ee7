"""Fixtures: one in-process emulator (East, West) and crossheat's driver in front of it.

- ``clients``: ``RegionClients`` for a region map East/West -> the emulator's clouds.yaml
  entry, with a logical image ``linux`` and flavors ``small``/``large`` mapped to the
  emulator's own names.
- ``make_ctx(name, region="East")``: a fresh ``ResourceContext`` of a new stack.
- ``run(start, check)``: run a start step, then its poll step until ``Done``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openstack.config.loader import OpenStackConfig

from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap, RegionSpec
from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import Emulator, EmulatorConfig
from crossheat.emulator.server import ThreadedEmulator
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step

LATENCY = {"server": 0.3, "port": 0.1, "vpnservice": 0.1, "ipsec_site_connection": 0.1}
IMAGES = {"linux": "cirros"}
FLAVORS = {"small": "m1.small", "large": "m1.medium"}

MakeCtx = Callable[..., ResourceContext]


@pytest.fixture(scope="session")
def emulator() -> Iterator[tuple[str, Emulator]]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East", "West"], state=":memory:"))
    running.emulator.config.latency.seconds.update(LATENCY)
    running.emulator.config.latency.vpn_peer_timeout = 0.3  # a lone connection: DOWN soon
    try:
        yield running.url, running.emulator
    finally:
        running.stop()


@pytest.fixture(scope="session")
def clients(
    emulator: tuple[str, Emulator], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegionClients]:
    path: Path = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
    write_clouds_yaml(path, "emulator", emulator[0], ["East", "West"])
    regions = {
        name: RegionSpec(name, "emulator", name, IMAGES, FLAVORS) for name in ("East", "West")
    }
    config = OpenStackConfig(config_files=[str(path)], vendor_files=[])
    region_clients = RegionClients(RegionMap(regions, "East"), config=config)
    try:
        yield region_clients
    finally:
        region_clients.close()


@pytest.fixture
def make_ctx(clients: RegionClients) -> MakeCtx:
    stack_id = str(uuid.uuid4())

    def make(name: str, region: str = "East") -> ResourceContext:
        def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return clients.call(region, fn, *args, **kwargs)

        return ResourceContext(
            stack_id=stack_id,
            stack_name="demo",
            name=name,
            region=region,
            call=call,
            resolve_image=lambda logical: clients.region_map.resolve_image(region, logical),
            resolve_flavor=lambda logical: clients.region_map.resolve_flavor(region, logical),
        )

    return make


def run(step: Step, check: Callable[[], Step], timeout: float = 10.0) -> int:
    """Poll ``check`` while ``step`` is ``Pending``; returns how many polls it took."""
    deadline = time.monotonic() + timeout
    polls = 0
    while isinstance(step, Pending):
        assert time.monotonic() < deadline, "still pending at the deadline"
        time.sleep(min(step.delay, 0.05))
        step = check()
        polls += 1
    assert isinstance(step, Done)
    return polls
