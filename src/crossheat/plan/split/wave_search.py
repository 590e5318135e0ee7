"""The fewest pieces when tunnel ends must start together: greedy and A* over waves.

A split is built wave by wave. A wave names a set of regions and takes, in
each, every node whose requirements are done before the wave or taken in
the same region in this wave, except coupled nodes whose peers are not all
taken in this wave (and what needs them). Taking the most never hurts
(whatever a smaller wave allows, the larger one allows too, see
``waves``), and one piece per region per wave is enough (two
pieces of one region in one wave can always be merged). A wave of several
regions is only worth it when coupled nodes join them: otherwise the same
regions one wave after the other do at least as well, so such waves are
not tried.

A* searches over the set of done nodes (a bit mask) with the strict chain
and per-region bounds of what is left as estimate; the greedy passes give
the first upper bound and the answer when the graph is too large.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from crossheat.plan.split.waves import Coupling

#: A wave: (region id, node ids) for each region that takes something in it.
Wave = tuple[tuple[int, tuple[int, ...]], ...]
#: Every subset of the regions left is tried up to this many regions; above, pairs only.
ALL_SUBSETS = 6


@dataclass(frozen=True)
class WaveOutcome:
    """``waves`` is optimal when ``proved``; else ``bound`` is what A* proved so far."""

    waves: list[Wave]
    proved: bool
    bound: int


def pieces_in(waves: Sequence[Wave]) -> int:
    return sum(len(wave) for wave in waves)


class WaveMasks:
    """One problem's waves: the wave step, its successors and the estimate.

    ``done`` is a bytearray of flags (1: done) inside the steps; A* keys its states by
    bit masks, which ``flags`` and ``mask`` convert.
    """

    def __init__(self, coupling: Coupling) -> None:
        ix = coupling.ix
        self.ix = ix
        self.peers = coupling.peers
        self.members: list[list[int]] = [[] for _ in ix.regions]
        for node in coupling.order:
            self.members[ix.region[node]].append(node)
        self.links = {
            (ix.region[n], ix.region[p]) for n in range(ix.size) for p in coupling.peers[n]
        }
        self.heights = coupling.strict_heights()
        self.by_height = sorted(range(ix.size), key=lambda n: -self.heights[n])
        self.segments = [coupling.region_segments(r) for r in range(len(ix.regions))]
        self.by_segment = [
            sorted(self.members[r], key=seg.__getitem__, reverse=True)
            for r, seg in enumerate(self.segments)
        ]

    def flags(self, done: int) -> bytearray:
        return bytearray((done >> n) & 1 for n in range(self.ix.size))

    @staticmethod
    def mask(nodes: Sequence[int]) -> int:
        out = 0
        for node in nodes:
            out |= 1 << node
        return out

    def ready(self, done: bytearray) -> list[list[int]]:
        """Per region: the nodes not done whose requirements all are."""
        requires = self.ix.requires
        return [
            [n for n in nodes if not done[n] and all(done[q] for q in requires[n])]
            for nodes in self.members
        ]

    def take(
        self, done: bytearray, regions: Sequence[int], ready: list[list[int]] | None = None
    ) -> dict[int, list[int]]:
        """Region -> the nodes the wave over ``regions`` takes; empty ones left out."""
        ix, peers = self.ix, self.peers
        ready = self.ready(done) if ready is None else ready
        excluded: set[int] = set()
        while True:
            taken: set[int] = set()
            took: dict[int, list[int]] = {}
            for r in regions:
                mine = took[r] = [n for n in ready[r] if n not in excluded]
                taken.update(mine)
                for node in mine:  # grows while it is walked: a breadth-first walk
                    for dep in ix.dependents[node]:
                        if ix.region[dep] != r or dep in taken or dep in excluded:
                            continue
                        needs = ix.requires[dep]
                        if all(done[q] or (q in taken and ix.region[q] == r) for q in needs):
                            taken.add(dep)
                            mine.append(dep)
            bad = [n for nodes in took.values() for n in nodes if not taken.issuperset(peers[n])]
            if not bad:
                return {r: nodes for r, nodes in took.items() if nodes}
            excluded.update(bad)

    def estimate(self, done: bytearray) -> int:
        """Pieces still needed from ``done``: strict chain bound, per-region bounds summed."""
        chain = next((self.heights[n] for n in self.by_height if not done[n]), 0)
        regions = 0
        for seg, nodes in zip(self.segments, self.by_segment, strict=True):
            regions += next((seg[n] for n in nodes if not done[n]), 0)
        return max(chain, regions)

    def successors(self, done: bytearray) -> list[dict[int, list[int]]]:
        """The takes of each wave worth trying from ``done`` (one per distinct result)."""
        left = [r for r, nodes in enumerate(self.members) if any(not done[n] for n in nodes)]
        ready = self.ready(done)
        best: dict[frozenset[int], dict[int, list[int]]] = {}
        for regions in self._subsets(left):
            takes = self.take(done, regions, ready)
            if not takes or (len(regions) > 1 and not self._joined(takes, len(regions))):
                continue
            key = frozenset(n for nodes in takes.values() for n in nodes)
            if key not in best or len(best[key]) > len(takes):
                best[key] = takes
        return list(best.values())

    def _subsets(self, left: list[int]) -> list[tuple[int, ...]]:
        subsets: list[tuple[int, ...]] = [(r,) for r in left]
        if len(left) <= ALL_SUBSETS:
            for size in range(2, len(left) + 1):
                subsets += [s for s in combinations(left, size) if self._linked(s)]
        else:
            subsets += [s for s in combinations(left, 2) if self._linked(s)]
            subsets.append(tuple(left))
        return subsets

    def _linked(self, regions: tuple[int, ...]) -> bool:
        return _connected(regions, lambda a, b: (a, b) in self.links)

    def _joined(self, takes: dict[int, list[int]], wanted: int) -> bool:
        """Whether every region gave something and coupled nodes join them all."""
        if len(takes) < wanted:
            return False
        region = self.ix.region

        def joined(a: int, b: int) -> bool:
            return any(region[p] == b for n in takes[a] for p in self.peers[n])

        return _connected(tuple(takes), joined)


def _connected(items: tuple[int, ...], edge: Callable[[int, int], bool]) -> bool:
    seen, stack = {items[0]}, [items[0]]
    while stack:
        current = stack.pop()
        for other in items:
            if other not in seen and (edge(current, other) or edge(other, current)):
                seen.add(other)
                stack.append(other)
    return len(seen) == len(items)


def _as_wave(takes: dict[int, list[int]]) -> Wave:
    return tuple((region, tuple(sorted(nodes))) for region, nodes in sorted(takes.items()))


Chooser = Callable[[WaveMasks, bytearray], dict[int, list[int]]]


def _everything(masks: WaveMasks, done: bytearray) -> dict[int, list[int]]:
    left = [r for r, nodes in enumerate(masks.members) if any(not done[n] for n in nodes)]
    return masks.take(done, left)


def _by_weight(power: int) -> Chooser:
    """The wave that takes the most height (to ``power``) per piece it costs."""

    def choose(masks: WaveMasks, done: bytearray) -> dict[int, list[int]]:
        def score(takes: dict[int, list[int]]) -> tuple[float, int]:
            nodes = [n for group in takes.values() for n in group]
            return sum(masks.heights[n] ** power for n in nodes) / len(takes), len(nodes)

        return max(masks.successors(done), key=score)

    return choose


CHOOSERS: tuple[Chooser, ...] = (_everything, _by_weight(2), _by_weight(4))


def greedy(masks: WaveMasks, bound: int = 0) -> list[Wave]:
    """The fewest pieces of the greedy passes (stops early at ``bound``)."""
    best: list[Wave] | None = None
    for choose in CHOOSERS:
        done, waves, left = bytearray(masks.ix.size), [], masks.ix.size
        while left:
            takes = choose(masks, done)
            waves.append(_as_wave(takes))
            for nodes in takes.values():
                left -= len(nodes)
                for node in nodes:
                    done[node] = 1
        if best is None or pieces_in(waves) < pieces_in(best):
            best = waves
        if pieces_in(best) <= bound:
            break
    assert best is not None
    return best


def search(masks: WaveMasks, upper: list[Wave], budget: float) -> WaveOutcome:
    """A* for fewer pieces than ``upper``; stops after ``budget`` seconds."""
    limit = pieces_in(upper)
    full = (1 << masks.ix.size) - 1
    deadline = time.perf_counter() + budget
    parent: dict[int, tuple[int, dict[int, list[int]]]] = {}
    best_g = {0: 0}
    heap = [(masks.estimate(masks.flags(0)), 0, 0, 0)]
    expanded = 0
    while heap and heap[0][0] < limit:
        _, _, g, done = heapq.heappop(heap)
        if done == full:
            return WaveOutcome(_unwind(parent, done), True, g)
        if best_g.get(done, -1) != g:
            continue
        expanded += 1
        if not expanded % 64 and time.perf_counter() > deadline:
            return WaveOutcome(upper, False, min(limit, heap[0][0]))
        flags = masks.flags(done)
        for takes in masks.successors(flags):
            cost = len(takes)
            after = done | masks.mask([n for nodes in takes.values() for n in nodes])
            if best_g.get(after, 1 << 30) > g + cost:
                best_g[after] = g + cost
                parent[after] = (done, takes)
                f = g + cost + masks.estimate(masks.flags(after))
                heapq.heappush(heap, (f, -after.bit_count(), g + cost, after))
    return WaveOutcome(upper, True, limit)


def _unwind(parent: dict[int, tuple[int, dict[int, list[int]]]], done: int) -> list[Wave]:
    waves: list[Wave] = []
    while done:
        before, takes = parent[done]
        waves.append(_as_wave(takes))
        done = before
    return waves[::-1]
