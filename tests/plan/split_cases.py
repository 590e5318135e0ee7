"""Split problems shared by the split tests: the east-west VPN reference case, and meshes."""

from __future__ import annotations

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
