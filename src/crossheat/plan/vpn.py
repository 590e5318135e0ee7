"""Tunnel checks no other tool can make: crossheat sees both ends of every IPsec tunnel.

A tunnel in a template is two ``OS::Neutron::IPsecSiteConnection``s, each
whose ``peer_address`` reads the other end's router (``get_attr: [router,
external_gateway_info, ...]``); ``crossheat.resources.tunnels`` says exactly
which two connections are a tunnel, also when a router carries several (a
full mesh, a hub and spoke). For each tunnel crossheat checks:

- the subnets behind the two VPN services do not overlap;
- each end's ``peer_cidrs`` are exactly the CIDRs behind the other end;
- both ends use the same pre-shared key (compared, never printed);
- their IKE and IPsec policies agree on what both sides must negotiate.

A connection aimed at a router of the template that is in no tunnel (no
connection there is aimed back, or several fit equally) gets a warning: its
tunnel would stay DOWN, and crossheat does not wait for it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from crossheat.errors import Diagnostic, Severity
from crossheat.plan.analysis import Analysis
from crossheat.resources.tunnels import TunnelEnd as End
from crossheat.resources.tunnels import Tunnels, match_tunnels
from crossheat.template.values import contains_unknown

#: Policy properties both ends must agree on, with Heat's defaults.
IKE_MUST_MATCH = {
    "auth_algorithm": "sha1",
    "encryption_algorithm": "aes-128",
    "ike_version": "v1",
    "pfs": "group5",
    "phase1_negotiation_mode": "main",
}
IPSEC_MUST_MATCH = {
    "auth_algorithm": "sha1",
    "encryption_algorithm": "aes-128",
    "pfs": "group5",
    "transform_protocol": "esp",
    "encapsulation_mode": "tunnel",
}


def _cidr(
    analysis: Analysis, subnet: str | None
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if subnet is None:
        return None
    value = analysis.properties.get(subnet, {}).get("cidr")
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None  # the schema pass reports a malformed CIDR


def check_tunnels(analysis: Analysis) -> None:
    assert analysis.template is not None
    tunnels = match_tunnels(analysis.template)
    _report_unpaired(analysis, tunnels)
    for a, b in tunnels.pairs:
        _check_overlap(analysis, a, b)
        _check_peer_cidrs(analysis, a, b)
        _check_peer_cidrs(analysis, b, a)
        _check_psk(analysis, a, b)
        _check_policies(analysis, a, b, "ikepolicy_id", "IKE", IKE_MUST_MATCH)
        _check_policies(analysis, a, b, "ipsecpolicy_id", "IPsec", IPSEC_MUST_MATCH)


def _report_unpaired(analysis: Analysis, tunnels: Tunnels) -> None:
    partner = {a.connection: b.connection for a, b in tunnels.pairs}
    partner |= {b: a for a, b in partner.items()}
    for name, fits in tunnels.unpaired.items():
        end = tunnels.ends[name]
        if not fits and end.router is not None:
            message = (
                f"{name}.peer_address reads {end.peer_router}, but no IPsec site connection on "
                f"{end.peer_router} is aimed back at {end.router}; the tunnel would stay DOWN"
            )
            hint = f"add a connection on {end.peer_router} whose peer_address reads {end.router}"
        elif len(fits) == 1 and fits[0] in partner:
            message = (
                f"{name} is in no tunnel: {fits[0]}, the connection that could be its other "
                f"end, is the other end of {partner[fits[0]]}; the tunnel would stay DOWN"
            )
            hint = f"remove {name}, or add a connection of its own aimed back at it"
        elif fits:
            message = (
                f"{name} is in no tunnel: crossheat cannot tell which connections pair up among "
                f"{name} and {', '.join(fits)} (they fit each other equally well), so it "
                "neither checks nor waits for them"
            )
            hint = (
                "make each connection's peer_address read the other end's router and its "
                "peer_cidrs name the other end's subnet"
            )
        else:
            continue
        path = ("resources", name, "properties", "peer_address")
        analysis.report(
            Diagnostic(message, path, hint=hint, severity=Severity.WARNING, code="vpn-no-peer")
        )


def _check_overlap(analysis: Analysis, a: End, b: End) -> None:
    net_a, net_b = _cidr(analysis, a.subnet), _cidr(analysis, b.subnet)
    if net_a is None or net_b is None or net_a.version != net_b.version:
        return
    if not net_a.overlaps(net_b):
        return
    assert a.subnet is not None and b.subnet is not None
    analysis.error(
        f"subnets {a.subnet} ({net_a}, region {analysis.regions[a.subnet]}) and "
        f"{b.subnet} ({net_b}, region {analysis.regions[b.subnet]}) overlap, but the "
        f"IPsec connections {a.connection} and {b.connection} join them",
        ("resources", b.subnet, "properties", "cidr"),
        f"give {a.subnet} and {b.subnet} CIDRs that do not overlap",
        code="vpn-overlap",
    )


def _check_peer_cidrs(analysis: Analysis, end: End, peer: End) -> None:
    behind_peer = _cidr(analysis, peer.subnet)
    given = analysis.properties.get(end.connection, {}).get("peer_cidrs")
    if behind_peer is None or not isinstance(given, list) or contains_unknown(given):
        return
    try:
        nets = {ipaddress.ip_network(str(c), strict=False) for c in given}
    except ValueError:
        return  # reported by the schema pass
    if nets == {behind_peer}:
        return
    shown = ", ".join(str(n) for n in sorted(nets, key=str)) or "nothing"
    analysis.error(
        f"{end.connection}.peer_cidrs is {shown}, but the subnet behind the peer "
        f"{peer.connection} ({peer.subnet}) is {behind_peer}; the tunnel would stay DOWN",
        ("resources", end.connection, "properties", "peer_cidrs"),
        f"set peer_cidrs to [{behind_peer}]",
        code="vpn-peer-cidrs",
    )


def _check_psk(analysis: Analysis, a: End, b: End) -> None:
    psk_a = analysis.properties.get(a.connection, {}).get("psk")
    psk_b = analysis.properties.get(b.connection, {}).get("psk")
    if not isinstance(psk_a, str) or not isinstance(psk_b, str) or psk_a == psk_b:
        return
    analysis.error(
        f"{a.connection} and {b.connection} are two ends of one tunnel but use different "
        "pre-shared keys; the tunnel would stay DOWN",
        ("resources", b.connection, "properties", "psk"),
        "give both connections the same psk (e.g. one hidden parameter)",
        code="vpn-psk",
    )


def _policy(analysis: Analysis, end: End, prop: str, must_match: dict[str, str]) -> dict[str, Any]:
    name = end.ikepolicy if prop == "ikepolicy_id" else end.ipsecpolicy
    values = analysis.properties.get(name, {}) if name else {}
    return {key: values.get(key) or default for key, default in must_match.items()}


def _check_policies(
    analysis: Analysis, a: End, b: End, prop: str, label: str, must_match: dict[str, str]
) -> None:
    pa, pb = _policy(analysis, a, prop, must_match), _policy(analysis, b, prop, must_match)
    differ = [
        f"{key} {pa[key]} vs {pb[key]}"
        for key in must_match
        if pa[key] != pb[key] and not contains_unknown([pa[key], pb[key]])
    ]
    if not differ:
        return
    analysis.error(
        f"{label} policies of {a.connection} and {b.connection} disagree: {'; '.join(differ)}",
        ("resources", b.connection, "properties", prop),
        f"use the same {label} algorithms, version and PFS group on both ends",
        code="vpn-policy",
    )
