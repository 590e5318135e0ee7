"""Stack operations behind the service's door (private to ``crossheat.service``): record,
lock, run, check, and the views Heat users know.

    stacks = Stacks(store, registry, options)
    record = stacks.create("vpn", spec)           # CREATE_IN_PROGRESS, nothing created yet
    stacks.describe(record)   # Heat's field names: stack_status, regions...

An operation runs in this process (``wait``) or in a detached worker process
(``python -m crossheat.worker``) so the command returns at once, as
``openstack stack create`` does without ``--wait``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from crossheat.clouds.credentials import Caller
from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap
from crossheat.engine.check import CheckResult, run_check
from crossheat.engine.diff import Diff
from crossheat.engine.spec import load_spec
from crossheat.engine.stack import EngineOptions, Operation
from crossheat.engine.update import UpdateOperation
from crossheat.errors import ConfigError, CrossheatError, LockLost, StackError
from crossheat.graph import Graph
from crossheat.plan.analysis import Analysis
from crossheat.redact import mask_paths
from crossheat.resources.registry import Registry
from crossheat.resources.schema import SECRET_MASK
from crossheat.service._acting import refuse_without_caller
from crossheat.service._cancel import cancel_queued
from crossheat.service._nestedviews import nested_detail, stored_outputs, with_nested_stacks
from crossheat.service.views import time_text as _time
from crossheat.store import (
    Action,
    EventRecord,
    LockInfo,
    ResourceRecord,
    StackRecord,
    StackSpec,
    Status,
    Store,
)
from crossheat.store.locks import heartbeat_seconds, holder_is_dead, new_engine_id
from crossheat.store.records import current_project
from crossheat.template import Template

T = TypeVar("T")


@dataclass
class Stacks:
    store: Store
    registry: Registry
    options: EngineOptions
    #: The project whose stacks these are (``current_project()`` when None); ``every``:
    #: an admin's view across projects (``global_tenant``) for reads.
    project: str | None = None
    every: bool = False
    #: Who ``credentials: caller`` regions act as (``crossheat.clouds.credentials``).
    caller: Caller = None

    @property
    def owner(self) -> str:
        return self.project if self.project is not None else current_project()

    # ---- operations ---------------------------------------------------------------------

    def create(self, name: str, spec: StackSpec, action: Action = Action.CREATE) -> StackRecord:
        """Record the stack as CREATE_IN_PROGRESS (ADOPT_: Heat's adopt; nothing is
        created yet) and return it."""
        stack = self.store.create_stack(name, self.owner, spec)
        self.store.update_stack_status(
            stack.id, action, Status.IN_PROGRESS, f"Stack {action} started", event=True
        )
        return stack

    def operation(self, stack: StackRecord, analysis: Analysis | None = None) -> Operation:
        """The create, delete or check of ``stack``: of the template ``analysis`` (the
        command's own, of what ``stack.spec`` holds) found, else rebuilt from the store."""
        template, region_map = self.content(stack, analysis)
        placement, graph = _found(analysis)
        return Operation(
            store=self.store, registry=self.registry, stack=stack, template=template,
            clients=self._clients(region_map), region_map=region_map, options=self.options,
            placement=placement, dependencies=graph,
        )  # fmt: skip

    def update_operation(
        self, stack: StackRecord, analysis: Analysis | None = None
    ) -> UpdateOperation:
        """The update from ``stack.previous`` (what it was) to ``stack.spec`` (what it
        becomes, as ``analysis`` found it when given)."""
        template, region_map = self.content(stack, analysis)
        placement, graph = _found(analysis)
        return UpdateOperation(
            store=self.store, registry=self.registry, stack=stack, template=template,
            clients=self._clients(region_map), region_map=region_map, options=self.options,
            placement=placement, dependencies=graph, old_spec=stack.previous,
        )  # fmt: skip

    def content(
        self, stack: StackRecord, analysis: Analysis | None = None
    ) -> tuple[Template, RegionMap]:
        """The template and region map of ``stack``: those the command analysed, else
        rebuilt once, in memory, from the stack's stored content."""
        return _analysed(analysis) or (load_spec(stack.spec), self.region_map_of(stack))

    def preview_update(
        self, stack: StackRecord, template: Template, analysis: Analysis | None = None
    ) -> Diff:
        """What updating ``stack`` to ``template`` (as ``analysis`` found it, if given)
        would do, the repairs of the drift the last ``stack check`` recorded included.
        Changes nothing; reads from the cloud only the resources that check found
        modified, exactly as the update will."""
        found = _analysed(analysis)
        region_map = found[1] if found else self.region_map_of(stack)
        placement, graph = _found(analysis)
        op = UpdateOperation(
            store=self.store, registry=self.registry, stack=stack, template=template,
            clients=self._clients(region_map), region_map=region_map, options=self.options,
            placement=placement, dependencies=graph,
        )  # fmt: skip
        try:
            return op.compute_diff(self.store.list_resources(stack.id))
        finally:
            _close(op)

    def begin_update(self, stack: StackRecord, spec: StackSpec) -> StackRecord:
        """Make ``spec`` current (the old one kept for rollback) and mark UPDATE_IN_PROGRESS."""
        self.store.save_template_for_update(stack.id, spec)
        self.store.update_stack_status(
            stack.id, Action.UPDATE, Status.IN_PROGRESS, "Stack UPDATE started", event=True
        )
        return self.store.get_stack(stack.id)

    def _clients(self, region_map: RegionMap) -> RegionClients:
        return RegionClients(region_map, caller=self.caller)

    def region_map_of(self, stack: StackRecord) -> RegionMap:
        if not stack.spec.region_map:
            raise ConfigError(f"stack {stack.name} has no region map recorded")
        return RegionMap.from_mapping(stack.spec.region_map, f"stack {stack.name}")

    def lock(self, stack: StackRecord, action: Action) -> str:
        """Take the stack's lock for ``action`` now, or raise ``StackLocked`` saying who has it."""
        engine_id = new_engine_id()
        self.store.acquire_lock(stack.id, action, engine_id)
        return engine_id

    async def run_operation(
        self,
        stack_id: str,
        action: Action,
        engine_id: str,
        *,
        stop: asyncio.Event | None = None,
        view: Callable[[asyncio.Event], Awaitable[None]] | None = None,
        analysis: Analysis | None = None,
    ) -> StackRecord:
        """Run ``action`` on the stack in the running event loop, ``engine_id`` holding its
        lock (released at the end, however it ends). Setting ``stop`` stops the operation
        gracefully, as ``stack cancel`` does; ``view`` runs beside it and is given an event
        set when the operation has ended, to show its last events; ``analysis``: the
        command's own of the stack's template (else rebuilt from the store). Returns the
        stack after."""
        try:
            stack = await asyncio.to_thread(self.store.get_stack, stack_id)
            if action is Action.UPDATE:
                op: Operation = self.update_operation(stack, analysis)
            else:
                op = self.operation(stack, analysis if action is Action.CREATE else None)
        except BaseException:
            self.store.release_lock(stack_id, engine_id)
            raise
        # Without the caller's token for its ``caller`` regions: FAILED, saying why.
        refused: str | None = "not checked"  # an error in the check: the operation ends
        try:
            refused = await asyncio.to_thread(refuse_without_caller, op, action)
        finally:
            if refused is not None:  # the operation does not run
                _close(op)
                self.store.release_lock(stack.id, engine_id)
        if refused is not None:
            return self.store.get_stack(stack.id, include_deleted=True)
        if stop is not None:
            op.stop = stop
        try:
            main = _holding(
                self.store, stack.id, engine_id, _start(op, action), op.stop.set, on_cancel=True
            )
            await _with_view(main, view)
        finally:
            _close(op)
            self.store.release_lock(stack.id, engine_id)
        return self.store.get_stack(stack.id, include_deleted=True)

    def resume(self, stack: StackRecord) -> tuple[Action, str] | None:
        """Take over an operation a dead engine left: ``(action, engine_id)`` to run, or None.

        ``StackLocked`` when the engine that holds the stack is still alive.
        """
        engine_id = new_engine_id()
        if self.store.get_lock(stack.id).held:
            previous = self.store.take_over_lock(stack.id, engine_id)
            return Action(previous.operation or stack.action.value), engine_id
        if stack.status is not Status.IN_PROGRESS:
            return None
        self.store.acquire_lock(stack.id, stack.action, engine_id)
        return stack.action, engine_id

    def cancel(self, stack: StackRecord) -> str:
        """Ask the engine running the stack's update to stop and roll back; one still in
        the job queue is taken out of it instead (``_cancel``). The request goes through
        the database, so the engine may run on any host that shares it; it reads the
        request within a second (``CANCEL_POLL_SECONDS``)."""
        lock = self.store.get_lock(stack.id)
        if not lock.held or lock.operation != Action.UPDATE.value or lock.engine_id is None:
            raise StackError(f"stack {stack.name} has no update in progress to cancel")
        if cancel_queued(self.store, stack, rollback=True):
            return f"took the queued update of {stack.name} out of the queue: nothing changed"
        lock = self.store.get_lock(stack.id)  # a worker may have just taken it over
        if holder_is_dead(lock):
            raise StackError(
                f"the engine of {stack.name} is gone; use `crossheat stack resume {stack.name}`"
            )
        if not self.store.request_cancel(stack.id, lock.engine_id or ""):
            raise StackError(f"the update of {stack.name} has just ended; nothing to cancel")
        return f"asked engine {lock.engine_id} to cancel the update of {stack.name}"

    def begin_delete(self, name: str) -> StackRecord:
        stack = self.get(name)
        if stack.action is Action.DELETE and stack.status is Status.COMPLETE:
            raise StackError(f"stack {name} is already deleted")
        return stack

    async def check(self, stack: StackRecord) -> CheckResult:
        """Read every resource back from its cloud and record drift (Heat's CHECK), in the
        running event loop, holding the stack's lock; see ``crossheat.engine.check``."""
        op = self.operation(stack)
        try:
            engine_id = self.lock(stack, Action.CHECK)
            try:
                return await _holding(self.store, stack.id, engine_id, run_check(op), op.stop.set)
            finally:
                self.store.release_lock(stack.id, engine_id)
        finally:
            _close(op)

    # ---- views --------------------------------------------------------------------------

    def get(self, name_or_id: str, *, include_deleted: bool = False) -> StackRecord:
        """A live stack by name or id; a deleted one too, by id, with ``include_deleted``
        (as Heat shows a deleted stack's events by its id)."""
        project = None if self.every else self.owner
        return self.store.get_stack(name_or_id, project, include_deleted=include_deleted)

    def all(self, *, nested: bool = False) -> list[StackRecord]:
        return self.store.list_stacks(None if self.every else self.owner, include_nested=nested)

    def describe(
        self, stack: StackRecord, outputs: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """``stack_dict`` with the regions the stack has resources in."""
        return stack_dict(stack, outputs, self.store.stack_regions([stack.id])[stack.id])

    def describe_all(self, stacks: list[StackRecord]) -> list[dict[str, Any]]:
        regions = self.store.stack_regions([s.id for s in stacks])
        return [stack_dict(s, regions=regions[s.id]) for s in stacks]

    def outputs(self, stack: StackRecord) -> list[dict[str, Any]]:
        """The stack's outputs, from the attributes stored: no cloud client, no request."""
        return stored_outputs(self.store, stack)

    def resources(self, stack: StackRecord, nested: bool = False) -> list[ResourceRecord]:
        current = [r for r in self.store.list_resources(stack.id) if not r.replaced_by]
        return with_nested_stacks(self.store, stack, current) if nested else current

    def resource(self, stack: StackRecord, name: str) -> dict[str, Any]:
        """Heat's ``resource show`` of ``name`` (by name or physical id), secrets masked."""
        current = self.resources(stack, nested=True)
        found = [r for r in current if name in (r.name, r.physical_id)]
        if not found:
            raise StackError(f"stack {stack.name} has no resource {name!r}")
        template = load_spec(stack.spec)
        required_by = sorted(
            other
            for other, definition in template.resources.items()
            if found[0].name in definition.dependencies() and other != found[0].name
        )
        return nested_detail(resource_detail(found[0], required_by), found[0])

    def events(self, stack: StackRecord, marker: int | None = None) -> list[EventRecord]:
        return self.store.list_events(stack.id, after_event=marker)


def _found(analysis: Analysis | None) -> tuple[dict[str, str], Graph[str] | None]:
    """Each resource's region and the graph ``analysis`` found (none: worked out anew)."""
    if analysis is None or _analysed(analysis) is None:
        return {}, None
    return dict(analysis.regions), analysis.graph


def _analysed(analysis: Analysis | None) -> tuple[Template, RegionMap] | None:
    """The template and region map ``analysis`` found, when it is one to deploy."""
    if analysis is None or not analysis.ok or analysis.template is None:
        return None
    return (analysis.template, analysis.region_map) if analysis.region_map else None


async def _start(op: Operation, action: Action) -> StackRecord:
    if action in (Action.CREATE, Action.ADOPT):
        return await op.create(action)
    if action is Action.DELETE:
        return await op.delete()
    if action is Action.UPDATE and isinstance(op, UpdateOperation):
        return await op.update()
    if action is Action.CHECK:
        await run_check(op)
        return op.stack
    raise StackError(f"cannot run {action} here")


def _close(op: Operation) -> None:
    """Stop the operation's worker pool and close the cloud connections made for it."""
    op.close()
    if op.clients is not None:
        op.clients.close()


#: How often a running operation looks for a ``stack cancel`` request.
CANCEL_POLL_SECONDS = 1.0


async def _holding(
    store: Store,
    stack_id: str,
    engine_id: str,
    main: Awaitable[T],
    stop: Callable[[], object],
    *,
    on_cancel: bool = False,
) -> T:
    """Run ``main`` while ``engine_id`` holds the stack: a heartbeat every few seconds,
    every write fenced (``Store.fence``), and, with ``on_cancel``, ``stop`` called when
    ``stack cancel`` asks.

    If a heartbeat fails or a write is refused (another engine took the stack over),
    ``stop`` is called at once: nothing new starts, what is in flight finishes, every
    later write is refused, so the operation neither records nor rolls back anything;
    ``LockLost`` is raised once ``main`` has returned.
    """
    loop = asyncio.get_running_loop()
    store.fence(stack_id, engine_id, lambda: loop.call_soon_threadsafe(stop))

    async def beat() -> None:
        while True:
            await asyncio.sleep(heartbeat_seconds())
            try:
                await asyncio.to_thread(store.heartbeat_lock, stack_id, engine_id)
            except CrossheatError as exc:
                store.fence_lost(stack_id, f"engine {engine_id}'s heartbeat failed: {exc}")
                stop()
                return

    async def watch() -> None:
        while not await asyncio.to_thread(store.cancel_requested, stack_id, engine_id):
            await asyncio.sleep(CANCEL_POLL_SECONDS)
        stop()

    helpers = [asyncio.ensure_future(beat())]
    if on_cancel:
        helpers.append(asyncio.ensure_future(watch()))
    try:
        result = await main
    finally:
        for helper in helpers:
            helper.cancel()
        lost = store.unfence(stack_id)
    if lost is not None:
        raise LockLost(lost)
    return result


#: How long, once the operation has ended, its view may take to show the last of it.
VIEW_DRAIN_SECONDS = 30.0


async def _with_view(
    main: Awaitable[StackRecord], view: Callable[[asyncio.Event], Awaitable[None]] | None
) -> StackRecord:
    """Run ``main`` with ``view`` beside it. When ``main`` ends, however it ends, the view
    is told so and given time to show what happened last (the final events) before it
    stops; it is not cut off mid-way."""
    if view is None:
        return await main
    done = asyncio.Event()
    viewer = asyncio.ensure_future(view(done))
    try:
        return await main
    finally:
        done.set()
        try:
            await asyncio.wait_for(asyncio.shield(viewer), VIEW_DRAIN_SECONDS)
        except (Exception, asyncio.CancelledError):
            pass  # a view that fails or hangs does not change the operation's outcome
        finally:
            viewer.cancel()


def stack_dict(
    stack: StackRecord,
    outputs: list[dict[str, Any]] | None = None,
    regions: list[str] | None = None,
) -> dict[str, Any]:
    """A stack in Heat's field names; hidden parameters shown as ``******``. ``regions``:
    those it has resources in (``Stacks.describe``), else every region of its map."""
    params = {
        k: (SECRET_MASK if k in stack.spec.hidden_parameters else v)
        for k, v in stack.spec.parameters.items()
    }
    out: dict[str, Any] = {
        "id": stack.id,
        "stack_name": stack.name,
        "project": stack.project,
        "stack_status": stack.stack_status,
        "stack_status_reason": stack.status_reason,
        "creation_time": _time(stack.created_at),
        "updated_time": _time(stack.updated_at),
        "deletion_time": _time(stack.deleted_at),
        "disable_rollback": stack.spec.disable_rollback,
        "timeout_mins": stack.spec.timeout_mins,
        "parameters": params,
        "regions": (
            regions
            if regions is not None
            else sorted((stack.spec.region_map.get("regions") or {}).keys())
        ),
        "description": str(stack.spec.template.get("description") or "").strip(),
    }
    if stack.lock.held:
        out["stack_status_reason"], out["operation_in_progress"] = in_progress(
            stack.name, stack.status_reason, stack.lock
        )
    if outputs is not None:
        out["outputs"] = outputs
    return out


def in_progress(name: str, reason: str, lock: LockInfo) -> tuple[str, dict[str, Any]]:
    """The status reason of a stack whose lock is held (saying how to finish the operation
    if its engine is gone) and the operation in progress."""
    dead = holder_is_dead(lock)
    operation = {
        "operation": lock.operation,
        "engine": lock.engine_id,
        "since": _time(lock.acquired_at),
        "last_heartbeat": _time(lock.heartbeat_at),
        "engine_alive": not dead,
        "cancel_requested": lock.cancel_requested_at is not None,
    }
    if dead:
        reason = (
            f"{reason} (the engine running {lock.operation} since "
            f"{_time(lock.acquired_at)} is gone; `crossheat stack resume {name}` finishes it)"
        )
    return reason, operation


def resource_detail(record: ResourceRecord, required_by: list[str]) -> dict[str, Any]:
    """Heat's ``resource show`` fields (and crossheat's region and resolved properties);
    every sealed value is ``******``. ``attributes`` leaves out ``show`` (the whole cloud
    resource), as Heat does unless asked."""

    def masked(section: str, value: dict[str, Any]) -> Any:
        return mask_paths(value, [p[1:] for p in record.secret_paths if p[0] == section])

    attributes = masked("attributes", record.attributes)
    return {
        "attributes": {k: v for k, v in attributes.items() if k != "show"},
        "creation_time": _time(record.created_at),
        "description": "",
        "logical_resource_id": record.name,
        "physical_resource_id": record.physical_id or "",
        "properties": masked("properties", record.properties),
        "region": record.region,
        "required_by": required_by,
        "resource_name": record.name,
        "resource_status": record.resource_status,
        "resource_status_reason": record.status_reason,
        "resource_type": record.type,
        "updated_time": _time(record.updated_at or record.created_at),
    }
