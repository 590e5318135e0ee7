"""The dependency graph of a template's resources.

    graph = dependency_graph(template)          # every resource
    graph = dependency_graph(template, names)   # some of them, in that order

Here, above both ``graph/`` (which knows nothing of templates) and ``template/``
(which knows nothing of graphs), so that planning and the engine share it.
"""

from __future__ import annotations

from collections.abc import Iterable

from crossheat.graph import Graph
from crossheat.template.model import Template


def dependency_graph(template: Template, names: Iterable[str] | None = None) -> Graph[str]:
    """The graph of ``template``'s resources (or of ``names`` among them, in that order):
    an edge for each depends_on, get_resource and get_attr between two of them. A
    resource naming itself gets no edge (``analyse`` reports it). The one place a
    template's graph is built: planning, the diff, create, delete and update use it."""
    nodes = list(template.resources if names is None else names)
    graph: Graph[str] = Graph(nodes)
    inside = set(nodes)
    for name in nodes:
        definition = template.resources.get(name)
        for required in sorted(definition.dependencies()) if definition else ():
            if required in inside and required != name:
                graph.add_dependency(name, required)
    return graph
