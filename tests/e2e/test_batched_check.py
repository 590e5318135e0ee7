"""A check of the reference stack (with a key pair and a floating IP on each server)
reads each region with list calls only: no GET of any one resource; what those lists
show is drift as before (a key pair deleted, a floating IP taken off its
server)."""

from __future__ import annotations

import pytest
from openstack.config import OpenStackConfig
from openstack.connection import Connection

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

pytestmark = pytest.mark.e2e

#: Version discovery, which openstacksdk makes once per service and connection.
DISCOVERY = {"GET /compute/v2.1", "GET /image"}


def _reference_with_keys_and_floating_ips(world: World) -> str:
    """The reference stack; each server has a key pair and a floating IP entry."""
    text = REFERENCE.read_text()
    for region in ("east", "west"):
        wanted = f"      networks: [{{network: {{get_resource: {region}_net}}}}]"
        assert wanted in text
        text = text.replace(
            wanted,
            f"      key_name: {{get_resource: {region}_key}}\n"
            f"      networks: [{{network: {{get_resource: {region}_net}},"
            f" floating_ip: {{get_resource: {region}_fip}}}}]",
        )
        head, tail = text.split(f"  {region}_server:", 1)
        extra = (
            f"  {region}_key:\n    type: OS::Nova::KeyPair\n    region: {region.title()}\n"
            f"    properties: {{name: {region}-key}}\n"
            f"  {region}_fip:\n    type: OS::Neutron::FloatingIP\n    region: {region.title()}\n"
            "    depends_on: " + f"{region}_router_interface\n"
            "    properties: {floating_network: {get_param: public_net}}\n"
        )
        text = f"{head}{extra}  {region}_server:{tail}"
    path = world.tmp / "reference-plus.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_check_of_the_reference_stack_reads_lists_only(world: World) -> None:
    start_emulator(world, latency="default=0.0,server=0.02")
    template = _reference_with_keys_and_floating_ips(world)
    stack = world.create("vpn", template, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    world.admin.reset_counters()
    with world.service() as service:
        result = service.check("vpn")
    assert result.ok and len(result.reports) == 22, result.reason
    calls = world.admin.counters()
    for region in ("East", "West"):
        lists = {path: n for path, n in calls[region].items() if path not in DISCOVERY}
        assert not [path for path in lists if "{" in path], lists  # no GET of one resource
        assert lists == {
            "GET /compute/v2.1/os-keypairs": 1,
            "GET /compute/v2.1/servers/detail": 1,
            "GET /image/v2/images": 1,
            # the stack's networks (by tag), and the router's gateway network by name
            "GET /network/v2.0/networks": 2,
            "GET /network/v2.0/subnets": 1,
            "GET /network/v2.0/routers": 1,
            "GET /network/v2.0/ports": 1,
            # the stack's floating IPs (by tag), and the project's for the servers' entries
            "GET /network/v2.0/floatingips": 2,
            "GET /network/v2.0/vpn/vpnservices": 1,
            "GET /network/v2.0/vpn/ikepolicies": 1,
            "GET /network/v2.0/vpn/ipsecpolicies": 1,
            "GET /network/v2.0/vpn/ipsec-site-connections": 1,
        }, lists

    # Drift made behind crossheat's back, found from the same lists.
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    east = Connection(config=config.get_one(cloud="emulator", region_name="East"))
    west = Connection(config=config.get_one(cloud="emulator", region_name="West"))
    try:
        east.compute.delete_keypair("east-key")
        server = west.compute.find_server("vpn-west_server", ignore_missing=False)
        (port,) = west.network.ports(device_id=server.id)
        (west_fip,) = west.network.ips(port_id=port.id)
        west.network.update_ip(west_fip, port_id=None)
    finally:
        east.close()
        west.close()
    world.admin.reset_counters()
    with world.service() as service:
        result = service.check("vpn")
    drifted = {r.resource_name: r.reason for r in result.reports if r.failed}
    assert drifted == {
        "east_key": "deleted outside crossheat",
        "west_server": (
            "changed outside crossheat: networks"
            f" [{{'network': '{port.network_id}', 'floating_ip': '{west_fip.id}'}}]"
            f" -> [{{'network': '{port.network_id}', 'floating_ip': None}}]"
        ),
    }, drifted
