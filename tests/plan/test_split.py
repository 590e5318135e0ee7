"""split: the east-west VPN reference case and small hand-made graphs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crossheat.errors import CrossheatError
from crossheat.graph import CycleError
from crossheat.plan.split import (
    Objective,
    Piece,
    SplitProblem,
    SplitResult,
    check_split,
    lower_bound,
    split,
)
from tests.plan.split_cases import east_west_vpn, mesh


def regions_of(result: SplitResult) -> list[str]:
    return [p.region for p in result.pieces]


def test_vpn_fewest_pieces_is_four_in_two_waves_networks_then_both_connections() -> None:
    problem = east_west_vpn()
    result = split(problem)
    assert check_split(problem, result) == []
    assert len(result.pieces) == 4 and result.optimal and result.lower_bound == 4
    assert lower_bound(problem) == 4
    first, second = result.pieces[:2], result.pieces[2:]
    assert [(p.region, p.wave, len(p.nodes)) for p in result.pieces] == [
        ("East", 1, 8), ("West", 1, 8), ("East", 2, 1), ("West", 2, 1),
    ]  # fmt: skip
    assert all(not p.after and not p.together for p in first)
    assert [(p.nodes, p.after, p.together) for p in second] == [
        (("east_to_west",), (0, 1), (3,)),
        (("west_to_east",), (0, 1), (2,)),
    ]


def test_vpn_without_heats_rule_is_three_pieces_that_heat_cannot_deploy() -> None:
    """The old answer: one region whole, its connection created before the peer exists."""
    relaxed = split(east_west_vpn(tunnel_rule=False))
    assert len(relaxed.pieces) == 3 and relaxed.optimal
    assert [p.wave for p in relaxed.pieces] == [1, 2, 3]
    found = check_split(east_west_vpn(), relaxed)
    assert len(found) == 1 and "are not started together" in found[0], found
    assert check_split(east_west_vpn(tunnel_rule=False), relaxed) == []


def test_vpn_fastest_is_four_pieces_each_region_in_two() -> None:
    problem = east_west_vpn()
    result = split(problem, "time")
    assert check_split(problem, result) == []
    assert sorted(regions_of(result)) == ["East", "East", "West", "West"]
    assert result.estimated_time == pytest.approx(13.0)
    assert result.time_lower_bound == pytest.approx(13.0)
    assert result.optimal
    assert result.estimated_time < split(problem).estimated_time
    first, second = result.pieces[:2], result.pieces[2:]
    assert all(not p.after for p in first) and all(p.after == (0, 1) for p in second)
    assert [p.wave for p in result.pieces] == [1, 1, 2, 2]
    assert {"east_to_west", "west_to_east"} <= {n for p in second for n in p.nodes}
    assert {"east_server", "west_server"} <= {n for p in second for n in p.nodes}


@pytest.mark.parametrize("objective", ["pieces", "time"])
def test_three_region_mesh_is_each_network_then_each_regions_connections(
    objective: Objective,
) -> None:
    problem = mesh(("East", "North", "West"))
    result = split(problem, objective)
    assert check_split(problem, result) == []
    assert len(result.pieces) == 6 and result.optimal and result.lower_bound == 6
    assert [(p.region, p.wave) for p in result.pieces] == [
        ("East", 1), ("North", 1), ("West", 1), ("East", 2), ("North", 2), ("West", 2),
    ]  # fmt: skip
    assert all(p.together == tuple(q for q in (3, 4, 5) if q != p.index) for p in result.pieces[3:])
    links = {n for p in result.pieces[3:] for n in p.nodes if "_to_" in n}
    assert len(links) == 6


def test_pairs_one_of_which_needs_the_other_cannot_be_split() -> None:
    problem = SplitProblem({"a": "A", "b": "B"}, [("b", "a")], pairs=[("a", "b")])
    with pytest.raises(CrossheatError, match="a, b must be created together"):
        split(problem)
    with pytest.raises(CrossheatError, match="unknown 'ghost'"):
        split(SplitProblem({"a": "A"}, [], pairs=[("a", "ghost")]))


def test_check_split_refuses_pieces_of_one_wave_that_wait_for_each_other() -> None:
    problem = SplitProblem({"a": "A", "b": "B", "c": "B"}, [("c", "a")], pairs=[("a", "b")])
    waits = SplitResult(
        pieces=(
            Piece(0, "A", ("a",), (), wave=1, together=(1,)),
            Piece(1, "B", ("b", "c"), (0,), wave=1, together=(0,)),
        ),
        objective="pieces", lower_bound=2, optimal=False, method="heuristic",
        estimated_time=0.0, time_lower_bound=None,
    )  # fmt: skip
    assert check_split(problem, waits) == [
        "piece 1 (wave 1) waits for piece 0 of wave 1, not an earlier one"
    ]
    good = split(problem)  # c, which needs a, comes in a second wave
    assert check_split(problem, good) == [] and good.optimal
    assert [(p.nodes, p.wave, p.together) for p in good.pieces] == [
        (("a",), 1, (1,)), (("b",), 1, (0,)), (("c",), 2, ()),
    ]  # fmt: skip
    alone = SplitResult(**{**good.__dict__, "pieces": (
        replace(good.pieces[0], together=()), replace(good.pieces[1], together=()),
        good.pieces[2],
    )})  # fmt: skip
    assert check_split(problem, alone) == [
        "piece 0 is started with [], must be with [1]",
        "piece 1 is started with [], must be with [0]",
    ]


def test_single_region_graph_is_one_piece() -> None:
    problem = SplitProblem({"a": "R", "b": "R"}, [("b", "a")])
    result = split(problem)
    assert result.pieces == (Piece(0, "R", ("a", "b"), ()),)
    assert result.optimal and result.lower_bound == 1


def test_pieces_are_numbered_in_deployment_order_ties_by_region_name() -> None:
    problem = SplitProblem({"w": "West", "e": "East", "x": "West"}, [("x", "e")])
    result = split(problem)
    assert regions_of(result) == ["East", "West"]
    assert result.pieces[1].after == (0,)


def test_alternating_chain_needs_a_piece_per_change() -> None:
    nodes = {f"n{i}": "AB"[i % 2] for i in range(6)}
    edges = [(f"n{i + 1}", f"n{i}") for i in range(5)]
    problem = SplitProblem(nodes, edges)
    assert lower_bound(problem) == 6
    result = split(problem)
    assert len(result.pieces) == 6 and result.optimal


def test_interleaved_chains_beyond_the_exact_limit_state_their_gap() -> None:
    chains = ["ABCABC", "CBACBA", "BCABCA"]
    nodes = {f"{c}{i}": region for c, seq in enumerate(chains) for i, region in enumerate(seq)}
    edges = [(f"{c}{i + 1}", f"{c}{i}") for c in range(3) for i in range(5)]
    problem = SplitProblem(nodes, edges)
    heuristic = split(problem, exact_limit=0)
    exact = split(problem)
    assert check_split(problem, heuristic) == [] and check_split(problem, exact) == []
    assert heuristic.method == "heuristic"
    assert exact.optimal and len(exact.pieces) <= len(heuristic.pieces)
    assert heuristic.lower_bound <= len(exact.pieces)
    assert heuristic.optimal == (len(heuristic.pieces) == heuristic.lower_bound)


def test_exact_search_beats_the_heuristic() -> None:
    # the heuristic's first passes take C before D and pay one more piece; A* finds 5
    nodes = dict(enumerate("ACBDDCCBC"))
    edges = [(3, 2), (4, 0), (5, 2), (7, 5), (8, 2), (8, 3)]
    problem = SplitProblem(
        {str(n): r for n, r in nodes.items()}, [(str(a), str(b)) for a, b in edges]
    )
    best = split(problem)
    assert best.method == "exact" and best.optimal
    assert [p.region for p in best.pieces] == ["A", "B", "D", "C", "B"]
    assert check_split(problem, best) == []


def test_cycle_and_unknown_nodes_are_errors() -> None:
    with pytest.raises(CycleError):
        split(SplitProblem({"a": "R", "b": "S"}, [("a", "b"), ("b", "a")]))
    with pytest.raises(CycleError):
        split(SplitProblem({"a": "R"}, [("a", "a")]))
    with pytest.raises(CrossheatError, match="unknown"):
        split(SplitProblem({"a": "R"}, [("a", "ghost")]))


def test_check_split_names_each_problem() -> None:
    problem = SplitProblem({"a": "R", "b": "S", "c": "R"}, [("b", "a")])
    bad = SplitResult(
        pieces=(
            Piece(0, "S", ("b",), ()),
            Piece(1, "R", ("a", "b"), ()),
        ),
        objective="pieces",
        lower_bound=2,
        optimal=False,
        method="heuristic",
        estimated_time=0.0,
        time_lower_bound=None,
    )
    found = check_split(problem, bad)
    assert "'b' is in pieces 0 and 1" in found
    assert "'c' is in no piece" in found
    good = split(problem)
    reordered = SplitResult(**{**good.__dict__, "pieces": good.pieces[::-1]})
    assert any("later piece" in p or "index" in p for p in check_split(problem, reordered))


def test_empty_problem() -> None:
    result = split(SplitProblem({}, []))
    assert result.pieces == () and result.lower_bound == 0 and result.optimal


def test_bounds_see_what_single_chains_miss() -> None:
    # chains A->B->A and B->C->B: no chain changes region more than twice,
    # but A,B,A plus a C piece need 4, and both chains together need 5
    nodes = {"a1": "A", "a2": "B", "a3": "A", "b1": "B", "b2": "C", "b3": "B"}
    edges = [("a2", "a1"), ("a3", "a2"), ("b2", "b1"), ("b3", "b2")]
    problem = SplitProblem(nodes, edges)
    assert lower_bound(problem) == 5
    result = split(problem)
    assert len(result.pieces) == 5 and result.optimal


def test_fastest_split_runs_a_long_independent_job_in_its_own_piece() -> None:
    # East: quick "a" feeds West "b", which feeds East "d"; East "c" is long and free
    nodes = {"a": "East", "b": "West", "c": "East", "d": "East"}
    problem = SplitProblem(
        nodes, [("b", "a"), ("d", "b")], {"a": 1.0, "b": 1.0, "c": 10.0, "d": 1.0}
    )
    result = split(problem, "time")
    assert result.estimated_time == pytest.approx(10.0) and result.optimal
    assert check_split(problem, result) == []
    assert len(result.pieces) == 4
