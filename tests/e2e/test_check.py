"""``crossheat stack check``: drift made behind crossheat's back, through openstacksdk."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openstack.config import OpenStackConfig
from openstack.connection import Connection

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator


def _connect(world: World, region: str) -> Connection:
    """A user's own openstacksdk connection, from the clouds.yaml the emulator wrote."""
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    return Connection(config=config.get_one(cloud="emulator", region_name=region))


def _deploy(world: World) -> None:
    start_emulator(world, latency="default=0.0,server=0.05")
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]


def _check(world: World, stack: str = "vpn") -> tuple[int, dict[str, dict[str, Any]]]:
    done = world.crossheat("stack", "check", stack, "-f", "json", check=False)
    return done.returncode, {r["resource_name"]: r for r in json.loads(done.stdout)}


def _not_in_sync(report: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the check found for each resource not in sync: its differences or reason."""
    return {
        name: row["differences"] or row["reason"]
        for name, row in report.items()
        if row["status"] != "IN_SYNC"
    }


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

    stack = world.show("vpn")
    assert stack["stack_status"] == "CHECK_FAILED"
    assert "west_server" in stack["stack_status_reason"]
    assert "east_net" in stack["stack_status_reason"]
    resources = {r["resource_name"]: r for r in world.resources("vpn")}
    assert resources["west_server"]["resource_status"] == "CHECK_FAILED"
    assert resources["west_server"]["physical_resource_id"] == server.id
    assert resources["east_subnet"]["resource_status"] == "CHECK_COMPLETE"
    events = world.events("vpn")
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

    preview = world.update("vpn", existing=True, dry_run=True)
    planned = {
        c["resource_name"]: (kind, c["reason"])
        for kind in ("added", "updated", "replaced", "deleted")
        for c in preview[kind]
    }
    assert planned == {
        "west_server": ("replaced", "deleted outside crossheat: recreate"),
        "east_net": ("updated", "changed outside crossheat: reset name"),
    }
    assert world.show("vpn")["stack_status"] == "CHECK_FAILED"  # untouched

    repaired = world.update("vpn", existing=True)
    assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
    code, report = _check(world)
    assert {n: r["status"] for n, r in report.items() if r["status"] != "IN_SYNC"} == {}
    assert code == 0
    assert report["west_server"]["physical_resource_id"] != server.id  # recreated
    assert report["east_net"]["physical_resource_id"] == network.id  # renamed back in place
    names = {n["name"] for n in world.admin.resources("East")["networks"]}
    assert names == {"east-net"}

    world.delete("vpn")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def test_check_right_after_create_finds_everything_in_sync(world: World) -> None:
    _deploy(world)
    table = world.crossheat("stack", "check", "vpn").stdout  # exits 0
    rows = [
        line for line in table.splitlines() if "_" in line and ("East" in line or "West" in line)
    ]
    assert len(rows) == 18 and all("IN_SYNC" in row for row in rows)
    assert PSK not in table
    stack = world.show("vpn")
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
    preview = world.update("vpn", existing=True, dry_run=True)
    assert [(c["resource_name"], c["reason"]) for c in preview["updated"]] == [
        ("east_server", "changed outside crossheat: reset flavor")
    ]
    assert preview["replaced"] == [] and preview["added"] == []

    repaired = world.update("vpn", existing=True)
    assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
    code, report = _check(world)
    assert (code, report["east_server"]["status"]) == (0, "IN_SYNC")
    assert report["east_server"]["physical_resource_id"] == server.id  # resized, not replaced
    east = _connect(world, "East")
    try:
        assert east.compute.get_server(server.id).flavor["original_name"] == "m1.small"
    finally:
        east.close()


NICS = """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
    region: East
    properties: {name: nics-net}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.5.0.0/24}
  router:
    type: OS::Neutron::Router
    region: East
    properties: {external_gateway_info: {network: public}}
  router_interface:
    type: OS::Neutron::RouterInterface
    region: East
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  port:
    type: OS::Neutron::Port
    region: East
    properties: {network: {get_resource: net}, fixed_ips: [{subnet: {get_resource: subnet}}]}
  fip:
    type: OS::Neutron::FloatingIP
    region: East
    properties: {floating_network: public}
  fixed:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties:
      image: cirros
      flavor: m1.small
      networks: [{network: {get_resource: net}, fixed_ip: 10.5.0.10}]
  plugged:
    type: OS::Nova::Server
    region: East
    properties:
      image: cirros
      flavor: m1.small
      networks: [{port: {get_resource: port}}]
  floating:
    type: OS::Nova::Server
    region: East
    depends_on: router_interface
    properties:
      image: cirros
      flavor: m1.small
      networks: [{network: {get_resource: net}, floating_ip: {get_resource: fip}}]
  two:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties:
      image: cirros
      flavor: m1.small
      networks: [{subnet: {get_resource: subnet}}, {network: {get_resource: net}}]
