"""A pure dependency graph (no cloud words): toposort, cycles, critical path.

from crossheat.graph import Graph, CycleError

``CycleError`` belongs to crossheat's one error tree (``crossheat.errors``);
it is re-exported here for the graph's callers.
"""

from crossheat.errors import CycleError
from crossheat.graph._dag import Graph

__all__ = ["CycleError", "Graph"]
