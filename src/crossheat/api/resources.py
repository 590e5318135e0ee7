"""Resource and event routes of Heat's API v1, under a stack's canonical URL
``/v1/{tenant_id}/stacks/{stack_name}/{stack_id}``:

    GET   .../resources                          list (filters, nested_depth, with_detail, flat)
    GET   .../resources/{name}                   show (?with_attr=)
    GET   .../resources/{name}/metadata          its metadata
    PATCH .../resources/{name}                   mark (un)healthy          -> 200 null
    POST  .../resources/{name}/signal            signal                    -> 200 null
    GET   .../events, .../resources/{name}/events, .../resources/{name}/events/{id}

Every resource and event carries crossheat's ``region`` besides Heat's fields. The
stack must be the caller's project's, with that name and id (404 otherwise); lists
and events also show a deleted stack's, as Heat's do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossheat.api import schemas, views
from crossheat.api.bodies import JsonBody, MarkUnhealthyBody, required
from crossheat.api.context import Context, RequestContext
from crossheat.api.errors import HeatFault, bad_request
from crossheat.api.openapi import BOOLEAN, INTEGER, MULTI, NULL, TEXT, answers
from crossheat.api.query import Query, parse_boolean
from crossheat.service import StackRecord

router = APIRouter(tags=["resources and events"])

STACK = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
RESOURCE = STACK + "/resources/{resource_name}"

#: Heat's resource list filters; any other query key but these is refused (400).
RESOURCE_FILTERS = ("name", "status", "action", "type", "id", "physical_resource_id")
RESOURCE_QUERY = {
    **dict.fromkeys(RESOURCE_FILTERS, MULTI),
    "nested_depth": INTEGER,
    "with_detail": BOOLEAN,
    "flat": BOOLEAN,
}
#: Heat's event list filters (``resource_status`` is the bare status) and paging.
EVENT_FILTERS = ("resource_name", "resource_type", "resource_action", "resource_status")
EVENT_QUERY = {
    **dict.fromkeys(EVENT_FILTERS, MULTI),
    "sort_keys": MULTI,
    "sort_dir": TEXT,
    "marker": TEXT,
    "limit": INTEGER,
    "nested_depth": INTEGER,
    "flat": BOOLEAN,
}
#: The fields of an event in a list (an event shown has them all): Heat's, and crossheat's
#: ``region`` and ``resource_type`` (``crossheat --url`` shows each event's type, as the
#: local commands do; heatclient ignores both).
EVENT_SUMMARY = (
    "id", "links", "event_time", "resource_name", "logical_resource_id", "resource_status",
    "resource_status_reason", "physical_resource_id", "resource_type", "region",
)  # fmt: skip


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def _href(ctx: RequestContext, stack: StackRecord, *sub: str) -> str:
    """A URL under the stack's canonical one, in its own project (an admin reads any)."""
    return views.stack_url(ctx, stack.project, stack.name, stack.id, *sub)


def _resource(ctx: RequestContext, stack: StackRecord, found: dict[str, Any]) -> dict[str, Any]:
    found["links"] = [
        link(_href(ctx, stack, "resources", found["resource_name"]), "self"),
        link(_href(ctx, stack), "stack"),
    ]
    nested = found.pop("nested_stack_id", None)  # the nested stack the resource owns
    if nested is not None:
        name = f"{stack.name}-{found['resource_name']}"
        found["links"].append(link(views.stack_url(ctx, stack.project, name, nested), "nested"))
    return found


def _event(
    ctx: RequestContext, stack: StackRecord, found: dict[str, Any], *, detail: bool = False
) -> dict[str, Any]:
    name = found["resource_name"]
    found["links"] = [
        link(_href(ctx, stack, "resources", name, "events", found["id"]), "self"),
        link(_href(ctx, stack, "resources", name), "resource"),
        link(_href(ctx, stack), "stack"),
    ]
    return found if detail else {k: found[k] for k in EVENT_SUMMARY}


