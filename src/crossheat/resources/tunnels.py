"""Which IPsec site connections of a template are the two ends of one tunnel.

This is the one definition of a tunnel that validate, the engine's wait for
ACTIVE tunnels and update use. A connection's *router* is the router of its
VPN service; its *peer router* is the router its ``peer_address`` reads
(``get_attr: [router, external_gateway_info, ...]``, or the ``external_v4_ip``
of a VPN service on that router). Two connections ``a`` and ``b`` *fit* when:

- they sit on two different routers of the template;
- ``a``'s peer router is ``b``'s router, or ``a``'s ``peer_address`` reads no
  resource of the template (a literal or a parameter), and the same the other
  way round; at least one of the two reads the other's router.

So in a full mesh or a hub and spoke, where a router carries one connection
to each other site, ``a`` on router A aimed at router B fits only the
connection on B aimed back at A. When a connection fits several (several VPN
services on one router, or a one-sided reference), the better fit wins:
an end that reads the other's router counts three points, and an end whose
``peer_cidrs`` name the other's subnet one (its CIDR, from parameters or
literals, or a ``get_attr`` of that subnet). ``a`` and ``b`` are a tunnel
when each is the other's single best fit; a connection with no fit, or a tie,
is in no tunnel.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from crossheat.template import PlanContext, Template, resolve

CONNECTION = "OS::Neutron::IPsecSiteConnection"
SERVICE = "OS::Neutron::VPNService"
ROUTER = "OS::Neutron::Router"


@dataclass(frozen=True)
class TunnelEnd:
    """One end: its connection, and the VPN service, subnet and policies it uses."""

    connection: str
    service: str | None
    subnet: str | None
    router: str | None
    peer_router: str | None
    ikepolicy: str | None
    ipsecpolicy: str | None
    #: The resource ``peer_address`` reads (``peer_router``, or a VPN service, or another).
    peer_reference: str | None = field(default=None, compare=False)
    #: The CIDR of ``subnet`` as far as the template tells (None: not known before deploy).
    cidr: str | None = field(default=None, compare=False)
    #: What ``peer_cidrs`` names: CIDRs known from the template, and subnets it reads.
    peer_cidrs: frozenset[str] = field(default=frozenset(), compare=False)
    peer_subnets: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Tunnels:
    """The tunnels of a template, and the connections aimed at a router that are in none."""

    pairs: list[tuple[TunnelEnd, TunnelEnd]]
    #: connection -> the connections that fit it equally well (empty: none fits)
    unpaired: dict[str, list[str]]
    ends: dict[str, TunnelEnd]


def referenced(template: Template, name: str | None, *keys: str) -> str | None:
    """The resource that property ``keys[0]`` (or another of ``keys``) of ``name`` refers to."""
    if name is None or name not in template.resources:
        return None
    for ref in template.resources[name].references():
        prop = ref.path[3] if len(ref.path) > 3 else None
        if prop in keys:
            return ref.resource
    return None


def _type(template: Template, name: str | None) -> str | None:
    definition = template.resources.get(name) if name else None
    return definition.type if definition else None


def _peer_router(template: Template, target: str | None) -> str | None:
    """The router of the template ``peer_address`` reads (directly or via its VPN service)."""
    if _type(template, target) == SERVICE:
        target = referenced(template, target, "router", "router_id")
    return target if _type(template, target) == ROUTER else None


def _network(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return None


def _subnet_cidr(template: Template, subnet: str | None) -> str | None:
    if subnet is None or subnet not in template.resources:
        return None
    return _network(resolve(template.resources[subnet].properties.get("cidr"), PlanContext()))


def _named_peer_cidrs(template: Template, connection: str) -> tuple[frozenset[str], frozenset[str]]:
    """(CIDRs, subnets) that ``peer_cidrs`` of ``connection`` names in the template."""
    given = template.resources[connection].properties.get("peer_cidrs")
    values = resolve(given, PlanContext())
    cidrs = {n for n in map(_network, values if isinstance(values, list) else []) if n}
    subnets = {
        ref.resource
        for ref in template.resources[connection].references()
        if len(ref.path) > 3 and ref.path[3] == "peer_cidrs"
    }
    return frozenset(cidrs), frozenset(subnets)


def tunnel_ends(template: Template) -> dict[str, TunnelEnd]:
    ends = {}
    for name, definition in template.resources.items():
        if definition.type != CONNECTION:
            continue
        service = referenced(template, name, "vpnservice_id", "vpnservice")
        subnet = referenced(template, service, "subnet", "subnet_id")
        peer_cidrs, peer_subnets = _named_peer_cidrs(template, name)
        peer = referenced(template, name, "peer_address")
        ends[name] = TunnelEnd(
            connection=name,
            service=service,
            subnet=subnet,
            router=referenced(template, service, "router", "router_id"),
            peer_router=_peer_router(template, peer),
            ikepolicy=referenced(template, name, "ikepolicy_id", "ikepolicy"),
            ipsecpolicy=referenced(template, name, "ipsecpolicy_id", "ipsecpolicy"),
            peer_reference=peer,
            cidr=_subnet_cidr(template, subnet),
            peer_cidrs=peer_cidrs,
            peer_subnets=peer_subnets,
        )
    return ends


def _names_subnet_of(end: TunnelEnd, other: TunnelEnd) -> bool:
    """Whether ``end``'s peer_cidrs name ``other``'s subnet."""
    if other.subnet is not None and other.subnet in end.peer_subnets:
        return True
    return other.cidr is not None and other.cidr in end.peer_cidrs


def _may_aim_at(end: TunnelEnd, router: str) -> bool:
    """Whether ``end`` reads ``router``'s address, or reads no resource (so may)."""
    return end.peer_router == router or end.peer_reference is None


def fit(a: TunnelEnd, b: TunnelEnd) -> int | None:
    """How well ``a`` and ``b`` fit as the two ends of one tunnel (None: they cannot be)."""
    if a.router is None or b.router is None or a.router == b.router:
        return None
    if not _may_aim_at(a, b.router) or not _may_aim_at(b, a.router):
        return None
    aimed = (a.peer_router == b.router) + (b.peer_router == a.router)
    if not aimed:
        return None
    return 3 * aimed + _names_subnet_of(a, b) + _names_subnet_of(b, a)


def _best_fits(end: TunnelEnd, ends: dict[str, TunnelEnd]) -> list[TunnelEnd]:
    scored = [(score, other) for other in ends.values() if (score := fit(end, other)) is not None]
    top = max((score for score, _ in scored), default=None)
    return [other for score, other in scored if score == top]


def match_tunnels(template: Template) -> Tunnels:
    """Every tunnel once, as (end, peer end) in template order, and the ends left over."""
    ends = tunnel_ends(template)
    best = {name: _best_fits(end, ends) for name, end in ends.items()}
    order = {name: index for index, name in enumerate(ends)}
    pairs = []
    paired: set[str] = set()
    for name, end in ends.items():
        if len(best[name]) != 1:
            continue
        peer = best[name][0]
        if [other.connection for other in best[peer.connection]] == [name]:
            paired.add(name)
            if order[name] < order[peer.connection]:
                pairs.append((end, peer))
    unpaired = {
        name: [other.connection for other in best[name]]
        for name, end in ends.items()
        if name not in paired and (end.peer_router is not None or best[name])
    }
    return Tunnels(pairs, unpaired, ends)


def tunnel_pairs(template: Template) -> list[tuple[TunnelEnd, TunnelEnd]]:
    """Each tunnel once, as (end, peer end), in template order."""
    return match_tunnels(template).pairs
