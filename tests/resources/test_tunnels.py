"""Which connections are the two ends of one tunnel: meshes, hub and spoke, and the odd cases."""

from __future__ import annotations

from pathlib import Path

import yaml

from crossheat.resources.tunnels import match_tunnels, tunnel_pairs
from crossheat.template import Template, load_template, load_template_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PSK = {"vpn_psk": "0123456789abcdef-psk"}


def pairs_of(template: Template) -> set[frozenset[str]]:
    return {frozenset((a.connection, b.connection)) for a, b in tunnel_pairs(template)}


def tunnels(*names: str) -> set[frozenset[str]]:
    """``"a=b"`` -> {a, b}."""
    return {frozenset(name.split("=")) for name in names}


def example(name: str) -> Template:
    return load_template(EXAMPLES / name, parameters=PSK)


def test_reference_use_case_is_one_tunnel() -> None:
    assert pairs_of(example("east-west-vpn.yaml")) == tunnels("east_to_west=west_to_east")


def test_three_region_mesh_pairs_each_connection_with_the_one_aimed_back() -> None:
    found = match_tunnels(example("mesh-3.yaml"))
    assert {frozenset((a.connection, b.connection)) for a, b in found.pairs} == tunnels(
        "onprem_to_east=east_to_onprem",
        "onprem_to_west=west_to_onprem",
        "east_to_west=west_to_east",
    )
    assert found.unpaired == {}
    # each tunnel once, first end first in template order
    assert [(a.connection, b.connection) for a, b in found.pairs] == [
        ("onprem_to_east", "east_to_onprem"),
        ("onprem_to_west", "west_to_onprem"),
        ("east_to_west", "west_to_east"),
    ]


def test_four_region_mesh_has_six_tunnels() -> None:
    found = match_tunnels(example("mesh-4.yaml"))
    assert {frozenset((a.connection, b.connection)) for a, b in found.pairs} == tunnels(
        "onprem_to_east=east_to_onprem",
        "onprem_to_west=west_to_onprem",
        "onprem_to_north=north_to_onprem",
        "east_to_west=west_to_east",
        "east_to_north=north_to_east",
        "west_to_north=north_to_west",
    )
    assert found.unpaired == {}


def test_hub_and_spoke_pairs_each_hub_connection_with_its_spoke() -> None:
    found = match_tunnels(example("hub-and-spoke.yaml"))
    assert {frozenset((a.connection, b.connection)) for a, b in found.pairs} == tunnels(
        "onprem_to_east=east_to_onprem",
        "onprem_to_west=west_to_onprem",
        "onprem_to_north=north_to_onprem",
    )
    assert found.unpaired == {}


# ---- small templates for the odd cases -------------------------------------------------


def site(name: str, cidr: str, services: int = 1) -> dict[str, dict[str, object]]:
    """A router ``{name}_router``; ``services`` subnets, each with VPN service ``{name}_vpn{i}``."""
    resources: dict[str, dict[str, object]] = {
        f"{name}_router": {"type": "OS::Neutron::Router", "properties": {}},
        f"{name}_ike": {"type": "OS::Neutron::IKEPolicy"},
        f"{name}_ipsec": {"type": "OS::Neutron::IPsecPolicy"},
    }
    for i in range(services):
        prefix, _, _ = cidr.rpartition(".0.0/")
        resources[f"{name}_net{i}"] = {"type": "OS::Neutron::Net"}
        resources[f"{name}_subnet{i}"] = {
            "type": "OS::Neutron::Subnet",
            "properties": {
                "network": {"get_resource": f"{name}_net{i}"},
                "cidr": f"{prefix}.{i}.0/24",
            },
        }
        resources[f"{name}_vpn{i}"] = {
            "type": "OS::Neutron::VPNService",
            "properties": {
                "router": {"get_resource": f"{name}_router"},
                "subnet": {"get_resource": f"{name}_subnet{i}"},
            },
        }
    return resources


def gateway(router: str) -> dict[str, object]:
    return {"get_attr": [router, "external_gateway_info", "external_fixed_ips", 0, "ip_address"]}


def connection(service: str, peer_address: object, peer_cidrs: list[object]) -> dict[str, object]:
    site_name = service.split("_vpn")[0]
    return {
        "type": "OS::Neutron::IPsecSiteConnection",
        "properties": {
            "vpnservice_id": {"get_resource": service},
            "ikepolicy_id": {"get_resource": f"{site_name}_ike"},
            "ipsecpolicy_id": {"get_resource": f"{site_name}_ipsec"},
            "peer_address": peer_address,
            "peer_cidrs": peer_cidrs,
            "psk": "0123456789abcdef-psk",
        },
    }


def template(resources: dict[str, dict[str, object]]) -> Template:
    text = yaml.safe_dump({"heat_template_version": "2018-08-31", "resources": resources})
    return load_template_text(text)


