"""The graph walker: order, failure skipping, per-group limits, reverse, timeout, stop, pause."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping
from typing import Any

import pytest

from crossheat.engine.walker import (
    NodeState,
    Transition,
    WalkPaused,
    WalkResult,
    pausing,
    walk,
)
from crossheat.graph import CycleError
from crossheat.graph import Graph as DependencyGraph

Graph = Mapping[str, Collection[str]]

CHAIN: Graph = {"a": [], "b": ["a"], "c": ["b"], "d": ["c"]}
# net <- subnet_e, subnet_w <- router ; other is independent
DIAMOND: Graph = {
    "net": [],
    "subnet_e": ["net"],
    "subnet_w": ["net"],
    "router": ["subnet_e", "subnet_w"],
    "other": [],
}


class Recorder:
    """An async ``run`` that logs start/finish order and can fail chosen nodes."""

    def __init__(self, fail: Iterable[str] = (), delay: float = 0.0) -> None:
        self.fail = set(fail)
        self.delay = delay
        self.started: list[str] = []
        self.finished: list[str] = []

    async def __call__(self, node: str) -> None:
        self.started.append(node)
        await asyncio.sleep(self.delay)
        if node in self.fail:
            raise RuntimeError(f"{node} broke")
        self.finished.append(node)


def run_walk(coro: Coroutine[Any, Any, WalkResult[str]]) -> WalkResult[str]:
    return asyncio.run(coro)


def test_chain_runs_in_order() -> None:
    rec = Recorder()
    result = run_walk(walk(CHAIN, rec))
    assert rec.started == ["a", "b", "c", "d"]
    assert result.done == {"a", "b", "c", "d"}
    assert result.ok


def test_failure_skips_downstream_and_reports_only_root_cause() -> None:
    rec = Recorder(fail={"b"})
    result = run_walk(walk(CHAIN, rec))
    assert rec.started == ["a", "b"]
    assert result.done == {"a"}
    assert list(result.failed) == ["b"]
    assert str(result.failed["b"]) == "b broke"
    assert result.skipped == {"c": frozenset({"b"}), "d": frozenset({"b"})}
    assert not result.ok


def test_failure_in_diamond_lets_independent_branches_finish() -> None:
    rec = Recorder(fail={"subnet_e"}, delay=0.001)
    result = run_walk(walk(DIAMOND, rec))
    assert result.done == {"net", "subnet_w", "other"}
    assert set(result.failed) == {"subnet_e"}
    assert result.skipped == {"router": frozenset({"subnet_e"})}


def test_node_blocked_by_two_failures_lists_both_roots() -> None:
    rec = Recorder(fail={"subnet_e", "subnet_w"})
    result = run_walk(walk(DIAMOND, rec))
    assert result.skipped == {"router": frozenset({"subnet_e", "subnet_w"})}
    assert "router" not in rec.started


def test_running_sibling_finishes_after_a_failure() -> None:
    async def run(node: str) -> None:
        if node == "slow":
            await asyncio.sleep(0.02)
        elif node == "bad":
            raise RuntimeError("bad")

    result = run_walk(walk({"slow": [], "bad": [], "after": ["bad"]}, run))
    assert result.done == {"slow"}
    assert result.skipped == {"after": frozenset({"bad"})}
    assert not result.cancelled


def concurrency_probe(
    delay: float,
) -> tuple[Callable[[str], Coroutine[Any, Any, None]], dict[str, int]]:
    """A ``run`` that records the peak number of concurrent nodes per group (first letter)."""
    current: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def run(node: str) -> None:
        key = node[0]
        current[key] = current.get(key, 0) + 1
        peak[key] = max(peak.get(key, 0), current[key])
        await asyncio.sleep(delay)
        current[key] -= 1

    return run, peak


def test_concurrency_limit_per_group() -> None:
    graph: Graph = {f"{g}{i}": [] for g in "EW" for i in range(12)}
    run, peak = concurrency_probe(0.005)
    result = run_walk(walk(graph, run, group=lambda n: n[0], limits={"E": 3}, default_limit=5))
    assert result.done == set(graph)
    assert peak == {"E": 3, "W": 5}


def test_default_limit_is_ten() -> None:
    graph: Graph = {f"E{i}": [] for i in range(25)}
    run, peak = concurrency_probe(0.005)
    run_walk(walk(graph, run, group=lambda n: n[0]))
    assert peak == {"E": 10}


def test_groups_run_in_parallel_whatever_the_group() -> None:
    # each node waits (up to 1 s) for its partner in the other group to have started:
    # the walk succeeds only if East and West really run side by side
    partner = {"E1": "W1", "W1": "E1", "E2": "W2", "W2": "E2"}
    graph: Graph = {"E1": [], "W1": [], "E2": ["W1"], "W2": ["E1"]}

    async def scenario() -> WalkResult[str]:
        started = {node: asyncio.Event() for node in graph}

        async def run(node: str) -> None:
            started[node].set()
            await asyncio.wait_for(started[partner[node]].wait(), 1.0)

        return await walk(graph, run, group=lambda n: n[0], limits={"E": 1, "W": 1})

    result = asyncio.run(scenario())
    assert result.ok, result.failed


def test_reverse_walk_deletes_dependents_first() -> None:
    rec = Recorder()
    result = run_walk(walk(CHAIN, rec, reverse=True))
    assert rec.started == ["d", "c", "b", "a"]
    assert result.ok


def test_reverse_walk_failure_keeps_what_others_still_need() -> None:
    rec = Recorder(fail={"router"})
    result = run_walk(walk(DIAMOND, rec, reverse=True))
    assert result.done == {"other"}
    assert result.skipped == {
        "subnet_e": frozenset({"router"}),
        "subnet_w": frozenset({"router"}),
        "net": frozenset({"router"}),
    }


def test_timeout_cancels_running_and_reports_unfinished() -> None:
    async def run(node: str) -> None:
        if node != "fast":
            await asyncio.sleep(5)

    graph = {"fast": [], "slow": [], "after_slow": ["slow"]}
    result = run_walk(walk(graph, run, timeout=0.05))
    assert result.timed_out
    assert result.done == {"fast"}
    assert result.cancelled == {"slow", "after_slow"}
    assert result.interrupted == {"slow"}


def test_stop_event_lets_running_finish_and_starts_nothing_new() -> None:
    async def scenario() -> WalkResult[str]:
        stop = asyncio.Event()

        async def run(node: str) -> None:
            stop.set()
            await asyncio.sleep(0.01)

        return await walk(CHAIN, run, stop=stop)

    result = asyncio.run(scenario())
    assert result.done == {"a"}
    assert result.cancelled == {"b", "c", "d"}
    assert not result.interrupted
    assert not result.timed_out


def test_a_pause_lets_running_nodes_finish_then_raises_instead_of_returning() -> None:
    finished: list[str] = []

    async def scenario() -> None:
        pause = asyncio.Event()
        graph = {"a": [], "b": [], "c": [], "after": ["a"]}

        async def run(node: str) -> None:
            await asyncio.sleep(0.05)
            finished.append(node)

        async def pause_soon() -> None:
            await asyncio.sleep(0.01)  # a and b run; c waits for its turn (2 at once)
            pause.set()

        with pausing(pause):
            await asyncio.gather(walk(graph, run, default_limit=2), pause_soon())

    with pytest.raises(WalkPaused):
        asyncio.run(scenario())
    assert sorted(finished) == ["a", "b"]


def test_a_pause_reaches_nested_walks_and_a_walk_that_ends_first_returns() -> None:
    async def scenario() -> tuple[WalkResult[str], list[str]]:
        pause = asyncio.Event()
        inner_done: list[str] = []

        async def inner(node: str) -> None:
            pause.set()
            await asyncio.sleep(0.01)
            inner_done.append(node)

        async def outer(node: str) -> None:
            await walk(CHAIN, inner)

        with pausing(pause):
            whole = await walk({"one": []}, lambda node: asyncio.sleep(0))
            pause.set()
            deleted = await walk(CHAIN, lambda node: asyncio.sleep(0), reverse=True)
            assert deleted.done == set(CHAIN)  # a deletion is not paused: it finishes
            pause.clear()
            with pytest.raises(WalkPaused):
                await walk({"nested": []}, outer)
        return whole, inner_done

    whole, inner_done = asyncio.run(scenario())
    assert whole.done == {"one"}
    assert inner_done == ["a"]


def test_cancelling_the_walk_cancels_running_nodes() -> None:
    cancelled: list[str] = []

    async def run(node: str) -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(node)
            raise

    async def scenario() -> None:
        task = asyncio.create_task(walk({"x": [], "y": []}, run))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert sorted(cancelled) == ["x", "y"]


def test_on_change_reports_every_transition() -> None:
    seen: list[Transition[str]] = []
    run_walk(walk(CHAIN, Recorder(fail={"c"}), on_change=seen.append))
    states = [(t.node, t.state) for t in seen]
    assert states == [
        ("a", NodeState.RUNNING),
        ("a", NodeState.DONE),
        ("b", NodeState.RUNNING),
        ("b", NodeState.DONE),
        ("c", NodeState.RUNNING),
        ("c", NodeState.FAILED),
        ("d", NodeState.SKIPPED),
    ]
    assert seen[-1].blocked_by == frozenset({"c"})
    assert isinstance(seen[-2].error, RuntimeError)


def test_walks_a_dependency_graph() -> None:
    graph: DependencyGraph[str] = DependencyGraph()
    graph.add_dependency("subnet", "net")
    graph.add_dependency("server", "subnet")
    graph.add_node("volume")
    rec = Recorder()
    result = run_walk(walk(graph, rec, reverse=True))
    assert rec.started == ["server", "volume", "subnet", "net"]
    assert result.ok


@pytest.mark.parametrize(
    ("graph", "error", "message"),
    [
        ({"c": [], "a": ["b"], "b": ["a"]}, CycleError, "dependency cycle: a -> b -> a"),
        ({"a": ["a"]}, CycleError, "dependency cycle: a -> a"),
        ({"a": ["ghost"]}, ValueError, "'a' requires unknown nodes"),
    ],
)
def test_bad_graphs_are_refused_before_anything_runs(
    graph: Graph, error: type[Exception], message: str
) -> None:
    rec = Recorder()
    with pytest.raises(error, match=message):
        run_walk(walk(graph, rec))
    assert rec.started == []


def test_nodes_ready_together_start_highest_priority_first() -> None:
    rec = Recorder()
    graph: Graph = {"policy": [], "net": [], "subnet": ["net"], "rule": [], "server": ["subnet"]}
    run_walk(walk(graph, rec, priority={"net": 13.0, "subnet": 12.0, "server": 10.0}))
    assert rec.started[:3] == ["net", "policy", "rule"]  # ties: the graph's order


def test_nodes_in_a_full_group_start_highest_priority_first() -> None:
    rec = Recorder(delay=0.01)
    graph: Graph = {"a": [], "b": [], "c": [], "d": []}
    run_walk(walk(graph, rec, default_limit=1, priority={"d": 3.0, "c": 2.0}))
    assert rec.started == ["d", "c", "a", "b"]
