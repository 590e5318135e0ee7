"""Brute-force optima for tiny split problems, written independently of split.

Nodes are ``"0".."n-1"``; ``(node, requires)`` edges always go from a higher
number to a lower one, so the graph is acyclic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

from crossheat.plan.split import SplitProblem


def _masks(problem: SplitProblem) -> tuple[list[str], list[int], dict[str, int]]:
    names = sorted(problem.nodes, key=int)
    requires = [0] * len(names)
    for node, req in problem.edges:
        requires[int(node)] |= 1 << int(req)
    regions: dict[str, int] = {}
    for name in names:
        regions[problem.nodes[name]] = regions.get(problem.nodes[name], 0) | 1 << int(name)
    return names, requires, regions


def fewest_pieces_any_subset(problem: SplitProblem) -> int:
    """BFS where a step takes ANY non-empty closed set of one region's nodes."""
    names, requires, regions = _masks(problem)
    full = (1 << len(names)) - 1
    level, seen, steps = {0}, {0}, 0
    while full not in level:
        nxt: set[int] = set()
        for done in level:
            for mask in regions.values():
                free = mask & ~done
                sub = free
                while sub:
                    have = done | sub
                    bits = [n for n in range(len(names)) if sub >> n & 1]
                    if all(not requires[n] & ~have for n in bits) and have not in seen:
                        seen.add(have)
                        nxt.add(have)
                    sub = (sub - 1) & free
        level, steps = nxt, steps + 1
    return steps


def fewest_pieces_largest_steps(problem: SplitProblem) -> int:
    """BFS where a step takes everything of one region it can (fine up to ~14 nodes)."""
    names, requires, regions = _masks(problem)
    full = (1 << len(names)) - 1
    level, seen, steps = {0}, {0}, 0
    while full not in level:
        nxt: set[int] = set()
        for done in level:
            for mask in regions.values():
                have = done
                for n in range(len(names)):
                    if mask >> n & 1 and not requires[n] & ~have:
                        have |= 1 << n
                if have not in seen:
                    seen.add(have)
                    nxt.add(have)
        level, steps = nxt, steps + 1
    return steps


def partition_time(problem: SplitProblem, block: Sequence[int]) -> float | None:
    """Deployment time of the split ``block[i]`` (piece of node i); None if invalid."""
    count = max(block) + 1
    dur = [problem.durations.get(str(i), 0.0) for i in range(len(block))]
    waits: list[set[int]] = [set() for _ in range(count)]
    inner: dict[int, list[int]] = {i: [] for i in range(len(block))}
    for node, req in problem.edges:
        a, b = int(node), int(req)
        if block[a] == block[b]:
            inner[a].append(b)
        else:
            waits[block[a]].add(block[b])
    finish: dict[int, float] = {}
    for i in range(len(block)):  # edges go down in number: this is a topological order
        finish[i] = max((finish[r] for r in inner[i]), default=0.0) + dur[i]
    span = [
        max((finish[i] for i in range(len(block)) if block[i] == p), default=0.0)
        for p in range(count)
    ]
    end: dict[int, float] = {}
    for _ in range(count):
        for p in range(count):
            if p not in end and waits[p] <= end.keys():
                end[p] = max((end[w] for w in waits[p]), default=0.0) + span[p]
    return max(end.values()) if len(end) == count else None


def fastest(problem: SplitProblem) -> tuple[float, int]:
    """(best time, fewest pieces at that time) over every single-region partition."""
    best: tuple[float, int] | None = None
    for block in _partitions(problem.nodes):
        took = partition_time(problem, block)
        if took is not None:
            key = (round(took, 6), max(block) + 1)
            best = key if best is None or key < best else best
    assert best is not None
    return best


def _partitions(nodes: Mapping[str, str]) -> list[list[int]]:
    """Every partition into single-region blocks, as node -> block number."""
    by_region: dict[str, list[int]] = {}
    for name, region in nodes.items():
        by_region.setdefault(region, []).append(int(name))
    per_region = [_set_partitions(members) for members in by_region.values()]
    out = []
    for combo in product(*per_region):
        block = [0] * len(nodes)
        offset = 0
        for groups in combo:
            for g, members in enumerate(groups):
                for n in members:
                    block[n] = offset + g
            offset += len(groups)
        out.append(block)
    return out


