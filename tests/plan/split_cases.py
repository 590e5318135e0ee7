"""Split problems shared by the split tests: the east-west VPN reference case, and meshes."""

from __future__ import annotations

from typing import Any

from crossheat.plan.split import SplitProblem

DURATION = {
    "net": 1.0,
    "subnet": 1.0,
    "router": 2.0,
    "router_interface": 1.0,
    "vpn": 2.0,
    "ike": 0.5,
    "ipsec": 0.5,
    "server": 10.0,
}

# (resource, requires) inside one region, from usecases/east-west-vpn.yaml
LOCAL_EDGES = [
    ("subnet", "net"),
    ("router_interface", "router"),
    ("router_interface", "subnet"),
    ("vpn", "router_interface"),
    ("vpn", "router"),
    ("vpn", "subnet"),
    ("to_peer", "vpn"),
    ("to_peer", "ike"),
    ("to_peer", "ipsec"),
    ("server", "router_interface"),
    ("server", "net"),
]


def east_west_vpn(tunnel_rule: bool = True) -> SplitProblem:
    """The reference use case: 9 resources per region, the connections cross over.

    With ``tunnel_rule``, the two connections are a pair (stock Heat completes each
    only once the other exists); without, the problem as if Heat did not wait.
    """
    return mesh(("East", "West"), tunnel_rule)


def mesh(regions: tuple[str, ...], tunnel_rule: bool = True) -> SplitProblem:
    """The reference use case in every region of ``regions``, with a tunnel between every
    two: ``east_to_west`` in East needs ``west_router`` and pairs with ``west_to_east``."""
    prefixes = {region.lower(): region for region in regions}
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    durations: dict[str, float] = {}
    pairs: list[tuple[str, str]] = []
    for prefix, region in prefixes.items():
        for kind in DURATION:
            nodes[f"{prefix}_{kind}"] = region
            durations[f"{prefix}_{kind}"] = DURATION[kind]
        edges += [(f"{prefix}_{a}", f"{prefix}_{b}") for a, b in LOCAL_EDGES if a != "to_peer"]
        for peer in prefixes:
            if peer == prefix:
                continue
            link = f"{prefix}_to_{peer}"
            nodes[link], durations[link] = region, 3.0
            edges += [(link, f"{prefix}_{b}") for a, b in LOCAL_EDGES if a == "to_peer"]
            edges.append((link, f"{peer}_router"))
            if tunnel_rule and prefix < peer:
                pairs.append((link, f"{peer}_to_{prefix}"))
    return SplitProblem(nodes, edges, durations, pairs)


def mesh_template(cidrs: dict[str, str]) -> dict[str, Any]:
    """The reference use case without servers, over every region of ``cidrs``, with a
    tunnel between every two (one VPN service per region, one connection per peer)."""
    resources: dict[str, Any] = {}
    for region, cidr in cidrs.items():
        me = region.lower()
        resources |= _site(me, region, cidr)
        for peer, peer_cidr in cidrs.items():
            if peer == region:
                continue
            gateway = {"get_attr": [f"{peer.lower()}_router", "external_gateway_info",
                                    "external_fixed_ips", 0, "ip_address"]}  # fmt: skip
            resources[f"{me}_to_{peer.lower()}"] = {
                "type": "OS::Neutron::IPsecSiteConnection",
                "region": region,
                "properties": {
                    "vpnservice_id": {"get_resource": f"{me}_vpn"},
                    "ikepolicy_id": {"get_resource": f"{me}_ike"},
                    "ipsecpolicy_id": {"get_resource": f"{me}_ipsec"},
                    "peer_address": gateway,
                    "peer_id": gateway,
                    "peer_cidrs": [peer_cidr],
                    "psk": {"get_param": "vpn_psk"},
                },
            }
    return {
        "heat_template_version": "2018-08-31",
        "parameters": {"vpn_psk": {"type": "string", "hidden": True}},
        "resources": resources,
    }


def _site(me: str, region: str, cidr: str) -> dict[str, Any]:
    def res(kind: str, **properties: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f"OS::Neutron::{kind}", "region": region}
        return out | ({"properties": properties} if properties else {})

    return {
        f"{me}_net": res("Net", name=f"{me}-net"),
        f"{me}_subnet": res("Subnet", network={"get_resource": f"{me}_net"}, cidr=cidr),
        f"{me}_router": res("Router", external_gateway_info={"network": "public"}),
        f"{me}_router_interface": res(
            "RouterInterface",
            router={"get_resource": f"{me}_router"},
            subnet={"get_resource": f"{me}_subnet"},
        ),
        f"{me}_vpn": res(
            "VPNService",
            router={"get_resource": f"{me}_router"},
            subnet={"get_resource": f"{me}_subnet"},
        )
        | {"depends_on": f"{me}_router_interface"},
        f"{me}_ike": res("IKEPolicy"),
        f"{me}_ipsec": res("IPsecPolicy"),
    }