def test_peer_address_read_from_the_peers_vpn_service_names_its_router() -> None:
    resources = site("a", "10.1.0.0/16") | site("b", "10.2.0.0/16")
    b_address, a_address = ({"get_attr": [f"{s}_vpn0", "external_v4_ip"]} for s in "ba")
    resources["a_to_b"] = connection("a_vpn0", b_address, ["10.2.0.0/24"])
    resources["b_to_a"] = connection("b_vpn0", a_address, ["10.1.0.0/24"])
    assert pairs_of(template(resources)) == tunnels("a_to_b=b_to_a")


def test_a_literal_address_on_one_side_pairs_by_the_cidrs_each_end_names() -> None:
    """Hub connections with literal addresses: each spoke's aims at the hub, and the
    hub's own peer_cidrs say which spoke each is for."""
    resources = site("hub", "10.1.0.0/16") | site("s1", "10.2.0.0/16") | site("s2", "10.3.0.0/16")
    resources["hub_to_s1"] = connection("hub_vpn0", "203.0.113.1", ["10.2.0.0/24"])
    resources["hub_to_s2"] = connection("hub_vpn0", "203.0.113.2", ["10.3.0.0/24"])
    resources["s1_to_hub"] = connection("s1_vpn0", gateway("hub_router"), ["10.1.0.0/24"])
    resources["s2_to_hub"] = connection("s2_vpn0", gateway("hub_router"), ["10.1.0.0/24"])
    found = match_tunnels(template(resources))
    assert {frozenset((a.connection, b.connection)) for a, b in found.pairs} == tunnels(
        "hub_to_s1=s1_to_hub", "hub_to_s2=s2_to_hub"
    )
    assert found.unpaired == {}


def test_two_vpn_services_on_one_router_pair_by_the_subnet_peer_cidrs_read() -> None:
    resources = site("a", "10.1.0.0/16", services=2) | site("b", "10.2.0.0/16", services=2)
    for i in range(2):
        resources[f"a{i}_to_b{i}"] = connection(
            f"a_vpn{i}", gateway("b_router"), [{"get_attr": [f"b_subnet{i}", "cidr"]}]
        )
        resources[f"b{i}_to_a{i}"] = connection(
            f"b_vpn{i}", gateway("a_router"), [f"10.1.{i}.0/24"]
        )
    assert pairs_of(template(resources)) == tunnels("a0_to_b0=b0_to_a0", "a1_to_b1=b1_to_a1")


def test_connections_that_fit_equally_are_in_no_tunnel() -> None:
    resources = site("a", "10.1.0.0/16", services=2) | site("b", "10.2.0.0/16")
    resources["a0_to_b"] = connection("a_vpn0", gateway("b_router"), ["10.2.0.0/24"])
    resources["a1_to_b"] = connection("a_vpn1", gateway("b_router"), ["10.2.0.0/24"])
    resources["b_to_a"] = connection("b_vpn0", gateway("a_router"), ["10.9.0.0/24"])
    found = match_tunnels(template(resources))
    assert found.pairs == []
    assert found.unpaired == {
        "a0_to_b": ["b_to_a"],
        "a1_to_b": ["b_to_a"],
        "b_to_a": ["a0_to_b", "a1_to_b"],
    }


def test_a_connection_nobody_aims_back_at_is_in_no_tunnel() -> None:
    """c's only connection goes to a; b's connection to c has nothing to pair with (the
    old rule paired it with any connection on c's router)."""
    resources = site("a", "10.1.0.0/16") | site("b", "10.2.0.0/16") | site("c", "10.3.0.0/16")
    resources["b_to_c"] = connection("b_vpn0", gateway("c_router"), ["10.3.0.0/24"])
    resources["c_to_a"] = connection("c_vpn0", gateway("a_router"), ["10.1.0.0/24"])
    resources["a_to_c"] = connection("a_vpn0", gateway("c_router"), ["10.3.0.0/24"])
    found = match_tunnels(template(resources))
    assert pairs_of(template(resources)) == tunnels("a_to_c=c_to_a")
    assert found.unpaired == {"b_to_c": []}


def test_connections_aimed_outside_the_template_are_not_reported() -> None:
    resources = site("a", "10.1.0.0/16")
    resources["a_to_far"] = connection("a_vpn0", "203.0.113.9", ["10.9.0.0/24"])
    found = match_tunnels(template(resources))
    assert found.pairs == [] and found.unpaired == {}


def test_a_connection_aimed_at_another_kind_of_resource_pairs_with_nothing() -> None:
    """b's connection reads a floating IP (a VPN appliance, say): it is no end of a's
    tunnel, though a's connection is aimed at b's router."""
    resources = site("a", "10.1.0.0/16") | site("b", "10.2.0.0/16")
    resources["appliance_ip"] = {
        "type": "OS::Neutron::FloatingIP",
        "properties": {"floating_network": "public"},
    }
    resources["a_to_b"] = connection("a_vpn0", gateway("b_router"), ["10.2.0.0/24"])
    resources["b_to_appliance"] = connection(
        "b_vpn0", {"get_attr": ["appliance_ip", "floating_ip_address"]}, ["10.1.0.0/24"]
    )
    found = match_tunnels(template(resources))
    assert found.pairs == []
    assert found.unpaired == {"a_to_b": []}
