"""Benchmark the split: heuristic speed and quality, exact gap, tunnels, graph speed.

    .venv/bin/python -m benchmarks.bench_split      # prints a table, writes results/split.json

Graphs are layered random DAGs over 10 regions (seeded): each node requires
1-3 nodes of the previous few layers and mostly stays in the region of one
of them, so cross-region edges are a minority, as in real templates. The
``tunnels`` rows add one pair of coupled nodes (tunnel ends stock Heat
completes only together) per 50 nodes.
"""

from __future__ import annotations

import random
import time
import timeit
from typing import Any, Literal

from benchmarks.common import report
from crossheat.graph import Graph
from crossheat.plan.split import SplitProblem, SplitResult, split

REGIONS = [f"R{i}" for i in range(10)]
Objective = Literal["pieces", "time"]
OBJECTIVES: tuple[Objective, ...] = ("pieces", "time")
#: (nodes, how many seeds) for the heuristic-vs-exact comparison.
GAP_SIZES = ((50, 5), (100, 3), (200, 2))
COLUMNS = (
    "kind",
    "nodes",
    "edges",
    "seed",
    "objective",
    "pieces",
    "lower_bound",
    "optimal",
    "exact_pieces",
    "gap",
    "est_time",
    "time_lb",
    "seconds",
)


def layered(size: int, seed: int, width: int = 100, stay: float = 0.8) -> SplitProblem:
    """A layered DAG of ``size`` nodes, ``width`` per layer, over 10 regions."""
    rng = random.Random(seed)
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    durations: dict[str, float] = {}
    for i in range(size):
        name = f"n{i}"
        layer_start = (i // width) * width
        pool = range(max(0, layer_start - 3 * width), layer_start)
        reqs = {f"n{rng.choice(pool)}" for _ in range(rng.randint(1, 3))} if pool else set()
        edges.extend((name, r) for r in sorted(reqs))
        inherit = reqs and rng.random() < stay
        nodes[name] = nodes[rng.choice(sorted(reqs))] if inherit else rng.choice(REGIONS)
        durations[name] = rng.choice([0.5, 1.0, 2.0, 3.0, 10.0])
    return SplitProblem(nodes, edges, durations)


def run_split(size: int, seed: int, objective: Objective, exact: bool) -> dict[str, Any]:
    """One split of a seeded layered graph; ``exact`` lets the exact search run."""
    problem = layered(size, seed, width=max(5, size // 100))
    start = time.perf_counter()
    result = split(problem, objective, exact_limit=size if exact else 0, time_budget=5.0)
    took = time.perf_counter() - start
    return _timed_row("heuristic" if not exact else "exact", size, seed, problem, result, took)


def with_tunnels(problem: SplitProblem, seed: int, per: int = 50) -> SplitProblem:
    """``problem`` with one pair (tunnel ends, started together) per ``per`` nodes: two
    nodes nothing needs, in different regions."""
    rng = random.Random(seed)
    needed = {req for _, req in problem.edges}
    ends = sorted(n for n in problem.nodes if n not in needed)
    pairs = []
    for _ in range(len(problem.nodes) // per):
        a, b = rng.sample(ends, 2)
        if problem.nodes[a] != problem.nodes[b]:
            pairs.append((a, b))
    return SplitProblem(problem.nodes, problem.edges, problem.durations, pairs)


def run_tunnels(size: int, seed: int, objective: Objective) -> dict[str, Any]:
    """One split of a layered graph with tunnel pairs (exact search up to 200 nodes)."""
    problem = with_tunnels(layered(size, seed, width=max(5, size // 100)), seed)
    start = time.perf_counter()
    result = split(problem, objective, time_budget=5.0)
    took = time.perf_counter() - start
    return _timed_row(f"tunnels ({len(problem.pairs)} pairs)", size, seed, problem, result, took)


def _timed_row(
    kind: str, size: int, seed: int, problem: SplitProblem, result: SplitResult, took: float
) -> dict[str, Any]:
    """The row of one split: what it found, its bounds and how long it took."""
    return _row(
        kind, size, seed, nodes_edges=len(problem.edges), objective=result.objective,
        pieces=len(result.pieces), lower_bound=result.lower_bound, optimal=result.optimal,
        est_time=result.estimated_time, time_lb=result.time_lower_bound, seconds=round(took, 3),
    )  # fmt: skip


def _row(kind: str, size: int, seed: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(kind=kind, nodes=size, seed=seed)
    row.update({("edges" if k == "nodes_edges" else k): v for k, v in values.items()})
    return row


def exact_gap(size: int, seed: int) -> dict[str, Any]:
    """Heuristic piece count against the exact search's, where that finishes."""
    fast = run_split(size, seed, "pieces", exact=False)
    best = run_split(size, seed, "pieces", exact=True)
    fast.update(
        kind="gap to exact",
        exact_pieces=best["pieces"],
        optimal=best["optimal"],
        gap=fast["pieces"] - best["pieces"],
        seconds=best["seconds"],
    )
    return fast


def graph_speed(size: int = 10_000, edges: int = 30_000) -> dict[str, Any]:
    """Graph.topological_order + critical_path on a random DAG (best of 5)."""
    rng = random.Random(1)
    g: Graph[int] = Graph(range(size))
    for _ in range(edges):
        a, b = rng.randrange(size), rng.randrange(size)
        if a != b:
            g.add_dependency(max(a, b), min(a, b))
    weights = {n: float(n % 7) for n in range(size)}
    took = min(timeit.repeat(lambda: (g.topological_order(), g.critical_path(weights)), number=1))
    return _row("graph sort+critical path", size, 1, nodes_edges=len(g.edges()), seconds=took)


def main() -> None:
    rows = [
        run_split(size, seed, objective, exact=False)
        for size in (1_000, 10_000)
        for seed in (1, 2)
        for objective in OBJECTIVES
    ]
    rows += [exact_gap(size, seed) for size, seeds in GAP_SIZES for seed in range(1, seeds + 1)]
    rows += [
        run_tunnels(size, seed, objective)
        for size in (100, 200, 1_000)
        for seed in (1, 2)
        for objective in OBJECTIVES
    ]
    rows.append(graph_speed())
    report("split", "split: heuristic on large graphs, gap to exact, tunnels, graph speed", rows)


if __name__ == "__main__":
    main()
