"""Split a region-labelled dependency graph into single-region pieces.

A multi-region template becomes single-region templates ("pieces"): every
resource in exactly one piece, each piece in one region, and the pieces'
graph (A before B when something in B requires something in A) acyclic.

    problem = SplitProblem(
        nodes={"east_router": "East", "west_router": "West", "east_vpn": "East"},
        edges=[("east_vpn", "west_router")],
    )
    result = split(problem)               # fewest pieces
    result.pieces[0].region, result.optimal, result.lower_bound

Objectives:

- ``pieces``: the fewest pieces. NP-hard in general, so graphs of up to
  ``exact_limit`` nodes get an exact A* search within ``time_budget``
  seconds, larger ones a fast heuristic; ``lower_bound`` always says how far
  from optimal the answer can be.
- ``time``: the shortest estimated deployment (a piece starts when the pieces
  it waits for have finished and lasts the critical path of its nodes'
  ``durations``), then the fewest pieces for that time. Heuristic splits
  first; graphs up to ``TIME_EXACT_NODES`` (and ``exact_limit``) nodes are
  then solved exactly with CP-SAT within ``time_budget``.

Pieces are numbered in deployment order (by wave, ties by region name), so
piece ``i`` can be written as ``f"{i + 1:02d}-{region}.yaml"``.

Stock Heat's rule: ``pairs`` are nodes (the two ends of an IPsec tunnel) that
Heat only completes together, so their pieces must be started at the same
time (in one wave, ``Piece.together``) and may not wait for each other. With
pairs, both objectives search over waves (``coupled``); without, the
search over single-region steps below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from crossheat.plan.split.check import problems_with
from crossheat.plan.split.coupled import Found, fastest, fewest, group_waves
from crossheat.plan.split.greedy import Step, heuristic
from crossheat.plan.split.model import Indexed, index_problem, piece_lower_bound
from crossheat.plan.split.pieces import Piece, makespan, number_pieces, piece_edges, piece_order
from crossheat.plan.split.search import exact
from crossheat.plan.split.time_exact import solve_time
from crossheat.plan.split.time_heuristic import Owners, time_candidates
from crossheat.plan.split.waves import Coupling, coupled_makespan

__all__ = ["Piece", "SplitProblem", "SplitResult", "check_split", "lower_bound", "split"]

Objective = Literal["pieces", "time"]

#: The exact time model has nodes x nodes slots; above this many nodes it is not tried.
TIME_EXACT_NODES = 40


@dataclass(frozen=True)
class SplitProblem:
    """``nodes``: node -> region; ``edges``: ``(node, requires)``; ``durations``: node -> s;
    ``pairs``: nodes whose pieces must be started together (tunnel ends)."""

    nodes: Mapping[str, str]
    edges: Sequence[tuple[str, str]]
    durations: Mapping[str, float] = field(default_factory=dict)
    pairs: Sequence[tuple[str, str]] = ()

    def indexed(self) -> Indexed:
        return index_problem(self.nodes, self.edges, self.durations, self.pairs)


@dataclass(frozen=True)
class SplitResult:
    """The pieces in deployment order and how good they are.

    ``lower_bound`` bounds the piece count; ``time_lower_bound`` (objective
    ``time`` only) bounds the time: the critical path of the whole graph, or
    what CP-SAT proved. ``optimal`` is True only when the answer is proved
    best for the objective (for ``time``: best time, and fewest pieces for it).
    """

    pieces: tuple[Piece, ...]
    objective: str
    lower_bound: int
    optimal: bool
    method: str
    estimated_time: float
    time_lower_bound: float | None


def lower_bound(problem: SplitProblem) -> int:
    """Pieces that any valid split of ``problem`` needs at least."""
    ix = problem.indexed()
    return max(piece_lower_bound(ix), Coupling(ix).lower_bound())


def split(
    problem: SplitProblem,
    objective: Objective = "pieces",
    *,
    exact_limit: int = 200,
    time_budget: float = 2.0,
) -> SplitResult:
    """Split ``problem``; graphs above ``exact_limit`` nodes use the heuristic only.

    ``time_budget`` is the limit, in seconds, of each exact search (A* for
    pieces, then CP-SAT for time), so ``time`` may take about twice that.
    Raises ``CycleError`` on a dependency cycle, ``CrossheatError`` on an
    edge or pair naming an unknown node, or on a pair one of whose nodes needs
    the other (no split can start them together).
    """
    ix = problem.indexed()
    coupling = Coupling(ix)
    if coupling.coupled:
        few = fewest(coupling, exact_limit, time_budget)
        if objective == "pieces":
            return _coupled_result(coupling, few, objective, None)
        fast, _, floor = fastest(coupling, few, time_budget)
        return _coupled_result(coupling, fast, objective, floor)
    bound = piece_lower_bound(ix)
    small = ix.size <= exact_limit
    steps = heuristic(ix, bound, restarts=not small)
    proved = len(steps) <= bound
    method = "heuristic"
    if not proved and small:
        outcome = exact(ix, steps, time_budget)
        steps, proved, method = outcome.steps, outcome.proved, "exact"
        bound = max(bound, outcome.bound)
        if not proved:
            steps = min(steps, heuristic(ix, bound), key=len)
    owners = _owners(ix, steps)
    if objective == "pieces":
        return _result(ix, owners, objective, bound, proved, method)
    return _fastest(ix, owners, bound, exact_limit, time_budget)


def _owners(ix: Indexed, steps: Sequence[Step]) -> Owners:
    owner = [0] * ix.size
    for piece, (_, nodes) in enumerate(steps):
        for node in nodes:
            owner[node] = piece
    return owner, [region for region, _ in steps]


def _fastest(ix: Indexed, fewest: Owners, bound: int, limit: int, budget: float) -> SplitResult:
    """Best of the heuristic candidates, then CP-SAT on small graphs."""
    method = "heuristic"
    candidates = [fewest, *time_candidates(ix, budget / 4)]
    best = min(candidates, key=lambda c: _time_key(ix, c))
    floor = _critical_path(ix)
    proved = _time_key(ix, best) <= (round(floor, 9), bound)
    if not proved and ix.size <= min(limit, TIME_EXACT_NODES):
        order = piece_order(piece_edges(ix, best[0], len(best[1])))
        outcome = solve_time(ix, best[0], order, budget)
        if outcome is not None:
            found = (outcome.owner, outcome.regions)
            if _time_key(ix, found) < _time_key(ix, best):
                best = found
            if _time_key(ix, found) <= _time_key(ix, best):
                proved, method = outcome.proved, "exact"
            floor = max(floor, outcome.time_bound)
    result = _result(ix, best, "time", bound, proved, method)
    return replace(result, time_lower_bound=min(floor, result.estimated_time))


def _time_key(ix: Indexed, owners: Owners) -> tuple[float, int]:
    """Sort key of a time-objective candidate: time first, then piece count."""
    return round(makespan(ix, owners[0], len(owners[1])), 9), len(owners[1])


def _result(
    ix: Indexed, owners: Owners, objective: str, bound: int, proved: bool, method: str
) -> SplitResult:
    owner, regions = owners
    members: list[list[int]] = [[] for _ in regions]
    for node in range(ix.size):
        members[owner[node]].append(node)
    groups = [(regions[p], members[p]) for p in range(len(regions)) if members[p]]
    return SplitResult(
        pieces=number_pieces(ix, groups),
        objective=objective,
        lower_bound=bound,
        optimal=proved,
        method=method,
        estimated_time=makespan(ix, owner, len(regions)),
        time_lower_bound=None,
    )


def _coupled_result(
    coupling: Coupling, found: Found, objective: str, floor: float | None
) -> SplitResult:
    ix = coupling.ix
    owner, regions = found.owners
    members: list[list[int]] = [[] for _ in regions]
    for node in range(ix.size):
        members[owner[node]].append(node)
    groups = [(regions[p], members[p]) for p in range(len(regions))]
    took = coupled_makespan(coupling, owner, len(regions))
    assert took is not None
    return SplitResult(
        pieces=number_pieces(ix, groups, group_waves(coupling, found.owners)),
        objective=objective,
        lower_bound=found.bound,
        optimal=found.proved,
        method=found.method,
        estimated_time=took,
        time_lower_bound=floor,
    )


def _critical_path(ix: Indexed) -> float:
    finish = [0.0] * ix.size
    for node in range(ix.size):
        finish[node] = max((finish[r] for r in ix.requires[node]), default=0.0)
        finish[node] += ix.duration[node]
    return max(finish, default=0.0)


def check_split(problem: SplitProblem, result: SplitResult) -> list[str]:
    """Every way ``result`` is not a valid split of ``problem``; empty when valid
    (including: stock Heat could deploy it, wave by wave)."""
    return problems_with(problem.nodes, problem.edges, result.pieces, problem.pairs)
