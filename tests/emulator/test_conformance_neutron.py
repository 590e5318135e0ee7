"""python-neutronclient against the emulated Neutron, as Heat's neutron resource plugins drive it.

Heat resolves names with ``neutronV20.find_resourceid_by_name_or_id``, creates and
updates resources with ``{"<resource>": {...}}`` bodies, sets router gateways and
interfaces, associates floating IPs, and sorts errors by neutronclient's
exception classes (``NotFound`` and its ``NetworkNotFoundClient``-style children).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from neutronclient.common import exceptions as neutron_exc
from neutronclient.neutron import v2_0 as neutronV20
from neutronclient.v2_0 import client as neutron_client

from crossheat.emulator.core import Emulator


def neutron(session: Any, region: str = "East") -> Any:
    return neutron_client.Client(session=session, region_name=region)


def network_with_subnet(client: Any, name: str, cidr: str) -> tuple[str, str]:
    network = client.create_network({"network": {"name": name}})["network"]
    body = {"network_id": network["id"], "cidr": cidr, "ip_version": 4}
    return network["id"], client.create_subnet({"subnet": body})["subnet"]["id"]


def routed(client: Any, name: str, cidr: str) -> tuple[str, str, str]:
    """(router, network, subnet): a subnet behind a router whose gateway is ``public``."""
    network_id, subnet_id = network_with_subnet(client, name, cidr)
    router = client.create_router({"router": {"name": f"{name}-router"}})["router"]
    public = neutronV20.find_resourceid_by_name_or_id(client, "network", "public")
    client.add_gateway_router(router["id"], {"network_id": public})
    client.add_interface_router(router["id"], {"subnet_id": subnet_id})
    return router["id"], network_id, subnet_id


def test_heat_finds_resources_by_name_or_id(ks_session: Any) -> None:
    client = neutron(ks_session)
    public = neutronV20.find_resourceid_by_name_or_id(client, "network", "public")
    assert client.show_network(public)["network"]["router:external"] is True
    assert neutronV20.find_resourceid_by_name_or_id(client, "network", public) == public
    with pytest.raises(neutron_exc.NotFound):
        neutronV20.find_resourceid_by_name_or_id(client, "network", "no-such-network")
    client.create_network({"network": {"name": "twin"}})
    client.create_network({"network": {"name": "twin"}})
    with pytest.raises(neutron_exc.NeutronClientNoUniqueMatch):
        neutronV20.find_resourceid_by_name_or_id(client, "network", "twin")


def test_network_subnet_and_port_lifecycle(ks_session: Any) -> None:
    client = neutron(ks_session)
    network = client.create_network({"network": {"name": "app", "admin_state_up": True}})
    network_id = network["network"]["id"]
    pools = [{"start": "10.5.0.10", "end": "10.5.0.20"}]
    subnet = client.create_subnet(
        {
            "subnet": {
                "network_id": network_id,
                "cidr": "10.5.0.0/24",
                "ip_version": 4,
                "allocation_pools": pools,
                "dns_nameservers": ["8.8.8.8"],
            }
        }
    )["subnet"]
    assert (subnet["gateway_ip"], subnet["allocation_pools"]) == ("10.5.0.1", pools)
    client.replace_tag("networks", network_id, {"tags": ["heat", "app"]})
    assert sorted(client.show_network(network_id)["network"]["tags"]) == ["app", "heat"]
    port = client.create_port({"port": {"network_id": network_id, "name": "p"}})["port"]
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.5.0.10"}]
    client.update_port(port["id"], {"port": {"name": "renamed"}})
    assert client.list_ports(network_id=network_id, name="renamed")["ports"][0]["id"] == port["id"]
    client.delete_port(port["id"])
    client.delete_subnet(subnet["id"])
    client.delete_network(network_id)
    with pytest.raises(neutron_exc.NetworkNotFoundClient):
        client.show_network(network_id)
    with pytest.raises(neutron_exc.PortNotFoundClient):
        client.show_port(port["id"])
    with pytest.raises(neutron_exc.NotFound):
        client.show_subnet(subnet["id"])


def test_router_gateway_and_interfaces(ks_session: Any) -> None:
    client = neutron(ks_session)
    router_id, network_id, subnet_id = routed(client, "app", "10.6.0.0/24")
    router = client.show_router(router_id)["router"]
    public = neutronV20.find_resourceid_by_name_or_id(client, "network", "public")
    assert router["external_gateway_info"]["network_id"] == public
    [interface] = client.list_ports(device_id=router_id, network_id=network_id)["ports"]
    assert interface["fixed_ips"][0]["ip_address"] == "10.6.0.1"
    with pytest.raises(neutron_exc.Conflict):
        client.delete_subnet(subnet_id)
    client.remove_interface_router(router_id, {"subnet_id": subnet_id})
    client.remove_gateway_router(router_id)
    assert client.show_router(router_id)["router"]["external_gateway_info"] is None
    client.delete_router(router_id)
    client.delete_subnet(subnet_id)


def test_security_group_and_rules(ks_session: Any) -> None:
    client = neutron(ks_session)
    group = client.create_security_group({"security_group": {"name": "web"}})["security_group"]
    defaults = client.list_security_group_rules(security_group_id=group["id"])
    assert {r["direction"] for r in defaults["security_group_rules"]} == {"egress"}
    for rule in defaults["security_group_rules"]:  # Heat drops them when rules are given
        client.delete_security_group_rule(rule["id"])
    body = {
        "security_group_id": group["id"],
        "direction": "ingress",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "remote_ip_prefix": "0.0.0.0/0",
    }
    made = client.create_security_group_rule({"security_group_rule": body})
    assert made["security_group_rule"]["ethertype"] == "IPv4"
    with pytest.raises(neutron_exc.Conflict):
        client.create_security_group_rule({"security_group_rule": body})
    [rule] = client.show_security_group(group["id"])["security_group"]["security_group_rules"]
    assert (rule["protocol"], rule["port_range_min"]) == ("tcp", 22)
    client.delete_security_group(group["id"])
    with pytest.raises(neutron_exc.NotFound):
        client.show_security_group(group["id"])


def test_floating_ip_associates_with_a_port_and_dissociates(ks_session: Any) -> None:
    client = neutron(ks_session)
    _, network_id, _ = routed(client, "app", "10.7.0.0/24")
    port = client.create_port({"port": {"network_id": network_id}})["port"]
    public = neutronV20.find_resourceid_by_name_or_id(client, "network", "public")
    fip = client.create_floatingip({"floatingip": {"floating_network_id": public}})["floatingip"]
    assert fip["port_id"] is None
    fixed = port["fixed_ips"][0]["ip_address"]
    body = {"floatingip": {"port_id": port["id"], "fixed_ip_address": fixed}}
    client.update_floatingip(fip["id"], body)
    address = fip["floating_ip_address"]
    [found] = client.list_floatingips(floating_ip_address=address)["floatingips"]
    assert (found["port_id"], found["fixed_ip_address"]) == (port["id"], fixed)
    client.update_floatingip(fip["id"], {"floatingip": {"port_id": None}})
    assert client.show_floatingip(fip["id"])["floatingip"]["port_id"] is None
    client.delete_floatingip(fip["id"])


def vpn_site(client: Any, cidr: str) -> dict[str, Any]:
    router_id, _, subnet_id = routed(client, f"site-{cidr}", cidr)
    body = {"name": "vpn", "router_id": router_id, "subnet_id": subnet_id}
    service = client.create_vpnservice({"vpnservice": body})["vpnservice"]
    ike = client.create_ikepolicy({"ikepolicy": {"name": "ike"}})["ikepolicy"]
    ipsec = client.create_ipsecpolicy({"ipsecpolicy": {"name": "ipsec"}})["ipsecpolicy"]
    return {"service": service, "ike": ike, "ipsec": ipsec, "cidr": cidr}


def settled(client: Any, show: str, key: str, id_: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        record: dict[str, Any] = getattr(client, show)(id_)[key]
        if not record["status"].startswith("PENDING") or time.monotonic() > deadline:
            return record
        time.sleep(0.02)


def test_vpn_resources_through_neutronclient(ks_session: Any) -> None:
    east, west = neutron(ks_session, "East"), neutron(ks_session, "West")
    here, there = vpn_site(east, "10.8.0.0/24"), vpn_site(west, "10.9.0.0/24")
    assert here["ike"]["ike_version"] == "v1"
    assert here["ipsec"]["transform_protocol"] == "esp"
    east.update_ikepolicy(here["ike"]["id"], {"ikepolicy": {"description": "changed"}})
    assert east.show_ikepolicy(here["ike"]["id"])["ikepolicy"]["description"] == "changed"
    peer = settled(west, "show_vpnservice", "vpnservice", there["service"]["id"])
    connection = east.create_ipsec_site_connection(
        {
            "ipsec_site_connection": {
                "name": "to-west",
                "vpnservice_id": here["service"]["id"],
                "ikepolicy_id": here["ike"]["id"],
                "ipsecpolicy_id": here["ipsec"]["id"],
                "peer_address": peer["external_v4_ip"],
                "peer_id": peer["external_v4_ip"],
                "peer_cidrs": [there["cidr"]],
                "psk": "secret",
            }
        }
    )["ipsec_site_connection"]
    shown = east.show_ipsec_site_connection(connection["id"])["ipsec_site_connection"]
    assert (shown["name"], shown["peer_cidrs"]) == ("to-west", [there["cidr"]])
    listed = east.list_ipsec_site_connections(vpnservice_id=here["service"]["id"])
    assert [c["id"] for c in listed["ipsec_site_connections"]] == [connection["id"]]
    settled(east, "show_ipsec_site_connection", "ipsec_site_connection", connection["id"])
    with pytest.raises(neutron_exc.Conflict, match="in use"):
        east.update_ikepolicy(here["ike"]["id"], {"ikepolicy": {"description": "again"}})
    east.delete_ipsec_site_connection(connection["id"])
    with pytest.raises(neutron_exc.NotFound):
        east.show_ipsec_site_connection(connection["id"])
    for delete, id_ in (
        (east.delete_vpnservice, here["service"]["id"]),
        (east.delete_ikepolicy, here["ike"]["id"]),
        (east.delete_ipsecpolicy, here["ipsec"]["id"]),
    ):
        delete(id_)
    with pytest.raises(neutron_exc.NotFound):
        east.show_vpnservice(here["service"]["id"])


def test_unknown_routes_raise_neutronclients_not_found(
    emulator: tuple[str, Emulator], ks_session: Any
) -> None:
    client = neutron(ks_session)
    with pytest.raises(neutron_exc.NotFound, match="The resource could not be found"):
        client.get("/no-such-collection")
    with pytest.raises(neutron_exc.NotFound):
        client.show_network(str(uuid.uuid4()))
    headers = {"X-Auth-Token": ks_session.get_token()}
    base = f"{emulator[0]}/East/network/v2.0"
    answer = httpx.get(f"{base}/no-such-collection", headers=headers)
    assert answer.status_code == 404
    assert answer.json() == {
        "NeutronError": {
            "type": "HTTPNotFound",
            "message": "The resource could not be found.",
            "detail": "",
        }
    }
    wrong = httpx.post(f"{base}/extensions", headers=headers, json={})
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
    assert wrong.json()["NeutronError"]["type"] == "HTTPMethodNotAllowed"
