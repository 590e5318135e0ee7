"""``Graph[T]``: a directed dependency graph over hashable node ids.

An edge ``add_dependency(a, b)`` reads "a requires b": b must be done before a.
Every listing is deterministic: nodes come back in insertion order, and among
nodes that are ready at the same time, the one inserted first goes first.

    g: Graph[str] = Graph()
    g.add_dependency("subnet", "net")
    g.add_dependency("server", "subnet")
    g.topological_order()                   # ["net", "subnet", "server"]
    g.critical_path({"net": 1, "subnet": 1, "server": 10})
    # (12.0, ["net", "subnet", "server"])

Everything is iterative (no recursion) so graphs of 10,000+ nodes are fine.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from crossheat.errors import CycleError
from crossheat.graph._cycles import find_cycle, strongly_connected

T = TypeVar("T", bound=Hashable)


class Graph(Generic[T]):
    """A dependency graph: nodes plus "requires" edges, no cloud knowledge."""

    def __init__(self, nodes: Iterable[T] = ()) -> None:
        self._requires: dict[T, dict[T, None]] = {}
        self._dependents: dict[T, dict[T, None]] = {}
        for node in nodes:
            self.add_node(node)

    def __len__(self) -> int:
        return len(self._requires)

    def __contains__(self, node: object) -> bool:
        return node in self._requires

    def add_node(self, node: T) -> None:
        """Add ``node`` (no-op when it is already there)."""
        if node not in self._requires:
            self._requires[node] = {}
            self._dependents[node] = {}

    def add_dependency(self, node: T, requires: T) -> None:
        """Record that ``node`` needs ``requires`` done first; adds both nodes."""
        self.add_node(node)
        self.add_node(requires)
        self._requires[node][requires] = None
        self._dependents[requires][node] = None

    def nodes(self) -> list[T]:
        """Every node, in insertion order."""
        return list(self._requires)

    def edges(self) -> list[tuple[T, T]]:
        """Every ``(node, requires)`` pair."""
        return [(n, r) for n, reqs in self._requires.items() for r in reqs]

    def requirements(self, node: T) -> list[T]:
        """What ``node`` directly requires."""
        return list(self._requires[node])

    def dependents(self, node: T) -> list[T]:
        """What directly requires ``node``."""
        return list(self._dependents[node])

    def topological_order(self) -> list[T]:
        """Requirements before dependents; ties by insertion order.

        Raises ``CycleError`` (naming one cycle) when there is no such order.
        """
        rank = {node: i for i, node in enumerate(self._requires)}
        missing = {node: len(reqs) for node, reqs in self._requires.items()}
        ready = [rank[n] for n, count in missing.items() if count == 0]
        heapq.heapify(ready)
        order = list(self._requires)
        out: list[T] = []
        while ready:
            node = order[heapq.heappop(ready)]
            out.append(node)
            for dependent in self._dependents[node]:
                missing[dependent] -= 1
                if missing[dependent] == 0:
                    heapq.heappush(ready, rank[dependent])
        if len(out) != len(order):
            raise CycleError(self.find_cycle() or [])
        return out

    def reverse_order(self) -> list[T]:
        """Dependents before their requirements (the order to tear down)."""
        return self.topological_order()[::-1]

    def find_cycle(self) -> list[T] | None:
        """One cycle ``[a, b, c]`` meaning a requires b requires c requires a, or None."""
        return find_cycle(self._requires)

    def cycles(self) -> list[list[T]]:
        """Every group of nodes that require each other (SCCs of 2+ nodes, self-loops).

        Each group lists its nodes in insertion order; groups are ordered by
        their first node.
        """
        groups = strongly_connected(self._requires)
        return [g for g in groups if len(g) > 1 or g[0] in self._requires[g[0]]]

    def earliest_finish(self, weights: Mapping[T, float]) -> dict[T, float]:
        """When each node finishes if everything runs as early as it can.

        A node's finish is its weight (missing weights count 0) plus the latest
        finish among its requirements. Raises ``CycleError`` on a cycle.
        """
        missing = {node: len(reqs) for node, reqs in self._requires.items()}
        start = dict.fromkeys(self._requires, 0.0)
        ready = [node for node, count in missing.items() if not count]
        finish: dict[T, float] = {}
        weight = weights.get
        while ready:
            node = ready.pop()
            end = start[node] + float(weight(node, 0.0))
            finish[node] = end
            for dependent in self._dependents[node]:
                if start[dependent] < end:
                    start[dependent] = end
                missing[dependent] -= 1
                if not missing[dependent]:
                    ready.append(dependent)
        if len(finish) != len(missing):
            raise CycleError(self.find_cycle() or [])
        return finish

    def critical_path(self, weights: Mapping[T, float]) -> tuple[float, list[T]]:
        """The longest weighted chain: ``(total, [first, ..., last])``.

        Ties go to the node inserted first. An empty graph gives ``(0.0, [])``.
        """
        finish = self.earliest_finish(weights)
        if not finish:
            return 0.0, []
        node = max(self._requires, key=finish.__getitem__)
        total = finish[node]
        path = [node]
        while self._requires[node]:
            node = max(self._requires[node], key=finish.__getitem__)
            path.append(node)
        return total, path[::-1]

    def subgraph(self, nodes: Iterable[T]) -> Graph[T]:
        """The graph induced by ``nodes`` (edges between them only)."""
        keep = set(nodes)
        sub: Graph[T] = Graph(n for n in self._requires if n in keep)
        for node in sub._requires:
            for req in self._requires[node]:
                if req in keep:
                    sub.add_dependency(node, req)
        return sub
