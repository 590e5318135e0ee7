"""Cycle detection over an adjacency mapping ``node -> nodes it requires``.

Both functions are iterative, so deep chains do not hit Python's recursion
limit, and deterministic: nodes are visited in the mapping's order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

_NEW, _OPEN, _DONE = 0, 1, 2


def find_cycle(requires: Mapping[T, Iterable[T]]) -> list[T] | None:
    """Return one cycle ``[a, b, c]`` (a requires b, b requires c, c requires a) or None."""
    state: dict[T, int] = dict.fromkeys(requires, _NEW)
    for root in requires:
        if state[root] != _NEW:
            continue
        path: list[T] = [root]
        stack = [iter(requires[root])]
        state[root] = _OPEN
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = _DONE
                stack.pop()
            elif state[step] == _OPEN:
                return path[path.index(step) :]
            elif state[step] == _NEW:
                state[step] = _OPEN
                path.append(step)
                stack.append(iter(requires[step]))
    return None


def strongly_connected(requires: Mapping[T, Iterable[T]]) -> list[list[T]]:
    """Tarjan's strongly connected components, each in the mapping's node order.

    Components are sorted by the position of their first node.
    """
    rank = {node: i for i, node in enumerate(requires)}
    index: dict[T, int] = {}
    low: dict[T, int] = {}
    on_stack: set[T] = set()
    stack: list[T] = []
    groups: list[list[T]] = []
    for root in requires:
        if root in index:
            continue
        work = [(root, iter(requires[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    groups.append(_pop_component(node, stack, on_stack, rank))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(requires[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(groups, key=lambda g: rank[g[0]])


def _pop_component(head: T, stack: list[T], on_stack: set[T], rank: dict[T, int]) -> list[T]:
    group: list[T] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        group.append(member)
        if member == head:
            return sorted(group, key=lambda n: rank[n])
