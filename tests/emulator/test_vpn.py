"""VPNaaS of the emulated Neutron: resources, defaults, errors and tunnels between East and West."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openstack import exceptions

from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import VPN_PEER_TIMEOUT, Emulator, Latency
from crossheat.errors import CrossheatError

LATENCY = 0.05
#: How long a connection waits for its peer before DOWN, in these tests.
PEER_TIMEOUT = 0.3


@dataclass
class Site:
    conn: Any
    subnet: Any
    router: Any
    service: Any
    ike: Any
    ipsec: Any


@pytest.fixture(autouse=True)
def _fast_vpn(emulator: tuple[str, Emulator]) -> None:
    latency = emulator[1].config.latency
    latency.seconds.update(vpnservice=LATENCY, ipsec_site_connection=LATENCY)
    latency.vpn_peer_timeout = PEER_TIMEOUT


def make_site(conn: Any, cidr: str, with_subnet: bool = True, **ike: Any) -> Site:
    public = conn.network.find_network("public")
    network = conn.network.create_network(name=f"net-{cidr}")
    subnet = conn.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)
    router = conn.network.create_router(external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    service = conn.network.create_vpn_service(
        router_id=router.id, subnet_id=subnet.id if with_subnet else None, name="vpn"
    )
    return Site(
        conn,
        subnet,
        router,
        service,
        conn.network.create_vpn_ike_policy(name="ike", **ike),
        conn.network.create_vpn_ipsec_policy(name="ipsec"),
    )


def link(site: Site, peer: Site, psk: str = "secret", **kwargs: Any) -> Any:
    kwargs.setdefault("peer_cidrs", [peer.subnet.cidr])
    return site.conn.network.create_vpn_ipsec_site_connection(
        vpnservice_id=site.service.id,
        ikepolicy_id=site.ike.id,
        ipsecpolicy_id=site.ipsec.id,
        peer_address=peer.service.external_v4_ip,
        psk=psk,
        **kwargs,
    )


def status(site: Site, connection: Any) -> str:
    return str(site.conn.network.get_vpn_ipsec_site_connection(connection.id).status)


def settled(site: Site, connection: Any) -> str:
    """The connection's status once it has left PENDING_*."""
    deadline = time.monotonic() + 5
    while (now := status(site, connection)).startswith("PENDING") and time.monotonic() < deadline:
        time.sleep(0.02)
    return now


def test_pair_comes_up_on_both_ends_and_goes_down_with_its_peer(conn: Any, west_conn: Any) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    assert east.service.external_v4_ip != west.service.external_v4_ip
    east_link = link(east, west)
    assert east_link.status == "PENDING_CREATE"
    assert settled(east, east_link) == "DOWN"
    west_link = link(west, east)
    assert settled(west, west_link) == "ACTIVE"
    assert status(east, east_link) == "ACTIVE"
    west_conn.network.delete_vpn_ipsec_site_connection(west_link)
    assert status(east, east_link) == "DOWN"


def test_a_failed_link_takes_both_ends_down_until_it_comes_back(
    emulator: tuple[str, Emulator], conn: Any, west_conn: Any
) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    east_link, west_link = link(east, west), link(west, east)
    assert (settled(east, east_link), settled(west, west_link)) == ("ACTIVE", "ACTIVE")
    admin = AdminClient(emulator[0])
    admin.link_down("East", east_link.id)
    assert (status(east, east_link), status(west, west_link)) == ("DOWN", "DOWN")
    shown = east.conn.network.get_vpn_ipsec_site_connection(east_link.id).to_dict()
    assert shown["is_admin_state_up"] is True  # nobody changed it through the API
    admin.link_down("East", east_link.id, down=False)
    assert (status(east, east_link), status(west, west_link)) == ("ACTIVE", "ACTIVE")
    with pytest.raises(CrossheatError, match="404"):
        admin.link_down("West", east_link.id)  # it is East's


