"""One resource's create or delete: the start step, the poll steps, what is recorded.

Every step's result is persisted (physical id, progress) before the next, and
the intent is recorded before any call that creates something in a cloud, so
an engine that dies mid-way can find what it made (by its tags) instead of
making it twice. Every cloud call of a fenced operation is preceded by a check of the
fence (``Store.check_fence``, no database read while its last confirmation is fresh).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap
from crossheat.clouds.retry import RetryPolicy
from crossheat.engine.pacing import Durations, Pacer
from crossheat.engine.prefetch import Lookups, answered, call_key
from crossheat.errors import (
    CloudConflict,
    CloudError,
    CloudNotFound,
    CloudTransientError,
    NestedStackTimedOut,
    OperationCancelled,
)
from crossheat.redact import Path
from crossheat.resources.lifecycle import (
    MAX_POLL_DELAY,
    CloudCaller,
    Done,
    Pending,
    ResourceContext,
    Step,
    kill_point,
)
from crossheat.resources.registry import ResourceType
from crossheat.store import Action, Readiness, ResourceRecord, Status, Store

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How long a delete keeps retrying "in use" conflicts that parallel deletes should resolve.
IN_USE_PATIENCE = 120.0


@dataclass
class Runtime:
    """What every action of one operation shares."""

    store: Store
    clients: RegionClients | None
    region_map: RegionMap | None
    pool: ThreadPoolExecutor
    stack_id: str
    stack_name: str
    #: Each resource's ``update_policy`` (resolved), for the types that read one.
    update_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Resource name -> paths of its resolved properties that hidden parameters reached
    #: (``Operation.resolved_properties``); sealed like secret properties.
    tainted: dict[str, list[Path]] = field(default_factory=dict)
    #: Per resource name: what its lifecycle steps find in ``ctx.extra``.
    extras: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: How long each (type, region, action) took, this run and lately: the poll schedules.
    durations: Durations = field(init=False)
    #: Answers of the lookups made ahead (``engine.prefetch``), for the same calls later.
    lookups: Lookups = field(default_factory=Lookups)
    #: Set once a first create call has been answered: the first creates are on their way.
    answered: threading.Event = field(default_factory=threading.Event)
    #: The operation's stop (``stack cancel``) while its creates and updates may be cut
    #: short: one waiting for the cloud then fails at once (``OperationCancelled``), as
    #: Heat's do; None during a rollback or a delete, which go to their end.
    interrupt: asyncio.Event | None = None
    #: Per resource name, the ends of the timeouts of the nested stacks it is in (set once
    #: one has passed, ``engine.nested_timeout``): its create or update waiting for the
    #: cloud then fails at once (``NestedStackTimedOut``), as on a cancel.
    expiries: dict[str, tuple[asyncio.Event, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.durations = Durations(self.store.recent_durations, self.store.recent_readiness)

    def property_secret_paths(self, name: str, cls: type[ResourceType]) -> list[Path]:
        """Where ``name``'s properties hold secrets: its type's secret properties and what
        hidden parameters reached."""
        own: list[Path] = [(k,) for k, p in cls.properties_schema.items() if p.secret]
        return own + self.tainted.get(name, [])

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (a lifecycle step, a store write) in the worker pool."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def caller(
        self,
        record: ResourceRecord,
        once: bool = False,
        ahead: bool = False,
        lookups: Lookups | None = None,
    ) -> CloudCaller:
        """Calls to ``record``'s region; ``once``: never repeated after an error that may
        hide a success (``RegionClients.call_once``, for the create call itself);
        ``ahead``: lookups made ahead of time, whose answers are kept (``engine.prefetch``).
        A call made ahead is answered from what was kept: in ``lookups`` (a check's own,
        whose answers must not reach the operation's later polls), else the operation's.
        Any other call is sent only while the engine holds the stack (``Store.check_fence``)."""
        region = record.region or ""
        clients = self.clients
        lookups = self.lookups if lookups is None else lookups

        def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            if clients is None:
                raise CloudError(f"no cloud configured for region {region!r}", region=region)
            key = call_key(region, fn, args, kwargs) if ahead or len(lookups) else None
            if ahead and key is not None:
                return lookups.ahead(key, lambda: clients.call(region, fn, *args, **kwargs))
            found, answer = answered(lookups.answer(key))
            if found:
                return answer  # type: ignore[no-any-return]
            # An engine that lost the stack (frozen while another took it over and made,
            # changed or deleted this resource) sends nothing: its fence is checked first.
            self.store.check_fence(self.stack_id)
            if once:
                try:
                    return clients.call_once(region, fn, *args, **kwargs)
                finally:
                    self.answered.set()
            return clients.call(region, fn, *args, **kwargs)

        return call

    def context(
        self,
        record: ResourceRecord,
        action: Action | None = None,
        *,
        ahead: bool = False,
        lookups: Lookups | None = None,
    ) -> ResourceContext:
        """``record``'s context; with ``action``, polled on that action's schedule;
        ``ahead``: for ``ResourceType.prefetch`` (its calls' answers are kept, in
        ``lookups`` when given)."""
        region = record.region or ""
        region_map = self.region_map
        call = self.caller(record, ahead=ahead, lookups=lookups)

        def image(logical: str) -> str:
            return region_map.resolve_image(region, logical) if region_map else logical

        def flavor(logical: str) -> str:
            return region_map.resolve_flavor(region, logical) if region_map else logical

        def zone(logical: str) -> str | None:
            return region_map.host_zone(region, logical) if region_map else None

        ctx = ResourceContext(
            stack_id=self.stack_id,
            stack_name=self.stack_name,
            name=record.name,
            region=region,
            call=call,
            resolve_image=image,
            resolve_flavor=flavor,
            physical_id=record.physical_id,
            progress=dict(record.progress or {}),
            attributes=dict(record.attributes),
            update_policy=self.update_policies.get(record.name, {}),
            extra=self.extras.get(record.name, {}),
            pacer=None if action is None else self.durations.pacer(record.type, region, action),
            properties=record.properties,
            host_zone=zone,
        )
        ctx.save_progress = lambda: self.store.set_progress(record.id, ctx.progress)
        return ctx


async def _poll(
    rt: Runtime,
    ctx: ResourceContext,
    step: Step,
    check: Callable[[], Step],
    interruptible: bool = False,
) -> None:
    """Poll until ``check`` is done: after the delays the action's schedule gives (exact
    ones), or else sooner at first. The duration is then learnt for the next ones, and,
    when the schedule paced the polls, when each was sent and what it found (the bounds
    of when the resource became ready: ``Pacer.polled``).
    ``interruptible``: a cancel (``Runtime.interrupt``) or the timeout of a nested stack
    of the resource (``Runtime.expiries``) ends the wait at once."""
    pacer = ctx.pacer if isinstance(ctx.pacer, Pacer) else None
    # A resumed action's first poll is not paced: its readiness says nothing.
    timed = pacer if isinstance(step, Pending) and step.exact else None
    delay_cap = 0.05
    while isinstance(step, Pending):
        delay = step.delay if step.exact else min(step.delay, delay_cap)
        await _pause(rt, delay, ctx, interruptible)
        delay_cap = min(MAX_POLL_DELAY, delay_cap * 2)
        sent = timed.elapsed() if timed is not None else 0.0
        step = await rt.run(check)
        if timed is not None:
            timed.polled(sent, isinstance(step, Done))
    assert isinstance(step, Done)
    if pacer is not None:
        pacer.done()


def _readiness(ctx: ResourceContext) -> Readiness | None:
    """The bounds ``ctx``'s polls put on when its resource became ready, to record."""
    return ctx.pacer.readiness() if isinstance(ctx.pacer, Pacer) else None


