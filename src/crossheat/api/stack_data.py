"""A stack's own data and what Heat does to a stack beside create, update and delete:
template, environment, files, outputs, update previews, abandon, export, actions.

Every path is under the canonical ``/v1/{tenant_id}/stacks/{stack_name}/{stack_id}``.
The template, environment and files of a deleted stack are readable (by id), as in
Heat; the rest answers 404 for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossheat.api import schemas, views
from crossheat.api.bodies import ActionBody, JsonBody, UpdateBody, required, update_request
from crossheat.api.context import Context, RequestContext
from crossheat.api.errors import HeatFault, bad_request
from crossheat.api.openapi import BOOLEAN, NULL, answers
from crossheat.api.query import Query
from crossheat.service import Action, HeatOps, StackRecord

router = APIRouter(tags=["stacks"])
T = TypeVar("T")

STACK = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
ACTIONS = ("suspend", "resume", "check", "cancel_update", "cancel_without_rollback")

#: An update preview's documentation (``show_nested``: nested stacks are always shown).
PREVIEW = answers(
    200, schemas.ResourceChanges, 404, query={"show_nested": BOOLEAN}, body=UpdateBody
)


@router.get(STACK + "/template", **answers(200, dict[str, Any], 404))
def template(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """The stored template, as given (hidden parameters' defaults masked)."""
    return _stored(ctx, stack_name, stack_id, HeatOps.template)


@router.get(STACK + "/environment", **answers(200, schemas.Environment, 404))
def environment(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's environment of the stack, hidden parameters masked."""
    return _stored(ctx, stack_name, stack_id, HeatOps.environment)


@router.get(STACK + "/files", **answers(200, dict[str, str], 404))
def files(ctx: Context, stack_name: str, stack_id: str) -> dict[str, str]:
    return _stored(ctx, stack_name, stack_id, HeatOps.files)


def _stored(
    ctx: RequestContext, stack_name: str, stack_id: str, read: Callable[[HeatOps, StackRecord], T]
) -> T:
    """What ``read`` gives of the stack's stored data (a deleted stack's too, as Heat's)."""
    heat = views.heat(ctx)
    return read(heat, heat.canonical(stack_name, stack_id, deleted=True))


@router.get(STACK + "/outputs", **answers(200, schemas.OutputList, 404))
def outputs(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """The outputs' names and descriptions (not their values)."""
    heat = views.heat(ctx)
    found = heat.outputs(heat.canonical(stack_name, stack_id))
    return {"outputs": [{k: o[k] for k in ("output_key", "description")} for o in found]}


@router.get(STACK + "/outputs/{output_key}", **answers(200, schemas.OutputShow, 404))
def output(ctx: Context, stack_name: str, stack_id: str, output_key: str) -> dict[str, Any]:
    """One output, resolved (``output_error`` when it could not be)."""
    heat = views.heat(ctx)
    for found in heat.outputs(heat.canonical(stack_name, stack_id)):
        if found["output_key"] == output_key:
            return {"output": found}
    raise HeatFault(404, "NotFound", f"Specified output key {output_key} not found.")


@router.put(STACK + "/preview", **PREVIEW)
def preview_update(
    request: Request, ctx: Context, stack_name: str, stack_id: str, body: JsonBody
) -> dict[str, Any]:
    """What a PUT update would do to each resource; nothing changes."""
    return _preview(request, ctx, stack_name, stack_id, body, patch=False)


@router.patch(STACK + "/preview", **PREVIEW)
def preview_patch(
    request: Request, ctx: Context, stack_name: str, stack_id: str, body: JsonBody
) -> dict[str, Any]:
    """What a PATCH update would do to each resource; nothing changes."""
    return _preview(request, ctx, stack_name, stack_id, body, patch=True)


def _preview(
    request: Request,
    ctx: RequestContext,
    stack_name: str,
    stack_id: str,
    body: dict[str, Any] | None,
    *,
    patch: bool,
) -> dict[str, Any]:
    Query(request).boolean("show_nested")  # nested stacks are always shown: checked only
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    prepared = heat.prepare(stack, update_request(required(body), patch=patch))
    return {"resource_changes": heat.preview_update(stack, prepared)}


@router.delete(STACK + "/abandon", **answers(200, schemas.AbandonData, 404, 409))
def abandon(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's abandon: the stack's data; the stack is gone, its resources stay."""
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    with views.acting_on(stack):
        return heat.abandon(stack)


@router.get(STACK + "/export", **answers(200, schemas.AbandonData, 404))
def export(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's export: the abandon data, the stack left as it is."""
    heat = views.heat(ctx)
    return heat.export(heat.canonical(stack_name, stack_id))


@router.post(STACK + "/actions", **answers(200, NULL, 404, 409, body=ActionBody))
def action(ctx: Context, stack_name: str, stack_id: str, body: JsonBody) -> Response:
    """One of Heat's stack actions (``{"check": null}``...); 200 ``null`` at once."""
    given = list(body or {})
    if not given:
        raise bad_request("No action specified")
    if len(given) > 1:
        raise bad_request("Multiple actions specified")
    name = given[0]
    if name not in ACTIONS:
        raise bad_request(f"Invalid action {name} specified")
    service = ctx.service
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    if name == "check":
        with views.acting_on(stack):
            started = heat.check(stack)
        service.submit(started)
    elif name in ("cancel_update", "cancel_without_rollback"):
        heat.cancel(stack, rollback=name == "cancel_update")
    else:
        heat.refuse(stack, Action(name.upper()))
    return views.null()
