"""``OS::Heat::ResourceGroup``: ``count`` copies of one resource definition.

    group:
      type: OS::Heat::ResourceGroup
      update_policy:
        rolling_update: {max_batch_size: 2, min_in_service: 1, pause_time: 30}
        batch_create: {max_batch_size: 5, pause_time: 10}
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
``batch_create`` and ``rolling_update`` make members in batches, as Heat's do
(``group_batches``). An operation is recorded member by member and resumed after a
crash; a failed update puts the members back as they were (``group_rollout``).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from crossheat.errors import CrossheatError, TemplateError
from crossheat.resources.constraints import AllowedValues, Length, Range
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.registry import BASE_ATTRIBUTES, ResourceType, SupportStatus
from crossheat.resources.schema import Attribute, Property, apply_defaults
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types import group_members as gm
from crossheat.resources.types.group_batches import batches
from crossheat.resources.types.group_rollout import Rollout, by_index, new_operation, resumable
from crossheat.template.values import contains_unknown, is_unknown

#: One member as the group tracks it (see ``group_members``).
State = gm.State

_BATCH_SIZE = Property(
    T.INTEGER, "Most members changed (or made) at once.", default=1, constraints=(Range(min=1),)
)
_PAUSE = Property(
    T.NUMBER, "Seconds to wait between two batches.", default=0, constraints=(Range(min=0),)
)


class ResourceGroup(ResourceType):
    """A group of identical resources, named ``"0"``, ``"1"``, ...

    Its ``update_policy`` works as in Heat. ``batch_create`` makes the members
    ``max_batch_size`` at a time, ``pause_time`` seconds apart. ``rolling_update``
    applies when ``resource_def`` changes: ``max_batch_size`` members at a time get
    the new definition (the highest indices first), at least ``min_in_service``
    members not being changed are kept (spare members are made for it, then deleted),
    with ``pause_time`` seconds between batches. A crashed create or update is resumed
    by ``stack resume`` where it was; a failed update puts the members back as they
    were (made ones deleted, changed ones changed back, replaced ones restored).
    """

    type_name = "OS::Heat::ResourceGroup"
    support_status = SupportStatus(version="2014.1")
    create_resumes = True
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
    update_policy_schema = {
        "rolling_update": Property(
            T.MAP,
            "Update the members in batches when resource_def changes.",
            schema={
                "min_in_service": Property(
                    T.INTEGER,
                    "Fewest members in service (not being changed) during the update.",
                    default=0,
                    constraints=(Range(min=0),),
                ),
                "max_batch_size": _BATCH_SIZE,
                "pause_time": _PAUSE,
            },
        ),
        "batch_create": Property(
            T.MAP,
            "Create the members in batches.",
            schema={"max_batch_size": _BATCH_SIZE, "pause_time": _PAUSE},
        ),
    }

    # The members are created, updated, polled and deleted by the group's own steps (see
    # ``group_rollout`` and ``group_members``), each with its type's lifecycle. The
    # operation started by ``create``/``update`` is carried on by the checks that follow
    # (the engine calls both on one instance; it needs the properties, which a resumed
    # operation gets from ``create``/``update`` being called again).
    _rollout: Rollout | None = None

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        """Start (or, after a crash, carry on) creating the members, in batches when
        ``batch_create`` says so."""
        props = self.with_defaults(props)
        values = (props, dict(ctx.update_policy))
        if not resumable(ctx.progress, "create", *values):
            _begin_create(ctx, props, values)
        ctx.physical_id = ctx.physical_id or ctx.physical_name
        self._rollout = Rollout(ctx, {"old": props, "new": props}, _member_properties)
        return self.check_create(ctx)

    def check_create(self, ctx: ResourceContext) -> Step:
        return self._advance(ctx)

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        """Start (or, after a crash, carry on) taking the members from ``old`` to ``new``:
        in batches when ``rolling_update`` says so and ``resource_def`` changed, else at
        once. ``changed`` may hold no real difference (members deleted behind
        crossheat's back): missing members are made again either way."""
        old, new = self.with_defaults(old), self.with_defaults(new)
        values = (old, new, dict(ctx.update_policy), sorted(changed))
        if not resumable(ctx.progress, "update", *values):
            _begin_update(ctx, old, new, changed, values)
        self._rollout = Rollout(ctx, {"old": old, "new": new}, _member_properties)
        return self.check_update(ctx)

    def check_update(self, ctx: ResourceContext) -> Step:
        return self._advance(ctx)

    def _advance(self, ctx: ResourceContext) -> Step:
        rollout = self._rollout
        if rollout is None or rollout.ctx is not ctx:
            raise CrossheatError(f"{ctx.name}: the group's operation was not started here")
        step = rollout.advance()
        if isinstance(step, Done):
            ctx.attributes = self._attributes(ctx, rollout.members, rollout.op["removed"])
        return step

    # ---- attributes, delete, read ------------------------------------------------------

    def _attributes(
        self, ctx: ResourceContext, members: Mapping[str, State], removed: list[str]
    ) -> dict[str, Any]:
        """Heat's group attributes; every member attribute that is not secret."""
        members = {n: members[n] for n in sorted(members, key=by_index)}
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
            cls = gm.member_type(state["type"])
            live = cls().read(gm.member_ctx(ctx, name, dict(state))) or {}
            public = {
                k: v
                for k, v in live.items()
                if k not in BASE_ATTRIBUTES and not getattr(cls.attribute(k), "secret", False)
            }
            out[f"resource.{name}"] = public
            for key, value in public.items():
                per_attribute.setdefault(key, []).append(value)
        out["attributes"] = per_attribute
        return out

    def delete(self, ctx: ResourceContext) -> Step:
        """Delete every member, and whatever an operation that did not finish left."""
        if "deleting" not in ctx.progress:
            ctx.progress["deleting"] = _everything(ctx)
            ctx.save_progress()
        return self.check_delete(ctx)

    def check_delete(self, ctx: ResourceContext) -> Step:
        entries: list[State] = ctx.progress.get("deleting") or []
        gone = gm.retire(ctx, entries, {e["id"] for e in entries if e.get("id")})
        ctx.save_progress()
        return Done() if gone else Pending(gm.POLL_DELAY)

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        members = _current_members(ctx)
        if members and not any(gm.is_alive(ctx, n, m) for n, m in members.items()):
            return None
        return ctx.attributes

    def find(self, ctx: ResourceContext) -> str | None:
        """The group, when an earlier try made (or began making) members; they are found
        again by their own tags."""
        return ctx.physical_name if _current_members(ctx) or ctx.progress.get("op") else None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """``count`` as the number of members still there (a deleted member is drift)."""
        members = _current_members(ctx)
        alive = [n for n, m in members.items() if gm.is_alive(ctx, n, m)]
        return {"count": len(alive)} if alive or not members else None


def _policy(ctx: ResourceContext, key: str) -> dict[str, Any] | None:
    """The ``update_policy`` entry ``key`` with Heat's defaults; None when not given."""
    policy = ctx.update_policy
    if not isinstance(policy, Mapping) or not isinstance(policy.get(key), Mapping):
        return None
    entry: dict[str, Any] = apply_defaults(ResourceGroup.update_policy_schema, policy)[key]
    if contains_unknown(entry):
        raise TemplateError.single(
            f"the group's update_policy {key} must be known before deployment",
            code="unknown_value",
        )
    return entry


def _plan(policy: Mapping[str, Any] | None, target: int, current: int) -> dict[str, Any]:
    """The batches of an operation: Heat's when a policy applies, else one with everything."""
    if policy is None:
        return {"mode": "all", "batches": [[target, target]]}
    size, least = policy["max_batch_size"], policy.get("min_in_service", 0)
    planned = [list(b) for b in batches(target, current, size, least)]
    return {"mode": "batches", "batches": planned, "pause": float(policy["pause_time"])}


def _begin_create(ctx: ResourceContext, props: Mapping[str, Any], values: tuple[Any, ...]) -> None:
    """A new create; members an earlier, failed try made ready are kept, the others go."""
    earlier: dict[str, State] = ctx.progress.get("members") or {}
    members = {
        n: {"type": m["type"], "id": m["id"], "def": "new", "sent": True, "done": True}
        for n, m in earlier.items()
        if m.get("done") and m.get("id")
    }
    leftovers = [{**m, "name": n} for n, m in earlier.items() if n not in members]
    leftovers += _unfinished_retirements(ctx)
    count = props["count"]
    policy = _policy(ctx, "batch_create") if count else None
    ctx.progress.pop("deleting", None)
    ctx.progress["members"] = members
    ctx.progress["op"] = new_operation(
        "create", *values, count=count, removed=sorted(set(_policy_entries(props))),
        before=[], retire=leftovers, **_plan(policy, count, 0),
    )  # fmt: skip
    ctx.save_progress()


def _begin_update(
    ctx: ResourceContext,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed: set[str],
    values: tuple[Any, ...],
) -> None:
    """A new update, from the members the group has now (those still alive)."""
    members, leftovers = _members_now(ctx)
    removed = _removed_names(ctx, new, members)
    current = len([n for n in members if n not in removed])
    policy = _policy(ctx, "rolling_update") if "resource_def" in changed else None
    ctx.progress.pop("deleting", None)  # a delete that failed: its list is out of date now
    ctx.progress["members"] = members
    ctx.progress["op"] = new_operation(
        "update", *values, count=new["count"], removed=sorted(removed),
        before=sorted(members, key=by_index), retire=leftovers,
        **_plan(policy, new["count"], current),
    )  # fmt: skip
    ctx.save_progress()


def _members_now(ctx: ResourceContext) -> tuple[dict[str, State], list[State]]:
    """The members the group has, each with its current definition (``"old"``), those
    deleted behind crossheat's back left out; and what an earlier operation that did
    not finish left to delete (a create whose answer was lost, old selves)."""
    leftovers = _unfinished_retirements(ctx)
    members: dict[str, State] = {}
    for name, member in _current_members(ctx, with_unsent=True).items():
        state: State = {"type": member["type"], "id": member.get("id"), "def": "old"}
        state.update(action=None, sent=True, done=True)
        if not member.get("id"):
            leftovers.append({**state, "name": name, "tried": True})
        elif gm.is_alive(ctx, name, state):
            members[name] = state
    return members, leftovers


def _unfinished_retirements(ctx: ResourceContext) -> list[State]:
    op = ctx.progress.get("op") or {}
    return [dict(r) for r in op.get("retire") or [] if not r.get("gone")]


def _current_members(ctx: ResourceContext, with_unsent: bool = False) -> dict[str, State]:
    """The members as the last operation left them (its progress, when it did not
    finish), else as the group's attributes show them; ``with_unsent`` adds those
    whose create may or may not have happened."""
    members = ctx.progress.get("members")
    if members is None:
        shown = (ctx.attributes.get("show") or {}).get("members") or {}
        return {n: {"id": m.get("id"), "type": m["type"]} for n, m in shown.items()}
    return {n: m for n, m in members.items() if m.get("id") or (with_unsent and m.get("tried"))}


def _everything(ctx: ResourceContext) -> list[State]:
    """What a delete must remove: the members, and what an operation left unfinished."""
    entries = [
        {"name": n, "type": m["type"], "id": m.get("id"), "tried": not m.get("id")}
        for n, m in _current_members(ctx, with_unsent=True).items()
    ]
    return entries + _unfinished_retirements(ctx)


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
