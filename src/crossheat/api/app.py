"""The application ``crossheat serve`` runs: Heat's API v1 over the service.

    service = Service(database_url=url)
    app = create_app(service, auth=KeystoneAuthenticator(keystone_url))
    uvicorn.run(app, host="127.0.0.1", port=8004)

The dashboard (``crossheat.ui``) is mounted under ``/dashboard/``; a browser opening
``/`` is sent there, API clients get Heat's version document.

The application owns a ``HostedExecutor`` (operations run in the server process, at
most ``max_operations`` at once), started with the application (resuming what a
stopped or killed server left in progress) and stopped with it; or the ``executor``
it is given (a ``QueueExecutor``: operations queued for workers), started and stopped
the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from crossheat import __version__, ui
from crossheat.api import errors, openapi, schemas
from crossheat.api.cache import AnswerCache
from crossheat.api.context import Authenticator, base_url
from crossheat.service import HostedExecutor, Service, metrics_exposition
from crossheat.service.executor import ServerExecutor


def versions_document(request: Request) -> dict[str, Any]:
    """Heat's ``GET /``: the one API version, ``v1.0``, CURRENT."""
    href = f"{base_url(request)}/v1/"
    return {
        "versions": [{"id": "v1.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]
    }


def create_app(
    service: Service,
    *,
    auth: Authenticator,
    max_operations: int = 16,
    start_executor: bool = True,
    executor: ServerExecutor | None = None,
) -> FastAPI:
    """The API over ``service`` (its database), authenticating with ``auth``."""
    hosted = executor if executor is not None else HostedExecutor(service, max_operations)
    service.executor = hosted

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_executor:
            hosted.start()
        try:
            yield
        finally:
            hosted.stop()

    app = FastAPI(
        title="crossheat orchestration API",
        version=__version__,
        description="OpenStack Heat's orchestration API v1, multi-region, served by crossheat.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.auth = auth
    app.state.executor = hosted
    app.state.answers = AnswerCache()
    errors.install(app)
    openapi.install(app)

    @app.get(
        "/",
        status_code=300,
        response_model=None,
        responses={300: {"model": schemas.Versions, "description": openapi.MEANINGS[300]}},
    )
    def versions(request: Request) -> Response:
        """Heat's version document; a browser (HTML preferred) goes to the dashboard."""
        if ui.wants_html(request):
            return RedirectResponse("/dashboard/", status_code=302)
        return JSONResponse(versions_document(request), status_code=300)

    @app.get("/healthcheck", response_class=PlainTextResponse)
    def healthcheck() -> str:
        return "OK"

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus' text format, without a token: counts by bounded labels only (no
        stack id or name, no project); see the README's "Metrics, webhooks and logs"."""
        body, content_type = metrics_exposition(service)
        return Response(body, media_type=content_type)

    from crossheat.api import catalog, resources, software, stacks

    app.include_router(stacks.router)
    app.include_router(resources.router)
    app.include_router(catalog.router)
    app.include_router(software.router)
    ui.mount(app, service, auth)
    return app
