"""Cycle finding: one cycle in order, and every cycle group."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crossheat.graph import Graph


def test_find_cycle_returns_the_cycle_in_requirement_order() -> None:
    g: Graph[str] = Graph(["x"])
    g.add_dependency("a", "b")
    g.add_dependency("b", "c")
    g.add_dependency("c", "a")
    g.add_dependency("c", "x")
    cycle = g.find_cycle()
    assert cycle is not None
    start = cycle.index("a")
    assert cycle[start:] + cycle[:start] == ["a", "b", "c"]


def test_cycles_names_every_node_of_every_cycle_and_self_loops() -> None:
    g: Graph[str] = Graph()
    for node, req in [("a", "b"), ("b", "a"), ("c", "c"), ("d", "a"), ("e", "f"), ("f", "g")]:
        g.add_dependency(node, req)
    g.add_dependency("g", "e")
    assert g.cycles() == [["a", "b"], ["c"], ["e", "f", "g"]]


def test_acyclic_graph_has_no_cycle() -> None:
    g: Graph[int] = Graph()
    g.add_dependency(2, 1)
    assert g.find_cycle() is None
    assert g.cycles() == []


def test_long_chain_cycle_needs_no_recursion() -> None:
    g: Graph[int] = Graph()
    for i in range(5000):
        g.add_dependency(i, i + 1)
    g.add_dependency(5000, 0)
    cycle = g.find_cycle()
    assert cycle is not None and len(cycle) == 5001
    assert [len(c) for c in g.cycles()] == [5001]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_found_cycle_is_real_and_matches_cycles(edges: list[tuple[int, int]]) -> None:
    g: Graph[int] = Graph()
    for node, req in edges:
        g.add_dependency(node, req)
    cycle = g.find_cycle()
    assert (cycle is None) == (g.cycles() == [])
    if cycle is not None:
        for i, node in enumerate(cycle):
            assert cycle[(i + 1) % len(cycle)] in g.requirements(node)
        assert any(set(cycle) <= set(group) for group in g.cycles())
