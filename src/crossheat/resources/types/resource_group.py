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

As in Heat, ``count``, ``resource_def`` and the removal policies change in place:
changing ``count`` from 2 to 3 creates member ``"2"`` and keeps ``"0"`` and ``"1"``;
shrinking deletes the highest indices (or the names ``removal_policies`` lists,
which are never used again); a new ``resource_def`` updates each member through
its own type's update, or replaces it when that type cannot change it in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import time
from collections.abc import Collection, Iterator, Mapping
from typing import Any, NamedTuple

from crossheat.errors import (
    CloudError,
    CloudNotFound,
    CrossheatError,
    NotSupportedError,
    TemplateError,
)
from crossheat.resources.constraints import AllowedValues, Length, Range
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType, default_registry
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.template.values import contains_unknown, is_unknown

#: One member as the group tracks it: ``{"type", "id", "done", "progress", ...}``.
State = dict[str, Any]

#: How long a member replaced delete-first may take to go before its successor is made.
DELETE_FIRST_PATIENCE = 120.0


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

    # The members are created, polled and deleted by the group's own steps, each with
    # its type's lifecycle and a context of its own (``<group>-<index>``, tagged so).

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        members = {}
        for member in expand_group(props):
            cls = _member_type(member.type)
            state: State = {"type": member.type, "done": False}
            mctx = _member_ctx(ctx, member.name, state)
            mctx.physical_id = cls().find(mctx)  # made by an engine that died: adopt it
            if mctx.physical_id is None:
                step = cls().create(mctx, cls.with_defaults(member.properties))
                state["done"] = isinstance(step, Done)
            _keep(state, mctx)
            members[member.name] = state
        ctx.physical_id = ctx.physical_id or ctx.physical_name
        ctx.progress["members"] = members
        ctx.progress["removed"] = sorted(set(_policy_entries(props)))
        return self.check_create(ctx)

    def check_create(self, ctx: ResourceContext) -> Step:
        members: dict[str, State] = ctx.progress.get("members", {})
        if not _poll_members(ctx, members):
            return Pending(0.5)
        ctx.attributes = self._attributes(ctx, members, ctx.progress.get("removed", []))
        return Done()

    # ---- update: grow, shrink, update the members in place ---------------------------

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        """Start creating the new members and updating (or replacing) the changed ones.

        The members to remove, and the old selves of replaced ones, are deleted by
        ``check_update`` once every member is ready. ``changed`` may be empty of real
        differences (members deleted behind crossheat's back): missing members are
        made again either way.
        """
        old, new = self.with_defaults(old), self.with_defaults(new)
        known = _known_members(ctx)
        removed = _removed_names(ctx, new, known)
        wanted = expand_group(new, skip=removed)
        names = {m.name for m in wanted}
        work: dict[str, Any] = {
            "members": {},
            "retire": {n: dict(m) for n, m in known.items() if n not in names},
            "removed": sorted(removed),
        }
        ctx.progress["update"] = work
        taken = frozenset(m["id"] for m in known.values() if m.get("id"))
        with _undo_on_error(ctx, work):
            for member in wanted:
                self._start_member(ctx, work, member, old, known.get(member.name), taken)
        return self.check_update(ctx)

    def _start_member(
        self,
        ctx: ResourceContext,
        work: dict[str, Any],
        member: GroupMember,
        old: Mapping[str, Any],
        current: Mapping[str, Any] | None,
        taken: frozenset[str],
    ) -> None:
        cls = _member_type(member.type)
        after = cls.with_defaults(member.properties)
        if current is not None and current["type"] == member.type:
            before = cls.with_defaults(_member_properties(old, member.name))
            state = _update_member(ctx, member.name, current, before, after)
            if state is not None:
                work["members"][member.name] = state
                return
        if current is not None:  # replaced: the old one goes once the group is ready
            if cls.replace_delete_first and current["type"] == member.type:
                _delete_now(ctx, member.name, current)  # two cannot live side by side
            else:
                work["retire"][member.name] = dict(current)
        state = work["members"][member.name] = {"type": member.type, "action": "create"}
        _create_member(ctx, member.name, state, after, taken)

    def check_update(self, ctx: ResourceContext) -> Step:
        work: dict[str, Any] = ctx.progress["update"]
        with _undo_on_error(ctx, work):
            if not _poll_members(ctx, work["members"]):
                return Pending(0.5)
        if not _retire(ctx, work["retire"]):
            return Pending(0.5)
        ctx.attributes = self._attributes(ctx, work["members"], work["removed"])
        return Done()

    # ---- attributes, delete, read ------------------------------------------------------

    def _attributes(
        self, ctx: ResourceContext, members: Mapping[str, State], removed: list[str]
    ) -> dict[str, Any]:
        """Heat's group attributes; every member attribute that is not secret."""
        out: dict[str, Any] = {
            "refs": [m["id"] for m in members.values()],
            "refs_map": {name: m["id"] for name, m in members.items()},
            "removed_rsrc_list": removed,
            "show": {
                "members": {n: {"id": m["id"], "type": m["type"]} for n, m in members.items()}
            },
        }
        per_attribute: dict[str, list[Any]] = {}
        for name, state in members.items():
            cls = _member_type(state["type"])
            mctx = _member_ctx(ctx, name, dict(state))
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


