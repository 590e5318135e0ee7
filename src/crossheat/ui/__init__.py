"""The dashboard: Horizon's Orchestration panel over every region, at ``/dashboard/``.

    app = create_app(service, auth=auth)     # crossheat.api.app calls mount itself
    mount(app, service, auth)

A face like the API: it reads and acts through ``crossheat.service``, per project, with
the same authenticator as the API (a Keystone login, or ``--auth none``). Pages are
server-rendered (Jinja2, ``templates/``); the stack's topology is drawn by
``static/topology.js`` from ``topology.json`` and kept live by server-sent events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from crossheat.errors import CrossheatError, StackNotFound
from crossheat.service import KeystoneLogin, Service, session_key
from crossheat.ui.session import (
    Authenticator,
    LoginRequired,
    Sessions,
    Settings,
    is_local,
    login_url,
)

STATIC = Path(__file__).parent / "static"

__all__ = ["mount", "wants_html"]


def wants_html(request: Request) -> bool:
    """Whether the client prefers HTML to JSON (a browser, not an API client)."""
    accept = request.headers.get("accept", "")
    best: tuple[float, str] = (0.0, "")
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if kind in ("text/html", "application/xhtml+xml") and quality > best[0]:
            best = (quality, "html")
        elif kind in ("application/json", "*/*") and quality > best[0]:
            best = (quality, "json")
    return best[1] == "html"


def mount(app: FastAPI, service: Service, auth: Any, *, secure_cookies: bool = False) -> None:
    """Add the dashboard to ``app``: its pages under ``/dashboard/``, its static files
    under ``/dashboard/static/``; ``auth`` is the API's authenticator."""
    from crossheat.ui import launch, login, pages, regions, stream, update

    authenticator: Authenticator = auth
    local = is_local(authenticator)
    url = getattr(auth, "keystone_url", None)
    app.state.dashboard = Settings(
        service=service, auth=authenticator, sessions=Sessions(session_key()),
        login=KeystoneLogin(url) if url and not local else None, local=local,
        secure=secure_cookies,
    )  # fmt: skip
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
    for module in (login, pages, stream, regions, launch, update):
        app.include_router(module.router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        path = request.url.path
        if path.endswith((".json", "/stream")):  # read by scripts, not shown
            return JSONResponse({"error": "login required"}, status_code=401)
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    _errors_as_pages(app)


def _errors_as_pages(app: FastAPI) -> None:
    """Errors of the dashboard's pages as pages (the API's handlers answer the rest, and
    the dashboard's JSON and stream, in Heat's shape)."""
    from crossheat.ui.render import render

    for kind in (StarletteHTTPException, CrossheatError):
        api_handler = app.exception_handlers.get(kind)

        async def handler(request: Request, exc: Exception, api: Any = api_handler) -> Response:
            path = request.url.path
            if not path.startswith("/dashboard/") or path.endswith((".json", "/stream")):
                if api is None:
                    raise exc
                answer: Response = await api(request, exc)
                return answer
            status = getattr(exc, "status_code", 400 if isinstance(exc, CrossheatError) else 500)
            if isinstance(exc, StackNotFound):
                status = 404
            message = str(getattr(exc, "detail", "") or exc)
            title = PAGE_TITLES.get(status, "Something went wrong")
            return render(
                request, "error.html", {"status": status, "title": title, "message": message},
                status_code=status,
            )  # fmt: skip

        app.add_exception_handler(kind, handler)


PAGE_TITLES = {403: "Refused", 404: "Not found", 409: "Conflict", 503: "Unavailable"}
