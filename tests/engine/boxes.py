"""A resource type for engine unit tests: ``Test::Box``, whose "cloud" is a dict in memory.

No emulator, no HTTP: the engine drives ``Box`` through the same lifecycle steps
it drives every type through, and the tests read ``BoxCloud`` to see what it did.

    cloud = BoxCloud.reset()
    op = new_operation(store, {"a": box(), "b": box(after="a", fail=True)})
    asyncio.run(op.create())
    cloud.calls   # [("create", "a"), ("create", "b"), ("delete", "a")]

Properties: ``size`` (changes in place), ``color`` (replaces), ``fail`` (the create
ends in ERROR), ``after`` (a reference, ``get_resource`` of another box), ``polls``
(how many polls the create takes before it is ready). Attribute ``label``: color-size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crossheat.engine.spec import load_spec
from crossheat.engine.stack import Operation
from crossheat.errors import CloudTransientError, ResourceFailed
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.store import StackSpec, Store

BOX = "Test::Box"


@dataclass
class BoxCloud:
    """What exists (physical id -> properties and tags) and every call made, in order."""

    boxes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: Names whose next create is made but its answer lost (a 502 after the POST).
    lose_answer: set[str] = field(default_factory=set)
    ids: Iterator[int] = field(default_factory=itertools.count)
    current: ClassVar[BoxCloud]

    @classmethod
    def reset(cls) -> BoxCloud:
        cls.current = cls()
        return cls.current

    def named(self, name: str) -> list[str]:
        """Physical ids of the boxes made for resource ``name``."""
        return [i for i, b in self.boxes.items() if b["name"] == name]


class Box(ResourceType):
    type_name = BOX
    properties_schema = {
        "size": Property(T.INTEGER, default=1, update_allowed=True),
        "color": Property(T.STRING, default="red"),
        "fail": Property(T.BOOLEAN, default=False),
        "after": Property(T.STRING),
        "polls": Property(T.INTEGER, default=0),
    }
    attributes_schema = {"label": Attribute("color-size")}

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        cloud = BoxCloud.current
        cloud.calls.append(("create", ctx.name))
        if props["fail"]:
            raise ResourceFailed(f"{ctx.name} (box) went to ERROR: no room", region=ctx.region)
        physical_id = f"{ctx.name}-{next(cloud.ids)}"
        cloud.boxes[physical_id] = {
            "name": ctx.name, "tags": ctx.tags, "polls": props["polls"],
            "props": {k: props[k] for k in ("size", "color")},
        }  # fmt: skip
        if ctx.name in cloud.lose_answer:
            cloud.lose_answer.discard(ctx.name)
            raise CloudTransientError("502 Bad Gateway", maybe_done=True, region=ctx.region)
        ctx.physical_id = physical_id
        return Pending(0.0) if props["polls"] else Done()

    def check_create(self, ctx: ResourceContext) -> Step:
        box = BoxCloud.current.boxes[str(ctx.physical_id)]
        BoxCloud.current.calls.append(("check_create", ctx.name))
        if box["polls"] > 0:
            box["polls"] -= 1
            return Pending(0.0)
        return Done()

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        BoxCloud.current.calls.append(("update", ctx.name))
        BoxCloud.current.boxes[str(ctx.physical_id)]["props"].update(
            {k: new[k] for k in changed if k in ("size", "color")}
        )
        return Done()

    def delete(self, ctx: ResourceContext) -> Step:
        BoxCloud.current.calls.append(("delete", ctx.name))
        BoxCloud.current.boxes.pop(str(ctx.physical_id), None)
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        box = BoxCloud.current.boxes.get(str(ctx.physical_id))
        if box is None:
            return None
        return {"label": f"{box['props']['color']}-{box['props']['size']}"}

    def find(self, ctx: ResourceContext) -> str | None:
        BoxCloud.current.calls.append(("find", ctx.name))
        owned = (i for i, b in BoxCloud.current.boxes.items() if ctx.owns_tags(b["tags"]))
        return ctx.first_untaken(owned)

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        box = BoxCloud.current.boxes.get(str(ctx.physical_id))
        return None if box is None else dict(box["props"])


def box(region: str = "East", after: str | None = None, **props: Any) -> dict[str, Any]:
    """A ``Test::Box`` definition; ``after``: it reads that box's id (``get_resource``)."""
    if after is not None:
        props["after"] = {"get_resource": after}
    return {"type": BOX, "region": region, "properties": props}


def template(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"heat_template_version": "2018-08-31", "resources": resources}
    if outputs:
        body["outputs"] = outputs
    return body


def registry() -> Registry:
    found = Registry()
    found.register(Box)
    return found


def new_operation(
    store: Store, resources: dict[str, Any], *, rollback: bool = False, **extra: Any
) -> Operation:
    """A new stack ``s`` of ``resources`` (no cloud configured: boxes need none)."""
    spec = StackSpec(template=template(resources, **extra), disable_rollback=not rollback)
    stack = store.create_stack("s", "default", spec)
    return Operation(store, registry(), stack, load_spec(spec), None, None)
