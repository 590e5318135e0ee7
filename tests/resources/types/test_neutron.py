"""Neutron network, subnet, router, port, floating IP and security group schemas."""

from __future__ import annotations

from typing import Any

from crossheat.resources.types.neutron import Net, RouterInterface, Subnet
from crossheat.resources.types.neutron_ports import Port, SecurityGroup, SecurityGroupRule
from crossheat.template.values import UNKNOWN

PATH = ("resources", "east_subnet", "properties")


def problems(cls: Any, values: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return [(d.path[len(PATH) :], d.code) for d in cls.validate(values, PATH)]


def test_subnet_requires_a_network_under_either_name() -> None:
    assert problems(Subnet, {"cidr": "10.1.0.0/24"}) == [(("network",), "required")]
    assert problems(Subnet, {"network": "east-net", "cidr": "10.1.0.0/24"}) == []
    assert problems(Subnet, {"network_id": "east-net", "cidr": "10.1.0.0/24"}) == []


def test_subnet_defaults() -> None:
    out = Subnet.with_defaults({"network_id": "n", "cidr": "10.1.0.0/24"})
    assert out["network"] == "n" and "network_id" not in out
    assert out["ip_version"] == 4
    assert out["enable_dhcp"] is True
    assert out["dns_nameservers"] == []


def test_subnet_checks_cidr_version_and_nested_pools() -> None:
    values = {
        "network": "n",
        "cidr": "10.1.0.0/33",
        "ip_version": 5,
        "allocation_pools": [{"start": "10.1.0.10", "end": "10.1.0.300"}],
        "host_routes": [{"destination": "10.2.0.0/24"}],
    }
    assert sorted(problems(Subnet, values), key=str) == sorted(
        [
            (("cidr",), "constraint"),
            (("ip_version",), "constraint"),
            (("allocation_pools", 0, "end"), "constraint"),
            (("host_routes", 0, "nexthop"), "required"),
        ],
        key=str,
    )


def test_subnet_cidr_forces_replacement_and_name_updates_in_place() -> None:
    old = {"network": "n", "cidr": "10.1.0.0/24", "name": "a"}
    new = {"network": "n", "cidr": "10.3.0.0/24", "name": "b"}
    assert Subnet.classify_update(old, new) == ({"name"}, {"cidr"})


def test_net_name_updates_in_place() -> None:
    assert Net.classify_update({"name": "a"}, {"name": "b"}) == ({"name"}, set())
    assert Net.with_defaults({}) == {"value_specs": {}, "admin_state_up": True, "shared": False}


def test_router_interface_accepts_heat_aliases() -> None:
    assert problems(RouterInterface, {"router": "r", "subnet": "s"}) == []
    assert problems(RouterInterface, {"router_id": "r", "subnet_id": "s"}) == []
    assert problems(RouterInterface, {"router_id": "r", "port_id": "p"}) == []
    assert RouterInterface.with_defaults({"router_id": "r", "subnet_id": "s"}) == {
        "router": "r",
        "subnet": "s",
    }


def test_router_interface_needs_exactly_one_of_subnet_and_port() -> None:
    assert problems(RouterInterface, {"router": "r"}) == [((), "required")]
    assert problems(RouterInterface, {"router": "r", "subnet": "s", "port": "p"}) == [
        ((), "required")
    ]
    assert problems(RouterInterface, {"subnet": "s"}) == [(("router",), "required")]


def test_port_fixed_ips_accept_the_hidden_subnet_id() -> None:
    values = {"network": "n", "fixed_ips": [{"subnet_id": "s", "ip_address": "10.1.0.5"}]}
    assert problems(Port, values) == []
    assert Port.with_defaults(values)["fixed_ips"] == [{"subnet": "s", "ip_address": "10.1.0.5"}]
    bad = {"network": "n", "fixed_ips": [{"subnet": "s", "ip_address": "10.1.0"}]}
    assert problems(Port, bad) == [(("fixed_ips", 0, "ip_address"), "constraint")]


def test_port_mac_and_vnic_type() -> None:
    values = {"network": "n", "mac_address": "zz:16:3e:00:00:01", "binding:vnic_type": "fast"}
    assert sorted(problems(Port, values)) == [
        (("binding:vnic_type",), "constraint"),
        (("mac_address",), "constraint"),
    ]


def test_security_group_rules_defaults_and_protocols() -> None:
    out = SecurityGroup.with_defaults({"rules": [{"protocol": 6, "port_range_min": "22"}]})
    assert out["rules"] == [
        {
            "protocol": "6",
            "port_range_min": 22,
            "direction": "ingress",
            "ethertype": "IPv4",
            "remote_mode": "remote_ip_prefix",
        }
    ]
    bad = {"rules": [{"protocol": "tpc", "port_range_max": 70000, "direction": "in"}]}
    assert sorted(problems(SecurityGroup, bad), key=str) == sorted(
        [
            (("rules", 0, "protocol"), "constraint"),
            (("rules", 0, "port_range_max"), "constraint"),
            (("rules", 0, "direction"), "constraint"),
        ],
        key=str,
    )


def test_security_group_rule_defaults() -> None:
    out = SecurityGroupRule.with_defaults({"security_group": "sg"})
    assert (out["direction"], out["ethertype"], out["protocol"]) == ("ingress", "IPv4", "tcp")
    assert problems(SecurityGroupRule, {"protocol": "icmp"}) == [(("security_group",), "required")]


def test_subnet_needs_cidr_or_subnetpool_but_not_both() -> None:
    assert problems(Subnet, {"network": "n"}) == [((), "conflict")]
    assert problems(Subnet, {"network": "n", "subnetpool": "p", "prefixlen": 26}) == []
    assert problems(Subnet, {"network": "n", "subnetpool": "p", "cidr": "10.1.0.0/24"}) == [
        ((), "conflict")
    ]
    assert problems(Subnet, {"network": "n", "cidr": UNKNOWN}) == []


def test_subnet_ipv6_modes_and_gateway() -> None:
    v4 = {"network": "n", "cidr": "10.1.0.0/24"}
    assert problems(Subnet, {**v4, "ipv6_ra_mode": "slaac"}) == [((), "conflict")]
    v6 = {"network": "n", "cidr": "fd00::/64", "ip_version": 6}
    assert problems(Subnet, {**v6, "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}) == []
    mixed = {**v6, "ipv6_ra_mode": "slaac", "ipv6_address_mode": "dhcpv6-stateful"}
    assert problems(Subnet, mixed) == [((), "conflict")]
    assert problems(Subnet, {**v4, "gateway_ip": "10.1.0.254"}) == []
    assert problems(Subnet, {**v4, "gateway_ip": ""}) == []
    assert problems(Subnet, {**v4, "gateway_ip": "gateway"}) == [((), "conflict")]
