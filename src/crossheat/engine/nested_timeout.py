"""A nested stack's own ``timeout`` (``OS::Heat::Stack``'s, in minutes), enforced as Heat does.

A nested stack's resources are its parent's (``remote.net``...), walked in the parent's
walk; its clock starts when the first of them starts. Once ``timeout`` minutes have
passed, those of them waiting for the cloud fail at once (``NestedStackTimedOut``, raised
where a cancel raises ``OperationCancelled``: ``actions._pause``), those not started yet
fail before they start, and what depends on them is skipped as after any failure. The
first of them cut so has the nested stack recorded ``CREATE_FAILED`` (or
``UPDATE_FAILED``) "Timed out after N min", with an event of the parent's resource for
it; the parent's create or update then fails (naming the nested stack, not each of its
resources) and rolls back as after any failed resource.

The clock is the event loop's, the one the walker's own ``timeout`` runs on
(``loop.call_at``). A resumed operation (its engine died) keeps each clock where it was:
it counts from the first ``*_IN_PROGRESS`` event of the nested stack's resources in
that operation (``started_before``), not from the resume.

    clocks = nested_timeout.clocks(rt, template, placement, Action.CREATE, op.timed_out, name)
    try:
        result = await walk(graph, clocks.guard(create_one), ...)
    finally:
        clocks.close()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from crossheat.engine.actions import Runtime
from crossheat.errors import NestedStackTimedOut
from crossheat.store import Action, Status, Store
from crossheat.template import Template

#: Seconds in a minute of ``timeout`` (the engine's tests make it shorter).
MINUTE = 60.0


@dataclass
class _Clock:
    """The timeout of the nested stack of the parent's resource ``name``."""

    name: str
    minutes: int
    #: Its resources, by the parent's names (``remote.net``), and those done.
    members: frozenset[str]
    done: set[str] = field(default_factory=set)
    expired: asyncio.Event = field(default_factory=asyncio.Event)
    handle: asyncio.TimerHandle | None = None
    #: The nested stack's reason, once the timeout has cut one of its resources.
    reason: str | None = None
    #: When the first of its resources started in this operation, by an engine before
    #: this one (epoch seconds; None: none did, the clock starts with the first here).
    began: float | None = None

    def start(self) -> None:
        """Start counting (the first time only): from when an earlier engine started the
        first of its resources in this operation, if one did."""
        if self.handle is None:
            loop = asyncio.get_running_loop()
            gone = max(0.0, time.time() - self.began) if self.began is not None else 0.0
            at = loop.time() + self.minutes * MINUTE - gone
            self.handle = loop.call_at(at, self.expired.set)

    def timed_out(self) -> str:
        """The nested stack's reason (worked out once: what was unfinished then)."""
        self.reason = self.reason or (
            f"Timed out after {self.minutes} min; unfinished: "
            + ", ".join(sorted(n.removeprefix(f"{self.name}.") for n in self.members - self.done))
        )
        return self.reason


