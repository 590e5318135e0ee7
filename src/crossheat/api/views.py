"""Heat's answers that carry URLs or webob's bodies: stack links, the 201/202/204/302
responses, and ``null`` for actions.

    return created(ctx, stack)                 # 201, Location, {"stack": {"id", "links"}}
    return redirect(url)                       # 302 to the canonical URL
    return answer({"stacks": [...]})           # 200, the JSON rendered in the route's thread
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from crossheat import errors
from crossheat.api.context import RequestContext
from crossheat.api.errors import HeatFault
from crossheat.service import HeatOps, StackRecord


def heat(ctx: RequestContext) -> HeatOps:
    """Heat's views and operations for the request (an admin finds any stack by id)."""
    return ctx.service.heat(admin=ctx.identity.is_admin)


def stack_url(ctx: RequestContext, project: str, name: str, stack_id: str, *sub: str) -> str:
    """Heat's canonical URL of a stack of ``project`` (the caller's, unless an admin's)."""
    path = "/".join(quote(p, safe="") for p in (project, "stacks", name, stack_id, *sub))
    return f"{ctx.base_url}/v1/{path}"


def links(
    ctx: RequestContext, name: str, stack_id: str, project: str | None = None
) -> list[dict[str, str]]:
    href = stack_url(ctx, project or ctx.project_id, name, stack_id)
    return [{"href": href, "rel": "self"}]


def with_links(ctx: RequestContext, data: dict[str, Any], *, project: bool) -> dict[str, Any]:
    """A stack of the service's Heat views with Heat's ``links``; ``project`` only for an
    admin's list (Heat shows no one else whose stack it is)."""
    out = {**data, "links": links(ctx, data["stack_name"], data["id"], data.get("project"))}
    if not project:
        out.pop("project", None)
    return out


@contextmanager
def acting_on(stack: StackRecord) -> Iterator[None]:
    """Heat's 409 ``ActionInProgress`` when another operation holds the stack."""
    try:
        yield
    except errors.StackLocked:
        doing = stack.lock.operation or stack.action.value
        raise HeatFault(
            409,
            "ActionInProgress",
            f"Stack {stack.name} already has an action ({doing}) in progress.",
        ) from None


def created(ctx: RequestContext, stack: StackRecord) -> JSONResponse:
    """Heat's answer to a create: 201, ``Location``, the id and links only."""
    url = ctx.stack_url(stack.name, stack.id)
    body = {"stack": {"id": stack.id, "links": [{"href": url, "rel": "self"}]}}
    return JSONResponse(body, status_code=201, headers={"Location": url})


def accepted() -> JSONResponse:
    """webob's 202, as Heat answers an update."""
    return JSONResponse(
        {"code": "202 Accepted", "message": "The request is accepted for processing.",
         "title": "Accepted"},
        status_code=202,
    )  # fmt: skip


#: Renders any JSON-able value to JSON bytes (pydantic's, in Rust).
_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def answer(data: Any) -> Response:
    """200 with ``data`` as JSON, rendered here, in the route's thread. A route that returns
    plain data has FastAPI convert it with ``jsonable_encoder`` on the event loop: for a
    list of stacks, many times the cost of the list itself, while every request waits."""
    return json_bytes(render(data))


def render(data: Any) -> bytes:
    """``data`` as JSON bytes (as ``answer`` sends it)."""
    return _JSON.dump_json(data)


def json_bytes(body: bytes) -> Response:
    """200 with ``body``, JSON rendered already."""
    return Response(body, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def null() -> Response:
    """What Heat answers when its controller returns nothing: 200 with JSON ``null``."""
    return Response(b"null", media_type="application/json")


def redirect(url: str) -> JSONResponse:
    """webob's 302 to ``url`` (the client sends the same request there again)."""
    link = escape(url, quote=True)
    message = (
        f'The resource was found at <a href="{link}">{link}</a>;\n'
        "you should be redirected automatically."
    )
    return JSONResponse(
        {"code": "302 Found", "message": message, "title": "Found"},
        status_code=302,
        headers={"Location": url},
    )
