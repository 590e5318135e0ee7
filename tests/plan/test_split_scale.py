"""split on large layered graphs: fast, valid, honest about its gap."""

from __future__ import annotations

import random
import time

from crossheat.plan.split import SplitProblem, check_split, split


def layered(size: int, regions: int, seed: int) -> SplitProblem:
    rng = random.Random(seed)
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    width = size // 100
    for i in range(size):
        low = max(0, (i // width - 3) * width)
        reqs = {rng.randrange(low, i) for _ in range(rng.randint(1, 3))} if i >= width else set()
        edges += [(f"n{i}", f"n{r}") for r in sorted(reqs)]
        local = reqs and rng.random() < 0.8
        nodes[f"n{i}"] = nodes[f"n{min(reqs)}"] if local else f"R{rng.randrange(regions)}"
    return SplitProblem(nodes, edges, {n: 1.0 + len(n) % 3 for n in nodes})


def test_ten_thousand_nodes_over_ten_regions_split_fast() -> None:
    problem = layered(10_000, 10, seed=3)
    start = time.perf_counter()
    result = split(problem)
    elapsed = time.perf_counter() - start
    assert check_split(problem, result) == []
    assert result.method == "heuristic"
    assert result.lower_bound <= len(result.pieces)
    assert result.optimal == (len(result.pieces) == result.lower_bound)
    assert elapsed < 5.0  # ~0.3 s on an idle core; generous for a loaded CI machine


def test_large_time_split_is_valid_and_no_slower_than_fewest_pieces() -> None:
    problem = layered(2_000, 10, seed=4)
    fast = split(problem, "time", time_budget=1.0)
    few = split(problem, time_budget=1.0)
    assert check_split(problem, fast) == []
    assert fast.time_lower_bound is not None
    assert fast.time_lower_bound <= fast.estimated_time <= few.estimated_time


def test_same_problem_same_split() -> None:
    problem = layered(1_000, 10, seed=5)
    assert split(problem, exact_limit=0) == split(problem, exact_limit=0)
