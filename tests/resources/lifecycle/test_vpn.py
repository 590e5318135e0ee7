"""An east-west IPsec VPN built, read and torn down through the lifecycles, in the emulator."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from crossheat.clouds.driver import RegionClients
from crossheat.engine.check import Difference, differences
from crossheat.errors import CloudConflict, ResourceFailed
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.types.neutron import Net, Router, RouterInterface, Subnet
from crossheat.resources.types.vpnaas import (
    PEER_OUTSIDE_STACK,
    IKEPolicy,
    IPsecPolicy,
    IPsecSiteConnection,
    VPNService,
)
from tests.resources.lifecycle.conftest import MakeCtx
from tests.resources.lifecycle.helpers import after_crash, create, delete, update


@dataclass
class Site:
    cidr: str
    net: ResourceContext
    subnet: ResourceContext
    router: ResourceContext
    iface: ResourceContext
    service: ResourceContext
    ike: ResourceContext
    ipsec: ResourceContext

    @property
    def gateway_ip(self) -> str:
        info = self.router.attributes["external_gateway_info"]
        return str(info["external_fixed_ips"][0]["ip_address"])


def build_site(make_ctx: MakeCtx, region: str, cidr: str) -> Site:
    names = ("net", "subnet", "router", "iface", "vpn", "ike", "ipsec")
    ctxs = [make_ctx(f"{region.lower()}_{name}", region) for name in names]
    site = Site(cidr, *ctxs)
    create(Net(), site.net, {})
    create(Subnet(), site.subnet, {"network": site.net.physical_id, "cidr": cidr})
    create(Router(), site.router, {"external_gateway_info": {"network": "public"}})
    link = {"router": site.router.physical_id, "subnet": site.subnet.physical_id}
    create(RouterInterface(), site.iface, link)
    polls = create(
        VPNService(),
        site.service,
        {"subnet": site.subnet.physical_id, "router": site.router.physical_id},
    )
    assert polls >= 1 and site.service.attributes["status"] == "ACTIVE"
    assert site.service.attributes["external_v4_ip"] == site.gateway_ip
    create(IKEPolicy(), site.ike, {})
    create(IPsecPolicy(), site.ipsec, {})
    return site


def connect(make_ctx: MakeCtx, site: Site, peer: Site) -> tuple[ResourceContext, dict[str, Any]]:
    ctx = make_ctx(f"{site.net.region.lower()}_link", site.net.region)
    props = {
        "peer_address": peer.gateway_ip,
        "peer_id": peer.gateway_ip,
        "peer_cidrs": [peer.cidr],
        "psk": "secret",
        "vpnservice_id": site.service.physical_id,
        "ikepolicy_id": site.ike.physical_id,
        "ipsecpolicy_id": site.ipsec.physical_id,
    }
    assert create(IPsecSiteConnection(), ctx, props) == 0
    return ctx, props


def status(ctx: ResourceContext) -> str:
    attrs = IPsecSiteConnection().read(ctx)
    assert attrs is not None
    return str(attrs["status"])


def settled(ctx: ResourceContext, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while (now := status(ctx)).startswith("PENDING") and time.monotonic() < deadline:
        time.sleep(0.02)
    return now


def both(
    a: ResourceContext, b: ResourceContext, wanted: str, timeout: float = 5.0
) -> tuple[str, str]:
    """Both ends' status once both read ``wanted`` (each end only comes up once the other
    has, so one read of each can catch them a moment apart), or as they are at the deadline."""
    deadline = time.monotonic() + timeout
    while (now := (settled(a), settled(b))) != (wanted, wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
    return now


def tear_down(site: Site) -> None:
    pairs = [
        (IPsecPolicy(), site.ipsec),
        (IKEPolicy(), site.ike),
        (VPNService(), site.service),
        (RouterInterface(), site.iface),
        (Router(), site.router),
        (Subnet(), site.subnet),
        (Net(), site.net),
    ]
    for plugin, ctx in pairs:
        delete(plugin, ctx)


def test_east_west_tunnel_comes_up_and_tears_down(make_ctx: MakeCtx) -> None:
    east = build_site(make_ctx, "East", "10.1.0.0/24")
    west = build_site(make_ctx, "West", "10.2.0.0/24")
    assert VPNService().find(after_crash(make_ctx, east.service)) == east.service.physical_id
    east_link, _ = connect(make_ctx, east, west)
    west_link, west_props = connect(make_ctx, west, east)
    assert both(west_link, east_link, "ACTIVE") == ("ACTIVE", "ACTIVE")
    found = IPsecSiteConnection().find(after_crash(make_ctx, west_link))
    assert found == west_link.physical_id
    renamed = west_props | {"name": "west-to-east"}
    assert update(IPsecSiteConnection(), west_link, west_props, renamed) >= 1  # PENDING_UPDATE
    assert (west_link.attributes["name"], settled(west_link)) == ("west-to-east", "ACTIVE")
    assert east_link.attributes["peer_address"] == west.gateway_ip
    assert east_link.attributes["psk"] == "secret"
    assert "secret" not in str(east_link.attributes["show"])  # kept only where it is sealed
    with pytest.raises(CloudConflict):
        VPNService().delete(east.service)
    delete(IPsecSiteConnection(), west_link)
    assert settled(east_link) == "DOWN"
    delete(IPsecSiteConnection(), east_link)
    tear_down(east)
    tear_down(west)


def _heat_like_link(
    make_ctx: MakeCtx, site: Site, peer: Site, psk: str = "secret"
) -> tuple[ResourceContext, dict[str, Any]]:
    """A connection whose peer is outside its stack, as the engine marks it."""
    ctx = make_ctx(f"{site.net.region.lower()}_lone_link", site.net.region)
    ctx.extra = {PEER_OUTSIDE_STACK: True}
    props = {
        "peer_address": peer.gateway_ip, "peer_id": peer.gateway_ip, "peer_cidrs": [peer.cidr],
        "psk": psk, "vpnservice_id": site.service.physical_id,
        "ikepolicy_id": site.ike.physical_id, "ipsecpolicy_id": site.ipsec.physical_id,
    }  # fmt: skip
    return ctx, props


def test_connection_whose_peer_is_elsewhere_is_created_as_heat_creates_it(
    make_ctx: MakeCtx,
) -> None:
    """Done only once ACTIVE (two ends created at once both complete); DOWN fails it."""
    east = build_site(make_ctx, "East", "10.6.0.0/24")
    west = build_site(make_ctx, "West", "10.7.0.0/24")
    ends = [_heat_like_link(make_ctx, east, west), _heat_like_link(make_ctx, west, east)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        polls = list(pool.map(lambda end: create(IPsecSiteConnection(), *end), ends))
    assert min(polls) >= 1  # not done when it merely exists
    assert [ctx.attributes["status"] for ctx, _ in ends] == ["ACTIVE", "ACTIVE"]
    for ctx, _ in ends:
        delete(IPsecSiteConnection(), ctx)

    lone, props = _heat_like_link(make_ctx, east, west, psk="no-peer-has-this-key")
    with pytest.raises(ResourceFailed, match="creation failed - Unknown status DOWN"):
        create(IPsecSiteConnection(), lone, props)
    delete(IPsecSiteConnection(), lone)
    tear_down(east)
    tear_down(west)


def test_ike_policy_update_in_place(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("ike")
    create(IKEPolicy(), ctx, {})
    update(IKEPolicy(), ctx, {}, {"encryption_algorithm": "aes-256", "lifetime": {"value": 7200}})
    live = IKEPolicy().live_properties(ctx)
    assert live is not None and live["encryption_algorithm"] == "aes-256"
    assert live["lifetime"] == {"units": "seconds", "value": 7200}
    assert live["name"] is None  # the template gave none: demo-ike is the default
    delete(IKEPolicy(), ctx)


def test_connection_dpd_changed_outside_is_drift(make_ctx: MakeCtx, clients: RegionClients) -> None:
    site, ctx = build_site(make_ctx, "East", "10.4.0.0/24"), make_ctx("dpd")
    props = IPsecSiteConnection.with_defaults(
        {
            "peer_address": "203.0.113.9",
            "peer_id": "203.0.113.9",
            "peer_cidrs": ["10.5.0.0/24"],
            "psk": "secret",
            "dpd": {"actions": "clear", "interval": 15},  # timeout: 120 by default
            "vpnservice_id": site.service.physical_id,
            "ikepolicy_id": site.ike.physical_id,
            "ipsecpolicy_id": site.ipsec.physical_id,
        }
    )
    create(IPsecSiteConnection(), ctx, props)
    assert ctx.attributes["dpd"]["action"] == "clear"  # Heat's actions is Neutron's action
    assert differences(IPsecSiteConnection(), ctx, props) == []
    settled(ctx)  # Neutron refuses an update while the connection is PENDING_CREATE
    conn, link = clients.connection("East"), str(ctx.physical_id)
    dpd = {"action": "clear", "interval": 20, "timeout": 120}
    conn.network.update_vpn_ipsec_site_connection(link, dpd=dpd)
    assert differences(IPsecSiteConnection(), ctx, props) == [Difference("dpd.interval", 15, 20)]
    settled(ctx)
    conn.network.update_vpn_ipsec_site_connection(link, dpd=dpd | {"action": "hold"})
    assert {d.property for d in differences(IPsecSiteConnection(), ctx, props) or []} == {
        "dpd.actions", "dpd.interval",
    }  # fmt: skip
    delete(IPsecSiteConnection(), ctx)
    tear_down(site)
