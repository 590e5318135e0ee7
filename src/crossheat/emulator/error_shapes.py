"""Error answers in each service's own shape: the one place the app turns errors into bodies.

Every error the emulator answers (a handler's ``ApiError``, a route that does not
exist, a method a route does not take, a request FastAPI cannot validate) goes
through ``install``'s handlers, which pick the shape by the first path segments::

    /{region}/compute/...   Nova       {"itemNotFound": {"code": 404, "message": ...}}
                                       (badRequest, forbidden, badMethod, conflictingRequest...)
    /{region}/network/...   Neutron    {"NeutronError": {"type", "message", "detail"}}
    /{region}/image/...     Glance     webob's page: HTML unless the request accepts
                                       only JSON (``{"message", "code": "404 Not Found",
                                       "title"}``) or only plain text
    /identity/...           Keystone   {"error": {"code", "title", "message"}}
    /admin/...              the same as Keystone

The clients rely on these shapes: novaclient and glanceclient read the message
out of them, and fail with ``AttributeError`` on FastAPI's ``{"detail": ...}``.
A 401 from a token check keeps Keystone's shape in every service, as
keystonemiddleware answers it in front of each real one.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from crossheat.emulator.core import ApiError

NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

_NEUTRON_TYPES = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    413: "HTTPRequestEntityTooLarge",
    415: "HTTPUnsupportedMediaType",
}

#: What the services say when a path or a method has no route.
_ROUTE_MESSAGES = {
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
}


def service_of(path: str) -> str:
    """``compute``, ``network``, ``image``, ``identity``, ``admin``, or ``""`` (neither)."""
    parts = path.lstrip("/").split("/")
    if parts[0] in ("identity", "admin"):
        return parts[0]
    return parts[1] if len(parts) > 1 else ""


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def nova_body(status: int, message: str) -> dict[str, Any]:
    return {NOVA_KEYS.get(status, "computeFault"): {"code": status, "message": message}}


def neutron_body(status: int, message: str, type_: str | None = None) -> dict[str, Any]:
    type_ = type_ or _NEUTRON_TYPES.get(status, "HTTPError")
    return {"NeutronError": {"type": type_, "message": message, "detail": ""}}


def keystone_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "title": _title(status), "message": message}}


class GlanceError(ApiError):
    """An error as Glance raises it: a webob ``HTTPException`` with an explanation.

    Its body is rendered per request (see ``glance_response``); ``body`` holds the
    JSON form for whoever reads the exception directly.
    """

    def __init__(self, status: int, explanation: str, headers: dict[str, str] | None = None):
        self.explanation = explanation
        super().__init__(status, _webob_json(status, explanation), headers)


def _webob_status(status: int) -> str:
    return f"{status} {_title(status)}"


def _webob_json(status: int, explanation: str) -> dict[str, Any]:
    return {
        "message": f"{explanation}<br /><br />\n\n\n",
        "code": _webob_status(status),
        "title": _title(status),
    }


def _offer(accept: str) -> str:
    """The type webob answers an error in for an ``Accept`` header (its order: html, json)."""
    if not accept.strip():
        return "text/html"
    ranges = []
    for item in accept.split(","):
        kind, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((kind.strip().lower(), quality))

    def score(offer: str) -> float:
        major = offer.split("/")[0]
        matches = [q for kind, q in ranges if kind in (offer, f"{major}/*", "*/*")]
        return max(matches, default=0.0)

    best = max(("text/html", "application/json"), key=score)  # ties go to html
    return best if score(best) > 0 else "text/plain"


def glance_response(request: Request, status: int, explanation: str) -> Response:
    """Glance's error page for ``status`` as webob renders it for this request's ``Accept``."""
    offer = _offer(request.headers.get("accept", ""))
    if offer == "application/json":
        return JSONResponse(_webob_json(status, explanation), status_code=status)
    code = _webob_status(status)
    if offer == "text/html":
        page = (
            f"<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n"
            f"  {explanation}<br /><br />\n\n\n\n </body>\n</html>"
        )
        return Response(page, status_code=status, media_type="text/html")
    return Response(f"{code}\n\n{explanation}\n\n\n", status_code=status, media_type="text/plain")


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An error answer in the shape of the service ``request`` is for."""
    service = service_of(request.url.path)
    if service == "image":
        response = glance_response(request, status, message)
    elif service == "compute":
        response = JSONResponse(nova_body(status, message), status_code=status)
    elif service == "network":
        response = JSONResponse(neutron_body(status, message), status_code=status)
    else:
        response = JSONResponse(keystone_body(status, message), status_code=status)
    response.headers.update(headers or {})
    return response


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if isinstance(exc, GlanceError):
        response = glance_response(request, exc.status, exc.explanation)
        response.headers.update(exc.headers)
        return response
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """No route for the path (404) or for the method (405)."""
    assert isinstance(exc, HTTPException)
    message = _ROUTE_MESSAGES.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    return error_response(request, exc.status_code, message, headers)


def _allowed(request: Request) -> str:
    """The methods the app's routes take for this path (``Allow`` of a 405)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """A request FastAPI could not validate: 400, as the services answer bad input."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', '')}"
        for error in exc.errors()
    )
    return error_response(request, 400, f"Invalid input for the request: {problems}")


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in its service's shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
