"""One authenticated session per cloud, shared by its regions: one token serves them all.

Against the emulator's Keystone over HTTP: the tokens it has issued are its records of
kind ``tokens`` (expired ones are dropped at the next issue), read in this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openstack.config.loader import OpenStackConfig

from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap, RegionSpec
from crossheat.emulator.client import AdminClient
from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import Emulator, EmulatorConfig
from crossheat.emulator.server import ThreadedEmulator
from crossheat.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

REGIONS = ["East", "West", "North"]


@dataclass
class Cloud:
    url: str
    emulator: Emulator
    config: OpenStackConfig

    def tokens(self) -> set[str]:
        """The ids of the tokens the emulator's Keystone holds (issued, not yet dropped)."""
        return {str(t["id"]) for t in self.emulator.store.records("*", "tokens")}

    def clients(self, *clouds: str) -> RegionClients:
        """Clients for ``REGIONS``, the i-th in ``clouds[i % len(clouds)]``."""
        specs = {
            name: RegionSpec(name, clouds[i % len(clouds)], name) for i, name in enumerate(REGIONS)
        }
        return RegionClients(RegionMap(specs, default_region="East"), config=self.config)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    running = ThreadedEmulator(EmulatorConfig(regions=REGIONS, state=":memory:"))
    try:
        path = tmp_path / "clouds.yaml"
        write_clouds_yaml(path, "emulator", running.url, REGIONS)
        config = OpenStackConfig(config_files=[str(path)], load_envvars=False)
        yield Cloud(running.url, running.emulator, config)
    finally:
        running.stop()


def _use_every_region(clients: RegionClients) -> None:
    for region in REGIONS:
        names = clients.call(region, lambda conn: [n.name for n in conn.network.networks()])
        assert names == ["public"]


def test_regions_of_one_cloud_share_one_token(cloud: Cloud) -> None:
    clients = cloud.clients("emulator")
    try:
        _use_every_region(clients)
        assert len(cloud.tokens()) == 1  # three regions, one authentication
        sessions = {id(clients.connection(region).session) for region in REGIONS}
        assert len(sessions) == 1
        # each connection still works in its own region
        for region in REGIONS:
            assert clients.connection(region).config.region_name == region
            router = clients.call(region, lambda conn: conn.network.create_router(name="r"))
            assert router.name == "r"
        for region in REGIONS:
            [router] = cloud.emulator.store.records(region, "routers")
            assert router["name"] == "r"
    finally:
        clients.close()


def test_an_expired_token_is_renewed_once_for_every_region(cloud: Cloud) -> None:
    clients = cloud.clients("emulator")
    try:
        _use_every_region(clients)
        first = cloud.tokens()
        AdminClient(cloud.url).expire_tokens()
        _use_every_region(clients)
        renewed = cloud.tokens() - first
        assert len(renewed) == 1
    finally:
        clients.close()


def test_each_cloud_has_its_own_session(cloud: Cloud) -> None:
    """Two clouds.yaml entries (admin and demo) are two identities: two tokens."""
    clients = cloud.clients("emulator", "emulator-demo")
    try:
        _use_every_region(clients)
        assert len(cloud.tokens()) == 2
        east, west, north = (clients.connection(r).session for r in REGIONS)
        assert east is north and east is not west
    finally:
        clients.close()


def test_authenticating_ahead_gets_one_token_per_cloud_that_the_calls_then_use(
    cloud: Cloud,
) -> None:
    clients = cloud.clients("emulator", "emulator-demo")
    try:
        clients.authenticate(REGIONS)
        assert len(cloud.tokens()) == 2  # before any call
        _use_every_region(clients)
        assert len(cloud.tokens()) == 2
    finally:
        clients.close()


def test_authenticating_ahead_leaves_an_error_to_the_first_call(cloud: Cloud) -> None:
    clients = cloud.clients("emulator")
    try:
        clients.authenticate(["East", "Nowhere"])  # an unknown region: nothing raised here
        assert len(cloud.tokens()) == 1
        with pytest.raises(ConfigError):
            clients.call("Nowhere", lambda conn: conn.network.networks())
    finally:
        clients.close()


def test_finding_nova_ahead_asks_its_version_once_for_the_calls_after(cloud: Cloud) -> None:
    """``services``: the proxies each region's first calls use, their versions found
    ahead: Nova's is a request, made then (before any call) and not again by the calls."""
    clients = cloud.clients("emulator")
    admin = AdminClient(cloud.url)
    try:
        admin.reset_counters()
        clients.authenticate(["East", "West"], {"East": ["compute"]})
        before = admin.counters()
        assert before["East"] == {"GET /compute/v2.1": 1}
        assert before["West"] == {}
        for _ in range(2):
            assert clients.call("East", lambda conn: list(conn.compute.flavors()))
        assert admin.counters()["East"]["GET /compute/v2.1"] == 1
        assert len(cloud.tokens()) == 1
    finally:
        clients.close()
