"""What a deploy costs while it waits: reads of booting servers, lookups, on a fresh state
database (nothing learnt yet of how long anything takes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

pytestmark = pytest.mark.e2e

SERVER_GET, SERVER_POST = "GET /compute/v2.1/servers/{id}", "POST /compute/v2.1/servers"

TWO_SERVERS = """
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, region: East}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  one:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties: {image: cirros, flavor: m1.small, networks: [{network: {get_resource: net}}]}
  two:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties: {image: cirros, flavor: m1.small, networks: [{network: {get_resource: net}}]}
"""


def test_a_first_deploy_reads_each_booting_server_at_most_three_times(world: World) -> None:
    """Never having seen a server boot, the engine reads one first when the cloud's
    creates took (its networks, subnets...), then at 1.8 times that time each."""
    start_emulator(world, latency="default=1,server=3,jitter=0")  # the benchmark's
    world.admin.reset_counters()
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    for region, calls in world.admin.counters().items():
        assert calls[SERVER_POST] == 1, region
        assert calls[SERVER_GET] <= 3, (region, calls[SERVER_GET])


def test_servers_alike_have_their_flavor_and_image_looked_up_once_per_region(
    world: World, tmp_path: Path
) -> None:
    """Looked up while the network and the subnet are created, once for both servers."""
    start_emulator(world, latency="default=0.3,server=0.3,jitter=0")
    template = tmp_path / "two.yaml"
    template.write_text(TWO_SERVERS)
    world.admin.reset_counters()
    stack = world.create("two", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    east = world.admin.counters()["East"]
    assert east[SERVER_POST] == 2
    flavor_gets = {
        call: n for call, n in east.items() if call.startswith("GET /compute/v2.1/flavors")
    }
    image_gets = {call: n for call, n in east.items() if call.startswith("GET /image/v2/images")}
    assert flavor_gets and all(n == 1 for n in flavor_gets.values()), flavor_gets
    assert image_gets and all(n == 1 for n in image_gets.values()), image_gets
