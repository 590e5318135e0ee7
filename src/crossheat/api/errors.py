"""Heat's error bodies: every failure a route raises becomes Heat's fault wrapper.

    raise HeatFault(404, "EntityNotFound", "The Stack (vpn) could not be found.")

gives ``404`` with::

    {"code": 404, "title": "Not Found", "explanation": "The resource could not be found.",
     "error": {"type": "EntityNotFound", "message": "The Stack (vpn) could not be found.",
               "traceback": null}}

crossheat's own errors (``crossheat.errors``) are translated by ``fault_of``; heatclient
prints ``ERROR: <error.message>``, so every fault carries a message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossheat import errors

log = logging.getLogger(__name__)

#: webob's title and explanation for each status Heat answers with.
STATUS_TEXT: dict[int, tuple[str, str]] = {
    400: (
        "Bad Request",
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect.",
    ),
    401: (
        "Unauthorized",
        "This server could not verify that you are authorized to access the document you "
        "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
        "browser does not understand how to supply the credentials required.",
    ),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    500: (
        "Internal Server Error",
        "The server has either erred or is incapable of performing the requested operation.",
    ),
    503: (
        "Service Unavailable",
        "The server is currently unavailable. Please try again at a later time.",
    ),
}

#: The webob class name Heat reports for a bare HTTP error of each status.
WEBOB_TYPE = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    413: "HTTPRequestEntityTooLarge",
    500: "HTTPInternalServerError",
    503: "HTTPServiceUnavailable",
}


class HeatFault(Exception):
    """An error answered in Heat's shape: ``status``, the Heat exception name, a message."""

    def __init__(
        self, status: int, kind: str | None, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind or WEBOB_TYPE.get(status, "HTTPError")
        self.message = message
        self.headers = headers or {}


def fault_body(status: int, kind: str, message: str | None) -> dict[str, Any]:
    title, explanation = STATUS_TEXT.get(status, STATUS_TEXT[500])
    error: dict[str, Any] = {"type": kind, "traceback": None}
    if message is not None:
        error["message"] = message
    return {"code": status, "title": title, "explanation": explanation, "error": error}


def fault_response(fault: HeatFault) -> JSONResponse:
    return JSONResponse(
        fault_body(fault.status, fault.kind, fault.message),
        status_code=fault.status,
        headers=fault.headers,
    )


#: Heat's error map for crossheat's errors: the status and Heat's exception name of each
#: class; an error takes its nearest mapped class's (Heat walks the class hierarchy too).
FAULTS: dict[type[errors.CrossheatError], tuple[int, str]] = {
    errors.TemplateError: (400, "StackValidationFailed"),
    errors.CycleError: (400, "StackValidationFailed"),
    errors.ConfigError: (400, "StackValidationFailed"),
    errors.StackError: (400, "StackValidationFailed"),
    errors.InvalidRequest: (400, "Invalid"),
    errors.NotSupportedError: (400, "NotSupported"),
    errors.ActionNotSupported: (400, "ResourceActionNotSupported"),
    errors.NotFound: (404, "NotFound"),
    errors.ResourceNotFound: (404, "ResourceNotFound"),
    errors.StackNotFound: (404, "EntityNotFound"),
    errors.StackExists: (409, "StackExists"),
    errors.StackLocked: (409, "ActionInProgress"),
    errors.CloudError: (500, "CloudError"),
}


def fault_of(exc: errors.CrossheatError) -> HeatFault:
    """The Heat fault for one of crossheat's errors (500 for an unmapped one)."""
    for cls in type(exc).__mro__:
        if cls in FAULTS:
            status, name = FAULTS[cls]
            return HeatFault(status, name, str(exc))
    return HeatFault(500, type(exc).__name__, str(exc))


def bad_request(message: str) -> HeatFault:
    """Heat's ``HTTPBadRequest`` with ``message`` (what Heat's controllers raise)."""
    return HeatFault(400, None, message)


def install(app: FastAPI) -> None:
    """Answer every error the application raises in Heat's shape."""

    @app.exception_handler(HeatFault)
    async def _heat(_: Request, exc: HeatFault) -> JSONResponse:
        return fault_response(exc)

    @app.exception_handler(errors.CrossheatError)
    async def _crossheat(_: Request, exc: errors.CrossheatError) -> JSONResponse:
        return fault_response(fault_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return fault_response(HeatFault(400, None, message))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        return fault_response(HeatFault(exc.status_code, None, str(exc.detail), headers))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error answering a request", exc_info=exc)
        return JSONResponse(fault_body(500, type(exc).__name__, None), status_code=500)
