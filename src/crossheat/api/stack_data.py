"""A stack's own data and what Heat does to a stack beside create, update and delete:
template, environment, files, outputs, update previews, abandon, export, actions.

Every path is under the canonical ``/v1/{tenant_id}/stacks/{stack_name}/{stack_id}``.
The template, environment and files of a deleted stack are readable (by id), as in
Heat; the rest answers 404 for it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from crossheat.api import views
from crossheat.api.bodies import ACTION_BODY, UPDATE_BODY, json_body, required, update_request
from crossheat.api.context import RequestContext, request_context
from crossheat.api.errors import HeatFault
from crossheat.service import Action

router = APIRouter(tags=["stacks"])

STACK = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
ACTIONS = ("suspend", "resume", "check", "cancel_update", "cancel_without_rollback")

Context = Annotated[RequestContext, Depends(request_context)]
Body = Annotated[dict[str, Any] | None, Depends(json_body)]


@router.get(STACK + "/template")
def template(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """The stored template, as given (hidden parameters' defaults masked)."""
    heat = views.heat(ctx)
    return heat.template(heat.canonical(stack_name, stack_id, deleted=True))


@router.get(STACK + "/environment")
def environment(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's environment of the stack, hidden parameters masked."""
    heat = views.heat(ctx)
    return heat.environment(heat.canonical(stack_name, stack_id, deleted=True))


@router.get(STACK + "/files")
def files(ctx: Context, stack_name: str, stack_id: str) -> dict[str, str]:
    heat = views.heat(ctx)
    return heat.files(heat.canonical(stack_name, stack_id, deleted=True))


@router.get(STACK + "/outputs")
def outputs(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """The outputs' names and descriptions (not their values)."""
    heat = views.heat(ctx)
    found = heat.outputs(heat.canonical(stack_name, stack_id))
    return {"outputs": [{k: o[k] for k in ("output_key", "description")} for o in found]}


@router.get(STACK + "/outputs/{output_key}")
def output(ctx: Context, stack_name: str, stack_id: str, output_key: str) -> dict[str, Any]:
    """One output, resolved (``output_error`` when it could not be)."""
    heat = views.heat(ctx)
    for found in heat.outputs(heat.canonical(stack_name, stack_id)):
        if found["output_key"] == output_key:
            return {"output": found}
    raise HeatFault(404, "NotFound", f"Specified output key {output_key} not found.")


@router.put(STACK + "/preview", openapi_extra=UPDATE_BODY)
def preview_update(ctx: Context, stack_name: str, stack_id: str, body: Body) -> dict[str, Any]:
    """What a PUT update would do to each resource; nothing changes."""
    return _preview(ctx, stack_name, stack_id, body, patch=False)


@router.patch(STACK + "/preview", openapi_extra=UPDATE_BODY)
def preview_patch(ctx: Context, stack_name: str, stack_id: str, body: Body) -> dict[str, Any]:
    """What a PATCH update would do to each resource; nothing changes."""
    return _preview(ctx, stack_name, stack_id, body, patch=True)


def _preview(
    ctx: RequestContext, stack_name: str, stack_id: str, body: dict[str, Any] | None, *, patch: bool
) -> dict[str, Any]:
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    prepared = heat.prepare(stack, update_request(required(body), patch=patch))
    return {"resource_changes": heat.preview_update(stack, prepared)}


@router.delete(STACK + "/abandon")
def abandon(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's abandon: the stack's data; the stack is gone, its resources stay."""
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    with views.acting_on(stack):
        return heat.abandon(stack)


@router.get(STACK + "/export")
def export(ctx: Context, stack_name: str, stack_id: str) -> dict[str, Any]:
    """Heat's export: the abandon data, the stack left as it is."""
    heat = views.heat(ctx)
    return heat.export(heat.canonical(stack_name, stack_id))


@router.post(STACK + "/actions", openapi_extra=ACTION_BODY)
def action(ctx: Context, stack_name: str, stack_id: str, body: Body) -> Response:
    """One of Heat's stack actions (``{"check": null}``...); 200 ``null`` at once."""
    given = list(body or {})
    if not given:
        raise HeatFault(400, None, "No action specified")
    if len(given) > 1:
        raise HeatFault(400, None, "Multiple actions specified")
    name = given[0]
    if name not in ACTIONS:
        raise HeatFault(400, None, f"Invalid action {name} specified")
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
