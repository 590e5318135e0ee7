"""The emulator's ASGI app: every service router behind one middleware.

The middleware, on every request:

- adds ``x-openstack-request-id: req-<uuid>`` to the response;
- answers 404 for a path whose first segment is neither ``identity``,
  ``admin`` nor one of the emulator's regions;
- answers 503 for a service call (``/{region}/...``) when a fault says so
  (``region_down`` or ``error_rate``); Keystone and ``/admin`` never fail;
- carries a POST or PUT out and then answers 502 instead of its answer when
  ``lost_answer_rate`` says so (a proxy that timed out: the resource exists),
  counted as ``LOST /path/template``;
- before a region's call, removes the servers of that region whose delete has
  finished (``nova_servers.reap``), so the call sees them gone;
- counts service calls per region by method and path template
  (``POST /network/v2.0/networks``, ``GET /compute/v2.1/servers/{id}``), and
  Keystone calls under ``identity`` (``POST /v3/auth/tokens``).

Errors are answered in each service's own shape (``error_shapes``).
"""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossheat.emulator import admin, error_shapes, glance, keystone, neutron, nova
from crossheat.emulator.core import Emulator
from crossheat.emulator.keystone import identity as keystone_identity
from crossheat.emulator.nova import servers as nova_servers

_ID_SEGMENT = re.compile(
    r"/[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_PARAM = re.compile(r"\{[^}]+\}")


def path_template(scope: Scope) -> str:
    """``/East/network/v2.0/networks/<uuid>`` -> ``/network/v2.0/networks/{id}``."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or _ID_SEGMENT.sub("/{id}", scope["path"])
    path = _PARAM.sub("{id}", path)
    return "/" + path.lstrip("/").partition("/")[2]


class EmulatorMiddleware:
    """Request ids, injected faults, unknown regions and counters (see the module doc)."""

    def __init__(self, app: ASGIApp, emu: Emulator) -> None:
        self.app = app
        self.emu = emu

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req-{uuid.uuid4()}"

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("x-openstack-request-id", request_id)
            await send(message)

        head = scope["path"].lstrip("/").partition("/")[0]
        if head in ("identity", "admin"):
            await self.app(scope, receive, send_with_id)
            if head == "identity":
                self.emu.count(admin.IDENTITY, scope["method"], path_template(scope))
            return
        if head not in self.emu.regions:
            body = {"error": {"code": 404, "message": f"No region {head!r} in this cloud."}}
            await JSONResponse(body, status_code=404)(scope, receive, send_with_id)
            return
        nova_servers.reap(self.emu, head)
        if self.emu.should_fail(head):
            body = {"error": {"code": 503, "message": "Service Unavailable (injected fault)"}}
            await JSONResponse(body, status_code=503)(scope, receive, send_with_id)
        elif self.emu.loses_answer(scope["method"], path_template(scope)):
            await self.app(scope, receive, _discard)
            body = {"error": {"code": 502, "message": "Bad Gateway (injected fault: answer lost)"}}
            await JSONResponse(body, status_code=502)(scope, receive, send_with_id)
            self.emu.count(head, "LOST", path_template(scope))
        else:
            await self.app(scope, receive, send_with_id)
        self.emu.count(head, scope["method"], path_template(scope))


async def _discard(message: Message) -> None:
    """Where a lost answer goes."""


def create_app(emu: Emulator) -> FastAPI:
    """The whole emulated cloud for ``emu``: Keystone, Neutron, Nova, Glance and admin."""
    app = FastAPI(title="crossheat emulator", openapi_url=None, docs_url=None, redoc_url=None)
    error_shapes.install(app)
    for build in (keystone.router, admin.router, neutron.router, nova.router, glance.router):
        app.include_router(build(emu))
    seed(emu)
    app.add_middleware(EmulatorMiddleware, emu=emu)
    return app


def seed(emu: Emulator) -> None:
    """What the cloud starts with (idempotent): Keystone's projects, users and roles, and in
    every region the public network, images and flavors."""
    keystone_identity.seed(emu)
    neutron.seed(emu, keystone.project_id("admin"))
    glance.seed(emu, keystone.project_id("admin"))
