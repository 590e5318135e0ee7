"""Stack routes of Heat's API v1 (``/v1/{tenant_id}/stacks...``): list, create, preview,
lookups by name or id (302), show, update (PUT, PATCH), delete.

The stack's own data (template, environment, files, outputs), abandon, export, update
previews and actions are in ``stack_data``; resources and events in their modules.
A stack is named by Heat's canonical ``/stacks/{name}/{id}``; a bare name or id is a
lookup, answered with a 302 to the canonical URL (the query kept) for every verb, and
for the sub-paths Heat redirects (``GET_LOOKUPS``, ``POST_LOOKUPS``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from crossheat import errors
from crossheat.api import stack_data, views
from crossheat.api.bodies import (
    CREATE_BODY,
    UPDATE_BODY,
    create_request,
    json_body,
    required,
    update_request,
)
from crossheat.api.context import RequestContext, request_context
from crossheat.api.errors import HeatFault
from crossheat.api.query import Query
from crossheat.service import StackQuery

router = APIRouter(tags=["stacks"])

STACKS = "/v1/{tenant_id}/stacks"
STACK = STACKS + "/{stack_name}/{stack_id}"
#: Sub-paths a ``GET /stacks/{name_or_id}/{sub}`` is redirected with; those of a POST.
GET_LOOKUPS = frozenset({"resources", "events", "template", "actions", "environment", "files"})
POST_LOOKUPS = frozenset({"resources", "events", "template", "actions"})
#: Filters ``GET /stacks`` takes (unknown ones are ignored, as Heat does).
FILTERS = (
    "id", "name", "status", "action", "tenant", "username", "owner_id", "stack_name",
    "stack_status", "stack_action", "stack_status_reason", "disable_rollback",
    "timeout_mins", "stack_owner", "parent", "stack_user_project_id",
)  # fmt: skip
LOOKUP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

Context = Annotated[RequestContext, Depends(request_context)]
Body = Annotated[dict[str, Any] | None, Depends(json_body)]


@router.get(STACKS)
def list_stacks(request: Request, ctx: Context) -> dict[str, Any]:
    """Heat's stack list: filters, tags, sort, page (``limit``/``marker``), count."""
    query = Query(request)
    service = ctx.every_project() if query.boolean("global_tenant") else ctx.service
    sort_dir = query.single("sort_dir")
    if sort_dir is not None and sort_dir not in ("asc", "desc"):
        raise HeatFault(400, "ValueError", "Unknown sort direction, must be one of: asc, desc")
    stack_query = StackQuery(
        filters=query.mixed(FILTERS),
        tags=query.tags("tags"),
        tags_any=query.tags("tags_any"),
        not_tags=query.tags("not_tags"),
        not_tags_any=query.tags("not_tags_any"),
        sort_keys=query.multi("sort_keys"),
        sort_dir=sort_dir,
        limit=query.integer("limit"),
        marker=query.single("marker"),
        show_deleted=query.boolean("show_deleted"),
        show_nested=query.boolean("show_nested"),
    )
    page = service.heat().list_stacks(stack_query)
    admin = ctx.identity.is_admin
    out: dict[str, Any] = {"stacks": [views.with_links(ctx, s, project=admin) for s in page.stacks]}
    limit = stack_query.limit
    if limit and len(page.stacks) == limit:
        href = f"{ctx.base_url}{request.url.path}?{query.encoded(marker=page.stacks[-1]['id'])}"
        out["links"] = [{"href": href, "rel": "next"}]
    if query.boolean("with_count"):
        out["count"] = page.count
    return out


@router.post(STACKS, status_code=201, openapi_extra=CREATE_BODY)
def create_stack(ctx: Context, body: Body) -> JSONResponse:
    """Heat's create: 201 as soon as the stack is recorded CREATE_IN_PROGRESS; the
    server's executor runs it. ``adopt_stack_data``: Heat's adopt."""
    create = create_request(required(body))
    service = ctx.service
    heat = views.heat(ctx)
    options: dict[str, Any] = {
        "disable_rollback": create.disable_rollback,
        "timeout_mins": create.timeout_mins,
        "tags": create.tags,
    }
    if create.adopt is not None:
        started = heat.adopt(create.name, create.inputs, create.adopt, **options)
    else:
        heat.check_new_name(create.name)
        started = service.create(create.name, create.inputs, **options)
    service.submit(started)
    return views.created(ctx, started.stack)


@router.post(STACKS + "/preview", openapi_extra=CREATE_BODY)
def preview_stack(ctx: Context, body: Body) -> dict[str, Any]:
    """Heat's create preview: the stack and its resources as they would be; nothing made."""
    create = create_request(required(body))
    preview = views.heat(ctx).preview(
        create.name, create.inputs, disable_rollback=create.disable_rollback,
        timeout_mins=create.timeout_mins, tags=create.tags,
    )  # fmt: skip
    preview["links"] = views.links(ctx, create.name, "None")
    return {"stack": preview}


