"""Walk a dependency graph with asyncio, like Terraform's walker and Heat's DependencyTaskGroup.

Generic: nodes are any hashable values, and the walker knows nothing of clouds.

    result = await walk(
        {"net": [], "subnet": ["net"], "server": ["subnet"]},   # node -> what it requires
        run,                                                      # async def run(node) -> None
        group=region_of,                                          # node -> group key
        limits={"East": 4},                                       # default_limit elsewhere
    )

Contract:

- a node starts as soon as everything it requires is done, whatever its group;
  at most ``limits.get(group, default_limit)`` nodes of one group run at once;
- ``reverse=True`` walks for deletion: a node starts once every node that
  requires it is done;
- when a node fails, every node downstream of it is skipped and records the
  root causes that blocked it; running nodes finish, independent branches go on;
- ``timeout`` (seconds): running nodes are cancelled; the result has
  ``timed_out=True`` and every unfinished node in ``cancelled``;
- ``stop`` (an ``asyncio.Event``): once set, nothing new starts and running nodes
  finish (a graceful stop); cancelling the task that awaits ``walk`` cancels
  the running nodes and re-raises ``CancelledError`` (a hard stop);
- ``on_change`` is called on every transition (running, done, failed, skipped, cancelled);
- ``priority``: of the nodes ready at the same time, the highest starts first (the
  length of the longest chain through it, say); ties, and nodes without one, in the
  graph's order;
- a pause (``pausing(event)`` around the walk, in its task's context): once the event is
  set, nothing new starts, running nodes finish, and the walk raises ``WalkPaused``
  instead of returning: the operation records nothing more and is resumed later (a
  worker stopping hands its operations back to the queue at this safe point). A
  ``reverse`` walk (a delete, a rollback's) is not paused: it finishes, since resuming
  runs the stack's operation again, not the rollback it was in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from crossheat.graph import Graph

N = TypeVar("N", bound=Hashable)

DEFAULT_LIMIT = 10

#: The pause of the walks run in this context (``pausing``); None: they are never paused.
_PAUSE: ContextVar[asyncio.Event | None] = ContextVar("crossheat_walk_pause", default=None)


class WalkPaused(BaseException):
    """A walk stopped by its context's pause, its running nodes finished. A
    ``BaseException``, as ``CancelledError`` is: no ``except Exception`` of an operation
    takes it for a failure to record."""


@contextmanager
def pausing(pause: asyncio.Event) -> Iterator[None]:
    """Walks started inside (in this task and the tasks it starts) pause when ``pause``
    is set: see the module's doc."""
    token = _PAUSE.set(pause)
    try:
        yield
    finally:
        _PAUSE.reset(token)


class RequirementGraph(Protocol[N]):
    """What the walker needs of a graph (``crossheat.graph.Graph`` has it)."""

    def nodes(self) -> Iterable[N]: ...

    def requirements(self, node: N) -> Iterable[N]: ...


class NodeState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Transition(Generic[N]):
    """One state change of one node, as passed to ``on_change``."""

    node: N
    state: NodeState
    error: BaseException | None = None
    blocked_by: frozenset[N] = frozenset()


