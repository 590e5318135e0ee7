"""Split problems shared by the split tests: the east-west VPN reference case."""

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


def east_west_vpn() -> SplitProblem:
    """The reference use case: 9 resources per region, the connections cross over."""
    names = {"east": "East", "west": "West"}
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    durations: dict[str, float] = {}
    for prefix, region in names.items():
        peer = "west" if prefix == "east" else "east"
        for kind in [*DURATION, "to_peer"]:
            name = f"{prefix}_to_{peer}" if kind == "to_peer" else f"{prefix}_{kind}"
            nodes[name] = region
            durations[name] = DURATION.get(kind, 3.0)
        for node, req in LOCAL_EDGES:
            edges.append((_name(prefix, peer, node), _name(prefix, peer, req)))
        edges.append((f"{prefix}_to_{peer}", f"{peer}_router"))
    return SplitProblem(nodes, edges, durations)


def _name(prefix: str, peer: str, kind: str) -> str:
    return f"{prefix}_to_{peer}" if kind == "to_peer" else f"{prefix}_{kind}"
