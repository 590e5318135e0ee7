"""``OS::Heat::ResourceGroup``: ``count`` copies of one resource definition.

    group:
      type: OS::Heat::ResourceGroup
      properties:
        count: 2
        resource_def:
          type: OS::Nova::Server
          properties: {name: web-%index%, flavor: m1.small}

``expand_group`` turns those properties into the members Heat would create:
``[("0", "OS::Nova::Server", {"name": "web-0", ...}), ("1", ...)]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from crossheat.errors import CloudNotFound, NotSupportedError, TemplateError
from crossheat.resources.constraints import AllowedValues, Length, Range
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType, default_registry
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.template.values import contains_unknown, is_unknown


class ResourceGroup(ResourceType):
    """A group of identical resources, named ``"0"``, ``"1"``, ..."""

    type_name = "OS::Heat::ResourceGroup"
    properties_schema = {
        "count": Property(
            T.INTEGER,
            "Number of resources to create.",
            default=1,
            update_allowed=True,
            constraints=(Range(min=0),),
        ),
        "index_var": Property(
            T.STRING,
            "Text replaced by each member's index.",
            default="%index%",
            constraints=(Length(min=3),),
        ),
        "resource_def": Property(
            T.MAP,
            "Definition of each member.",
            required=True,
            update_allowed=True,
            schema={
                "type": Property(T.STRING, "Resource type of the members.", required=True),
                "properties": Property(T.MAP, "Properties of the members."),
                "metadata": Property(T.MAP, "Metadata of the members."),
            },
        ),
        "removal_policies": Property(
            T.LIST,
            "Members to remove first when the group shrinks.",
            default=[],
            update_allowed=True,
            items=Property(
                T.MAP,
                schema={
                    "resource_list": Property(T.LIST, "Names of members to remove.", default=[]),
                },
            ),
        ),
        "removal_policies_mode": Property(
            T.STRING,
            "append to or update removal policies.",
            default="append",
            update_allowed=True,
            constraints=(AllowedValues(("append", "update")),),
        ),
    }
    attributes_schema = {
        "refs": Attribute("IDs of the members.", T.LIST),
        "refs_map": Attribute("Member names to IDs.", T.MAP),
        "attributes": Attribute("Member names to one attribute of each.", T.MAP),
        "removed_rsrc_list": Attribute("Names of removed members.", T.LIST),
    }

    @classmethod
    def classify_update(
        cls, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> tuple[set[str], set[str]]:
        """Any change replaces the whole group (members are not resized in place yet)."""
        in_place, replace = super().classify_update(old, new)
        return set(), in_place | replace

    # The members are created, polled and deleted by the group's own steps, each with
    # its type's lifecycle and a context of its own (``<group>-<index>``, tagged so).

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        members = {}
        for member in expand_group(props):
            cls = _member_type(member.type)
            state: dict[str, Any] = {"type": member.type, "done": False}
            mctx = _member_ctx(ctx, member.name, state)
            mctx.physical_id = cls().find(mctx)  # made by an engine that died: adopt it
            if mctx.physical_id is None:
                step = cls().create(mctx, cls.with_defaults(member.properties))
                state["done"] = isinstance(step, Done)
            _keep(state, mctx)
            members[member.name] = state
        ctx.physical_id = ctx.physical_id or ctx.physical_name
        ctx.progress["members"] = members
        return self.check_create(ctx)

    def check_create(self, ctx: ResourceContext) -> Step:
        members: dict[str, dict[str, Any]] = ctx.progress.get("members", {})
        for name, state in members.items():
            if not state["done"]:
                mctx = _member_ctx(ctx, name, state)
                state["done"] = isinstance(_member_type(state["type"])().check_create(mctx), Done)
                _keep(state, mctx)
        if not all(state["done"] for state in members.values()):
            return Pending(0.5)
        ctx.attributes = self._attributes(ctx, members)
        return Done()

    def _attributes(self, ctx: ResourceContext, members: dict[str, Any]) -> dict[str, Any]:
        """Heat's group attributes; every member attribute that is not secret."""
        out: dict[str, Any] = {
            "refs": [m["id"] for m in members.values()],
            "refs_map": {name: m["id"] for name, m in members.items()},
            "removed_rsrc_list": [],
            "show": {
                "members": {n: {"id": m["id"], "type": m["type"]} for n, m in members.items()}
            },
        }
        per_attribute: dict[str, list[Any]] = {}
        for name, state in members.items():
            cls = _member_type(state["type"])
            mctx = _member_ctx(ctx, name, state)
            live = cls().read(mctx) or {}
            public = {
                k: v
                for k, v in live.items()
                if k != "show" and not getattr(cls.attribute(k), "secret", False)
            }
            out[f"resource.{name}"] = public
            for key, value in public.items():
                per_attribute.setdefault(key, []).append(value)
        out["attributes"] = per_attribute
        return out

    def delete(self, ctx: ResourceContext) -> Step:
        for name, member in _known_members(ctx).items():
            state = {"type": member["type"], "id": member["id"]}
            with contextlib.suppress(CloudNotFound):
                _member_type(member["type"])().delete(_member_ctx(ctx, name, state))
        return Pending(0.2) if _known_members(ctx) else Done()

    def check_delete(self, ctx: ResourceContext) -> Step:
        for name, member in _known_members(ctx).items():
            state = {"type": member["type"], "id": member["id"]}
            if _member_type(member["type"])().read(_member_ctx(ctx, name, state)) is not None:
                return Pending(0.5)
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        members = _known_members(ctx)
        alive = {
            n: m
            for n, m in members.items()
            if _member_type(m["type"])().read(_member_ctx(ctx, n, dict(m))) is not None
        }
        if members and not alive:
            return None
        return ctx.attributes

    def find(self, ctx: ResourceContext) -> str | None:
        """Nothing to find: members are found again by their own tags when recreated."""
        return None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """``count`` as the number of members still there (a deleted member is drift)."""
        members = _known_members(ctx)
        alive = [
            n
            for n, m in members.items()
            if _member_type(m["type"])().read(_member_ctx(ctx, n, dict(m))) is not None
        ]
        return {"count": len(alive)} if alive or not members else None