def _set_partitions(items: list[int]) -> list[list[list[int]]]:
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for part in _set_partitions(rest):
        out.append([[first], *part])
        for i in range(len(part)):
            out.append([*part[:i], [first, *part[i]], *part[i + 1 :]])
    return out


def coupled_time(problem: SplitProblem, block: Sequence[int]) -> float | None:
    """Deployment time of ``block`` when stock Heat must start the pieces of each pair
    together (a group) and a paired node ends with its peer; None if Heat cannot do it."""
    count = max(block) + 1
    group = list(range(count))
    for a, b in problem.pairs:
        old, new = group[block[int(b)]], group[block[int(a)]]
        group = [new if g == old else g for g in group]
    waits: dict[int, set[int]] = {g: set() for g in group}
    inner: dict[int, list[int]] = {i: [] for i in range(len(block))}
    for node, req in problem.edges:
        a, b = int(node), int(req)
        if block[a] == block[b]:
            inner[a].append(b)
        else:
            waits[group[block[a]]].add(block[b])
    finish = _coupled_finish(problem, block, inner)
    span = [max((finish[i] for i in finish if block[i] == p), default=0.0) for p in range(count)]
    end: dict[int, float] = {}
    started: set[int] = set()
    for _ in range(count):
        for g, reqs in waits.items():
            if g not in started and reqs <= end.keys():
                started.add(g)
                begin = max((end[w] for w in reqs), default=0.0)
                end.update({p: begin + span[p] for p in range(count) if group[p] == g})
    return max(end.values()) if len(end) == count else None


def _coupled_finish(
    problem: SplitProblem, block: Sequence[int], inner: dict[int, list[int]]
) -> dict[int, float]:
    """Finish of each node from its group's start: in-piece requirements, peers together."""
    size = len(block)
    dur = [problem.durations.get(str(i), 0.0) for i in range(size)]
    bundle = list(range(size))
    for a, b in problem.pairs:
        old, new = bundle[int(b)], bundle[int(a)]
        bundle = [new if g == old else g for g in bundle]
    finish = dict.fromkeys(range(size), 0.0)
    for _ in range(size + 1):  # a fixed point: the graph with pairs merged is acyclic
        own = [max((finish[r] for r in inner[i]), default=0.0) + dur[i] for i in range(size)]
        for i in range(size):
            finish[i] = max(own[j] for j in range(size) if bundle[j] == bundle[i])
    return finish


def coupled_best(problem: SplitProblem) -> tuple[int, tuple[float, int]] | None:
    """(fewest pieces, (best time, fewest pieces at it)) over every partition stock Heat
    can deploy; None when there is none."""
    if not pairs_feasible(problem):
        return None
    fewest: int | None = None
    best: tuple[float, int] | None = None
    for block in _partitions(problem.nodes):
        took = coupled_time(problem, block)
        if took is None:
            continue
        count = max(block) + 1
        fewest = count if fewest is None else min(fewest, count)
        key = (round(took, 6), count)
        best = key if best is None or key < best else best
    return None if fewest is None or best is None else (fewest, best)


def pairs_feasible(problem: SplitProblem) -> bool:
    """Whether no node needs, directly or not, a node it must be started with."""
    bundle = {n: n for n in problem.nodes}
    for a, b in problem.pairs:
        old, new = bundle[b], bundle[a]
        bundle = {n: new if g == old else g for n, g in bundle.items()}
    needs: dict[str, set[str]] = {g: set() for g in bundle.values()}
    for node, req in problem.edges:
        needs[bundle[node]].add(bundle[req])
    state: dict[str, int] = {}

    def cyclic(g: str) -> bool:
        state[g] = 1
        for r in needs[g]:
            if state.get(r) == 1 or (r not in state and cyclic(r)):
                return True
        state[g] = 2
        return False

    return not any(cyclic(g) for g in needs if g not in state)