@dataclass
class WalkResult(Generic[N]):
    """How the walk ended.

    ``skipped`` maps each skipped node to the failed nodes (root causes) that
    blocked it. ``cancelled`` holds every node left unfinished by a timeout or a
    stop; ``interrupted`` is the subset that was running when it was cancelled.
    """

    done: set[N] = field(default_factory=set)
    failed: dict[N, BaseException] = field(default_factory=dict)
    skipped: dict[N, frozenset[N]] = field(default_factory=dict)
    cancelled: set[N] = field(default_factory=set)
    interrupted: set[N] = field(default_factory=set)
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True when every node is done."""
        return not (self.failed or self.skipped or self.cancelled or self.timed_out)


def _as_mapping(graph: Mapping[N, Collection[N]] | RequirementGraph[N]) -> dict[N, list[N]]:
    if isinstance(graph, Mapping):
        return {node: list(reqs) for node, reqs in graph.items()}
    return {node: list(graph.requirements(node)) for node in graph.nodes()}


def _waits_for(requirements: dict[N, list[N]], reverse: bool) -> dict[N, set[N]]:
    """node -> the nodes that must be done before it starts."""
    for node, reqs in requirements.items():
        unknown = [r for r in reqs if r not in requirements]
        if unknown:
            raise ValueError(f"{node!r} requires unknown nodes {unknown!r}")
    _check_acyclic(requirements)
    waits: dict[N, set[N]] = {node: set() for node in requirements}
    for node, reqs in requirements.items():
        for req in reqs:
            if reverse:
                waits[req].add(node)
            else:
                waits[node].add(req)
    return waits


def _check_acyclic(requirements: dict[N, list[N]]) -> None:
    """Raise ``CycleError`` (naming one cycle) before anything runs."""
    graph: Graph[N] = Graph(requirements)
    for node, reqs in requirements.items():
        for req in reqs:
            graph.add_dependency(node, req)
    graph.topological_order()


class _Walk(Generic[N]):
    """The state of one walk; ``walk()`` is its only user."""

    def __init__(
        self,
        waits: dict[N, set[N]],
        run: Callable[[N], Awaitable[object]],
        semaphore_for: Callable[[N], asyncio.Semaphore],
        on_change: Callable[[Transition[N]], None] | None,
        pausable: bool = True,
        priority: Mapping[N, float] | None = None,
    ) -> None:
        first = priority or {}
        self.order = sorted(
            waits, key=lambda node: -first.get(node, 0.0)
        )  # stable: ties keep order
        self.rank = {node: i for i, node in enumerate(self.order)}
        self.waiting = {node: len(reqs) for node, reqs in waits.items()}
        self.ready = [self.rank[node] for node, count in self.waiting.items() if count == 0]
        self.downstream: dict[N, list[N]] = {node: [] for node in waits}
        for node, reqs in waits.items():
            for req in reqs:
                self.downstream[req].append(node)
        self.run = run
        self.semaphore_for = semaphore_for
        self.on_change = on_change
        self.tasks: dict[asyncio.Task[None], N] = {}
        self.finished: asyncio.Queue[asyncio.Task[None] | None] = asyncio.Queue()
        self.started: set[N] = set()
        self.result: WalkResult[N] = WalkResult()
        self.pause = _PAUSE.get() if pausable else None

    @property
    def paused(self) -> bool:
        return self.pause is not None and self.pause.is_set()

    def emit(self, transition: Transition[N]) -> None:
        if self.on_change is not None:
            self.on_change(transition)

    async def _run_one(self, node: N) -> None:
        async with self.semaphore_for(node):
            if self.paused:  # it waited for its turn: paused before it started
                raise asyncio.CancelledError
            self.started.add(node)
            self.emit(Transition(node, NodeState.RUNNING))
            await self.run(node)

    def start_ready(self) -> None:
        """Start every waiting node whose requirements are all done, in rank order."""
        self.ready.sort()
        for rank in self.ready:
            node = self.order[rank]
            del self.waiting[node]
            task = asyncio.create_task(self._run_one(node), name=f"walk:{node!r}")
            task.add_done_callback(self.finished.put_nowait)
            self.tasks[task] = node
        self.ready.clear()

    def finish(self, task: asyncio.Task[None]) -> None:
        node = self.tasks.pop(task, None)
        if node is None:
            return
        if task.cancelled():
            self._cancel(node)
            return
        error = task.exception()
        if error is None:
            self._done(node)
            return
        self.result.failed[node] = error
        self.emit(Transition(node, NodeState.FAILED, error=error))
        self._skip_downstream(node)

    def _done(self, node: N) -> None:
        self.result.done.add(node)
        self.emit(Transition(node, NodeState.DONE))
        for child in self.downstream[node]:
            if child in self.waiting:
                self.waiting[child] -= 1
                if self.waiting[child] == 0:
                    self.ready.append(self.rank[child])

    def _cancel(self, node: N) -> None:
        self.result.cancelled.add(node)
        if node in self.started:
            self.result.interrupted.add(node)
        self.emit(Transition(node, NodeState.CANCELLED))

    def _skip_downstream(self, root: N) -> None:
        """Mark everything downstream of ``root`` skipped, blocked by ``root``.

        A node skipped earlier for another root is reported again with both causes.
        """
        todo = list(self.downstream[root])
        seen: set[N] = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            self.waiting.pop(node, None)
            causes = self.result.skipped.get(node, frozenset()) | {root}
            self.result.skipped[node] = causes
            self.emit(Transition(node, NodeState.SKIPPED, blocked_by=causes))
            todo.extend(self.downstream[node])

    def finish_available(self, first: asyncio.Task[None]) -> None:
        """Finish ``first`` and every other task already queued, in rank order."""
        done = [first]
        while not self.finished.empty():
            task = self.finished.get_nowait()
            if task is not None:
                done.append(task)
        ours = [task for task in done if task in self.tasks]
        for task in sorted(ours, key=lambda t: self.rank[self.tasks[t]]):
            self.finish(task)

    def cancel_pending(self) -> None:
        """Record every node that never started as cancelled."""
        for node in list(self.waiting):
            del self.waiting[node]
            self._cancel(node)

    async def cancel_running(self) -> None:
        """Cancel every running task, wait for them, and record them as cancelled."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for task in sorted(tasks, key=lambda t: self.rank[self.tasks[t]]):
            self.finish(task)


