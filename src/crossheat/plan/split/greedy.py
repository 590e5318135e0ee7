"""Fast heuristics for the fewest pieces, as a sequence of region steps.

A split is built step by step: each step names a region and takes every
node of that region whose requirements are done or taken in the same step
(the largest possible piece; taking the largest piece never hurts), so the
problem is choosing the order of regions. A *chooser* picks the next region:

- ``by_rule`` scores each region from the chain heights of its ready nodes
  (the longest chain of region changes still ahead of them);
- ``pilot`` looks ahead: it plays each of the best few regions, then a few
  ``by_rule`` steps, and keeps the one that got furthest (nodes weighted by
  a power of their height).

``heuristic`` runs several choosers plus seeded random restarts and keeps
the shortest answer; every pass is O(nodes + edges), a pilot pass a small
multiple of that. A step is ``(region id, node ids in topological order)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from crossheat.plan.split.model import Indexed, chain_heights

Step = tuple[int, tuple[int, ...]]
#: Scores a region from the chain heights of its ready nodes; the highest goes next.
Rule = Callable[[list[float]], tuple[float, ...]]
#: Picks the next region from the ready nodes per region and the missing-requirement counts.
Chooser = Callable[[list[list[int]], list[int]], int]
#: Node visits the seeded random restarts may spend in total (they stop at the bound).
RESTART_WORK = 100_000
MAX_RESTARTS = 64
#: Pilot look-ahead: candidates tried, steps played after each, height powers used.
PILOT_WIDTH = 3
PILOT_DEPTH = 2
PILOT_POWERS = (2, 4)

RULES: tuple[Rule, ...] = (
    lambda hs: (max(hs), sum(hs)),
    lambda hs: (sum(hs),),
    lambda hs: (max(hs), len(hs)),
)


def run(ix: Indexed, choose: Chooser) -> list[Step]:
    """Take steps in the regions ``choose`` names until every node is taken."""
    missing = [len(r) for r in ix.requires]
    ready: list[list[int]] = [[] for _ in ix.regions]
    for node in range(ix.size):
        if not missing[node]:
            ready[ix.region[node]].append(node)
    steps: list[Step] = []
    while any(ready):
        region = choose(ready, missing)
        steps.append((region, _take(ix, region, ready, missing)))
    return steps


def _take(ix: Indexed, region: int, ready: list[list[int]], missing: list[int]) -> tuple[int, ...]:
    queue = ready[region]
    ready[region] = []
    taken: list[int] = []
    while queue:
        node = queue.pop()
        taken.append(node)
        for dep in ix.dependents[node]:
            missing[dep] -= 1
            if not missing[dep]:
                (queue if ix.region[dep] == region else ready[ix.region[dep]]).append(dep)
    return tuple(sorted(taken))


def by_rule(heights: Sequence[float], rule: Rule) -> Chooser:
    """Choose the region whose ready nodes score highest under ``rule``."""

    def choose(ready: list[list[int]], missing: list[int]) -> int:
        return _ranked(heights, rule, ready)[0]

    return choose


def _ranked(heights: Sequence[float], rule: Rule, ready: list[list[int]]) -> list[int]:
    regions = [r for r in range(len(ready)) if ready[r]]
    return sorted(regions, key=lambda r: rule([heights[n] for n in ready[r]]), reverse=True)


def pilot(ix: Indexed, heights: Sequence[float], power: int) -> Chooser:
    """Choose among the ``PILOT_WIDTH`` best regions by playing ``PILOT_DEPTH`` steps on."""
    weight = [h**power for h in heights]
    follow = by_rule(heights, RULES[0])

    def reach(region: int, ready: list[list[int]], missing: list[int]) -> float:
        ready, missing = [list(r) for r in ready], missing.copy()
        gained = sum(weight[n] for n in _take(ix, region, ready, missing))
        for _ in range(PILOT_DEPTH):
            if not any(ready):
                break
            gained += sum(weight[n] for n in _take(ix, follow(ready, missing), ready, missing))
        return gained

    def choose(ready: list[list[int]], missing: list[int]) -> int:
        candidates = _ranked(heights, RULES[0], ready)[:PILOT_WIDTH]
        if len(candidates) == 1:
            return candidates[0]
        return max(candidates, key=lambda r: reach(r, ready, missing))

    return choose


def heuristic(ix: Indexed, bound: int = 0, *, restarts: bool = True) -> list[Step]:
    """The shortest answer of the rules, the pilots, then seeded random restarts.

    A restart breaks ties between equal chain heights at random (the seed is
    fixed, so the answer is the same every time). Stops early at ``bound``.
    """
    heights = chain_heights(ix)
    choosers = [by_rule(heights, rule) for rule in RULES]
    choosers += [pilot(ix, heights, power) for power in PILOT_POWERS]
    best = run(ix, choosers[0])
    for choose in choosers[1:]:
        if len(best) > bound:
            best = min(best, run(ix, choose), key=len)
    rng = random.Random(0)
    edges = sum(len(r) for r in ix.requires)
    tries = min(MAX_RESTARTS, RESTART_WORK // (ix.size + edges + 1)) if restarts else 0
    for _ in range(tries):
        if len(best) <= bound:
            break
        noisy = [h + 0.9 * rng.random() for h in heights]
        best = min(best, run(ix, by_rule(noisy, RULES[0])), key=len)
    return best
