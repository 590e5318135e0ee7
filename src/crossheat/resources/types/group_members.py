"""One member of a resource group: created, updated, polled and deleted through its own type.

A member's state lives in the group's ``progress`` (recorded by the engine, so
never a secret in it), e.g. ``{"type": "OS::Nova::Server", "id": "...", "def":
"new", "action": "update", "sent": True, "done": False, "progress": {...}}``:

- ``def`` names the definition the member has (or is getting): ``"old"`` or
  ``"new"``, the group's properties before or after the update; never a copy of
  them, which may hold secrets;
- ``action`` is ``"create"`` or ``"update"`` while one runs; ``tried`` is set
  before a create is sent and ``sent`` once the call has returned, so that a member
  whose create may have happened before a crash is looked for (by its tags) and
  an update whose answer was lost is sent again;
- ``progress`` is the member type's own step state.

Each member has its own context, named ``<group>-<index>`` (its tags say so).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Collection
from typing import Any

from crossheat.errors import CloudConflict, CloudError, CloudNotFound, NotSupportedError
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step, kill_point
from crossheat.resources.registry import Registry, ResourceType, default_registry

#: One member as the group tracks it (see the module doc).
State = dict[str, Any]

#: How long a member replaced delete-first may take to go before its successor is made.
DELETE_FIRST_PATIENCE = 120.0
#: Longest pause between two polls of a group's members.
POLL_DELAY = 0.5


@functools.cache
def _registry() -> Registry:
    return default_registry()


def member_type(name: str) -> type[ResourceType]:
    """The class of a member type; a group cannot hold groups."""
    cls = _registry().get(name)
    if cls is None or cls.type_name == "OS::Heat::ResourceGroup":
        raise NotSupportedError(f"a resource group cannot have members of type {name}")
    return cls


def member_ctx(ctx: ResourceContext, name: str, state: State) -> ResourceContext:
    """Member ``name``'s context: its own name, id and step state (kept in ``state``)."""
    return dataclasses.replace(
        ctx, name=f"{ctx.name}-{name}", physical_id=state.get("id"),
        progress=state.setdefault("progress", {}), attributes={}, update_policy={},
    )  # fmt: skip


def is_alive(ctx: ResourceContext, name: str, state: State) -> bool:
    """True when the member is still in its cloud."""
    if not state.get("id"):
        return False
    plugin = member_type(state["type"])()
    return plugin.read(member_ctx(ctx, name, dict(state))) is not None


def send_create(
    ctx: ResourceContext, name: str, state: State, props: dict[str, Any], taken: Collection[str]
) -> None:
    """Create the member; when an earlier try may have made it, adopt that one instead."""
    plugin = member_type(state["type"])()
    mctx = member_ctx(ctx, name, state)
    mctx.taken = frozenset(taken)
    try:
        if state.get("tried") and mctx.physical_id is None:
            mctx.physical_id = plugin.find(mctx)
        if mctx.physical_id is None:
            state["tried"] = True
            ctx.save_progress()
            kill_point("create", mctx.name, "before-call")
            step = plugin.create(mctx, props)
            kill_point("create", mctx.name, "after-call")
            state["done"] = isinstance(step, Done)
    finally:
        state["id"] = mctx.physical_id
    state["sent"] = True
    ctx.save_progress()


def send_update(
    ctx: ResourceContext,
    name: str,
    state: State,
    before: dict[str, Any],
    after: dict[str, Any],
    changed: set[str],
) -> None:
    """Update the member in place. Sent again after a crash, a conflict ("in use",
    "invalid state": a resize under way) means the first one got through: it is polled."""
    plugin = member_type(state["type"])()
    mctx = member_ctx(ctx, name, state)
    again = bool(state.get("tried"))
    state["tried"] = True
    ctx.save_progress()
    mctx.attributes = plugin.read(mctx) or {}
    kill_point("update", mctx.name, "before-call")
    try:
        step: Step = plugin.update(mctx, before, after, changed)
    except CloudConflict:
        if not again:
            raise
        step = Pending(POLL_DELAY)
    kill_point("update", mctx.name, "after-call")
    state["done"] = isinstance(step, Done)
    state["sent"] = True
    ctx.save_progress()


def poll(ctx: ResourceContext, name: str, state: State) -> Step:
    """One poll of the member's create or update (``Done`` at once when none runs)."""
    if state.get("done"):
        return Done()
    plugin = member_type(state["type"])()
    mctx = member_ctx(ctx, name, state)
    check = plugin.check_update if state.get("action") == "update" else plugin.check_create
    try:
        step = check(mctx)
    finally:
        state["id"] = mctx.physical_id
    state["done"] = isinstance(step, Done)
    return step


def retire(ctx: ResourceContext, states: list[State], taken: Collection[str]) -> bool:
    """Delete these members (each ``{"name": ..., **state}``): each delete is sent, then
    polled; a member whose create's answer was lost is found by its tags first. True
    when all are gone."""
    for state in states:
        if state.get("gone"):
            continue
        plugin = member_type(state["type"])()
        mctx = member_ctx(ctx, state["name"], state)
        mctx.taken = frozenset(taken) - {state.get("id")}
        try:
            if mctx.physical_id is None and state.get("tried"):
                mctx.physical_id = state["id"] = plugin.find(mctx)
            if mctx.physical_id is None:
                step: Step = Done()
            elif state.get("started"):
                step = plugin.check_delete(mctx)
            else:  # sent again after a crash before it was recorded: gone is fine
                step = plugin.delete(mctx)
                kill_point("delete", mctx.name, "after-call")
                state["started"] = True
        except CloudNotFound:
            step = Done()
        state["gone"] = isinstance(step, Done)
    return all(state.get("gone") for state in states)


def delete_now(ctx: ResourceContext, state: State, taken: Collection[str]) -> None:
    """Delete a member and wait until it is gone, for a type replaced delete-first."""
    deadline = time.monotonic() + DELETE_FIRST_PATIENCE
    while not retire(ctx, [state], taken):
        if time.monotonic() > deadline:
            raise CloudError(
                f"{ctx.name}-{state['name']} is still there after its delete", region=ctx.region
            )
        time.sleep(0.2)
