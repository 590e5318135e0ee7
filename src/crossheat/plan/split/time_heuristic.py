"""Splits for the ``time`` objective: the shortest deployment, then the fewest pieces.

A piece starts once every piece it waits for has finished and lasts the
critical path of its own nodes. Candidates, as waves per node (a piece is a
region's nodes of one wave; a wave only grows across regions):

1. ASAP: every node in the earliest wave its cross-region inputs allow;
2. deferred: every node in the latest wave that still feeds other regions
   in time, then refilled: a node moves back into an earlier piece of its
   region when it fits in that piece's duration without delaying any piece;

then same-region pieces are merged while the time does not grow. The
caller also offers the fewest-pieces split as a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence

from crossheat.plan.split.merge import merge_pieces
from crossheat.plan.split.model import Indexed
from crossheat.plan.split.pieces import piece_edges, piece_order

#: A candidate split: node -> piece id, and each piece's region.
Owners = tuple[list[int], list[int]]


def asap_waves(ix: Indexed) -> list[int]:
    """The earliest wave of every node: +1 on each edge that crosses regions."""
    wave = [0] * ix.size
    for node in range(ix.size):
        own = ix.region[node]
        for req in ix.requires[node]:
            wave[node] = max(wave[node], wave[req] + (ix.region[req] != own))
    return wave


def alap_waves(ix: Indexed, asap: Sequence[int]) -> list[int]:
    """The latest wave of every node within its region's last ASAP wave."""
    last = [0] * len(ix.regions)
    for node in range(ix.size):
        last[ix.region[node]] = max(last[ix.region[node]], asap[node])
    wave = [0] * ix.size
    for node in range(ix.size - 1, -1, -1):
        own = ix.region[node]
        wave[node] = last[own]
        for dep in ix.dependents[node]:
            wave[node] = min(wave[node], wave[dep] - (ix.region[dep] != own))
    return wave


def owners_from_waves(ix: Indexed, wave: Sequence[int]) -> Owners:
    """Group nodes by ``(region, wave)`` into pieces."""
    ids: dict[tuple[int, int], int] = {}
    owner = [ids.setdefault((ix.region[n], wave[n]), len(ids)) for n in range(ix.size)]
    return owner, [region for region, _ in ids]


def schedule(ix: Indexed, owner: Sequence[int], count: int) -> tuple[list[float], list[float]]:
    """Start and end of every piece."""
    span = [0.0] * count
    finish = in_piece_finish(ix, owner)
    for node in range(ix.size):
        span[owner[node]] = max(span[owner[node]], finish[node])
    after = piece_edges(ix, owner, count)
    start, end = [0.0] * count, [0.0] * count
    for piece in piece_order(after):
        start[piece] = max((end[a] for a in after[piece]), default=0.0)
        end[piece] = start[piece] + span[piece]
    return start, end


def in_piece_finish(ix: Indexed, owner: Sequence[int]) -> list[float]:
    """When each node finishes, counted from its piece's start."""
    finish = [0.0] * ix.size
    for node in range(ix.size):
        own = owner[node]
        start = max((finish[r] for r in ix.requires[node] if owner[r] == own), default=0.0)
        finish[node] = start + ix.duration[node]
    return finish


def refill(ix: Indexed, wave: list[int], fixed: frozenset[int] = frozenset()) -> Owners:
    """Move nodes (but the ``fixed`` ones) into earlier pieces of their region while no
    piece gets later."""
    owner, regions = owners_from_waves(ix, wave)
    start, end = schedule(ix, owner, len(regions))
    span = [e - s for s, e in zip(start, end, strict=True)]
    finish = in_piece_finish(ix, owner)
    piece_at = {(regions[owner[n]], wave[n]): owner[n] for n in range(ix.size)}
    for node in range(ix.size):
        if node in fixed:
            continue
        own = ix.region[node]
        for w in range(_earliest(ix, wave, node), wave[node]):
            target = piece_at.get((own, w))
            if target is not None and _fits(ix, owner, finish, node, target, start, end, span):
                owner[node], wave[node] = target, w
                break
    return _compact(owner, regions)


def _earliest(ix: Indexed, wave: Sequence[int], node: int) -> int:
    own = ix.region[node]
    return max((wave[r] + (ix.region[r] != own) for r in ix.requires[node]), default=0)


def _fits(
    ix: Indexed,
    owner: list[int],
    finish: list[float],
    node: int,
    target: int,
    start: Sequence[float],
    end: Sequence[float],
    span: Sequence[float],
) -> bool:
    """Whether ``node`` can join ``target`` with every piece's start and end unchanged."""
    inside = max((finish[r] for r in ix.requires[node] if owner[r] == target), default=0.0)
    if inside + ix.duration[node] > span[target]:
        return False
    if any(owner[r] != target and end[owner[r]] > start[target] for r in ix.requires[node]):
        return False
    if any(owner[d] != target and end[target] > start[owner[d]] for d in ix.dependents[node]):
        return False
    finish[node] = inside + ix.duration[node]
    return True


def _compact(owner: list[int], regions: Sequence[int]) -> Owners:
    ids: dict[int, int] = {}
    new_owner = [ids.setdefault(p, len(ids)) for p in owner]
    return new_owner, [regions[p] for p in ids]


def time_candidates(ix: Indexed, budget: float) -> list[Owners]:
    """ASAP and deferred-then-refilled splits, each merged where it costs no time."""
    asap = asap_waves(ix)
    found = [owners_from_waves(ix, asap), refill(ix, alap_waves(ix, asap))]
    return [merge_pieces(ix, *c, budget / len(found)) for c in found]
