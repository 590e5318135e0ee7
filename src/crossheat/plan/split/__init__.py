"""Splitting a multi-region graph into single-region pieces (see ``solve``).

    from crossheat.plan.split import SplitProblem, split, check_split
    result = split(SplitProblem(nodes={"a": "East", "b": "West"}, edges=[("b", "a")]))

The modules, from the entry point down:

- ``solve``: ``split()``, the problem and result types, ``check_split``;
- ``templates``: an ``Analysis`` split into plain HOT templates and a manifest;
- ``greedy`` and ``search``: the fewest pieces (heuristics, exact A*);
- ``time_heuristic`` and ``time_exact``: the shortest deployment;
- ``waves``, ``wave_search`` and ``coupled``: tunnel ends that stock Heat
  starts together, in waves;
- ``model`` (the indexed problem, lower bounds), ``pieces`` (numbering,
  timing), ``merge`` (merging pieces), ``check`` (validity of a split).

Only the names below are public; ``templates`` is imported on its own
(``crossheat.plan.split.templates``), as it needs the template layer.
"""

from crossheat.plan.split.pieces import Piece
from crossheat.plan.split.solve import (
    Objective,
    SplitProblem,
    SplitResult,
    check_split,
    lower_bound,
    split,
)

__all__ = [
    "Objective",
    "Piece",
    "SplitProblem",
    "SplitResult",
    "check_split",
    "lower_bound",
    "split",
]