def _member_ctx(ctx: ResourceContext, name: str, state: State) -> ResourceContext:
    return dataclasses.replace(
        ctx, name=f"{ctx.name}-{name}", physical_id=state.get("id"),
        progress=state.setdefault("progress", {}), attributes={},
    )  # fmt: skip


def _keep(state: State, mctx: ResourceContext) -> None:
    state["id"] = mctx.physical_id


def _known_members(ctx: ResourceContext) -> dict[str, dict[str, Any]]:
    shown = (ctx.attributes.get("show") or {}).get("members")
    if shown:
        return dict(shown)
    progress = ctx.progress.get("members") or {}
    return {n: {"id": m.get("id"), "type": m["type"]} for n, m in progress.items() if m.get("id")}


def _poll_members(ctx: ResourceContext, members: Mapping[str, State]) -> bool:
    """Poll each member not ready yet (its create, or its update); True when all are."""
    for name, state in members.items():
        if not state["done"]:
            plugin = _member_type(state["type"])()
            mctx = _member_ctx(ctx, name, state)
            check = plugin.check_update if state.get("action") == "update" else plugin.check_create
            state["done"] = isinstance(check(mctx), Done)
            _keep(state, mctx)
    return all(state["done"] for state in members.values())


def _update_member(
    ctx: ResourceContext,
    name: str,
    current: Mapping[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
) -> State | None:
    """The member updated in place through its type (or left alone when nothing changed);
    ``None`` when it must be made anew: its type cannot change it in place, or it is gone."""
    cls = _member_type(current["type"])
    state: State = {"type": current["type"], "id": current["id"], "action": "update"}
    state["done"] = True
    mctx = _member_ctx(ctx, name, state)
    live = cls().read(mctx)
    in_place, replace = cls.classify_update(before, after)
    if live is None or replace:
        return None
    if in_place:
        mctx.attributes = live
        state["done"] = isinstance(cls().update(mctx, before, after, in_place), Done)
    return state


def _create_member(
    ctx: ResourceContext, name: str, state: State, props: dict[str, Any], taken: Collection[str]
) -> None:
    """Create the member, or adopt the one an earlier try made (found by its tags)."""
    plugin = _member_type(state["type"])()
    state["done"] = False
    mctx = _member_ctx(ctx, name, state)
    mctx.taken = frozenset(taken)
    try:
        mctx.physical_id = plugin.find(mctx)
        if mctx.physical_id is None:
            state["done"] = isinstance(plugin.create(mctx, props), Done)
    finally:
        _keep(state, mctx)


def _retire(ctx: ResourceContext, retire: Mapping[str, State]) -> bool:
    """Delete the members no longer wanted (each started once, then polled); True when
    all are gone."""
    for name, state in retire.items():
        if state.get("gone"):
            continue
        plugin = _member_type(state["type"])()
        mctx = _member_ctx(ctx, name, state)
        try:
            if state.get("started"):
                step = plugin.check_delete(mctx)
            else:
                state["started"] = True
                step = plugin.delete(mctx)
        except CloudNotFound:
            step = Done()
        state["gone"] = isinstance(step, Done)
    return all(state["gone"] for state in retire.values())


def _delete_now(ctx: ResourceContext, name: str, current: Mapping[str, Any]) -> None:
    """Delete a member and wait until it is gone, for a type replaced delete-first."""
    retire = {name: dict(current)}
    deadline = time.monotonic() + DELETE_FIRST_PATIENCE
    while not _retire(ctx, retire):
        if time.monotonic() > deadline:
            raise CloudError(
                f"{ctx.name}-{name} is still there after its delete", region=ctx.region
            )
        time.sleep(0.2)


@contextlib.contextmanager
def _undo_on_error(ctx: ResourceContext, work: Mapping[str, Any]) -> Iterator[None]:
    """On an error, delete (best effort) the members this update created: the engine,
    which deletes what a failed update created, knows only the group."""
    try:
        yield
    except CrossheatError:
        for name, state in work["members"].items():
            if state.get("action") == "create" and state.get("id"):
                with contextlib.suppress(CloudError):
                    _member_type(state["type"])().delete(_member_ctx(ctx, name, dict(state)))
        raise


def _removed_names(
    ctx: ResourceContext, props: Mapping[str, Any], known: Mapping[str, Mapping[str, Any]]
) -> set[str]:
    """Heat's skip list: names removed once are never used again.

    A ``removal_policies`` entry names a member or gives its id (names that are
    neither are ignored); in ``append`` mode the names removed before stay removed.
    """
    before = {str(name) for name in ctx.attributes.get("removed_rsrc_list") or []}
    by_id = {str(m.get("id")): name for name, m in known.items()}
    names = set() if props["removal_policies_mode"] == "update" else set(before)
    for entry in _policy_entries(props):
        if entry in before or entry in known:
            names.add(entry)
        elif entry in by_id:
            names.add(by_id[entry])
    return names


def _policy_entries(props: Mapping[str, Any]) -> list[str]:
    return [
        str(name)
        for policy in props.get("removal_policies") or []
        for name in policy.get("resource_list") or []
    ]


class GroupMember(NamedTuple):
    name: str
    type: str
    properties: dict[str, Any]


def expand_group(
    properties: Mapping[str, Any], skip: Collection[str] | None = None
) -> list[GroupMember]:
    """The members of a group with these (validated) properties.

    Names are ``"0"``, ``"1"``, ... skipping ``skip`` (by default the names listed
    in ``removal_policies``: as in Heat, a removed name is never reused);
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
    skipped = set(_policy_entries(props) if skip is None else skip)
    names = itertools.filterfalse(skipped.__contains__, map(str, itertools.count()))
    return [
        GroupMember(name, definition["type"], _member_properties(props, name))
        for name in itertools.islice(names, count)
    ]


def _member_properties(props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Member ``name``'s properties: the definition's, with its index put in."""
    definition = props["resource_def"]
    member: dict[str, Any] = _replace(definition.get("properties") or {}, props["index_var"], name)
    return member


def _replace(value: Any, index_var: str, name: str) -> Any:
    if isinstance(value, str):
        return value.replace(index_var, name)
    if isinstance(value, Mapping):
        return {key: _replace(item, index_var, name) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(item, index_var, name) for item in value]
    return value