async def walk(
    graph: Mapping[N, Collection[N]] | RequirementGraph[N],
    run: Callable[[N], Awaitable[object]],
    *,
    group: Callable[[N], Hashable] | None = None,
    limits: Mapping[Hashable, int] | None = None,
    default_limit: int = DEFAULT_LIMIT,
    reverse: bool = False,
    timeout: float | None = None,
    stop: asyncio.Event | None = None,
    on_change: Callable[[Transition[N]], None] | None = None,
    priority: Mapping[N, float] | None = None,
) -> WalkResult[N]:
    """Run ``run(node)`` for every node of ``graph`` in dependency order (see module doc).

    Before anything runs, raises ``crossheat.graph.CycleError`` when the graph
    has a cycle, and ``ValueError`` when a node requires a node not in the graph.
    """
    waits = _waits_for(_as_mapping(graph), reverse)
    semaphores: dict[Hashable, asyncio.Semaphore] = {}

    def semaphore_for(node: N) -> asyncio.Semaphore:
        key = group(node) if group is not None else None
        if key not in semaphores:
            semaphores[key] = asyncio.Semaphore((limits or {}).get(key, default_limit))
        return semaphores[key]

    state = _Walk(waits, run, semaphore_for, on_change, pausable=not reverse, priority=priority)
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
    stops = [event for event in (stop, state.pause) if event is not None]
    watchers = [asyncio.create_task(_watch(event, state.finished)) for event in stops]
    try:
        await _drive(state, stops, deadline)
    except BaseException:
        await state.cancel_running()
        raise
    finally:
        for watcher in watchers:
            watcher.cancel()
    result = state.result
    if state.paused and (
        result.cancelled or any(isinstance(e, WalkPaused) for e in result.failed.values())
    ):
        raise WalkPaused(f"paused with {len(result.cancelled)} nodes not started")
    return result


async def _watch(stop: asyncio.Event, finished: asyncio.Queue[asyncio.Task[None] | None]) -> None:
    """Wake the walk (with ``None``) when ``stop`` is set."""
    await stop.wait()
    finished.put_nowait(None)


async def _drive(state: _Walk[N], stops: list[asyncio.Event], deadline: float | None) -> None:
    stopping = False
    while True:
        stopping = stopping or any(event.is_set() for event in stops)
        if not stopping:
            state.start_ready()
        if not state.tasks:
            break
        try:
            async with asyncio.timeout_at(deadline):
                task = await state.finished.get()
        except TimeoutError:
            state.result.timed_out = True
            await state.cancel_running()
            break
        if task is not None:
            state.finish_available(task)
    state.cancel_pending()
