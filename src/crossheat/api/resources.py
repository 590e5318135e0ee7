"""Resource and event routes of Heat's API v1, under a stack's canonical URL
``/v1/{tenant_id}/stacks/{stack_name}/{stack_id}``:

    GET   .../resources                          list (filters, nested_depth, with_detail)
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
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request

from crossheat.api.context import RequestContext, request_context
from crossheat.api.errors import HeatFault
from crossheat.api.params import bad_request, boolean, integer
from crossheat.errors import StackNotFound
from crossheat.service import StackRecord

router = APIRouter(tags=["resources and events"])

STACK = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
RESOURCE = STACK + "/resources/{resource_name}"

#: Heat's resource list filters; any other query key but these is refused (400).
RESOURCE_FILTERS = ("name", "status", "action", "type", "id", "physical_resource_id")
_RESOURCE_QUERY = {*RESOURCE_FILTERS, "nested_depth", "with_detail"}
#: The fields of an event in a list (an event shown has them all): Heat's, and crossheat's
#: ``region`` and ``resource_type`` (``crossheat --url`` shows each event's type, as the
#: local commands do; heatclient ignores both).
EVENT_SUMMARY = (
    "id", "links", "event_time", "resource_name", "logical_resource_id", "resource_status",
    "resource_status_reason", "physical_resource_id", "resource_type", "region",
)  # fmt: skip
#: The request body Heat gives 400 for when one is needed and none came.
NO_BODY = (
    "The server could not comply with the request since it is either malformed or "
    "otherwise incorrect."
)

Filter = list[str] | None


def canonical_stack(
    ctx: RequestContext, stack_name: str, stack_id: str, *, deleted: bool = False
) -> StackRecord:
    """The caller's project's stack with that name and id (any project's for an admin, as
    in Heat; a deleted one too, with ``deleted``); Heat's 404 ``EntityNotFound`` otherwise."""
    service = ctx.every_project() if ctx.identity.is_admin else ctx.service
    try:
        stack = service.get(stack_id, include_deleted=deleted)
    except StackNotFound:
        stack = None
    if stack is None or stack.id != stack_id or stack.name != stack_name:
        raise HeatFault(404, "EntityNotFound", f"The Stack ({stack_name}) could not be found.")
    return stack


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def stack_href(ctx: RequestContext, stack: StackRecord, *sub: str) -> str:
    """The stack's canonical URL under its own project (an admin may read another's)."""
    path = "/".join(
        quote(p, safe="") for p in (stack.project, "stacks", stack.name, stack.id, *sub)
    )
    return f"{ctx.base_url}/v1/{path}"


def _resource(ctx: RequestContext, stack: StackRecord, found: dict[str, Any]) -> dict[str, Any]:
    found["links"] = [
        link(stack_href(ctx, stack, "resources", found["resource_name"]), "self"),
        link(stack_href(ctx, stack), "stack"),
    ]
    return found


def _event(
    ctx: RequestContext, stack: StackRecord, found: dict[str, Any], *, detail: bool = False
) -> dict[str, Any]:
    name = found["resource_name"]
    found["links"] = [
        link(stack_href(ctx, stack, "resources", name, "events", found["id"]), "self"),
        link(stack_href(ctx, stack, "resources", name), "resource"),
        link(stack_href(ctx, stack), "stack"),
    ]
    return found if detail else {k: found[k] for k in EVENT_SUMMARY}