class NestedTimeouts:
    """The clocks of one walk's nested stacks that have a ``timeout``."""

    def __init__(
        self,
        clocks: list[_Clock],
        expiries: dict[str, tuple[asyncio.Event, ...]],
        on_timeout: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self.clocks = clocks
        self.of_member: dict[str, list[_Clock]] = {}
        for clock in clocks:
            for member in clock.members:
                self.of_member.setdefault(member, []).append(clock)
        self.expiries = expiries
        for member, found in self.of_member.items():
            expiries[member] = tuple(c.expired for c in found)
        self.on_timeout = on_timeout

    @classmethod
    def of(
        cls,
        template: Template,
        expiries: dict[str, tuple[asyncio.Event, ...]],
        on_timeout: Callable[[str, str], Awaitable[None]],
        began: Mapping[str, float] | None = None,
    ) -> NestedTimeouts:
        """The clocks of ``template``'s nested stacks; ``expiries`` (``Runtime.expiries``)
        is told which resources each one stops; ``on_timeout(resource, reason)`` records a
        nested stack's failure, once. ``began``: when an earlier engine started the first
        resource of a nested stack in this operation (``started_before``), by its name."""
        began = began or {}
        clocks = [
            _Clock(name, d.timeout_mins, frozenset(_members(template, name)), began=began.get(name))
            for name, d in template.nested_definitions().items()
            if d.timeout_mins
        ]
        return cls(clocks, expiries, on_timeout)

    def guard(self, run: Callable[[str], Awaitable[None]]) -> Callable[[str], Awaitable[None]]:
        """``run`` (one resource's create or update) under its nested stacks' timeouts."""

        async def guarded(name: str) -> None:
            clocks = self.of_member.get(name)
            if not clocks:
                await run(name)
                return
            for clock in clocks:
                clock.start()
            try:
                if any(c.expired.is_set() for c in clocks):
                    raise NestedStackTimedOut(f"{name}: not started, its nested stack timed out")
                await run(name)
            except NestedStackTimedOut as exc:
                clock = next(c for c in clocks if c.expired.is_set())
                first = clock.reason is None
                reason = clock.timed_out()
                if first:
                    await self.on_timeout(clock.name, reason)
                raise NestedStackTimedOut(reason, stack=clock.name) from exc
            for clock in clocks:
                clock.done.add(name)

        return guarded

    def close(self) -> None:
        """Stop every clock (the walk is over)."""
        for clock in self.clocks:
            if clock.handle is not None:
                clock.handle.cancel()
        for member in self.of_member:
            self.expiries.pop(member, None)


def clocks(
    rt: Runtime,
    template: Template,
    region_of: Mapping[str, str],
    action: Action,
    timed_out: dict[str, tuple[Action, str]],
    stack_name: str,
) -> NestedTimeouts:
    """The clocks of ``template``'s nested stacks for a walk doing ``action`` on stack
    ``stack_name``; a nested stack that times out is recorded failed (``record_timeout``)
    and in ``timed_out``. A clock an engine before this one started in this operation
    goes on from where it was (``started_before``)."""

    async def on_timeout(name: str, reason: str) -> None:
        timed_out[name] = (action, reason)
        await rt.run(
            record_timeout, rt.store, rt.stack_id, template, region_of, name, action, reason
        )

    timed = {name for name, d in template.nested_definitions().items() if d.timeout_mins}
    began = started_before(rt.store, rt.stack_id, stack_name, template, timed) if timed else {}
    return NestedTimeouts.of(template, rt.expiries, on_timeout, began)


def started_before(
    store: Store, stack_id: str, stack_name: str, template: Template, names: set[str]
) -> dict[str, float]:
    """When the first resource of each nested stack in ``names`` started in this
    operation, by an engine that died since (epoch seconds; those none of whose
    resources started are left out): its earliest ``*_IN_PROGRESS`` event after the
    stack's last event that ended an operation (``*_COMPLETE``, ``*_FAILED``). A
    resumed operation keeps the nested stacks' clocks where they were, as Heat's
    ``timeout`` counts from the start of the operation, not of its last engine."""
    members = {member: name for name in names for member in _members(template, name)}
    began: dict[str, float] = {}
    for event in store.list_events(stack_id):
        if event.resource_name == stack_name and event.status in (Status.COMPLETE, Status.FAILED):
            began.clear()  # an operation ended: what started before it is not this one's
        elif event.status is Status.IN_PROGRESS and event.resource_name in members:
            began.setdefault(members[event.resource_name], event.timestamp.timestamp())
    return began


def nested_cause(exc: BaseException) -> str | None:
    """The cause a parent's failure names for ``exc`` if it is a nested stack's timeout:
    the nested stack's resource and its reason (as Heat names the parent's resource)."""
    if isinstance(exc, NestedStackTimedOut) and exc.stack is not None:
        return f"{exc.stack}: {exc}"
    return None


def _members(template: Template, name: str) -> list[str]:
    return [n for n in template.resources if n.startswith(f"{name}.")]


def record_timeout(
    store: Store,
    stack_id: str,
    template: Template,
    region_of: Mapping[str, str],
    name: str,
    action: Action,
    reason: str,
) -> None:
    """The nested stack of resource ``name`` timed out during ``action``: it fails, and the
    parent has the event of its resource for it, as in Heat."""
    nested_id = store.nested_ids(stack_id).get(name)
    if nested_id is None:
        return
    store.update_stack_status(nested_id, action, Status.FAILED, reason)
    region = next((region_of[n] for n in _members(template, name)), None)
    store.add_event(
        stack_id, name, action, Status.FAILED, reason,
        resource_type=template.nested_definitions()[name].type, physical_id=nested_id,
        region=region,
    )  # fmt: skip


def keep_timed_out(
    store: Store,
    stack_id: str,
    timed_out: Mapping[str, tuple[Action, str]],
    action: Action,
    status: Status,
) -> None:
    """The parent now ``action``/``status`` (its nested stacks follow it): those that timed
    out during that action keep their own reason while it shows as failed."""
    if status is not Status.FAILED:
        return
    ids = store.nested_ids(stack_id) if timed_out else {}
    for name, (when, reason) in timed_out.items():
        if when is action and name in ids:
            store.update_stack_status(ids[name], action, Status.FAILED, reason)