"""


def _server_ports(conn: Connection, name: str) -> list[Any]:
    server = conn.compute.find_server(f"nics-{name}", ignore_missing=False)
    return list(conn.network.ports(device_id=server.id))


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_check_reports_servers_whose_ports_and_addresses_changed_outside(world: World) -> None:
    """A server's ``networks`` as far as its ports map to them: a detached port, a fixed
    IP changed, a floating IP removed, one NIC of two deleted; then repaired."""
    start_emulator(world, latency="default=0.0,server=0.05")
    template = world.tmp / "nics.yaml"
    template.write_text(NICS)
    stack = world.create("nics", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    code, report = _check(world, "nics")
    assert code == 0, _not_in_sync(report)
    resources = {r["resource_name"]: r for r in world.resources("nics")}
    port_id, fip_id = (resources[n]["physical_resource_id"] for n in ("port", "fip"))
    net_id, subnet_id = (resources[n]["physical_resource_id"] for n in ("net", "subnet"))

    east = _connect(world, "East")
    try:
        [fixed_port] = _server_ports(east, "fixed")
        east.network.update_port(
            fixed_port, fixed_ips=[{"subnet_id": subnet_id, "ip_address": "10.5.0.20"}]
        )
        east.network.update_port(port_id, device_id="", device_owner="")  # detached
        east.network.update_ip(fip_id, port_id=None)  # floating IP removed
        two_ports = _server_ports(east, "two")
        assert len(two_ports) == 2
        east.network.delete_port(two_ports[1])
    finally:
        east.close()

    code, report = _check(world, "nics")
    assert code == 1
    drifted = {n: r["status"] for n, r in report.items() if r["status"] != "IN_SYNC"}
    assert drifted == {n: "MODIFIED" for n in ("fixed", "plugged", "floating", "two")}
    differences = {n: report[n]["differences"] for n in drifted}
    assert differences["fixed"] == [
        {
            "property": "networks",
            "expected": [{"network": net_id, "fixed_ip": "10.5.0.10"}],
            "actual": [{"network": net_id, "fixed_ip": "10.5.0.20"}],
        }
    ]
    assert differences["plugged"] == [
        {"property": "networks", "expected": [{"port": port_id}], "actual": []}
    ]
    assert differences["floating"] == [
        {
            "property": "networks",
            "expected": [{"network": net_id, "floating_ip": fip_id}],
            "actual": [{"network": net_id, "floating_ip": None}],
        }
    ]
    [two] = differences["two"]
    assert two["expected"] == [{"subnet": subnet_id}, {"network": net_id}]
    assert len(two["actual"]) == 1 and two["actual"][0] in two["expected"]

    preview = world.update("nics", existing=True, dry_run=True)
    assert sorted(c["resource_name"] for c in preview["replaced"]) == sorted(drifted)
    assert all("reset networks" in c["reason"] for c in preview["replaced"])
    repaired = world.update("nics", existing=True)
    assert repaired["stack_status"] == "UPDATE_COMPLETE", repaired["stack_status_reason"]
    code, report = _check(world, "nics")
    assert code == 0, _not_in_sync(report)
    world.delete("nics")
    assert world.leftovers("East") == {}
