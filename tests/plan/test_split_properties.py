"""split on random region-labelled DAGs, checked against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossheat.plan.split import SplitProblem, check_split, lower_bound, split
from tests.plan.split_brute import (
    fastest,
    fewest_pieces_any_subset,
    fewest_pieces_largest_steps,
)

DURATIONS = [0.0, 0.5, 1.0, 2.0, 3.0, 10.0]


@st.composite
def problems(draw: st.DrawFn, max_nodes: int = 12) -> SplitProblem:
    size = draw(st.integers(1, max_nodes))
    regions = "ABCD"[: draw(st.integers(1, 4))]
    nodes = {str(i): draw(st.sampled_from(regions)) for i in range(size)}
    edges = [
        (str(i), str(j))
        for i in range(size)
        for j in draw(st.sets(st.integers(0, max(i - 1, 0)), max_size=3))
        if j < i
    ]
    durations = {str(i): draw(st.sampled_from(DURATIONS)) for i in range(size)}
    return SplitProblem(nodes, edges, durations)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_fewest_pieces_matches_brute_force(problem: SplitProblem) -> None:
    result = split(problem)
    assert check_split(problem, result) == []
    best = fewest_pieces_largest_steps(problem)
    assert len(result.pieces) == best
    assert lower_bound(problem) <= result.lower_bound <= best
    assert result.optimal
    owner = {n: p.index for p in result.pieces for n in p.nodes}
    assert all(owner[req] <= owner[node] for node, req in problem.edges)


@settings(max_examples=100, deadline=None)
@given(problems(max_nodes=7))
def test_largest_steps_lose_nothing_against_any_subsets(problem: SplitProblem) -> None:
    assert fewest_pieces_any_subset(problem) == len(split(problem).pieces)


@settings(max_examples=100, deadline=None)
@given(problems())
def test_heuristic_alone_is_valid_and_honest(problem: SplitProblem) -> None:
    result = split(problem, exact_limit=0)
    assert check_split(problem, result) == []
    assert result.method == "heuristic"
    assert result.lower_bound <= fewest_pieces_largest_steps(problem) <= len(result.pieces)
    assert result.optimal == (len(result.pieces) == result.lower_bound)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_fastest_split_is_valid_and_no_slower(problem: SplitProblem) -> None:
    fast = split(problem, "time", time_budget=1.0)
    few = split(problem)
    assert check_split(problem, fast) == []
    assert fast.time_lower_bound is not None
    assert fast.time_lower_bound - 1e-9 <= fast.estimated_time <= few.estimated_time + 1e-9
    if fast.estimated_time == pytest.approx(few.estimated_time):
        assert len(fast.pieces) <= len(few.pieces)


@settings(max_examples=80, deadline=None)
@given(problems(max_nodes=6))
def test_fastest_split_matches_brute_force(problem: SplitProblem) -> None:
    result = split(problem, "time")
    best_time, fewest = fastest(problem)
    assert result.optimal
    assert result.estimated_time == pytest.approx(best_time)
    assert len(result.pieces) == fewest


@settings(max_examples=60, deadline=None)
@given(problems(max_nodes=40))
def test_large_heuristic_time_split_is_valid(problem: SplitProblem) -> None:
    result = split(problem, "time", exact_limit=0)
    assert check_split(problem, result) == []
    assert result.method == "heuristic"