@router.get(STACK + "/resources", **answers(200, schemas.ResourceList, 404, query=RESOURCE_QUERY))
def list_resources(request: Request, ctx: Context, stack_name: str, stack_id: str) -> Response:
    """The stack's resources: filters (repeat one for any of its values; ``type`` matches a
    part of the type name, ``status`` is ``CREATE_COMPLETE`` or a bare ``COMPLETE``).
    ``flat`` (crossheat's own, as ``crossheat --url`` lists them): the rows the engine
    keeps, its nested stacks' resources among them under their paths (``remote.net``)."""
    query = Query(request)
    invalid = [k for k in query.names() if k not in RESOURCE_QUERY]
    if invalid:
        raise bad_request(f"Invalid filter parameters {invalid}")
    depth = query.integer("nested_depth") or 0
    detail = query.boolean("with_detail")
    stack = views.heat(ctx).canonical(stack_name, stack_id, deleted=True)
    filters = query.mixed(RESOURCE_FILTERS)
    if not query.boolean("flat"):
        return views.answer({"resources": _levels(ctx, stack, filters, detail, depth)})
    found = ctx.service.stack_resources(stack).resources(filters, with_detail=detail)
    return views.answer({"resources": [_resource(ctx, stack, r) for r in found]})


def _levels(
    ctx: RequestContext, stack: StackRecord, filters: Any, detail: bool, depth: int
) -> list[dict[str, Any]]:
    """Heat's ``nested_depth``: the stack's own resources (the rows the engine keeps for
    its nested stacks, ``remote.net``, left to them, at depth 0 too: Heat lists a nested
    stack's resources only below it) and its nested stacks', down to ``depth`` levels,
    each of theirs with ``parent_resource`` (its nested stack's resource)."""
    nested = ctx.service.store().nested_stacks(stack.id)
    inner = tuple(f"{name}." for name in nested)
    found = ctx.service.stack_resources(stack).resources(filters, with_detail=detail)
    listed = [_resource(ctx, stack, r) for r in found if not r["resource_name"].startswith(inner)]
    for name, child in nested.items() if depth > 0 else ():
        for resource in _levels(ctx, child, filters, detail, depth - 1):
            listed.append({**resource, "parent_resource": resource.get("parent_resource", name)})
    return listed


@router.get(RESOURCE, **answers(200, schemas.ResourceShow, 404, query={"with_attr": MULTI}))
def show_resource(
    request: Request, ctx: Context, stack_name: str, stack_id: str, resource_name: str
) -> Response:
    """One resource with its attributes (``with_attr``: more of them, by name)."""
    stack = views.heat(ctx).canonical(stack_name, stack_id)
    found = ctx.service.stack_resources(stack).show(
        resource_name, Query(request).multi("with_attr")
    )
    return views.answer({"resource": _resource(ctx, stack, found)})


@router.get(RESOURCE + "/metadata", **answers(200, schemas.ResourceMetadata, 404))
def resource_metadata(ctx: Context, stack_name: str, stack_id: str, resource_name: str) -> Response:
    stack = views.heat(ctx).canonical(stack_name, stack_id)
    return views.answer({"metadata": ctx.service.stack_resources(stack).metadata(resource_name)})


@router.patch(RESOURCE, **answers(200, NULL, 404, 409, body=MarkUnhealthyBody))
def mark_unhealthy(
    ctx: Context, stack_name: str, stack_id: str, resource_name: str, body: JsonBody
) -> Response:
    """Mark the resource (by name or physical id) unhealthy, CHECK_FAILED with the reason;
    ``mark_unhealthy: false`` sets CHECK_FAILED back to CHECK_COMPLETE."""
    given = required(body)
    extra = sorted(set(given) - {"mark_unhealthy", "resource_status_reason"})
    if extra:
        keys = "{" + ", ".join(repr(k) for k in extra) + "}"
        raise bad_request(f"Invalid keys in resource mark unhealthy {keys}")
    if "mark_unhealthy" not in given:
        raise bad_request("Missing mandatory (mark_unhealthy) key from mark unhealthy request")
    unhealthy = parse_boolean("mark_unhealthy", given["mark_unhealthy"])
    reason = given.get("resource_status_reason")
    stack = views.heat(ctx).canonical(stack_name, stack_id)
    resources = ctx.service.stack_resources(stack)
    resources.mark_unhealthy(resource_name, unhealthy, None if reason is None else str(reason))
    return views.null()


@router.post(RESOURCE + "/signal", **answers(200, NULL, 404, body=dict[str, Any]))
def signal_resource(
    ctx: Context, stack_name: str, stack_id: str, resource_name: str, body: JsonBody
) -> Response:
    """Signal the resource: the types crossheat has take no signal (Heat's 400)."""
    stack = views.heat(ctx).canonical(stack_name, stack_id)
    ctx.service.stack_resources(stack).signal(resource_name, body)
    return views.null()


