"""Which IPsec site connections of a template are the two ends of one tunnel.

A tunnel is two ``OS::Neutron::IPsecSiteConnection``s whose ``peer_address``
reads the other end's router (``get_attr: [router, external_gateway_info,
...]``); the peer is the connection whose VPN service sits on that router.
Used by validate (to check both ends agree) and by the engine (to wait until
both are ACTIVE, and to say what they disagree on when they are not).
"""

from __future__ import annotations

from dataclasses import dataclass

from crossheat.template import Template

CONNECTION = "OS::Neutron::IPsecSiteConnection"


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


def referenced(template: Template, name: str | None, *keys: str) -> str | None:
    """The resource that property ``keys[0]`` (or another of ``keys``) of ``name`` refers to."""
    if name is None or name not in template.resources:
        return None
    for ref in template.resources[name].references():
        prop = ref.path[3] if len(ref.path) > 3 else None
        if prop in keys:
            return ref.resource
    return None


def tunnel_ends(template: Template) -> dict[str, TunnelEnd]:
    ends = {}
    for name, definition in template.resources.items():
        if definition.type != CONNECTION:
            continue
        service = referenced(template, name, "vpnservice_id", "vpnservice")
        ends[name] = TunnelEnd(
            connection=name,
            service=service,
            subnet=referenced(template, service, "subnet", "subnet_id"),
            router=referenced(template, service, "router", "router_id"),
            peer_router=referenced(template, name, "peer_address"),
            ikepolicy=referenced(template, name, "ikepolicy_id", "ikepolicy"),
            ipsecpolicy=referenced(template, name, "ipsecpolicy_id", "ipsecpolicy"),
        )
    return ends


def tunnel_pairs(template: Template) -> list[tuple[TunnelEnd, TunnelEnd]]:
    """Each tunnel once, as (end, peer end), in template order."""
    ends = tunnel_ends(template)
    found: list[tuple[TunnelEnd, TunnelEnd]] = []
    seen: set[frozenset[str]] = set()
    for end in ends.values():
        for other in ends.values():
            if other is end or end.peer_router is None or other.router != end.peer_router:
                continue
            if other.peer_router is not None and other.peer_router != end.router:
                continue  # another tunnel of the peer's router (a mesh): not this one's end
            key = frozenset((end.connection, other.connection))
            if key not in seen:
                seen.add(key)
                found.append((end, other))
    return found
