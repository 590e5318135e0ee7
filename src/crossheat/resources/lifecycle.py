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

Steps are synchronous (openstacksdk is) and run in worker threads; every
SDK call goes through ``ctx.call`` so that transient failures are retried
and errors are translated into ``crossheat.errors.CloudError``s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

#: Tag keys crossheat puts on everything it creates (Neutron tags, server metadata),
#: so that nothing created can be lost track of, even after a crash.
STACK_TAG = "crossheat-stack"
RESOURCE_TAG = "crossheat-resource"


@dataclass(frozen=True)
class Done:
    """The step is finished."""


@dataclass(frozen=True)
class Pending:
    """Not yet: ask again in ``delay`` seconds."""

    delay: float = 1.0


Step = Done | Pending


class CloudCaller(Protocol):
    """Runs ``fn(connection, ...)`` against one region, with retries and error translation."""

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


class NameResolver(Protocol):
    def __call__(self, logical: str) -> str: ...


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
