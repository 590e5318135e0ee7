"""A pure dependency graph (no cloud words): toposort, cycles, critical path.

from crossheat.graph import Graph, CycleError
"""

from crossheat.graph._cycles import CycleError
from crossheat.graph._dag import Graph

__all__ = ["CycleError", "Graph"]
