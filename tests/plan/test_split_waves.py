"""split with pairs (tunnel ends stock Heat completes only together), against brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossheat.errors import CrossheatError
from crossheat.plan.split import SplitProblem, SplitResult, check_split, lower_bound, split
from crossheat.plan.split.wave_search import WaveMasks, greedy
from crossheat.plan.split.waves import Coupling
from tests.plan.split_brute import coupled_best, coupled_time
from tests.plan.test_split_properties import problems


@st.composite
def coupled_problems(draw: st.DrawFn, max_nodes: int = 8) -> SplitProblem:
    base = draw(problems(max_nodes=max_nodes))
    last = len(base.nodes) - 1
    ends = st.tuples(st.integers(0, last), st.integers(0, last))
    pairs = [(str(a), str(b)) for a, b in draw(st.lists(ends, min_size=1, max_size=3)) if a != b]
    return SplitProblem(base.nodes, base.edges, base.durations, pairs)


def blocks(result: SplitResult) -> list[int]:
    """Node ``"i"`` -> its piece, as the brute force takes it."""
    owner = {int(n): p.index for p in result.pieces for n in p.nodes}
    return [owner[i] for i in range(len(owner))]


@settings(max_examples=150, deadline=None)
@given(coupled_problems())
def test_fewest_pieces_with_pairs_matches_brute_force(problem: SplitProblem) -> None:
    best = coupled_best(problem)
    if best is None:  # a node needs one it must be started with: nothing Heat can deploy
        with pytest.raises(CrossheatError, match="must be created together"):
            split(problem)
        return
    result = split(problem)
    assert check_split(problem, result) == []
    assert coupled_time(problem, blocks(result)) == pytest.approx(result.estimated_time)
    assert len(result.pieces) == best[0]
    assert result.optimal
    assert lower_bound(problem) <= result.lower_bound <= best[0]


@settings(max_examples=100, deadline=None)
@given(coupled_problems())
def test_heuristic_with_pairs_is_valid_and_honest(problem: SplitProblem) -> None:
    best = coupled_best(problem)
    if best is None:
        return
    result = split(problem, exact_limit=0)
    assert check_split(problem, result) == []
    assert result.method == "heuristic"
    assert result.lower_bound <= best[0] <= len(result.pieces)
    assert result.optimal == (len(result.pieces) == result.lower_bound)


@settings(max_examples=80, deadline=None)
@given(coupled_problems(max_nodes=7))
def test_fastest_with_pairs_is_valid_honest_and_no_slower(problem: SplitProblem) -> None:
    best = coupled_best(problem)
    if best is None:
        return
    _, (best_time, pieces_at_best) = best
    result = split(problem, "time", time_budget=0.5)
    assert check_split(problem, result) == []
    assert coupled_time(problem, blocks(result)) == pytest.approx(result.estimated_time)
    assert result.time_lower_bound is not None
    assert result.time_lower_bound - 1e-6 <= best_time <= result.estimated_time + 1e-6
    assert result.estimated_time <= split(problem).estimated_time + 1e-9
    if result.optimal:
        assert result.estimated_time == pytest.approx(best_time)
        assert len(result.pieces) == pieces_at_best


@settings(max_examples=100, deadline=None)
@given(coupled_problems(max_nodes=12))
def test_every_greedy_wave_needs_only_earlier_waves_or_its_own_piece(
    problem: SplitProblem,
) -> None:
    try:
        coupling = Coupling(problem.indexed())
    except CrossheatError:
        return
    masks = WaveMasks(coupling)
    ix = coupling.ix
    done: set[int] = set()
    for wave in greedy(masks):
        pieces = {n: region for region, nodes in wave for n in nodes}
        for node, region in pieces.items():
            for req in ix.requires[node]:
                assert req in done or pieces.get(req) == region, (node, req)
            assert all(peer in pieces for peer in coupling.peers[node])
        done |= pieces.keys()
    assert len(done) == ix.size


def test_a_wave_over_two_regions_does_not_feed_one_from_the_other() -> None:
    """``a`` (A) pairs with ``c`` (B); ``b`` (B) needs ``a``: a wave over A and B takes
    ``a`` and ``c``, not ``b``, which would need ``a`` from another piece of its wave."""
    problem = SplitProblem({"a": "A", "b": "B", "c": "B"}, [("b", "a")], pairs=[("a", "c")])
    masks = WaveMasks(Coupling(problem.indexed()))
    takes = masks.take(bytearray(3), (0, 1))
    assert {r: sorted(masks.ix.names[n] for n in nodes) for r, nodes in takes.items()} == {
        0: ["a"], 1: ["c"],
    }  # fmt: skip