async def _pause(rt: Runtime, seconds: float, ctx: ResourceContext, interruptible: bool) -> None:
    """Sleep ``seconds``; when ``interruptible``, ``OperationCancelled`` as soon as the
    operation is cancelled, ``NestedStackTimedOut`` as soon as a nested stack of the
    resource times out."""
    cancel = rt.interrupt if interruptible else None
    expiries = rt.expiries.get(ctx.name, ()) if interruptible else ()
    stops = [e for e in (cancel, *expiries) if e is not None]
    if not stops:
        await asyncio.sleep(seconds)
        return
    if not any(e.is_set() for e in stops):
        await _first_set(stops, seconds)
    if cancel is not None and cancel.is_set():
        raise OperationCancelled(f"{ctx.name}: cancelled while waiting for the cloud")
    if any(e.is_set() for e in expiries):
        raise NestedStackTimedOut(f"{ctx.name}: timed out while waiting for the cloud")


async def _first_set(events: list[asyncio.Event], seconds: float) -> None:
    """Wait until one of ``events`` is set, at most ``seconds``."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def secret_attribute_paths(cls: type[ResourceType]) -> list[Path]:
    """Secret attributes, and secret values inside ``show`` (the whole cloud resource).
    The store also seals every attribute holding a secret text of the stack (what a
    hidden parameter reached, e.g. a server's name)."""
    names = {name for name, attr in cls.attributes_schema.items() if attr.secret}
    names |= {name for name, prop in cls.properties_schema.items() if prop.secret}
    paths: list[Path] = [(n,) for n in sorted(names)]
    return paths + [("show", n) for n in sorted(names)]


async def create_resource(
    rt: Runtime, record: ResourceRecord, cls: type[ResourceType], props: dict[str, Any]
) -> ResourceContext:
    """Create ``record``'s resource with ``props`` (recorded with the intent, secrets sealed);
    returns its context with live attributes."""
    ctx = rt.context(record, Action.CREATE)
    plugin = cls()
    intent = {"operation": "create", "tags": ctx.tags, "name": ctx.physical_name}
    if record.intent:  # resuming: keep the intent recorded before the crash
        intent = dict(record.intent)
    secret_paths = rt.property_secret_paths(record.name, cls)
    await rt.run(
        lambda: rt.store.start_action(
            record.id, Action.CREATE, intent, properties=props, secret_paths=secret_paths
        )
    )

    def persist() -> None:
        if ctx.progress:
            rt.store.set_progress(record.id, ctx.progress)
        if ctx.physical_id and ctx.physical_id != record.physical_id:
            rt.store.set_resource_status(
                record.id, Action.CREATE, Status.IN_PROGRESS, "state changed",
                physical_id=ctx.physical_id,
            )  # fmt: skip

    if ctx.physical_id is None and record.intent:  # resuming: the create may have happened
        ctx.taken = await rt.run(_taken, rt, record)
        ctx.physical_id = await rt.run(plugin.find, ctx)
    step: Step
    if ctx.physical_id is not None and not cls.create_resumes:
        step = Pending(0.0)  # it exists: only wait until it is usable
    else:
        kill_point("create", record.name, "before-call")
        step = await _create_once(rt, record, plugin, ctx, props)
        kill_point("create", record.name, "after-call")
    if isinstance(step, Pending):  # when Done, finishing records the physical id at once
        await rt.run(persist)
    await _poll(rt, ctx, step, lambda: plugin.check_create(ctx), interruptible=True)
    if not ctx.attributes:
        attributes: dict[str, Any] | None = await rt.run(plugin.read, ctx)
        ctx.attributes = attributes or {}
    await rt.run(_finish_create, rt, record, ctx, cls)
    return ctx


async def _create_once(
    rt: Runtime,
    record: ResourceRecord,
    plugin: ResourceType,
    ctx: ResourceContext,
    props: dict[str, Any],
) -> Step:
    """``plugin.create``, made exactly once even when the cloud's answer is lost.

    The create's calls are not repeated after an error that may hide a success (a 502
    or a timeout on the POST). The resource is looked for by its tags (or name) first:
    found, it is the one made; not found, the create is sent again after a backoff.
    """
    policy = rt.clients.retry if rt.clients is not None else RetryPolicy()
    plain, once = ctx.call, rt.caller(record, once=True)
    attempt = 1
    try:
        while True:
            ctx.call = once
            try:
                return await rt.run(plugin.create, ctx, props)
            except CloudTransientError as exc:
                if not exc.maybe_done or ctx.physical_id is not None:
                    raise  # retried already, or a later call of the step failed
                error = exc
            ctx.call = plain
            ctx.taken = await rt.run(_taken, rt, record)
            found = await rt.run(plugin.find, ctx)
            if found is not None:
                log.info("%s: create answer lost (%s); found %s", record.name, error, found)
                ctx.physical_id = found
                return Pending(0.0)
            if attempt >= policy.attempts:
                raise error
            await asyncio.sleep(policy.delay(attempt, error))
            attempt += 1
    finally:
        ctx.call = plain


def _taken(rt: Runtime, record: ResourceRecord) -> frozenset[str]:
    """Physical ids of the other rows of ``record``'s resource (the one a replacement
    replaces, or the replacement): found by the same tags, they are not ``record``'s."""
    return frozenset(
        r.physical_id
        for r in rt.store.list_resources(record.stack_id)
        if r.name == record.name and r.id != record.id and r.physical_id
    )


def _finish_create(
    rt: Runtime, record: ResourceRecord, ctx: ResourceContext, cls: type[ResourceType]
) -> None:
    """Attributes, CREATE_COMPLETE and its event, intent and progress cleared: one transaction."""
    rt.store.finish_action(
        record.id, Action.CREATE, Status.COMPLETE, physical_id=ctx.physical_id,
        attributes=ctx.attributes, secret_paths=secret_attribute_paths(cls),
        readiness=_readiness(ctx),
    )  # fmt: skip


def _set_status(rt: Runtime, resource_id: str, action: Action, status: Status, reason: str) -> None:
    rt.store.set_resource_status(resource_id, action, status, reason, event=True)


async def delete_resource(rt: Runtime, record: ResourceRecord, cls: type[ResourceType]) -> None:
    """Delete ``record``'s resource; already gone counts as deleted."""
    ctx = rt.context(record, Action.DELETE)
    plugin = cls()
    if ctx.physical_id is None and record.intent:  # created, but the id was never saved
        ctx.taken = await rt.run(_taken, rt, record)
        ctx.physical_id = await rt.run(plugin.find, ctx)
    if ctx.physical_id is None and not record.intent:
        if record.action is not Action.INIT:
            await rt.run(
                _set_status, rt, record.id, Action.DELETE, Status.COMPLETE, "state changed"
            )
        return
    intent = {"operation": "delete", "physical_id": ctx.physical_id}
    await rt.run(rt.store.start_action, record.id, Action.DELETE, intent)
    if ctx.physical_id is not None:
        await _delete_with_patience(rt, plugin, ctx)
    readiness = _readiness(ctx)
    await rt.run(
        lambda: rt.store.finish_action(
            record.id, Action.DELETE, Status.COMPLETE, readiness=readiness
        )
    )


async def _delete_with_patience(rt: Runtime, plugin: ResourceType, ctx: ResourceContext) -> None:
    """Start the delete, retrying "in use" conflicts a parallel delete should resolve."""
    deadline = time.monotonic() + IN_USE_PATIENCE
    delay = 0.1
    while True:
        try:
            kill_point("delete", ctx.name, "before-call")
            step = await rt.run(plugin.delete, ctx)
            kill_point("delete", ctx.name, "after-call")
            await _poll(rt, ctx, step, lambda: plugin.check_delete(ctx))
            return
        except CloudNotFound:
            return
        except CloudConflict:
            if time.monotonic() + delay > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)


