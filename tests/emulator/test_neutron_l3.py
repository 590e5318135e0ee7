"""Routers, floating IPs and security groups of the emulated Neutron, through openstacksdk."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from openstack import exceptions


def _public(conn: Any) -> tuple[Any, Any]:
    network = conn.network.find_network("public")
    return network, conn.network.get_subnet(network.subnet_ids[0])


def _subnet(conn: Any, cidr: str = "10.1.0.0/24") -> Any:
    network = conn.network.create_network(name="net")
    return conn.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)


def test_router_gateway_from_public_range(conn: Any) -> None:
    public, public_subnet = _public(conn)
    router = conn.network.create_router(name="r", external_gateway_info={"network_id": public.id})
    info = router.external_gateway_info
    assert info["network_id"] == public.id and info["enable_snat"] is True
    (fixed,) = info["external_fixed_ips"]
    assert fixed["subnet_id"] == public_subnet.id
    assert ipaddress.ip_address(fixed["ip_address"]) in ipaddress.ip_network(public_subnet.cidr)
    other = conn.network.create_router(name="r2", external_gateway_info={"network_id": public.id})
    assert other.external_gateway_info["external_fixed_ips"][0]["ip_address"] != fixed["ip_address"]


def test_router_update_and_gateway_removal(conn: Any) -> None:
    public, _ = _public(conn)
    router = conn.network.create_router(name="r")
    assert router.external_gateway_info is None
    router = conn.network.update_router(router, external_gateway_info={"network_id": public.id})
    assert router.external_gateway_info["external_fixed_ips"]
    router = conn.network.update_router(router, external_gateway_info=None, name="bare")
    assert (router.name, router.external_gateway_info) == ("bare", None)


def test_gateway_must_be_external(conn: Any) -> None:
    internal = conn.network.create_network(name="internal")
    with pytest.raises(exceptions.BadRequestException, match="not a valid external network"):
        conn.network.create_router(external_gateway_info={"network_id": internal.id})


def test_router_interfaces(conn: Any) -> None:
    subnet = _subnet(conn)
    router = conn.network.create_router(name="r")
    info = conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    assert info["subnet_id"] == subnet.id and info["id"] == router.id
    port = conn.network.get_port(info["port_id"])
    assert port.device_owner == "network:router_interface"
    assert port.fixed_ips[0]["ip_address"] == "10.1.0.1"
    with pytest.raises(exceptions.BadRequestException, match="already has a port"):
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    with pytest.raises(exceptions.ConflictException, match="still has ports"):
        conn.network.delete_router(router)
    with pytest.raises(exceptions.ConflictException):
        conn.network.delete_port(port)
    removed = conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    assert removed["port_id"] == port.id
    with pytest.raises(exceptions.NotFoundException):
        conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    conn.network.delete_router(router)


def test_router_interface_by_port(conn: Any) -> None:
    subnet = _subnet(conn)
    port = conn.network.create_port(network_id=subnet.network_id)
    router = conn.network.create_router(name="r")
    info = conn.network.add_interface_to_router(router, port_id=port.id)
    assert info["port_id"] == port.id and info["subnet_ids"] == [subnet.id]
    assert conn.network.get_port(port.id).device_id == router.id


def test_router_quota_and_404(emulator: tuple[str, Any], demo_conn: Any) -> None:
    emulator[1].config.faults.quota["routers"] = 1
    demo_conn.network.create_router(name="one")
    with pytest.raises(exceptions.ConflictException, match="Quota"):
        demo_conn.network.create_router(name="two")
    with pytest.raises(exceptions.NotFoundException):
        demo_conn.network.get_router("missing")


def test_floating_ip(conn: Any) -> None:
    public, public_subnet = _public(conn)
    subnet = _subnet(conn)
    router = conn.network.create_router(external_gateway_info={"network_id": public.id})
    port = conn.network.create_port(network_id=subnet.network_id)
    fip = conn.network.create_ip(floating_network_id=public.id)
    assert ipaddress.ip_address(fip.floating_ip_address) in ipaddress.ip_network(public_subnet.cidr)
    assert fip.port_id is None and fip.status == "DOWN"
    with pytest.raises(exceptions.NotFoundException, match="not reachable"):
        conn.network.update_ip(fip, port_id=port.id)
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    fip = conn.network.update_ip(fip, port_id=port.id)
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    assert (fip.router_id, fip.status) == (router.id, "ACTIVE")
    assert conn.network.find_available_ip() is None
    conn.network.delete_port(port)
    assert conn.network.get_ip(fip.id).port_id is None
    conn.network.delete_ip(fip)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_ip(fip.id)


def test_floating_ip_needs_external_network(conn: Any) -> None:
    subnet = _subnet(conn)
    with pytest.raises(exceptions.BadRequestException):
        conn.network.create_ip(floating_network_id=subnet.network_id)


def test_security_group_with_default_rules(conn: Any) -> None:
    group = conn.network.create_security_group(name="web", description="web servers")
    rules = group.security_group_rules
    assert sorted((r["direction"], r["ethertype"]) for r in rules) == [
        ("egress", "IPv4"),
        ("egress", "IPv6"),
    ]
    rule = conn.network.create_security_group_rule(
        security_group_id=group.id,
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="0.0.0.0/0",
    )
    assert rule.ether_type == "IPv4"
    assert len(conn.network.get_security_group(group.id).security_group_rules) == 3
    assert [r.id for r in conn.network.security_group_rules(port_range_min=22)] == [rule.id]
    with pytest.raises(exceptions.ConflictException, match="already exists"):
        conn.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="tcp",
            port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0",
        )  # fmt: skip
    conn.network.delete_security_group_rule(rule)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_security_group_rule(rule.id)


def test_security_group_rule_bad_requests(conn: Any) -> None:
    group = conn.network.create_security_group(name="g")
    bad: list[dict[str, Any]] = [
        {"direction": "sideways"},
        {"direction": "ingress", "port_range_min": 22},
        {"direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
        {"direction": "ingress", "protocol": "bogus"},
        {"direction": "ingress", "ether_type": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
    ]
    for spec in bad:
        with pytest.raises(exceptions.BadRequestException):
            conn.network.create_security_group_rule(security_group_id=group.id, **spec)


def test_security_group_in_use_and_default(conn: Any) -> None:
    subnet = _subnet(conn)
    group = conn.network.create_security_group(name="g")
    port = conn.network.create_port(network_id=subnet.network_id, security_group_ids=[group.id])
    assert port.security_group_ids == [group.id]
    with pytest.raises(exceptions.ConflictException, match="in use"):
        conn.network.delete_security_group(group)
    conn.network.delete_port(port)
    conn.network.delete_security_group(group)
    defaults = [g for g in conn.network.security_groups() if g.name == "default"]
    assert len(defaults) == 1
    assert {r["direction"] for r in defaults[0].security_group_rules} == {"ingress", "egress"}


def test_security_groups_are_per_project(conn: Any, demo_conn: Any) -> None:
    conn.network.create_security_group(name="admin-group", tags=[])
    names = {g.name for g in demo_conn.network.security_groups()}
    assert names == {"default"}
    group = demo_conn.network.create_security_group(name="tagged")
    demo_conn.network.set_tags(group, ["crossheat"])
    assert [g.name for g in demo_conn.network.security_groups(tags="crossheat")] == ["tagged"]
