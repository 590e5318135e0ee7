"""What a resource type's cloud lifecycle looks like: start steps, poll steps, their results.

Every action (create, update, delete) is a *start* step that asks the cloud
for something and a *poll* step that checks whether it is done, like Heat's
``handle_create``/``check_create_complete`` but without exceptions as control
flow: a step returns ``Done()`` or ``Pending(delay)``. The engine records
``ctx.progress`` after every step, so that an interrupted action resumes
where it was.

    class Net(ResourceType):
        def create(self, ctx, props):
            net = ctx.call(lambda c: c.network.create_network(name=..., tags=ctx.tags))
            ctx.physical_id = net.id
            return Done()

        def check_create(self, ctx):
            return Done()

A step that has the resource's new state at hand (a create's or an update's
answer) puts it in ``ctx.attributes`` as a new dict; the engine then reads
nothing more. Otherwise it reads the resource (``read``) once the action is done.

Steps are synchronous (openstacksdk is) and run in worker threads; every
SDK call goes through ``ctx.call`` so that transient failures are retried
and errors are translated into ``crossheat.errors.CloudError``s.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from crossheat.errors import ResourceFailed

T = TypeVar("T")

#: First and longest pause between two polls of a resource that is not ready yet (the
#: longest unless the engine expects the resource to take more than 4 times that).
FIRST_POLL_DELAY = 0.2
MAX_POLL_DELAY = 2.0

#: Tag keys crossheat puts on everything it creates (Neutron tags, server metadata),
#: so that nothing created can be lost track of, even after a crash.
STACK_TAG = "crossheat-stack"
RESOURCE_TAG = "crossheat-resource"

#: Crash tests name where the engine should die: ``create:west_router:after-call``
#: (operation, resource, point ``before-call`` or ``after-call``), comma-separated.
KILL_VARIABLE = "CROSSHEAT_KILL_AT"
#: The same for where the engine should freeze, once (SIGSTOP: a machine that stalls),
#: until someone sends it SIGCONT.
STOP_VARIABLE = "CROSSHEAT_STOP_AT"
_frozen: set[str] = set()
_frozen_guard = threading.Lock()


def kill_point(operation: str, name: str, point: str) -> None:
    """Die here, as a crash would (SIGKILL, nothing cleaned up), or freeze here the first
    time (SIGSTOP), when a test asks for it."""
    here = f"{operation}:{name}:{point}"
    wanted = os.environ.get(KILL_VARIABLE)
    if wanted and here in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
    frozen = os.environ.get(STOP_VARIABLE)
    if frozen and here in frozen.split(","):
        with _frozen_guard:
            if here in _frozen:
                return
            _frozen.add(here)
        os.kill(os.getpid(), signal.SIGSTOP)


def _nothing() -> None:
    """``save_progress`` of a context no engine records."""


@dataclass(frozen=True)
class Done:
    """The step is finished."""


@dataclass(frozen=True)
class Pending:
    """Not yet: ask again in ``delay`` seconds.

    ``exact``: the delay comes from the resource's poll schedule (``next_delay``) and is
    kept as is; otherwise the engine may ask sooner at first (quick resources).
    """

    delay: float = 1.0
    exact: bool = False


Step = Done | Pending


class CloudCaller(Protocol):
    """Runs ``fn(connection, ...)`` against one region, with retries and error translation."""

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


def _no_zone(logical: str) -> str | None:
    return None


class Answered(NamedTuple):
    """What ``fn(connection, *args, **kwargs)`` answers, got otherwise (one list call
    answering the GETs of many resources: ``ResourceType.read_ahead``)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    answer: Any


class NameResolver(Protocol):
    def __call__(self, logical: str) -> str: ...


class PollPacer(Protocol):
    """When to poll next, from how long the action should take (``engine.pacing``)."""

    def delay(self) -> float: ...


