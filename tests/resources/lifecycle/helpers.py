"""Driving one resource type's steps the way the engine does."""

from __future__ import annotations

from typing import Any

from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import ResourceType
from tests.resources.lifecycle.conftest import MakeCtx, run


def create(plugin: ResourceType, ctx: ResourceContext, props: dict[str, Any]) -> int:
    """Create with defaults applied; returns how many polls it took."""
    step = plugin.create(ctx, type(plugin).with_defaults(props))
    return run(step, lambda: plugin.check_create(ctx))


def update(
    plugin: ResourceType, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any]
) -> int:
    """Update in place the properties that differ; returns how many polls it took."""
    before, after = type(plugin).with_defaults(old), type(plugin).with_defaults(new)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return run(plugin.update(ctx, before, after, changed), lambda: plugin.check_update(ctx))


def delete(plugin: ResourceType, ctx: ResourceContext) -> None:
    run(plugin.delete(ctx), lambda: plugin.check_delete(ctx))
    assert plugin.read(ctx) is None


def after_crash(make_ctx: MakeCtx, ctx: ResourceContext) -> ResourceContext:
    """A context for the same stack and resource that has lost the physical id."""
    lost = make_ctx(ctx.name, ctx.region)
    lost.stack_id = ctx.stack_id
    return lost
