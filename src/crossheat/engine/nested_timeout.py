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
(``loop.call_at``); nothing else keeps time.

    clocks = nested_timeout.clocks(rt, template, placement, Action.CREATE, op.timed_out)
    try:
        result = await walk(graph, clocks.guard(create_one), ...)
    finally:
        clocks.close()
"""

from __future__ import annotations

import asyncio
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

    def start(self) -> None:
        """Start counting (the first time only)."""
        if self.handle is None:
            loop = asyncio.get_running_loop()
            self.handle = loop.call_at(loop.time() + self.minutes * MINUTE, self.expired.set)

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
    ) -> NestedTimeouts:
        """The clocks of ``template``'s nested stacks; ``expiries`` (``Runtime.expiries``)
        is told which resources each one stops; ``on_timeout(resource, reason)`` records a
        nested stack's failure, once."""
        clocks = [
            _Clock(name, d.timeout_mins, frozenset(_members(template, name)))
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
) -> NestedTimeouts:
    """The clocks of ``template``'s nested stacks for a walk doing ``action``; a nested
    stack that times out is recorded failed (``record_timeout``) and in ``timed_out``."""

    async def on_timeout(name: str, reason: str) -> None:
        timed_out[name] = (action, reason)
        await rt.run(
            record_timeout, rt.store, rt.stack_id, template, region_of, name, action, reason
        )

    return NestedTimeouts.of(template, rt.expiries, on_timeout)


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