@router.get(STACKS + "/detail")
def list_detail(request: Request, ctx: Context) -> dict[str, Any]:
    """Heat's ``/stacks/detail``: the list, each stack in full."""
    heat = views.heat(ctx)
    listed = heat.list_stacks(StackQuery(show_deleted=Query(request).boolean("show_deleted")))
    admin = ctx.identity.is_admin
    stacks = [heat.show(heat.find(s["id"]), outputs=False) for s in listed.stacks]
    return {"stacks": [views.with_links(ctx, s, project=admin) for s in stacks]}


@router.api_route(STACKS + "/arn:{arn:path}", methods=LOOKUP_METHODS, include_in_schema=False)
def arn_lookup(request: Request, ctx: Context, arn: str) -> JSONResponse:
    """A stack named by its ARN (``arn:openstack:heat::{tenant}:stacks/{name}/{id}...``):
    redirected without a lookup, as Heat does."""
    tenant, _, rest = unquote(arn).removeprefix("openstack:heat::").partition(":stacks/")
    name, _, tail = rest.partition("/")
    stack_id, _, path = tail.partition("/")
    if not (tenant and name and stack_id):
        raise HeatFault(404, "EntityNotFound", f"The Stack (arn:{arn}) could not be found.")
    url = ctx.stack_url(name, stack_id) + (f"/{quote(path)}" if path else "")
    return views.redirect(_with_query(url, request))


@router.api_route(STACKS + "/{stack_name}", methods=LOOKUP_METHODS)
def lookup(request: Request, ctx: Context, stack_name: str) -> JSONResponse:
    """A stack named by its name or id: 302 to its canonical URL, whatever the verb."""
    return _redirect(request, ctx, stack_name)


@router.get(STACK)
def show_stack(request: Request, ctx: Context, stack_name: str, stack_id: str) -> Any:
    """Heat's stack show (deleted stacks too, by id), or a lookup with a sub-path."""
    if stack_id in GET_LOOKUPS:
        return _redirect(request, ctx, stack_name, stack_id)
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id, deleted=True)
    outputs = Query(request).boolean("resolve_outputs", default=True)
    return {"stack": views.with_links(ctx, heat.show(stack, outputs=outputs), project=False)}


@router.post(STACK)
def post_lookup(request: Request, ctx: Context, stack_name: str, stack_id: str) -> JSONResponse:
    """A POST to a lookup with a sub-path (``/stacks/{name}/actions``...)."""
    if stack_id in POST_LOOKUPS:
        return _redirect(request, ctx, stack_name, stack_id)
    raise HeatFault(
        405,
        None,
        "The method is not allowed for this resource.",
        headers={"Allow": "GET, PUT, PATCH, DELETE"},
    )


@router.put(STACK, status_code=202, openapi_extra=UPDATE_BODY)
def update_stack(ctx: Context, stack_name: str, stack_id: str, body: Body) -> JSONResponse:
    """Heat's update: the template and environment replaced (``existing``: kept)."""
    return _update(ctx, stack_name, stack_id, body, patch=False)


@router.patch(STACK, status_code=202, openapi_extra=UPDATE_BODY)
def patch_stack(ctx: Context, stack_name: str, stack_id: str, body: Body) -> JSONResponse:
    """Heat's PATCH update: the stored template, environments, files, parameters and tags
    kept, with what the body gives on top."""
    return _update(ctx, stack_name, stack_id, body, patch=True)


@router.delete(STACK, status_code=204)
def delete_stack(ctx: Context, stack_name: str, stack_id: str) -> Response:
    """Heat's delete: 204 once the stack's lock is taken; the executor deletes it."""
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    try:
        with views.acting_on(stack):
            started = heat.delete(stack)
    except errors.StackError:  # deleted already
        raise HeatFault(
            404, "EntityNotFound", f"The Stack ({stack_name}) could not be found."
        ) from None
    ctx.service.submit(started)
    return views.no_content()


def _update(
    ctx: RequestContext, stack_name: str, stack_id: str, body: dict[str, Any] | None, *, patch: bool
) -> JSONResponse:
    """The stack is UPDATE_IN_PROGRESS (its lock taken) when the 202 goes out."""
    service = ctx.service
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id)
    prepared = heat.prepare(stack, update_request(required(body), patch=patch))
    with views.acting_on(stack):
        started = service.update(prepared)
    service.submit(started)
    return views.accepted()


def _redirect(
    request: Request, ctx: RequestContext, name_or_id: str, sub: str | None = None
) -> JSONResponse:
    stack = views.heat(ctx).find(name_or_id)
    url = views.stack_url(ctx, stack.project, stack.name, stack.id, *((sub,) if sub else ()))
    return views.redirect(_with_query(url, request))


def _with_query(url: str, request: Request) -> str:
    query = Query(request).encoded()
    return f"{url}?{query}" if query else url


router.include_router(stack_data.router)
