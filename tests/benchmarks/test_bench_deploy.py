"""The deploy benchmark: its critical path, and a small generated stack end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from benchmarks.bench_deploy import (
    DELETE_LATENCY_KIND,
    REFERENCE,
    SERVER_GET,
    critical_path,
    deploy_and_delete,
    generated,
)
from benchmarks.deploy_env import emulator, private_world

from crossheat.emulator.core import Latency


@pytest.fixture
def reference_regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    regions = {"regions": {"East": {"cloud": "x"}, "West": {"cloud": "x"}}}
    path = tmp_path / "regions.yaml"
    path.write_text(yaml.safe_dump(regions))
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))


@pytest.mark.usefixtures("reference_regions")
def test_reference_critical_path_runs_through_a_server() -> None:
    total, chain = critical_path(REFERENCE, Latency.from_spec("default=1,server=3"))
    assert total == 6.0
    assert chain[-1] in ("east_server", "west_server")
    assert chain[0].endswith("_net")


@pytest.mark.usefixtures("reference_regions")
def test_reference_delete_critical_path_starts_with_a_server() -> None:
    latency = Latency.from_spec("default=1,server=3")
    total, chain = critical_path(REFERENCE, latency, DELETE_LATENCY_KIND)
    assert total == 6.0  # the server goes first, the network it is on last
    assert chain[-1] in ("east_server", "west_server")


@pytest.mark.usefixtures("reference_regions")
def test_critical_path_follows_the_slowest_kind() -> None:
    total, chain = critical_path(REFERENCE, Latency.from_spec("default=1,ipsec_site_connection=9"))
    assert total == 13.0  # net, subnet, interface, VPN service, then the connection
    assert chain[-1] in ("east_to_west", "west_to_east")


def test_small_generated_stack_deploys_and_cleans_up(tmp_path: Path) -> None:
    row, calls = generated(tmp_path, size=25, count=5, runs=1)
    assert row["resources"] == 25
    assert row["cleaned_up"] is True
    assert row["delete_runs"] == f"{row['delete_s']:.2f}"
    assert calls["POST /network/v2.0/networks"] == 5
    assert row["calls_per_resource"] == pytest.approx(sum(calls.values()) / 25, abs=0.01)


SERVER_STACK = """
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, region: East}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  server:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties: {image: cirros, flavor: m1.small, networks: [{network: {get_resource: net}}]}
"""


def test_a_server_is_polled_less_once_the_engine_has_seen_one_boot(tmp_path: Path) -> None:
    """The first server of a fresh state database is polled on a backoff; the next one,
    in another stack, near the boot time the first one took (read from the events)."""
    template = tmp_path / "server.yaml"
    template.write_text(SERVER_STACK)
    with private_world(tmp_path) as world, emulator(world, ["East"], "server=1,jitter=0"):
        gets = [
            deploy_and_delete(world, f"s{i}", template, {})["create_calls"][SERVER_GET]
            for i in range(2)
        ]
    cold, warm = gets
    assert warm <= 2
    assert warm < cold
