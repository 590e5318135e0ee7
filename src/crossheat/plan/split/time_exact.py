"""The ``time`` objective solved exactly with a CP-SAT model (small graphs).

Up to one piece per node, as ordered slots (a piece's slot is its place in a
deployment order, so whatever a node requires sits in the same or an earlier
slot):

    x[n, s]      node n is in slot s; the slot's region is n's region
    st[n]        start of node n; st[n] >= st[d] + dur[d] for each d it requires
    S[s], F[s]   start and end of slot s: S[s] <= st[n], F[s] >= st[n] + dur[n]
    x[n, t] and x[d, s] (s < t)  =>  S[t] >= F[s]   (a piece waits for whole pieces)
    minimise  makespan * (slots + 1) + pieces used

Durations are scaled to integers (milliseconds). The model is solved within
a time budget and warm-started from the best heuristic split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from crossheat.plan.split.model import Indexed

SCALE = 1000


@dataclass(frozen=True)
class TimeOutcome:
    """Node -> slot and slot regions of the best split found; ``proved`` if optimal."""

    owner: list[int]
    regions: list[int]
    proved: bool
    time_bound: float


class _Model:
    def __init__(self, ix: Indexed) -> None:
        self.ix = ix
        self.model = cp_model.CpModel()
        self.slots = ix.size
        dur = [round(d * SCALE) for d in ix.duration]
        self.dur = dur
        horizon = sum(dur)
        new_int = self.model.new_int_var
        self.x = [[self.model.new_bool_var(f"x{n}_{s}") for s in range(ix.size)] for n in dur]
        self.st = [new_int(0, horizon, f"st{n}") for n in range(ix.size)]
        self.start = [new_int(0, horizon, f"S{s}") for s in range(self.slots)]
        self.end = [new_int(0, horizon, f"F{s}") for s in range(self.slots)]
        self.used = [self.model.new_bool_var(f"u{s}") for s in range(self.slots)]
        self.span = new_int(0, horizon, "makespan")

    def build(self) -> None:
        self._placement()
        self._timing()
        for n in range(self.ix.size):
            for d in self.ix.requires[n]:
                self._edge(n, d)
        count = sum(self.used)
        self.model.minimize(self.span * (self.slots + 1) + count)

    def _placement(self) -> None:
        m, ix = self.model, self.ix
        for n in range(ix.size):
            m.add_exactly_one(self.x[n])
        for s in range(self.slots):
            members = [self.x[n][s] for n in range(ix.size)]
            m.add_max_equality(self.used[s], members)
            kind = [m.new_bool_var(f"r{s}_{r}") for r in range(len(ix.regions))]
            m.add_at_most_one(kind)
            for n in range(ix.size):
                m.add_implication(self.x[n][s], kind[ix.region[n]])
            if s:
                m.add_implication(self.used[s], self.used[s - 1])

    def _timing(self) -> None:
        m = self.model
        for n in range(self.ix.size):
            for s in range(self.slots):
                m.add(self.st[n] >= self.start[s]).only_enforce_if(self.x[n][s])
                m.add(self.end[s] >= self.st[n] + self.dur[n]).only_enforce_if(self.x[n][s])
        for s in range(self.slots):
            m.add(self.span >= self.end[s])

    def _edge(self, n: int, d: int) -> None:
        m = self.model
        m.add(self.st[n] >= self.st[d] + self.dur[d])
        slot_n = sum(s * v for s, v in enumerate(self.x[n]))
        slot_d = sum(s * v for s, v in enumerate(self.x[d]))
        m.add(slot_n >= slot_d)
        for t in range(self.slots):
            for s in range(t):
                m.add(self.start[t] >= self.end[s]).only_enforce_if(self.x[n][t], self.x[d][s])

    def hint(self, owner: Sequence[int], order: Sequence[int]) -> None:
        slot = {piece: i for i, piece in enumerate(order)}
        for n in range(self.ix.size):
            for s in range(self.slots):
                self.model.add_hint(self.x[n][s], slot[owner[n]] == s)


def solve_time(
    ix: Indexed, owner: Sequence[int], order: Sequence[int], budget: float
) -> TimeOutcome | None:
    """Solve from the hint ``owner`` (node -> piece) with pieces in ``order``; None if no answer."""
    model = _Model(ix)
    model.build()
    model.hint(owner, order)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = budget
    solver.parameters.num_workers = 2
    status = solver.solve(model.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    slot_of = [next(s for s in range(model.slots) if solver.value(v[s])) for v in model.x]
    ids: dict[int, int] = {}
    new_owner = [ids.setdefault(s, len(ids)) for s in slot_of]
    regions = [0] * len(ids)
    for n, piece in enumerate(new_owner):
        regions[piece] = ix.region[n]
    # durations were rounded to 1/SCALE: allow that much error per node on the bound
    bound = solver.best_objective_bound // (model.slots + 1) / SCALE - ix.size / (2 * SCALE)
    return TimeOutcome(new_owner, regions, status == cp_model.OPTIMAL, bound)
