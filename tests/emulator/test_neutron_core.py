"""Networks, subnets and ports of the emulated Neutron, driven by openstacksdk over HTTP."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

import httpx
import pytest
from openstack import exceptions

from crossheat.emulator.core import Emulator


def _net(conn: Any, cidr: str = "10.1.0.0/24", **kwargs: Any) -> tuple[Any, Any]:
    network = conn.network.create_network(name=kwargs.pop("name", "net"), **kwargs)
    subnet = conn.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)
    return network, subnet


def test_network_crud(conn: Any) -> None:
    network = conn.network.create_network(name="n1", description="first")
    assert network.status == "ACTIVE"
    assert network.is_admin_state_up is True
    assert network.project_id == conn.current_project_id
    assert network.created_at and network.revision_number == 0
    assert conn.network.get_network(network.id).name == "n1"
    updated = conn.network.update_network(network, name="n2")
    assert updated.name == "n2"
    assert updated.revision_number == 1
    assert conn.network.find_network("n2").id == network.id
    conn.network.delete_network(network)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_network(network.id)
    assert conn.network.find_network("n2") is None


def test_network_list_filters(conn: Any) -> None:
    conn.network.create_network(name="a")
    conn.network.create_network(name="b", admin_state_up=False)
    assert [n.name for n in conn.network.networks(name="a")] == ["a"]
    assert [n.name for n in conn.network.networks(is_admin_state_up=False)] == ["b"]
    externals = list(conn.network.networks(is_router_external=True))
    assert [n.name for n in externals] == ["public"]


def test_pagination_and_sorting(emulator: tuple[str, Emulator], conn: Any) -> None:
    for name in ("c", "a", "b"):
        conn.network.create_network(name=name)
    names = [n.name for n in conn.network.networks(limit=1, sort_key="name", sort_dir="desc")]
    assert names == ["public", "c", "b", "a"]
    url = f"{emulator[0]}/East/network/v2.0/networks"
    headers = {"X-Auth-Token": conn.session.get_token()}
    page = httpx.get(url, params={"limit": 2, "sort_key": "name"}, headers=headers).json()
    assert [n["name"] for n in page["networks"]] == ["a", "b"]
    (next_link,) = page["networks_links"]
    rest = httpx.get(next_link["href"], headers=headers).json()
    assert [n["name"] for n in rest["networks"]] == ["c", "public"]
    assert "networks_links" not in rest


def test_fields_and_error_body(emulator: tuple[str, Emulator], conn: Any) -> None:
    conn.network.create_network(name="a")
    url = f"{emulator[0]}/East/network/v2.0/networks"
    headers = {"X-Auth-Token": conn.session.get_token()}
    listed = httpx.get(url, params={"fields": "name", "name": "a"}, headers=headers).json()
    assert listed == {"networks": [{"name": "a"}]}
    missing = httpx.get(f"{url}/nope", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["NeutronError"]["type"] == "NetworkNotFound"
    assert httpx.get(url).status_code == 401


def test_subnet_defaults(conn: Any) -> None:
    network, subnet = _net(conn, "10.1.0.0/24")
    assert subnet.gateway_ip == "10.1.0.1"
    assert subnet.allocation_pools == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert subnet.is_dhcp_enabled is True
    assert conn.network.get_network(network.id).subnet_ids == [subnet.id]


def test_subnet_bad_requests(conn: Any) -> None:
    network, _ = _net(conn, "10.1.0.0/24")
    for cidr in ("10.1.0.0/33", "not-a-cidr", "10.2.0.5/24"):
        with pytest.raises(exceptions.BadRequestException):
            conn.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)
    with pytest.raises(exceptions.BadRequestException, match="overlaps"):
        conn.network.create_subnet(network_id=network.id, cidr="10.1.0.128/25", ip_version=4)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.create_subnet(network_id="missing", cidr="10.3.0.0/24", ip_version=4)


def test_subnet_update_and_ipv6(conn: Any) -> None:
    network, subnet = _net(conn)
    updated = conn.network.update_subnet(subnet, name="renamed", is_dhcp_enabled=False)
    assert (updated.name, updated.is_dhcp_enabled) == ("renamed", False)
    v6 = conn.network.create_subnet(network_id=network.id, cidr="fd00:1::/64", ip_version=6)
    assert v6.gateway_ip == "fd00:1::1"


def test_port_addresses_never_twice(conn: Any) -> None:
    network, _ = _net(conn, "10.9.0.0/28")
    ports = [conn.network.create_port(network_id=network.id) for _ in range(13)]
    addresses = [p.fixed_ips[0]["ip_address"] for p in ports]
    assert len(set(addresses)) == 13
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("10.9.0.0/28") for a in addresses)
    assert "10.9.0.1" not in addresses
    assert all(p.mac_address.startswith("fa:16:3e:") for p in ports)
    with pytest.raises(exceptions.ConflictException, match="No more IP addresses"):
        conn.network.create_port(network_id=network.id)
    conn.network.delete_port(ports[0])
    again = conn.network.create_port(network_id=network.id)
    assert again.fixed_ips[0]["ip_address"] == addresses[0]


def test_port_fixed_ip_and_conflict(conn: Any) -> None:
    network, subnet = _net(conn)
    port = conn.network.create_port(
        network_id=network.id, fixed_ips=[{"subnet_id": subnet.id, "ip_address": "10.1.0.50"}]
    )
    assert port.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "10.1.0.50"}]
    with pytest.raises(exceptions.ConflictException):
        conn.network.create_port(network_id=network.id, fixed_ips=[{"ip_address": "10.1.0.50"}])
    with pytest.raises(exceptions.BadRequestException):
        conn.network.create_port(network_id=network.id, fixed_ips=[{"ip_address": "10.7.0.5"}])
    moved = conn.network.update_port(port, fixed_ips=[{"ip_address": "10.1.0.60"}])
    assert moved.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "10.1.0.60"}]
    assert (
        conn.network.create_port(
            network_id=network.id, fixed_ips=[{"ip_address": "10.1.0.50"}]
        ).fixed_ips[0]["ip_address"]
        == "10.1.0.50"
    )


def test_port_fields_and_update(conn: Any) -> None:
    network, _ = _net(conn)
    port = conn.network.create_port(network_id=network.id, name="p")
    default = conn.network.find_security_group("default", project_id=conn.current_project_id)
    assert port.security_group_ids == [default.id]
    assert port.device_owner == ""
    updated = conn.network.update_port(port, device_id="dev-1", device_owner="compute:nova")
    assert (updated.device_id, updated.device_owner) == ("dev-1", "compute:nova")
    assert [p.id for p in conn.network.ports(device_id="dev-1")] == [port.id]
    assert [p.id for p in conn.network.ports(network_id=network.id)] == [port.id]


def test_port_goes_active_after_latency(emulator: tuple[str, Emulator], conn: Any) -> None:
    emulator[1].config.latency.seconds["port"] = 0.3
    network, _ = _net(conn)
    port = conn.network.create_port(network_id=network.id)
    assert port.status == "DOWN"
    time.sleep(0.4)
    assert conn.network.get_port(port.id).status == "ACTIVE"


def test_create_waits_for_its_latency(emulator: tuple[str, Emulator], conn: Any) -> None:
    network, _ = _net(conn)
    emulator[1].config.latency.seconds.update(network=0.3, default=0.3)
    started = time.monotonic()
    conn.network.create_network(name="slow")
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    conn.network.create_port(network_id=network.id)
    assert time.monotonic() - started < 0.25


def test_in_use_conflicts(conn: Any) -> None:
    network, subnet = _net(conn)
    port = conn.network.create_port(network_id=network.id)
    with pytest.raises(exceptions.ConflictException, match="One or more ports"):
        conn.network.delete_subnet(subnet)
    with pytest.raises(exceptions.ConflictException, match="ports still in use"):
        conn.network.delete_network(network)
    conn.network.delete_port(port)
    conn.network.delete_network(network)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_subnet(subnet.id)


def test_network_quota(emulator: tuple[str, Emulator], demo_conn: Any) -> None:
    emulator[1].config.faults.quota["networks"] = 2
    demo_conn.network.create_network(name="q1")
    demo_conn.network.create_network(name="q2")
    with pytest.raises(exceptions.ConflictException, match="Quota exceeded"):
        demo_conn.network.create_network(name="q3")


def test_tags(conn: Any) -> None:
    first = conn.network.create_network(name="t1")
    second = conn.network.create_network(name="t2")
    conn.network.set_tags(first, ["stack=s1", "crossheat"])
    conn.network.add_tag(second, "crossheat")
    assert sorted(conn.network.get_network(first.id).tags) == ["crossheat", "stack=s1"]
    assert [n.name for n in conn.network.networks(tags="stack=s1,crossheat")] == ["t1"]
    assert {n.name for n in conn.network.networks(any_tags="stack=s1,crossheat")} == {"t1", "t2"}
    assert [n.name for n in conn.network.networks(not_tags="stack=s1", tags="crossheat")] == ["t2"]
    conn.network.remove_tag(first, "stack=s1")
    assert conn.network.get_network(first.id).tags == ["crossheat"]
    with pytest.raises(exceptions.NotFoundException):
        conn.network.remove_tag(first, "stack=s1")
    _, subnet = _net(conn)
    conn.network.set_tags(subnet, ["x"])
    assert [s.id for s in conn.network.subnets(tags="x")] == [subnet.id]


def test_tenant_isolation(conn: Any, demo_conn: Any) -> None:
    private = conn.network.create_network(name="admin-only")
    assert demo_conn.network.find_network("admin-only") is None
    with pytest.raises(exceptions.NotFoundException):
        demo_conn.network.get_network(private.id)
    names = {n.name for n in demo_conn.network.networks()}
    assert names == {"public"}
    mine = demo_conn.network.create_network(name="demo-net")
    assert mine.project_id == demo_conn.current_project_id != conn.current_project_id
    assert "demo-net" not in {n.name for n in conn.network.networks()}


def test_regions_are_separate(conn: Any, west_conn: Any) -> None:
    conn.network.create_network(name="east-only")
    assert west_conn.network.find_network("east-only") is None
    east = conn.network.find_network("public")
    west = west_conn.network.find_network("public")
    east_cidr = conn.network.get_subnet(east.subnet_ids[0]).cidr
    west_cidr = west_conn.network.get_subnet(west.subnet_ids[0]).cidr
    assert east_cidr != west_cidr
    assert ipaddress.IPv4Network(east_cidr).subnet_of(ipaddress.IPv4Network("100.64.0.0/10"))