def test_an_end_waits_for_its_peer_before_it_reads_down(
    emulator: tuple[str, Emulator], conn: Any, west_conn: Any
) -> None:
    """Two ends created seconds apart come up; a lone end goes DOWN after the peer timeout."""
    base_url, emu = emulator
    shown = httpx.put(f"{base_url}/admin/latency", json={"vpn_peer_timeout": 1.5}).json()
    assert shown["vpn_peer_timeout"] == 1.5
    assert httpx.get(f"{base_url}/admin/latency").json()["vpn_peer_timeout"] == 1.5
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    east_link = link(east, west)
    time.sleep(LATENCY + 0.5)  # past its latency: no peer yet, but not given up either
    assert status(east, east_link) == "PENDING_CREATE"
    west_link = link(west, east)
    assert settled(west, west_link) == "ACTIVE"
    assert status(east, east_link) == "ACTIVE"

    lone = link(make_site(conn, "10.3.0.0/24"), west, psk="nobody-has-this-one")
    started = time.monotonic()
    assert settled(east, lone) == "DOWN"
    assert time.monotonic() - started >= 1.5 - LATENCY - 0.2  # not before the timeout
    assert emu.config.latency.vpn_peer_timeout == 1.5


def test_latency_spec_and_reset_set_the_peer_timeout(emulator: tuple[str, Emulator]) -> None:
    assert Latency.from_spec("server=3,vpn_peer_timeout=2").vpn_peer_timeout == 2.0
    assert Latency.from_spec("server=3").seconds == {"server": 3.0}
    base_url = emulator[0]
    reset = httpx.put(f"{base_url}/admin/latency", json={"reset": True}).json()
    assert reset["vpn_peer_timeout"] == VPN_PEER_TIMEOUT


@pytest.mark.parametrize(
    ("west_psk", "west_peer_cidrs"),
    [("wrong", ["10.1.0.0/24"]), ("secret", ["10.9.0.0/24"])],
    ids=["wrong-psk", "peer-cidrs-mismatch"],
)
def test_mismatch_keeps_both_down(
    conn: Any, west_conn: Any, west_psk: str, west_peer_cidrs: list[str]
) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    east_link = link(east, west, psk="secret")
    west_link = link(west, east, psk=west_psk, peer_cidrs=west_peer_cidrs)
    assert settled(west, west_link) == "DOWN"
    assert settled(east, east_link) == "DOWN"


def test_incompatible_ike_keeps_both_down(conn: Any, west_conn: Any) -> None:
    east = make_site(conn, "10.1.0.0/24")
    west = make_site(west_conn, "10.2.0.0/24", encryption_algorithm="aes-256")
    east_link, west_link = link(east, west), link(west, east)
    assert (settled(west, west_link), settled(east, east_link)) == ("DOWN", "DOWN")


def test_fixing_the_psk_brings_the_tunnel_up(
    conn: Any, west_conn: Any, emulator: tuple[str, Emulator]
) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    east_link, west_link = link(east, west), link(west, east, psk="typo")
    assert settled(west, west_link) == "DOWN"
    # The update stays pending long enough for the second call to meet it, however
    # loaded the machine.
    emulator[1].config.latency.seconds.update(ipsec_site_connection=1.0)
    updated = west_conn.network.update_vpn_ipsec_site_connection(west_link, psk="secret")
    assert updated.status == "PENDING_UPDATE"
    with pytest.raises(exceptions.BadRequestException, match="Invalid state"):
        west_conn.network.update_vpn_ipsec_site_connection(west_link, name="again")
    assert settled(west, west_link) == "ACTIVE"
    assert status(east, east_link) == "ACTIVE"


def test_endpoint_groups_pair(conn: Any, west_conn: Any) -> None:
    east = make_site(conn, "10.1.0.0/24", with_subnet=False)
    west = make_site(west_conn, "10.2.0.0/24", with_subnet=False)
    links = []
    for site, peer in ((east, west), (west, east)):
        net = site.conn.network
        local = net.create_vpn_endpoint_group(type="subnet", endpoints=[site.subnet.id])
        remote = net.create_vpn_endpoint_group(type="cidr", endpoints=[peer.subnet.cidr])
        assert remote.endpoints == [peer.subnet.cidr]
        links.append(
            link(site, peer, peer_cidrs=[], local_ep_group_id=local.id, peer_ep_group_id=remote.id)
        )
    assert settled(west, links[1]) == "ACTIVE"
    assert settled(east, links[0]) == "ACTIVE"
    with pytest.raises(exceptions.ConflictException):
        conn.network.delete_vpn_endpoint_group(links[0].local_ep_group_id)


