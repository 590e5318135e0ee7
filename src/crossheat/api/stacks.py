"""Stack routes of Heat's API v1 (``/v1/{tenant_id}/stacks...``): list, create, preview,
lookups by name or id (302), show, update (PUT, PATCH), delete.

The stack's own data (template, environment, files, outputs), abandon, export, update
previews and actions are in ``stack_data``; resources and events in their modules.
A stack is named by Heat's canonical ``/stacks/{name}/{id}``; a bare name or id is a
lookup, answered with a 302 to the canonical URL (the query kept) for every verb, and
for the sub-paths Heat redirects (``GET_LOOKUPS``, ``POST_LOOKUPS``).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from crossheat import errors
from crossheat.api import cache, schemas, stack_data, views
from crossheat.api.bodies import (
    CreateBody,
    JsonBody,
    UpdateBody,
    create_request,
    required,
    update_request,
)
from crossheat.api.context import Context, RequestContext
from crossheat.api.errors import HeatFault
from crossheat.api.openapi import BOOLEAN, INTEGER, MULTI, NO_BODY, TAGS, TEXT, answers
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
LOOKUP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: The query ``GET /stacks`` reads.
LIST_QUERY = {
    **dict.fromkeys(FILTERS, MULTI),
    **dict.fromkeys(("tags", "tags_any", "not_tags", "not_tags_any"), TAGS),
    "sort_keys": MULTI,
    "sort_dir": {"type": "string", "enum": ["asc", "desc"]},
    "limit": INTEGER,
    "marker": TEXT,
    **dict.fromkeys(("show_deleted", "show_nested", "global_tenant", "with_count"), BOOLEAN),
}


@router.get(STACKS, **answers(200, schemas.StackList, query=LIST_QUERY))
async def list_stacks(request: Request, ctx: Context) -> Response:
    """Heat's stack list: filters, tags, sort, page (``limit``/``marker``), count; kept
    while the database does not change (``cache``)."""
    kept = await cache.Kept.read(request, ctx)
    if (hit := kept.answer()) is not None:
        return hit
    return await run_in_threadpool(_list_stacks, request, ctx, kept)


def _list_stacks(request: Request, ctx: RequestContext, kept: cache.Kept) -> Response:
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
    return kept.keep(out, timed=page.timed)


@router.post(STACKS, **answers(201, schemas.StackCreated, 409, body=CreateBody))
def create_stack(ctx: Context, body: JsonBody) -> JSONResponse:
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


@router.post(STACKS + "/preview", **answers(200, schemas.StackPreview, 409, body=CreateBody))
def preview_stack(ctx: Context, body: JsonBody) -> dict[str, Any]:
    """Heat's create preview: the stack and its resources as they would be; nothing made."""
    create = create_request(required(body))
    preview = views.heat(ctx).preview(
        create.name, create.inputs, disable_rollback=create.disable_rollback,
        timeout_mins=create.timeout_mins, tags=create.tags,
    )  # fmt: skip
    preview["links"] = views.links(ctx, create.name, "None")
    return {"stack": preview}


@router.get(
    STACKS + "/detail", **answers(200, schemas.StackDetailList, query={"show_deleted": BOOLEAN})
)
def list_detail(request: Request, ctx: Context) -> dict[str, Any]:
    """Heat's ``/stacks/detail``: the list, each stack in full."""
    heat = views.heat(ctx)
    listed = heat.list_stacks(StackQuery(show_deleted=Query(request).boolean("show_deleted")))
    admin = ctx.identity.is_admin
    stacks = [heat.show(heat.find(s["id"]), outputs=False) for s in listed.stacks]
    return {"stacks": [views.with_links(ctx, s, project=admin) for s in stacks]}


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


def lookup(request: Request, ctx: Context, stack_name: str) -> JSONResponse:
    """A stack named by its name or id: 302 to its canonical URL, whatever the verb."""
    return _redirect(request, ctx, stack_name)


# One route a verb: each its own operation in the OpenAPI document. The ARN's route
# comes first: a bare name or id is any other path segment.
for _path, _lookup in (
    (STACKS + "/arn:{arn:path}", arn_lookup),
    (STACKS + "/{stack_name}", lookup),
):
    for _method in LOOKUP_METHODS:
        router.add_api_route(
            _path,
            _lookup,
            methods=[_method],
            operation_id=f"{_lookup.__name__}_{_method.lower()}",
            summary=f"{_lookup.__name__.replace('_', ' ').capitalize()} ({_method})",
            **answers(302, schemas.Answer, 404),
        )