@dataclass
class ResourceContext:
    """What a lifecycle step knows and may change about the resource it works on.

    ``physical_id`` and ``progress`` are persisted by the engine after every
    step; ``attributes`` holds what the last read of the resource returned.
    """

    stack_id: str
    stack_name: str
    name: str
    region: str
    call: CloudCaller
    resolve_image: NameResolver
    resolve_flavor: NameResolver
    physical_id: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: Values of other resources' attributes this one may need (peer connections...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Physical ids that other rows of the same logical resource own (during a
    #: replacement the old and the new one carry the same tags and name): ``find``
    #: must never return one of them.
    taken: frozenset[str] = frozenset()
    #: The resource's ``update_policy`` section, resolved (only types that declare an
    #: ``update_policy_schema`` read it: a group's ``rolling_update`` and ``batch_create``).
    update_policy: Mapping[str, Any] = field(default_factory=dict)
    #: Records ``progress`` now. A step that makes many calls (a group's, for its
    #: members) calls it between them, so that an engine that dies mid-step resumes there.
    save_progress: Callable[[], None] = field(default=_nothing, repr=False, compare=False)
    #: The action's poll schedule, when the engine knows one (else a plain backoff).
    pacer: PollPacer | None = None
    #: The resolved properties the resource was last created or updated with (what a
    #: delete, which is given no properties, may need: a test resource's wait).
    properties: Mapping[str, Any] = field(default_factory=dict)
    #: The availability zone of the host class a logical flavor names in the resource's
    #: region (the region map's ``host_classes``), or None.
    host_zone: Callable[[str], str | None] = field(default=_no_zone, repr=False, compare=False)

    @property
    def tags(self) -> list[str]:
        """Neutron tags that mark what crossheat created: stack id and logical name."""
        return [f"{STACK_TAG}={self.stack_id}", f"{RESOURCE_TAG}={self.name}"]

    @property
    def metadata(self) -> dict[str, str]:
        """The same marks as server metadata."""
        return {STACK_TAG: self.stack_id, RESOURCE_TAG: self.name}

    @property
    def physical_name(self) -> str:
        """Heat's default name for an unnamed resource: ``{stack}-{name}``."""
        return f"{self.stack_name}-{self.name}"

    def first_untaken(self, ids: Iterable[Any]) -> str | None:
        """The first of ``ids`` that no other row of this resource owns."""
        return next((str(i) for i in ids if str(i) not in self.taken), None)

    def name_for(self, props: Mapping[str, Any]) -> str:
        """The ``name`` property, or ``physical_name`` when it is absent or empty, as in Heat."""
        name = props.get("name")
        return str(name) if name else self.physical_name

    def template_name(self, live: Any) -> Any:
        """A live name in the template's terms: ``None`` when it is the default
        ``physical_name`` (the template gave none), else the name itself."""
        return None if live == self.physical_name else live

    def next_delay(self) -> Pending:
        """``Pending`` until the next poll: the engine's schedule for this action (near
        when such resources were ready lately), else a delay growing from 0.2 s to 2 s.

        The count lives in ``progress["polls"]``; ``restart_polls`` starts it again.
        """
        polls = int(self.progress.get("polls", 0))
        self.progress["polls"] = polls + 1
        if self.pacer is not None:
            return Pending(self.pacer.delay(), exact=True)
        return Pending(min(MAX_POLL_DELAY, FIRST_POLL_DELAY * 1.5**polls))

    def restart_polls(self) -> None:
        self.progress.pop("polls", None)

    def fail(self, what: str, reason: str | None) -> ResourceFailed:
        """The error for a resource that reached an error state, naming it and its region."""
        detail = f": {reason}" if reason else ""
        return ResourceFailed(f"{self.name} ({what}) went to ERROR{detail}", region=self.region)

    def owns_tags(self, tags: Iterable[str]) -> bool:
        """True when ``tags`` carry this stack's and this resource's marks."""
        return set(self.tags) <= set(tags)

    def owns_metadata(self, metadata: Mapping[str, Any] | None) -> bool:
        """True when server ``metadata`` carries this stack's and this resource's marks."""
        return all((metadata or {}).get(key) == value for key, value in self.metadata.items())


def looks_like_id(value: str) -> bool:
    """True for a UUID (with or without dashes): such a reference needs no name lookup."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