def test_defaults(conn: Any, west_conn: Any) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    assert (east.ike.auth_algorithm, east.ike.encryption_algorithm) == ("sha1", "aes-128")
    assert (east.ike.phase1_negotiation_mode, east.ike.ike_version) == ("main", "v1")
    assert (east.ike.pfs, east.ike.lifetime) == ("group5", {"units": "seconds", "value": 3600})
    ipsec = east.ipsec
    assert (ipsec.transform_protocol, ipsec.encapsulation_mode, ipsec.pfs) == (
        "esp", "tunnel", "group5",
    )  # fmt: skip
    assert conn.network.update_vpn_ike_policy(east.ike, pfs="group14").pfs == "group14"
    east.ike = conn.network.update_vpn_ike_policy(east.ike, pfs="group5")
    connection = link(east, west)
    assert (connection.mtu, connection.initiator) == (1500, "bi-directional")
    assert connection.dpd == {"action": "hold", "interval": 30, "timeout": 120}
    assert (connection.auth_mode, connection.route_mode) == ("psk", "static")
    assert connection.peer_id == west.service.external_v4_ip


def test_service_lifecycle(conn: Any) -> None:
    site = make_site(conn, "10.1.0.0/24")
    assert site.service.status == "PENDING_CREATE"
    gateway = site.router.external_gateway_info["external_fixed_ips"][0]["ip_address"]
    assert site.service.external_v4_ip == gateway
    time.sleep(LATENCY * 2)
    service = conn.network.get_vpn_service(site.service.id)
    assert service.status == "ACTIVE"
    assert conn.network.update_vpn_service(service, name="renamed").name == "renamed"
    assert [s.id for s in conn.network.vpn_services(router_id=site.router.id)] == [service.id]
    conn.network.delete_vpn_service(service)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_vpn_service(service.id)


def test_bad_requests(conn: Any, west_conn: Any) -> None:
    bare = conn.network.create_router(name="no-gateway")
    with pytest.raises(exceptions.BadRequestException, match="no external network gateway"):
        conn.network.create_vpn_service(router_id=bare.id)
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    with pytest.raises(exceptions.BadRequestException, match="Missing peer CIDRs"):
        link(east, west, peer_cidrs=[])
    with pytest.raises(exceptions.BadRequestException):
        link(east, west, mtu=10)
    with pytest.raises(exceptions.BadRequestException):
        conn.network.create_vpn_ike_policy(name="x", pfs="group99")
    with pytest.raises(exceptions.NotFoundException):
        conn.network.get_vpn_ipsec_site_connection("missing")


def test_in_use_conflicts(conn: Any, west_conn: Any) -> None:
    east, west = make_site(conn, "10.1.0.0/24"), make_site(west_conn, "10.2.0.0/24")
    connection = link(east, west)
    net = conn.network
    for delete, thing in (
        (net.delete_vpn_service, east.service),
        (net.delete_vpn_ike_policy, east.ike),
        (net.delete_vpn_ipsec_policy, east.ipsec),
        (net.delete_router, east.router),
    ):
        with pytest.raises(exceptions.ConflictException):
            delete(thing)
    with pytest.raises(exceptions.ConflictException):
        net.remove_interface_from_router(east.router, subnet_id=east.subnet.id)
    with pytest.raises(exceptions.ConflictException, match="in use"):
        net.update_vpn_ike_policy(east.ike, pfs="group14")
    net.delete_vpn_ipsec_site_connection(connection)
    net.delete_vpn_ike_policy(east.ike)
    net.delete_vpn_ipsec_policy(east.ipsec)
    net.delete_vpn_service(east.service)
    net.remove_interface_from_router(east.router, subnet_id=east.subnet.id)
    net.delete_router(east.router)


def test_vpn_isolation(conn: Any, demo_conn: Any) -> None:
    site = make_site(conn, "10.1.0.0/24")
    assert list(demo_conn.network.vpn_services()) == []
    assert list(demo_conn.network.vpn_ike_policies()) == []
    with pytest.raises(exceptions.NotFoundException):
        demo_conn.network.get_vpn_ipsec_policy(site.ipsec.id)
