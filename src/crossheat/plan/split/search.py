"""Exact search for the fewest pieces: A* over sets of done nodes.

As in ``greedy``, a split is a sequence of region steps, each taking
every node of its region it can. The search state is the set of done nodes
(a bit mask); its estimate is the larger of the chain bound of what is left
and the number of regions left, which never overestimates. A step that
finishes a region is always safe to take first (taking more never hurts), so
such a state has that one successor. The search stops when nothing left can
beat the heuristic's answer, or at the time budget, then reporting the best
bound proved so far.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

from crossheat.plan.split.greedy import Step
from crossheat.plan.split.model import Indexed, chain_heights


@dataclass(frozen=True)
class ExactOutcome:
    """``steps`` is optimal when ``proved``; else ``bound`` is what A* proved so far."""

    steps: list[Step]
    proved: bool
    bound: int


class _Masks:
    """Bit masks of one problem: what each node requires, and each region's nodes."""

    def __init__(self, ix: Indexed) -> None:
        self.ix = ix
        self.requires = [sum(1 << r for r in reqs) for reqs in ix.requires]
        self.members: list[list[int]] = [[] for _ in ix.regions]
        for node in range(ix.size):
            self.members[ix.region[node]].append(node)
        self.region_mask = [sum(1 << n for n in nodes) for nodes in self.members]
        heights = chain_heights(ix)
        self.by_height = sorted(range(ix.size), key=lambda n: -heights[n])
        self.heights = heights
        self.full = (1 << ix.size) - 1

    def step(self, done: int, region: int) -> int:
        """``done`` after the largest step in ``region`` (nodes are in topological order)."""
        cur = done
        for node in self.members[region]:
            if not (cur >> node) & 1 and not self.requires[node] & ~cur:
                cur |= 1 << node
        return cur

    def estimate(self, done: int) -> int:
        """Pieces still needed from ``done``: max of chain bound and regions left."""
        regions = sum(1 for m in self.region_mask if m & ~done)
        for node in self.by_height:
            if not (done >> node) & 1:
                return max(self.heights[node], regions)
        return regions

    def successors(self, done: int) -> list[tuple[int, int]]:
        """``(region, new done)`` for each useful step; one step if it finishes a region."""
        out = []
        for region, mask in enumerate(self.region_mask):
            if mask & ~done:
                after = self.step(done, region)
                if after != done:
                    if not mask & ~after:
                        return [(region, after)]
                    out.append((region, after))
        return out


def exact(ix: Indexed, upper: list[Step], budget: float) -> ExactOutcome:
    """A* for a sequence shorter than ``upper``; stops after ``budget`` seconds."""
    masks = _Masks(ix)
    deadline = time.perf_counter() + budget
    parent: dict[int, tuple[int, int]] = {}
    best_g = {0: 0}
    heap = [(masks.estimate(0), 0, 0, 0)]
    expanded = 0
    while heap and heap[0][0] < len(upper):
        _, _, g, done = heapq.heappop(heap)
        if done == masks.full:
            return ExactOutcome(_unwind(masks, parent, done), True, g)
        if best_g.get(done, -1) != g:
            continue
        expanded += 1
        if not expanded % 256 and time.perf_counter() > deadline:
            return ExactOutcome(upper, False, min(len(upper), heap[0][0]))
        for region, after in masks.successors(done):
            if best_g.get(after, 1 << 30) > g + 1:
                best_g[after] = g + 1
                parent[after] = (done, region)
                f = g + 1 + masks.estimate(after)
                heapq.heappush(heap, (f, -after.bit_count(), g + 1, after))
    return ExactOutcome(upper, True, len(upper))


def _unwind(masks: _Masks, parent: dict[int, tuple[int, int]], done: int) -> list[Step]:
    steps: list[Step] = []
    while done:
        before, region = parent[done]
        fresh = done & ~before
        nodes = tuple(n for n in masks.members[region] if (fresh >> n) & 1)
        steps.append((region, nodes))
        done = before
    return steps[::-1]
