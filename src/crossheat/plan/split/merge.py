"""Merge same-region pieces while the deployment time does not grow.

Works on the piece graph (pieces, what each waits for, each one's duration),
so a trial merge costs O(pieces + piece edges + nodes of the two pieces),
not a pass over the whole node graph. Candidates are the pieces of one
region taken in order of their start; every pair is tried when there are
few pieces, only neighbours otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import pairwise

from crossheat.plan.split.model import Indexed

#: Up to this many pieces, every same-region pair is a merge candidate.
ALL_PAIRS = 60


class PieceGraph:
    """Pieces keyed by id: members (node ids, ascending = topological), waits, spans."""

    def __init__(self, ix: Indexed, owner: Sequence[int], regions: Sequence[int]) -> None:
        self.ix = ix
        self.owner = list(owner)
        self.region = dict(enumerate(regions))
        self.members: dict[int, list[int]] = {p: [] for p in self.region}
        for node, piece in enumerate(owner):
            self.members[piece].append(node)
        self.after: dict[int, set[int]] = {p: set() for p in self.region}
        for node in range(ix.size):
            for req in ix.requires[node]:
                if owner[req] != owner[node]:
                    self.after[owner[node]].add(owner[req])
        self.span = {p: self.span_of(nodes, p, p) for p, nodes in self.members.items()}

    def span_of(self, nodes: Sequence[int], a: int, b: int) -> float:
        """Critical path of ``nodes`` when pieces ``a`` and ``b`` are one piece."""
        finish: dict[int, float] = {}
        inside = (a, b)
        for node in nodes:
            start = max(
                (finish[r] for r in self.ix.requires[node] if self.owner[r] in inside),
                default=0.0,
            )
            finish[node] = start + self.ix.duration[node]
        return max(finish.values(), default=0.0)

    def makespan(self, drop: int = -1, into: int = -1, span: float = 0.0) -> float | None:
        """Deployment time, optionally with ``drop`` merged into ``into``; None on a cycle."""
        after = {
            p: {into if a == drop else a for a in reqs} - {p} for p, reqs in self.after.items()
        }
        if drop >= 0:
            after[into] |= after.pop(drop)
            after[into].discard(into)
        spans = dict(self.span)
        if drop >= 0:
            del spans[drop]
            spans[into] = span
        return _longest(after, spans)

    def merge(self, drop: int, into: int, span: float) -> None:
        """Make ``drop`` part of ``into``, whose duration becomes ``span``."""
        moved = self.members.pop(drop)
        for node in moved:
            self.owner[node] = into
        self.members[into] = sorted(self.members[into] + moved)
        waits = self.after.pop(drop)
        for reqs in self.after.values():
            if drop in reqs:
                reqs.discard(drop)
                reqs.add(into)
        self.after[into] = (self.after[into] | waits) - {into}
        del self.span[drop], self.region[drop]
        self.span[into] = span

    def result(self) -> tuple[list[int], list[int]]:
        """Node -> piece (renumbered 0..k-1) and each piece's region."""
        ids = {p: i for i, p in enumerate(sorted(self.members))}
        return [ids[p] for p in self.owner], [self.region[p] for p in sorted(self.members)]


def _longest(after: dict[int, set[int]], spans: dict[int, float]) -> float | None:
    waiting = {p: len(reqs) for p, reqs in after.items()}
    users: dict[int, list[int]] = {p: [] for p in after}
    for p, reqs in after.items():
        for req in reqs:
            users[req].append(p)
    ready = [p for p, count in waiting.items() if not count]
    end: dict[int, float] = {}
    while ready:
        p = ready.pop()
        end[p] = max((end[a] for a in after[p]), default=0.0) + spans[p]
        for user in users[p]:
            waiting[user] -= 1
            if not waiting[user]:
                ready.append(user)
    return max(end.values(), default=0.0) if len(end) == len(after) else None


def merge_pieces(
    ix: Indexed, owner: Sequence[int], regions: Sequence[int], budget: float
) -> tuple[list[int], list[int]]:
    """Merge pieces of one region while the time stays the same (within ``budget`` s)."""
    graph = PieceGraph(ix, owner, regions)
    best = graph.makespan()
    assert best is not None
    deadline = time.perf_counter() + budget
    progress = True
    while progress and time.perf_counter() < deadline:
        progress = False
        for a, b in _candidates(graph):
            if time.perf_counter() > deadline:
                break
            if a not in graph.members or b not in graph.members:
                continue
            nodes = sorted(graph.members[a] + graph.members[b])
            span = graph.span_of(nodes, a, b)
            took = graph.makespan(b, a, span)
            if took is not None and took <= best + 1e-9:
                graph.merge(b, a, span)
                progress = True
    return graph.result()


def _candidates(graph: PieceGraph) -> list[tuple[int, int]]:
    by_region: dict[int, list[int]] = {}
    for piece in sorted(graph.members):
        by_region.setdefault(graph.region[piece], []).append(piece)
    pairs = []
    for pieces in by_region.values():
        if len(graph.members) <= ALL_PAIRS:
            pairs += [(a, b) for i, a in enumerate(pieces) for b in pieces[i + 1 :]]
        else:
            pairs += list(pairwise(pieces))
    return pairs
