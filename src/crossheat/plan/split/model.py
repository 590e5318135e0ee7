"""The split problem indexed for speed, and its lower bounds.

Nodes are numbered ``0..n-1`` in a topological order (requirements first),
regions ``0..r-1`` by name. Everything here is pure and cloud-free.

Lower bounds on the number of pieces (any valid split needs at least):

- one piece per region;
- ``1 +`` the region changes along any dependency chain (chain bound);
- for a pair of regions {a, b}: the changes along any chain with the other
  regions erased, plus one piece for each other region (pair bound);
- for two chains: the shortest common supersequence of their region
  sequences, plus one piece per region on neither (two-chain bound, over a
  few of the longest chains).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from crossheat.errors import CrossheatError
from crossheat.graph import Graph

#: Skip pair bounds when ``pairs x edges`` exceeds this (they are O(pairs x edges)).
PAIR_BOUND_WORK = 400_000
#: Two-chain bounds compare at most this many chains, and spend at most
#: ``CHAIN_PAIR_WORK`` steps of dynamic programming in all.
CHAIN_COUNT = 20
CHAIN_PAIR_WORK = 300_000


@dataclass(frozen=True)
class Indexed:
    """A split problem with integer ids; ``requires``/``dependents`` are per node."""

    names: tuple[str, ...]
    regions: tuple[str, ...]
    region: tuple[int, ...]
    requires: tuple[tuple[int, ...], ...]
    dependents: tuple[tuple[int, ...], ...]
    duration: tuple[float, ...]
    #: Nodes that must be in pieces started together (the two ends of a tunnel).
    pairs: tuple[tuple[int, int], ...] = ()

    @property
    def size(self) -> int:
        return len(self.names)


def index_problem(
    nodes: Mapping[str, str],
    edges: Sequence[tuple[str, str]],
    durations: Mapping[str, float],
    pairs: Sequence[tuple[str, str]] = (),
) -> Indexed:
    """Number the nodes topologically; raise on unknown nodes or a cycle."""
    graph: Graph[str] = Graph(nodes)
    for kind, items in (("edge", edges), ("pair", pairs)):
        for a, b in items:
            unknown = [n for n in (a, b) if n not in nodes]
            if unknown:
                raise CrossheatError(f"split: {kind} ({a!r}, {b!r}) names unknown {unknown[0]!r}")
    for node, req in edges:
        graph.add_dependency(node, req)
    names = tuple(graph.topological_order())
    ids = {name: i for i, name in enumerate(names)}
    regions = tuple(sorted(set(nodes.values())))
    region_id = {r: i for i, r in enumerate(regions)}
    return Indexed(
        names=names,
        regions=regions,
        region=tuple(region_id[nodes[n]] for n in names),
        requires=tuple(tuple(ids[r] for r in graph.requirements(n)) for n in names),
        dependents=tuple(tuple(ids[d] for d in graph.dependents(n)) for n in names),
        duration=tuple(float(durations.get(n, 0.0)) for n in names),
        pairs=tuple(sorted({_ordered(ids[a], ids[b]) for a, b in pairs if a != b})),
    )


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def chain_heights(ix: Indexed) -> list[int]:
    """Per node: pieces needed by the longest chain starting at it (1 + region changes)."""
    height = [1] * ix.size
    region = ix.region
    for node in range(ix.size - 1, -1, -1):
        best = 1
        own = region[node]
        for dep in ix.dependents[node]:
            value = height[dep] + (region[dep] != own)
            if value > best:
                best = value
        height[node] = best
    return height


def pair_heights(ix: Indexed, a: int, b: int) -> list[int]:
    """Per node: chain bound from it when only regions ``a`` and ``b`` are kept."""
    # at[n] / bt[n]: best segment count of chains from n whose kept part starts with a / b
    at = [0] * ix.size
    bt = [0] * ix.size
    for node in range(ix.size - 1, -1, -1):
        best_a = max((at[d] for d in ix.dependents[node]), default=0)
        best_b = max((bt[d] for d in ix.dependents[node]), default=0)
        own = ix.region[node]
        if own == a:
            at[node], bt[node] = max(1, best_a, best_b + 1), 0
        elif own == b:
            at[node], bt[node] = 0, max(1, best_b, best_a + 1)
        else:
            at[node], bt[node] = best_a, best_b
    return [max(x, y) for x, y in zip(at, bt, strict=True)]


def piece_lower_bound(ix: Indexed) -> int:
    """The best of the region, chain and (when affordable) pair bounds."""
    if ix.size == 0:
        return 0
    count = len(ix.regions)
    bound = max(count, max(chain_heights(ix)))
    edges = sum(len(r) for r in ix.requires)
    pairs = list(combinations(range(count), 2))
    if len(pairs) * max(edges, ix.size) <= PAIR_BOUND_WORK:
        for a, b in pairs:
            bound = max(bound, max(pair_heights(ix, a, b)) + count - 2)
    return max(bound, two_chain_bound(ix))


def longest_chains(ix: Indexed, heights: Sequence[int], limit: int) -> list[tuple[int, ...]]:
    """Region sequences of up to ``limit`` distinct chains, from the highest start nodes.

    Each chain follows, from its start, the dependent with the longest chain.
    """
    found: dict[tuple[int, ...], None] = {}
    starts = sorted(range(ix.size), key=lambda n: -heights[n])[: 10 * limit]
    for node in starts:
        seq = [ix.region[node]]
        while ix.dependents[node]:
            own = ix.region[node]
            node = max(ix.dependents[node], key=lambda d: heights[d] + (ix.region[d] != own))
            if ix.region[node] != seq[-1]:
                seq.append(ix.region[node])
        found[tuple(seq)] = None
        if len(found) >= limit:
            break
    return list(found)


def two_chain_bound(ix: Indexed) -> int:
    """Max over pairs of long chains of their shortest common supersequence (+ other regions)."""
    heights = chain_heights(ix)
    top = max(heights, default=0)
    limit = min(CHAIN_COUNT, max(2, int(CHAIN_PAIR_WORK**0.5) // max(top, 1)))
    chains = longest_chains(ix, heights, limit)
    count = len(ix.regions)
    return max(
        (supersequence(a, b) + count - len(set(a) | set(b)) for a, b in combinations(chains, 2)),
        default=0,
    )


def supersequence(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the shortest common supersequence: ``len(a) + len(b) - LCS``."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            current[j] = previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1])
        previous = current
    return len(a) + len(b) - previous[-1]