#: The longest a stack show is held by ``wait`` (crossheat's own query parameter).
MAX_WAIT_SECONDS = 30
#: How often a held show looks for a commit, on a database whose change mark is a local
#: read (SQLite's); a database server's is read at ``WAIT_READ_SECONDS``.
WAIT_LOOK_SECONDS = 0.02
WAIT_READ_SECONDS = 0.1


@router.get(
    STACK,
    **answers(
        200, schemas.StackShow, 404, query={"resolve_outputs": BOOLEAN, "wait": INTEGER},
        redirects=True,
    ),
)  # fmt: skip
async def show_stack(request: Request, ctx: Context, stack_name: str, stack_id: str) -> Any:
    """Heat's stack show (deleted stacks too, by id), or a lookup with a sub-path; kept
    while the database does not change (``cache``). ``wait`` (crossheat's own, seconds,
    at most ``MAX_WAIT_SECONDS``): answered once no operation runs on the stack, or when
    that time is up, whichever comes first: ``crossheat --url ... --wait`` sees an
    operation end at once instead of at its next poll."""
    if stack_id in GET_LOOKUPS:
        return await run_in_threadpool(_redirect, request, ctx, stack_name, stack_id)
    wait = Query(request).integer("wait")
    if wait:
        await _until_settled(request, ctx, stack_name, stack_id, min(wait, MAX_WAIT_SECONDS))
    kept = await cache.Kept.read(request, ctx)
    if (hit := kept.answer()) is not None:
        return hit
    return await run_in_threadpool(_show_stack, request, ctx, stack_name, stack_id, kept)


async def _until_settled(
    request: Request, ctx: RequestContext, stack_name: str, stack_id: str, seconds: float
) -> None:
    """Return once no operation runs on the stack (not in progress, its lock free), after
    ``seconds`` at most, or when the client has gone: the stack is read again after each
    commit to the database (its change mark moved), by any process."""
    heat = views.heat(ctx)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    quick = heat.change_mark_is_quick
    seen: object = object()
    while True:
        mark = heat.change_mark() if quick else await run_in_threadpool(heat.change_mark)
        if mark is None or mark != seen:
            seen = mark
            stack = await run_in_threadpool(heat.canonical, stack_name, stack_id, deleted=True)
            if not stack.stack_status.endswith("_IN_PROGRESS") and not stack.lock.held:
                return
        left = deadline - loop.time()
        if left <= 0 or await request.is_disconnected():
            return
        await asyncio.sleep(min(left, WAIT_LOOK_SECONDS if quick else WAIT_READ_SECONDS))


def _show_stack(
    request: Request, ctx: RequestContext, stack_name: str, stack_id: str, kept: cache.Kept
) -> Response:
    heat = views.heat(ctx)
    stack = heat.canonical(stack_name, stack_id, deleted=True)
    outputs = Query(request).boolean("resolve_outputs", default=True)
    shown = heat.show(stack, outputs=outputs)
    return kept.keep(
        {"stack": views.with_links(ctx, shown, project=False)}, timed=heat.is_timed(shown)
    )


@router.post(STACK, **answers(302, schemas.Answer, 404, 405))
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


@router.put(STACK, **answers(202, schemas.Answer, 404, 409, body=UpdateBody))
def update_stack(ctx: Context, stack_name: str, stack_id: str, body: JsonBody) -> JSONResponse:
    """Heat's update: the template and environment replaced (``existing``: kept)."""
    return _update(ctx, stack_name, stack_id, body, patch=False)


@router.patch(STACK, **answers(202, schemas.Answer, 404, 409, body=UpdateBody))
def patch_stack(ctx: Context, stack_name: str, stack_id: str, body: JsonBody) -> JSONResponse:
    """Heat's PATCH update: the stored template, environments, files, parameters and tags
    kept, with what the body gives on top."""
    return _update(ctx, stack_name, stack_id, body, patch=True)


@router.delete(STACK, **answers(204, NO_BODY, 404, 409))
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
