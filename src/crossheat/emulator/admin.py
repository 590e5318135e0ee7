"""Test and benchmark hooks under ``/admin`` (no token needed).

::

    GET      /admin/faults                     {"error_rate", "lost_answer_rate",
                                                "region_down", "quota"}
    PUT|POST /admin/faults                     {"error_rate": 0.2} | {"region_down": ["West"]}
                                               | {"quota.servers": 0} | {"reset": true}
    GET      /admin/latency                    {"seconds": {...}, "jitter", "vpn_peer_timeout"}
    PUT|POST /admin/latency                    {"server": 3, "default": 0.5, "jitter": 0.1}
                                               | {"vpn_peer_timeout": 2} | {"reset": true}
    GET      /admin/counters                   {"regions": {"East": {"GET /network/v2.0/ports": 3}},
                                                "identity": {"POST /v3/auth/tokens": 2}}
    POST     /admin/counters/reset             204
    GET      /admin/regions/{region}/resources {"networks": [...], "servers": [...], ...}
                                               (seeded public network, images: only with ?all=true)
    POST     /admin/projects                   {"project", "user", "password", "admin": false}
                                               -> 201 {"project_id", "user_id"}: a project
                                               with that user in it (as ``--project``)
    POST     /admin/tokens/expire              every token expires now (tests of re-authentication)
    PUT      /admin/regions/{region}/ipsec-site-connections/{id}/link {"down": true}
                                               the connection's link fails (it and its
                                               peer read DOWN) until {"down": false}

VPN peer lookup (``/admin/vpn/...``) belongs to the Neutron side.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator import glance, neutron
from crossheat.emulator.core import ApiError, Emulator, Faults, Latency, ProjectSeed, Record
from crossheat.emulator.keystone import identity as keystone_identity
from crossheat.emulator.nova import keypairs as nova_keypairs
from crossheat.emulator.nova import servers as nova_servers

#: Where Keystone's calls are counted (the middleware's key; not a region).
IDENTITY = "identity"


def _bad(message: str) -> ApiError:
    return ApiError(400, {"error": {"code": 400, "message": message}})


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _bad("expected a JSON object") from exc
    if not isinstance(body, dict):
        raise _bad("expected a JSON object")
    return body


def _change_faults(emu: Emulator, body: dict[str, Any]) -> None:
    if body.pop("reset", False):
        emu.config.faults = Faults()
    try:
        emu.config.faults.apply(body)
    except (ValueError, TypeError) as exc:
        raise _bad(str(exc)) from exc


def _change_latency(emu: Emulator, body: dict[str, Any]) -> None:
    if body.pop("reset", False):
        emu.config.latency = Latency()
    latency = emu.config.latency
    try:
        if "jitter" in body:
            latency.jitter = float(body.pop("jitter"))
        if "vpn_peer_timeout" in body:
            latency.vpn_peer_timeout = float(body.pop("vpn_peer_timeout"))
        latency.seconds.update({str(k): float(v) for k, v in body.items()})
    except (ValueError, TypeError) as exc:
        raise _bad(str(exc)) from exc


def counters(emu: Emulator) -> dict[str, Any]:
    """Request counts keyed ``"METHOD /path/template"``: per region under ``regions``,
    Keystone's (which no region owns) under ``identity``."""
    regions: dict[str, dict[str, int]] = {region: {} for region in emu.regions}
    identity: dict[str, int] = {}
    for (region, method, path), count in sorted(emu.counter_snapshot().items()):
        into = identity if region == IDENTITY else regions.setdefault(region, {})
        into[f"{method} {path}"] = count
    return {"regions": regions, "identity": identity}


def resources(emu: Emulator, region: str, everything: bool) -> dict[str, list[Record]]:
    """Everything that exists in ``region``, all projects, by kind (empty kinds left out).

    Neutron's kinds as its API shows them; servers as stored plus their ``status``;
    keypairs; with ``everything``, also the seeded public network and the images.
    """
    if region not in emu.regions:
        raise ApiError(404, {"error": {"code": 404, "message": f"No region {region!r}"}})
    nova_servers.reap(emu, region)
    out = neutron.list_all(emu, region, include_seeded=everything)
    servers = emu.store.records(region, nova_servers.KIND)
    out["servers"] = [{**s, "status": nova_servers.status(s)} for s in servers]
    out["keypairs"] = emu.store.records(region, nova_keypairs.KIND)
    if everything:
        out["images"] = emu.store.records(region, glance.KIND)
    return {kind: items for kind, items in out.items() if items}


def router(emu: Emulator) -> APIRouter:
    """The ``/admin`` routes (see the module doc)."""
    api = APIRouter(prefix="/admin")

    @api.get("/faults")
    async def get_faults() -> JSONResponse:
        return JSONResponse(emu.config.faults.as_dict())

    @api.api_route("/faults", methods=["PUT", "POST"])
    async def set_faults(request: Request) -> JSONResponse:
        _change_faults(emu, await _json_object(request))
        return JSONResponse(emu.config.faults.as_dict())

    @api.get("/latency")
    async def get_latency() -> JSONResponse:
        return JSONResponse(emu.config.latency.as_dict())

    @api.api_route("/latency", methods=["PUT", "POST"])
    async def set_latency(request: Request) -> JSONResponse:
        _change_latency(emu, await _json_object(request))
        return JSONResponse(emu.config.latency.as_dict())

    @api.get("/counters")
    async def get_counters() -> JSONResponse:
        return JSONResponse(counters(emu))

    @api.post("/counters/reset")
    async def reset_counters() -> Response:
        emu.reset_counters()
        return Response(status_code=204)

    @api.get("/regions/{region}/resources")
    async def list_resources(region: str, all: bool = False) -> JSONResponse:
        return JSONResponse(resources(emu, region, all))

    @api.post("/projects")
    async def add_project(request: Request) -> JSONResponse:
        body = await _json_object(request)
        try:
            seed = ProjectSeed(
                str(body["project"]), str(body["user"]), str(body["password"]),
                bool(body.get("admin", False)),
            )  # fmt: skip
        except KeyError as exc:
            raise _bad(f"missing {exc}") from exc
        project, user = keystone_identity.seed_member(emu, seed)
        return JSONResponse({"project_id": project["id"], "user_id": user["id"]}, 201)

    @api.put("/regions/{region}/ipsec-site-connections/{connection_id}/link")
    async def set_link(region: str, connection_id: str, request: Request) -> JSONResponse:
        down = (await _json_object(request)).get("down")
        if not isinstance(down, bool):
            raise _bad('expected {"down": true} or {"down": false}')
        kind = "ipsec_site_connections"
        if region not in emu.regions or emu.store.get(region, kind, connection_id) is None:
            raise ApiError(
                404, {"error": {"code": 404, "message": f"No connection {connection_id}"}}
            )
        emu.store.update(region, kind, connection_id, {"_link_down": down})
        return JSONResponse({"id": connection_id, "link_down": down})

    @api.post("/tokens/expire")
    async def expire_tokens() -> Response:
        now = time.time()
        for token in emu.store.records("*", "tokens"):
            emu.store.update("*", "tokens", token["id"], {"expires": now})
        return Response(status_code=204)

    return api
