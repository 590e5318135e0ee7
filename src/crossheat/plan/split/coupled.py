"""Splits of problems with coupled nodes (tunnel ends): the fewest pieces, or the fastest.

Fewest pieces: the greedy wave passes, then A* over waves on graphs up to
the exact limit (``wave_search``); an answer not proved optimal is
then shrunk by merging pieces of one region while the split stays valid.

Fastest: the fewest-pieces split, the earliest waves (every node as early as
its cross-region inputs allow, coupled nodes in the latest wave of their
bundle) and the latest waves refilled (as in ``time_heuristic``, coupled nodes
kept where they are), each merged while the time does not grow; the best
by time, then pieces. Deployment time counts a group of coupled pieces as
starting together and a coupled node as ending with its bundle
(``coupled_makespan``). It is proved optimal only when it meets both the
critical path and the piece lower bound (no exact model of the time with
coupled pieces yet).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from crossheat.plan.split.model import piece_lower_bound
from crossheat.plan.split.time_heuristic import Owners, alap_waves, owners_from_waves, refill
from crossheat.plan.split.wave_search import WaveMasks, greedy, pieces_in, search
from crossheat.plan.split.waves import Coupling, coupled_makespan, critical_path, waves


@dataclass(frozen=True)
class Found:
    """A split (node -> piece, piece regions) and what is known of its quality."""

    owners: Owners
    bound: int
    proved: bool
    method: str


def fewest(coupling: Coupling, exact_limit: int, budget: float) -> Found:
    """The fewest pieces with coupled nodes started together."""
    ix = coupling.ix
    masks = WaveMasks(coupling)
    bound = max(piece_lower_bound(ix), coupling.lower_bound())
    found = greedy(masks, bound)
    proved = pieces_in(found) <= bound
    method = "heuristic"
    if not proved and ix.size <= exact_limit:
        outcome = search(masks, found, budget)
        found, proved, method = outcome.waves, outcome.proved, "exact"
        bound = max(bound, outcome.bound)
    owner = [0] * ix.size
    regions: list[int] = []
    for wave in found:
        for region, nodes in wave:
            for node in nodes:
                owner[node] = len(regions)
            regions.append(region)
    owners: Owners = (owner, regions)
    if not proved:
        owners = merge(coupling, owners, budget, keep_time=False)
        proved = len(owners[1]) <= bound
    return Found(owners, bound, proved, method)


def fastest(coupling: Coupling, few: Found, budget: float) -> tuple[Found, float, float]:
    """The fastest split, then the fewest pieces for it; with its time and a time bound."""
    ix = coupling.ix
    early = earliest_waves(coupling)
    late = latest_waves(coupling, early)
    fixed = frozenset(n for n in range(ix.size) if coupling.peers[n])
    candidates = [few.owners, owners_from_waves(ix, early), refill(ix, late, fixed)]
    share = budget / len(candidates)
    merged = [merge(coupling, c, share, keep_time=True) for c in candidates]
    timed = [(t, c) for c in merged if (t := _time(coupling, c)) is not None]
    took, best = min(timed, key=lambda tc: (round(tc[0], 9), len(tc[1][1])))
    floor = critical_path(coupling)
    proved = took <= floor + 1e-9 and len(best[1]) <= few.bound
    return Found(best, few.bound, proved, "heuristic"), took, min(floor, took)


def _time(coupling: Coupling, owners: Owners) -> float | None:
    return coupled_makespan(coupling, owners[0], len(owners[1]))


def earliest_waves(coupling: Coupling) -> list[int]:
    """Every node in the earliest wave its cross-region inputs allow; a bundle in the
    latest of its members' (pieces of one wave never wait for each other)."""
    ix = coupling.ix
    wave = [0] * ix.size
    for run in coupling.runs:
        level = max(
            (wave[r] + (ix.region[r] != ix.region[m]) for m in run for r in ix.requires[m]),
            default=0,
        )
        for node in run:
            wave[node] = level
    return wave


def latest_waves(coupling: Coupling, early: Sequence[int]) -> list[int]:
    """Every node in the latest wave that still feeds what needs it in time; a bundle in
    the earliest of its members'."""
    ix = coupling.ix
    if not coupling.coupled:
        return alap_waves(ix, early)
    last = [0] * len(ix.regions)
    for node in range(ix.size):
        last[ix.region[node]] = max(last[ix.region[node]], early[node])
    wave = [0] * ix.size
    for run in reversed(coupling.runs):
        level = min(
            min(
                (wave[d] - (ix.region[d] != ix.region[m]) for d in ix.dependents[m]),
                default=last[ix.region[m]],
            )
            for m in run
        )
        for node in run:
            wave[node] = min(level, last[ix.region[node]])
    return wave


def merge(coupling: Coupling, owners: Owners, budget: float, keep_time: bool) -> Owners:
    """Merge pieces of one region while the split stays valid (and, with ``keep_time``,
    no slower), within ``budget`` seconds."""
    owner, regions = list(owners[0]), list(owners[1])
    owner, regions = _compact(owner, regions)
    best = _time(coupling, (owner, regions))
    if best is None:
        return owner, regions
    deadline = time.perf_counter() + budget
    progress = True
    while progress and time.perf_counter() < deadline:
        progress = False
        for a, b in _same_region_pairs(regions):
            trial = [a if p == b else p for p in owner]
            compact = _compact(trial, regions)
            took = _time(coupling, compact)
            if took is not None and (not keep_time or took <= best + 1e-9):
                owner, regions = compact
                best = took if keep_time else best
                progress = True
                break
            if time.perf_counter() > deadline:
                break
    return owner, regions


def _same_region_pairs(regions: Sequence[int]) -> list[tuple[int, int]]:
    return [
        (a, b)
        for a in range(len(regions))
        for b in range(a + 1, len(regions))
        if regions[a] == regions[b]
    ]


def _compact(owner: Sequence[int], regions: Sequence[int]) -> Owners:
    ids: dict[int, int] = {}
    new_owner = [ids.setdefault(p, len(ids)) for p in owner]
    return new_owner, [regions[p] for p in ids]


def group_waves(coupling: Coupling, owners: Owners) -> tuple[list[int], list[list[int]]]:
    """Per piece: its wave and the pieces started with it; the split must be valid."""
    found = waves(coupling, owners[0], len(owners[1]))
    assert found is not None, "a split of coupled nodes that Heat could not deploy"
    return found.wave, found.together
