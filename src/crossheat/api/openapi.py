"""The OpenAPI document (``/openapi.json``): what each route answers, with which status
and body, the query parameters it reads and the body it takes, as JSON schemas.

    @router.get(PATH, **answers(200, schemas.StackShow, 404, query={"limit": INTEGER}))
    @router.post(PATH, **answers(201, schemas.StackCreated, 409, body=CREATE_BODY))

Routes answer the service's dicts as they are (``response_model=None``): the schemas
(``crossheat.api.schemas``) describe them and never reshape them. Every route under
``/v1`` may answer Heat's fault for 400, 401, 403 and 500; a route lists the other
faults it gives (404, 405, 409). The token is the ``X-Auth-Token`` header (an API key
in the document). Heat never answers FastAPI's 422: request errors are 400 faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from crossheat.api import schemas

#: The faults every ``/v1`` route may answer (bad request, token, tenant, server).
FAULTS = (400, 401, 403, 500)
#: What each status means, as Heat answers it.
MEANINGS = {
    200: "OK",
    201: "Created; its URL is in Location",
    202: "Accepted: the operation runs in the server",
    204: "No content",
    300: "The API versions",
    302: "Found: the canonical URL is in Location (re-send the same request there)",
    400: "Bad request",
    401: "No token, or a bad or expired one",
    403: "The path's tenant is not the token's project, or the caller is no admin",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict: the stack exists, or another operation holds it",
    500: "Server error",
}
LOCATION = {"Location": {"description": "The URL", "schema": {"type": "string"}}}
#: What Heat answers when its controller returns nothing: 200 with JSON ``null``.
NULL: dict[str, Any] = {"content": {"application/json": {"schema": {"type": "null"}}}}
#: The documented answer of a status that is no JSON object of its own (a 204).
NO_BODY: dict[str, Any] = {}

#: The kinds of Heat's query parameters (``crossheat.api.query``), as schemas.
BOOLEAN: dict[str, Any] = {"type": "boolean"}
INTEGER: dict[str, Any] = {"type": "integer", "minimum": 0}
TEXT: dict[str, Any] = {"type": "string"}
#: Repeatable (``?k=a&k=b``): Heat's "multi" and "mixed" parameters.
MULTI: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
TAGS: dict[str, Any] = {"type": "string", "description": "Comma-separated tags"}


def answers(
    status: int,
    model: Any,
    *faults: int,
    query: Mapping[str, dict[str, Any]] | None = None,
    body: Any = None,
    redirects: bool = False,
) -> dict[str, Any]:
    """The route's keywords: its status, what it answers (``model``: a schema type, or
    ``NULL`` / ``NO_BODY``), its faults besides ``FAULTS``, the query parameters it
    reads (name -> schema), the type of its JSON body (``crossheat.api.bodies``: read by
    the route, not by FastAPI); ``redirects``: it may also answer 302 to a canonical URL."""
    responses: dict[int | str, dict[str, Any]] = {status: _answer(status, model)}
    if redirects:
        responses[302] = _answer(302, schemas.Answer)
    for fault in sorted({*FAULTS, *faults}):
        responses[fault] = {"model": schemas.Fault, "description": MEANINGS[fault]}
    extra: dict[str, Any] = {}
    if query:
        extra["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in query.items()
        ]
    if body is not None:
        extra["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _inlined(TypeAdapter(body).json_schema())}},
        }
    return {
        "status_code": status,
        "response_model": None,
        "responses": responses,
        "openapi_extra": extra or None,
    }


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` put in the places that refer to them (a request body's
    schema stands alone in the document)."""
    defs = schema.pop("$defs", {})

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in value.items()}
        if isinstance(value, list):
            return [inline(v) for v in value]
        return value

    out: dict[str, Any] = inline(schema)
    return out


def _answer(status: int, model: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"description": MEANINGS[status]}
    if status in (201, 302):
        out["headers"] = LOCATION
    if isinstance(model, dict):
        out.update(model)
    else:
        out["model"] = model
    return out


# ---- the document -------------------------------------------------------------------------

#: The security scheme of the ``X-Auth-Token`` header (``context.TOKEN``).
TOKEN_SCHEME = "KeystoneToken"


def install(app: FastAPI) -> None:
    """Serve the document without FastAPI's 422 answers and validation schemas."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operations in doc.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            found = doc.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                found.pop(name, None)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