@router.get(STACK + "/resources")
def list_resources(
    request: Request,
    stack_name: str,
    stack_id: str,
    name: Filter = Query(None),
    status: Filter = Query(None),
    action: Filter = Query(None),
    type: Filter = Query(None),
    id: Filter = Query(None),
    physical_resource_id: Filter = Query(None),
    nested_depth: str | None = None,
    with_detail: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """The stack's resources: filters (repeat one for any of its values; ``type`` matches a
    part of the type name, ``status`` is ``CREATE_COMPLETE`` or a bare ``COMPLETE``)."""
    invalid = list(dict.fromkeys(k for k in request.query_params if k not in _RESOURCE_QUERY))
    if invalid:
        raise bad_request(f"Invalid filter parameters {invalid}")
    integer("nested_depth", nested_depth, 0)  # every resource is listed: checked only
    detail = boolean("with_detail", with_detail)
    given = {
        "name": name, "status": status, "action": action, "type": type, "id": id,
        "physical_resource_id": physical_resource_id,
    }  # fmt: skip
    stack = canonical_stack(ctx, stack_name, stack_id, deleted=True)
    views = ctx.service.stack_resources(stack)
    found = views.resources({k: v for k, v in given.items() if v}, with_detail=detail)
    return {"resources": [_resource(ctx, stack, r) for r in found]}


@router.get(RESOURCE)
def show_resource(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    with_attr: Filter = Query(None),
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """One resource with its attributes (``with_attr``: more of them, by name)."""
    stack = canonical_stack(ctx, stack_name, stack_id)
    found = ctx.service.stack_resources(stack).show(resource_name, with_attr or [])
    return {"resource": _resource(ctx, stack, found)}


@router.get(RESOURCE + "/metadata")
def resource_metadata(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    stack = canonical_stack(ctx, stack_name, stack_id)
    return {"metadata": ctx.service.stack_resources(stack).metadata(resource_name)}


@router.patch(RESOURCE)
def mark_unhealthy(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    body: dict[str, Any] | None = Body(None),
    ctx: RequestContext = Depends(request_context),
) -> None:
    """Mark the resource (by name or physical id) unhealthy, CHECK_FAILED with the reason;
    ``mark_unhealthy: false`` sets CHECK_FAILED back to CHECK_COMPLETE."""
    if body is None:
        raise bad_request(NO_BODY)
    extra = sorted(set(body) - {"mark_unhealthy", "resource_status_reason"})
    if extra:
        keys = "{" + ", ".join(repr(k) for k in extra) + "}"
        raise bad_request(f"Invalid keys in resource mark unhealthy {keys}")
    if "mark_unhealthy" not in body:
        raise bad_request("Missing mandatory (mark_unhealthy) key from mark unhealthy request")
    unhealthy = boolean("mark_unhealthy", str(body["mark_unhealthy"]))
    reason = body.get("resource_status_reason")
    stack = canonical_stack(ctx, stack_name, stack_id)
    views = ctx.service.stack_resources(stack)
    views.mark_unhealthy(resource_name, unhealthy, None if reason is None else str(reason))


@router.post(RESOURCE + "/signal")
def signal_resource(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    body: Any = Body(None),
    ctx: RequestContext = Depends(request_context),
) -> None:
    """Signal the resource: the types crossheat has take no signal (Heat's 400)."""
    stack = canonical_stack(ctx, stack_name, stack_id)
    ctx.service.stack_resources(stack).signal(resource_name, body)


class EventQuery:
    """The query of an event list: filters (``resource_status`` is the bare status) and
    Heat's paging (``marker``: an event id, those after it are given)."""

    def __init__(
        self,
        resource_type: Filter = Query(None),
        resource_action: Filter = Query(None),
        resource_status: Filter = Query(None),
        sort_keys: Filter = Query(None),
        sort_dir: str | None = None,
        marker: str | None = None,
        limit: str | None = None,
        nested_depth: str | None = None,
    ) -> None:
        self.filters = {
            "resource_type": resource_type, "resource_action": resource_action,
            "resource_status": resource_status,
        }  # fmt: skip
        self.sort_keys, self.sort_dir, self.marker = sort_keys or [], sort_dir, marker
        self.limit, self.nested_depth = limit, nested_depth

    def events(
        self,
        ctx: RequestContext,
        stack_name: str,
        stack_id: str,
        resource: str | None,
        names: Filter = None,
    ) -> list[dict[str, Any]]:
        limit = integer("limit", self.limit)
        integer("nested_depth", self.nested_depth)  # no nested stacks: checked only
        filters = {"resource_name": names, **self.filters}
        stack = canonical_stack(ctx, stack_name, stack_id, deleted=True)
        found = ctx.service.stack_resources(stack).events(
            resource=resource,
            filters={k: v for k, v in filters.items() if v},
            sort_keys=self.sort_keys,
            sort_dir=self.sort_dir,
            marker=self.marker,
            limit=limit,
        )
        return [_event(ctx, stack, e) for e in found]


@router.get(STACK + "/events")
def list_events(
    stack_name: str,
    stack_id: str,
    resource_name: Filter = Query(None),
    query: EventQuery = Depends(),
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """The stack's events, newest first unless ``sort_dir=asc``."""
    return {"events": query.events(ctx, stack_name, stack_id, None, resource_name)}


@router.get(RESOURCE + "/events")
def list_resource_events(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    query: EventQuery = Depends(),
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """One resource's events (the stack's own under the stack's name); 404 when none."""
    events = query.events(ctx, stack_name, stack_id, resource_name)
    if not events:
        raise HeatFault(404, "HTTPNotFound", f"No events found for resource {resource_name}")
    return {"events": events}


@router.get(RESOURCE + "/events/{event_id}")
def show_event(
    stack_name: str,
    stack_id: str,
    resource_name: str,
    event_id: str,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """One event with every field (``resource_type``, ``resource_properties``)."""
    stack = canonical_stack(ctx, stack_name, stack_id, deleted=True)
    found = ctx.service.stack_resources(stack).event(resource_name, event_id)
    if found is None:
        raise HeatFault(404, "HTTPNotFound", f"No event {event_id} found")
    return {"event": _event(ctx, stack, found, detail=True)}