def _events(
    request: Request,
    ctx: RequestContext,
    stack_name: str,
    stack_id: str,
    resource: str | None = None,
) -> list[dict[str, Any]]:
    """The events an event list's query selects (filters; Heat's paging: ``marker`` is an
    event id, those after it are given)."""
    query = Query(request)
    limit = query.integer("limit")
    depth = query.integer("nested_depth") or 0
    stack = views.heat(ctx).canonical(stack_name, stack_id, deleted=True)
    # Heat's list without nested_depth is the stack's own events; crossheat's own ``flat``
    # keeps its nested stacks' too, under their paths (``remote.net``), as it keeps them.
    own = not depth and resource is None and not query.boolean("flat")
    nested = ctx.service.store().nested_stacks(stack.id) if own else {}
    filters = query.mixed(EVENT_FILTERS if resource is None else EVENT_FILTERS[1:])
    owners = _owners(ctx, stack, depth) if depth and resource is None else []
    if owners and "resource_name" in filters:
        # A name as the event list shows it (``net`` of ``remote``'s stack) is the
        # engine's ``remote.net``: each value names one of those too.
        given = filters["resource_name"]
        filters["resource_name"] = [*given, *(p + name for p, _ in owners for name in given)]
    found = ctx.service.stack_resources(stack).events(
        leave_out=[f"{name}." for name in nested],
        resource=resource,
        filters=filters,
        sort_keys=query.multi("sort_keys"),
        sort_dir=query.single("sort_dir"),
        marker=query.single("marker"),
        limit=limit,
    )
    if not depth or resource is not None:
        return [_event(ctx, stack, e) for e in found]
    root = link(_href(ctx, stack), "root_stack")
    listed = []
    for event in found:
        owner, name = next(
            ((child, event["resource_name"].removeprefix(prefix)) for prefix, child in owners
             if event["resource_name"].startswith(prefix)),
            (stack, event["resource_name"]),
        )  # fmt: skip
        shown = _event(ctx, owner, {**event, "resource_name": name, "logical_resource_id": name})
        shown["links"].append(root)
        listed.append(shown)
    return listed


def _owners(
    ctx: RequestContext, stack: StackRecord, depth: int, prefix: str = ""
) -> list[tuple[str, StackRecord]]:
    """``nested_depth`` of an event list: the nested stacks of ``stack`` down to ``depth``
    levels, each with the prefix its resources' events have in ``stack``'s list
    (``remote.``, ``remote.sub.``), the deepest first. An event is shown as its nested
    stack's (under its own name, linked to it); one deeper than ``depth`` as that of the
    deepest nested stack shown (``sub.port`` of ``remote`` at depth 1), so that paging
    (``marker``, ``limit``) stays that of the stack's one list of events."""
    found: list[tuple[str, StackRecord]] = []
    if depth > 0:
        for name, child in ctx.service.store().nested_stacks(stack.id).items():
            found += [
                *_owners(ctx, child, depth - 1, f"{prefix}{name}."),
                (f"{prefix}{name}.", child),
            ]
    return sorted(found, key=lambda owned: -len(owned[0]))


@router.get(STACK + "/events", **answers(200, schemas.EventList, 404, query=EVENT_QUERY))
def list_events(request: Request, ctx: Context, stack_name: str, stack_id: str) -> Response:
    """The stack's events, newest first unless ``sort_dir=asc``."""
    return views.answer({"events": _events(request, ctx, stack_name, stack_id)})


@router.get(
    RESOURCE + "/events",
    **answers(
        200,
        schemas.EventList,
        404,
        query={k: v for k, v in EVENT_QUERY.items() if k != "resource_name"},
    ),
)
def list_resource_events(
    request: Request, ctx: Context, stack_name: str, stack_id: str, resource_name: str
) -> Response:
    """One resource's events (the stack's own under the stack's name); 404 when none."""
    events = _events(request, ctx, stack_name, stack_id, resource_name)
    if not events:
        raise HeatFault(404, "HTTPNotFound", f"No events found for resource {resource_name}")
    return views.answer({"events": events})


@router.get(RESOURCE + "/events/{event_id}", **answers(200, schemas.EventShow, 404))
def show_event(
    ctx: Context, stack_name: str, stack_id: str, resource_name: str, event_id: str
) -> Response:
    """One event with every field (``resource_type``, ``resource_properties``)."""
    stack = views.heat(ctx).canonical(stack_name, stack_id, deleted=True)
    found = ctx.service.stack_resources(stack).event(resource_name, event_id)
    if found is None:
        raise HeatFault(404, "HTTPNotFound", f"No event {event_id} found")
    return views.answer({"event": _event(ctx, stack, found, detail=True)})