async def update_resource(
    rt: Runtime,
    record: ResourceRecord,
    cls: type[ResourceType],
    old: dict[str, Any],
    new: dict[str, Any],
    changed: set[str],
) -> ResourceContext:
    """Change ``changed`` properties of ``record``'s resource in place, from ``old`` to ``new``."""
    ctx = rt.context(record, Action.UPDATE)
    plugin = cls()
    intent = {"operation": "update", "properties": sorted(changed)}
    await rt.run(rt.store.start_action, record.id, Action.UPDATE, intent)
    kill_point("update", record.name, "before-call")
    before = ctx.attributes
    step = await rt.run(plugin.update, ctx, old, new, changed)
    kill_point("update", record.name, "after-call")
    await _poll(rt, ctx, step, lambda: plugin.check_update(ctx), interruptible=True)
    if ctx.attributes is before:  # the steps did not leave the new state (a PUT's answer)
        attributes: dict[str, Any] | None = await rt.run(plugin.read, ctx)
        ctx.attributes = attributes or ctx.attributes
    secret_paths = rt.property_secret_paths(record.name, cls)

    def finish() -> None:
        rt.store.upsert_resource(
            record.stack_id,
            record.name,
            record.type,
            region=record.region,
            properties=new,
            secret_paths=secret_paths,
        )
        rt.store.finish_action(
            record.id, Action.UPDATE, Status.COMPLETE, "state changed",
            attributes=ctx.attributes, secret_paths=secret_attribute_paths(cls),
            readiness=_readiness(ctx),
        )  # fmt: skip

    await rt.run(finish)
    return ctx