def _member_type(name: str) -> type[ResourceType]:
    cls = _registry().get(name)
    if cls is None or cls is ResourceGroup:
        raise NotSupportedError(f"a resource group cannot have members of type {name}")
    return cls


@functools.cache
def _registry() -> Registry:
    return default_registry()


def _member_ctx(ctx: ResourceContext, name: str, state: dict[str, Any]) -> ResourceContext:
    return dataclasses.replace(
        ctx, name=f"{ctx.name}-{name}", physical_id=state.get("id"),
        progress=state.setdefault("progress", {}), attributes={},
    )  # fmt: skip


def _keep(state: dict[str, Any], mctx: ResourceContext) -> None:
    state["id"] = mctx.physical_id


def _known_members(ctx: ResourceContext) -> dict[str, dict[str, Any]]:
    shown = (ctx.attributes.get("show") or {}).get("members")
    if shown:
        return dict(shown)
    progress = ctx.progress.get("members") or {}
    return {n: {"id": m.get("id"), "type": m["type"]} for n, m in progress.items() if m.get("id")}


class GroupMember(NamedTuple):
    name: str
    type: str
    properties: dict[str, Any]


def expand_group(properties: Mapping[str, Any]) -> list[GroupMember]:
    """The members of a group with these (validated) properties.

    Names are ``"0"``, ``"1"``, ... skipping the names listed in
    ``removal_policies`` (as Heat does, so a removed name is never reused);
    ``index_var`` is replaced by the member's name in every string of its
    properties. Raises ``TemplateError`` if the count or definition is unknown.
    """
    props = ResourceGroup.with_defaults(properties)
    count, definition = props["count"], props["resource_def"]
    if contains_unknown(count) or is_unknown(definition) or contains_unknown(definition["type"]):
        raise TemplateError.single(
            "the group's count and resource type must be known before deployment",
            code="unknown_value",
        )
    skip = {
        str(name)
        for policy in props["removal_policies"]
        for name in policy.get("resource_list") or []
    }
    names = itertools.filterfalse(skip.__contains__, map(str, itertools.count()))
    member_props = definition.get("properties") or {}
    return [
        GroupMember(name, definition["type"], _replace(member_props, props["index_var"], name))
        for name in itertools.islice(names, count)
    ]


def _replace(value: Any, index_var: str, name: str) -> Any:
    if isinstance(value, str):
        return value.replace(index_var, name)
    if isinstance(value, Mapping):
        return {key: _replace(item, index_var, name) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(item, index_var, name) for item in value]
    return value
