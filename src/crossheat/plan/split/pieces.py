"""From node groups to numbered ``Piece``s, and the timing of a set of pieces.

Pieces are numbered in deployment order: by wave, then in a topological
order of the piece graph where among pieces ready together the region name
decides, then the order the search produced them in.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from crossheat.plan.split.model import Indexed


@dataclass(frozen=True)
class Piece:
    """One single-region piece: ``after`` lists the pieces it directly waits for.

    ``wave``: pieces are deployed wave by wave (1 first); ``together``: the pieces of
    its wave that must be started at the same time as this one (they hold the other
    ends of its tunnels, which stock Heat waits for).
    """

    index: int
    region: str
    nodes: tuple[str, ...]
    after: tuple[int, ...]
    wave: int = 1
    together: tuple[int, ...] = ()


def piece_edges(ix: Indexed, owner: Sequence[int], count: int) -> list[set[int]]:
    """For each piece, the pieces holding something it requires (itself excluded)."""
    after: list[set[int]] = [set() for _ in range(count)]
    for node in range(ix.size):
        for req in ix.requires[node]:
            if owner[req] != owner[node]:
                after[owner[node]].add(owner[req])
    return after


def number_pieces(
    ix: Indexed,
    groups: Sequence[tuple[int, Sequence[int]]],
    waves: tuple[Sequence[int], Sequence[Sequence[int]]] | None = None,
) -> tuple[Piece, ...]:
    """Turn ``(region id, node ids)`` groups (any valid order) into numbered pieces.

    ``waves``: per group, its wave and the groups started with it; by default the
    levels of the piece graph, each piece on its own.
    """
    owner = [0] * ix.size
    for g, (_, nodes) in enumerate(groups):
        for node in nodes:
            owner[node] = g
    after = piece_edges(ix, owner, len(groups))
    topological = piece_order(after, [ix.regions[region] for region, _ in groups])
    wave, together = waves if waves is not None else (levels(after, topological), None)
    position = {g: i for i, g in enumerate(topological)}
    order = sorted(topological, key=lambda g: (wave[g], position[g]))
    number = {g: i for i, g in enumerate(order)}
    return tuple(
        Piece(
            index=number[g],
            region=ix.regions[groups[g][0]],
            nodes=tuple(ix.names[n] for n in sorted(groups[g][1])),
            after=tuple(sorted(number[a] for a in after[g])),
            wave=wave[g],
            together=tuple(sorted(number[t] for t in together[g])) if together else (),
        )
        for g in order
    )


def levels(after: Sequence[set[int]], order: Sequence[int]) -> list[int]:
    """Per piece: 1 + the latest level of the pieces it waits for (``order`` topological)."""
    level = [1] * len(after)
    for piece in order:
        level[piece] = 1 + max((level[a] for a in after[piece]), default=0)
    return level


def piece_order(after: Sequence[set[int]], key: Sequence[str] = ()) -> list[int]:
    """Pieces in a topological order (ties by ``key``, then id); shorter on a cycle."""
    waiting = [len(a) for a in after]
    users: list[list[int]] = [[] for _ in after]
    for g, reqs in enumerate(after):
        for req in reqs:
            users[req].append(g)
    tag = list(key) or [""] * len(after)
    ready = [(tag[g], g) for g in range(len(after)) if not waiting[g]]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, g = heapq.heappop(ready)
        order.append(g)
        for user in users[g]:
            waiting[user] -= 1
            if not waiting[user]:
                heapq.heappush(ready, (tag[user], user))
    return order


def piece_durations(ix: Indexed, owner: Sequence[int], count: int) -> list[float]:
    """Each piece's critical path: its nodes run in parallel as their in-piece deps allow."""
    finish = [0.0] * ix.size
    span = [0.0] * count
    for node in range(ix.size):
        piece = owner[node]
        start = max((finish[r] for r in ix.requires[node] if owner[r] == piece), default=0.0)
        finish[node] = start + ix.duration[node]
        span[piece] = max(span[piece], finish[node])
    return span


def makespan(ix: Indexed, owner: Sequence[int], count: int) -> float:
    """Deployment time when a piece starts once every piece it waits for has finished.

    ``owner`` maps node -> piece id; the pieces must form an acyclic graph.
    """
    span = piece_durations(ix, owner, count)
    after = piece_edges(ix, owner, count)
    end = [0.0] * count
    for piece in piece_order(after):
        end[piece] = max((end[a] for a in after[piece]), default=0.0) + span[piece]
    return max(end, default=0.0)
