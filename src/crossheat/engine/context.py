"""Resolving a resource's properties at deploy time, from what is already done.

``get_resource`` answers the physical id of a done resource, ``get_attr``
walks its live attributes (read when it finished, whatever its region):

    ctx = RuntimeContext(states)
    props = resolve(definition.properties, ctx)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossheat.errors import StackError
from crossheat.template.values import UNKNOWN


@dataclass
class LiveResource:
    """What the engine knows of a resource in this operation."""

    name: str
    region: str
    physical_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def walk_path(value: Any, path: Sequence[Any], where: str) -> Any:
    """``value[path[0]][path[1]]...``; Heat answers None for a missing key or index."""
    for step in path:
        if isinstance(value, Mapping):
            value = value.get(step if not isinstance(step, int) else str(step), value.get(step))
        elif isinstance(value, list | tuple):
            try:
                value = value[int(step)]
            except (ValueError, IndexError):
                return None
        elif value is None:
            return None
        else:
            raise StackError(f"{where}: cannot look up {step!r} in {type(value).__name__}")
    return value


class RuntimeContext:
    """A ``ResolveContext`` over the resources done so far (``UNKNOWN`` for the others)."""

    def __init__(
        self,
        live: Mapping[str, LiveResource],
        stack_name: str = "",
        nested_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.live = live
        #: The stack's name (what a nested stack's ``stack_name`` is made of).
        self.stack_name = stack_name
        #: The ids of the stack's nested stacks, by resource name: what ``get_resource``
        #: and ``OS::stack_id`` of an ``OS::Heat::Stack`` or template resource give.
        self.nested_ids: Mapping[str, str] = nested_ids or {}

    def get_resource(self, name: str) -> Any:
        resource = self.live.get(name)
        if resource is None or resource.physical_id is None:
            return UNKNOWN
        return resource.physical_id

    def get_attr(self, name: str, path: Sequence[Any]) -> Any:
        resource = self.live.get(name)
        if resource is None or resource.physical_id is None:
            return UNKNOWN
        if not path:
            return {k: v for k, v in resource.attributes.items() if k != "show"}
        return walk_path(resource.attributes, path, f"get_attr {name}")
