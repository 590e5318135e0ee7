"""Nova v2.1 for the emulator: discovery, flavors, servers, metadata, actions, keypairs.

Under ``/{region}/compute``::

    GET  /  and  /v2.1                       version discovery (2.1 .. 2.96), no token
    GET  /v2.1/flavors[/detail]  /v2.1/flavors/{id}
    POST /v2.1/servers                       202 {"server": {id, links, adminPass}}
    GET  /v2.1/servers[/detail]              ?name=REGEX&status=&image=&flavor=&limit=&marker=
                                             (admin: all_tenants=1[&project_id=])
    GET|PUT|DELETE /v2.1/servers/{id}         DELETE: task state ``deleting``, then 404
    GET|PUT|POST   /v2.1/servers/{id}/metadata
    GET|PUT|DELETE /v2.1/servers/{id}/metadata/{key}
    POST /v2.1/servers/{id}/action           resize, confirmResize, revertResize, rebuild,
                                             reboot, os-stop, os-start
    POST|GET /v2.1/os-keypairs   GET|DELETE /v2.1/os-keypairs/{name}
    GET  /v2.1/limits                        quotas and what the project's servers hold
    GET  /v2.1/os-availability-zone[/detail] zones and their hosts (``nova.hosts``)
    GET  /v2.1/os-hypervisors[/detail|/{id}] hypervisors, bare-metal nodes (``nova.hosts``)
    .../v2.1/servers/{id}/os-interface       port interfaces (``nova.interfaces``)

Every answer of the versioned API carries the microversion used
(``nova_flavors.microversion``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import Auth, Emulator, Record, iso_now, match_filters, nova_error
from crossheat.emulator.nova import actions as nova_actions
from crossheat.emulator.nova import flavors as nova_flavors
from crossheat.emulator.nova import hosts as nova_hosts
from crossheat.emulator.nova import interfaces as nova_interfaces
from crossheat.emulator.nova import keypairs as nova_keypairs
from crossheat.emulator.nova import servers as nova_servers


@dataclass(frozen=True)
class Call:
    """One versioned compute call: who, which region, which microversion, the endpoint URL."""

    emu: Emulator
    region: str
    auth: Auth
    version: tuple[int, int]
    url: str

    def answer(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status, nova_flavors.version_headers(self.version))

    def empty(self, status: int) -> Response:
        return Response(status_code=status, headers=nova_flavors.version_headers(self.version))

    def server(self, id_: str) -> Record:
        """A server the caller may see; 404 otherwise."""
        server = self.emu.store.get(self.region, nova_servers.KIND, id_)
        if server is None or not (
            self.auth.is_admin or server["project_id"] == self.auth.project_id
        ):
            raise nova_error(404, f"Instance {id_} could not be found.")
        return server

    def view(self, server: Record) -> Record:
        return nova_servers.view(self.emu, self.region, server, self.url, self.version)


def call(emu: Emulator, region: str, request: Request) -> Call:
    auth = emu.authenticate(request.headers.get("X-Auth-Token"))
    version = nova_flavors.microversion(request)
    url = f"{str(request.base_url).rstrip('/')}/{region}/compute/v2.1"
    return Call(emu, region, auth, version, url)


async def body_of(request: Request, key: str) -> Record:
    """The ``{key: {...}}`` object of a request body; 400 badRequest otherwise."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise nova_error(400, "Malformed request body") from exc
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise nova_error(400, f"Invalid input for field/attribute {key}.")
    inner: Record = body[key]
    return inner


def _version_routes(api: APIRouter) -> None:
    @api.get("")
    @api.get("/")
    async def versions(region: str, request: Request) -> JSONResponse:
        url = f"{str(request.base_url).rstrip('/')}/{region}/compute/v2.1"
        return JSONResponse({"versions": [nova_flavors.version_doc(url)]})

    @api.get("/v2.1")
    @api.get("/v2.1/")
    async def version(region: str, request: Request) -> JSONResponse:
        url = f"{str(request.base_url).rstrip('/')}/{region}/compute/v2.1"
        return JSONResponse({"version": nova_flavors.version_doc(url)})


def _flavor_routes(api: APIRouter, emu: Emulator) -> None:
    @api.get("/v2.1/flavors")
    async def list_flavors(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        flavors = [nova_flavors.flavor_view(i, c.url, False) for i in nova_flavors.offered(emu)]
        return c.answer({"flavors": flavors})

    @api.get("/v2.1/flavors/detail")
    async def list_flavors_detail(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        flavors = [
            nova_flavors.flavor_view(i, c.url, version=c.version) for i in nova_flavors.offered(emu)
        ]
        return c.answer({"flavors": flavors})

    @api.get("/v2.1/flavors/{flavor_id}")
    async def show_flavor(region: str, flavor_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        if flavor_id not in nova_flavors.offered(emu):
            raise nova_error(404, f"Flavor {flavor_id} could not be found.")
        return c.answer({"flavor": nova_flavors.flavor_view(flavor_id, c.url, version=c.version)})

    @api.get("/v2.1/flavors/{flavor_id}/os-extra_specs")
    async def flavor_extra_specs(region: str, flavor_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        if flavor_id not in nova_flavors.offered(emu):
            raise nova_error(404, f"Flavor {flavor_id} could not be found.")
        return c.answer({"extra_specs": nova_flavors.extra_specs(flavor_id)})


def _select(c: Call, params: dict[str, str]) -> list[Record]:
    """The servers a list call shows, newest first, filtered as Nova filters them."""
    everyone = c.auth.is_admin and params.get("all_tenants", "0").lower() in ("1", "true")
    wanted = params.get("project_id") or params.get("tenant_id") if everyone else None
    servers = [
        s
        for s in reversed(c.emu.store.records(c.region, nova_servers.KIND))
        if (wanted in (None, s["project_id"]) if everyone else s["project_id"] == c.auth.project_id)
    ]
    if "name" in params:
        try:
            pattern = re.compile(params["name"])
        except re.error as exc:
            raise nova_error(400, f"Invalid filter name: {exc}") from exc
        servers = [s for s in servers if pattern.search(s["name"])]
    if "status" in params:
        servers = [s for s in servers if nova_servers.status(s) == params["status"].upper()]
    exact: dict[str, str] = {k: params[k] for k in ("image", "flavor") if k in params}
    renamed = [{**s, "image": s["image_id"], "flavor": s["flavor_id"]} for s in servers]
    keep = {s["id"] for s in match_filters(renamed, exact)}
    return [s for s in servers if s["id"] in keep]


def _page(c: Call, servers: list[Record], params: dict[str, str], path: str) -> Record:
    """``limit``/``marker`` paging with a ``servers_links`` next link."""
    if "marker" in params:
        ids = [s["id"] for s in servers]
        if params["marker"] not in ids:
            raise nova_error(400, f"marker [{params['marker']}] not found")
        servers = servers[ids.index(params["marker"]) + 1 :]
    text = params.get("limit", "1000")
    if not text.isdigit():
        raise nova_error(400, f"limit must be a non-negative integer, not {text!r}")
    limit = int(text)
    page: Record = {"servers": servers[:limit]}
    if len(servers) > limit:
        marker = servers[limit - 1]["id"]
        href = f"{c.url}/{path}?limit={limit}&marker={marker}"
        page["servers_links"] = [{"rel": "next", "href": href}]
    return page


def _server_routes(api: APIRouter, emu: Emulator) -> None:
    @api.post("/v2.1/servers")
    async def create_server(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        spec = await body_of(request, "server")
        if not isinstance(spec.get("name"), str) or not spec["name"].strip():
            raise nova_error(400, "Invalid input for field/attribute name.")
        if not spec.get("flavorRef"):
            raise nova_error(400, "Invalid input for field/attribute flavorRef.")
        nova_keypairs.check_exists(emu, region, c.auth, spec.get("key_name"))
        server = nova_servers.create(emu, region, c.auth, spec)
        body = {
            "id": server["id"],
            "links": nova_servers.links(c.url, server["id"]),
            "adminPass": server["adminPass"],
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": n} for n in server["security_groups"]],
        }
        response = c.answer({"server": body}, 202)
        response.headers["Location"] = f"{c.url}/servers/{server['id']}"
        return response

    @api.get("/v2.1/servers")
    async def list_servers(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        params = dict(request.query_params)
        page = _page(c, _select(c, params), params, "servers")
        page["servers"] = [
            {"id": s["id"], "name": s["name"], "links": nova_servers.links(c.url, s["id"])}
            for s in page["servers"]
        ]
        return c.answer(page)

    @api.get("/v2.1/servers/detail")
    async def list_servers_detail(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        params = dict(request.query_params)
        page = _page(c, _select(c, params), params, "servers/detail")
        page["servers"] = [c.view(s) for s in page["servers"]]
        return c.answer(page)


def _server_item_routes(api: APIRouter, emu: Emulator) -> None:
    @api.get("/v2.1/servers/{server_id}")
    async def show_server(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        return c.answer({"server": c.view(c.server(server_id))})

    @api.put("/v2.1/servers/{server_id}")
    async def update_server(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        server = c.server(server_id)
        spec = await body_of(request, "server")
        changes: Record = {k: spec[k] for k in ("name", "description") if k in spec}
        changes["updated"] = iso_now()
        emu.store.update(region, nova_servers.KIND, server_id, changes)
        return c.answer({"server": c.view(server)})

    @api.delete("/v2.1/servers/{server_id}")
    async def delete_server(region: str, server_id: str, request: Request) -> Response:
        c = call(emu, region, request)
        nova_servers.delete(emu, region, c.server(server_id))
        return c.empty(204)

    @api.post("/v2.1/servers/{server_id}/action")
    async def server_action(region: str, server_id: str, request: Request) -> Response:
        c = call(emu, region, request)
        server = c.server(server_id)
        try:
            body = await request.json()
        except ValueError as exc:
            raise nova_error(400, "Malformed request body") from exc
        nova_actions.run(emu, region, server, body)
        return c.empty(202)


def _limit_routes(api: APIRouter, emu: Emulator) -> None:
    @api.get("/v2.1/limits")
    async def limits(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        used = nova_servers.usage(emu, region, c.auth.project_id)
        absolute = {
            "maxTotalInstances": emu.quota("servers"),
            "totalInstancesUsed": used["servers"],
            "maxTotalCores": emu.quota("cores"),
            "totalCoresUsed": used["cores"],
            "maxTotalRAMSize": emu.quota("ram"),
            "totalRAMUsed": used["ram"],
            "maxTotalKeypairs": emu.quota("key_pairs"),
            "maxServerMeta": 128,
            "maxServerGroups": 10,
            "maxServerGroupMembers": 10,
        }
        return c.answer({"limits": {"absolute": absolute, "rate": []}})


def _metadata_routes(api: APIRouter, emu: Emulator) -> None:
    base = "/v2.1/servers/{server_id}/metadata"

    def _save(c: Call, server: Record, metadata: Record) -> None:
        changes = {"metadata": {str(k): str(v) for k, v in metadata.items()}, "updated": iso_now()}
        emu.store.update(c.region, nova_servers.KIND, server["id"], changes)

    @api.get(base)
    async def get_metadata(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        return c.answer({"metadata": c.server(server_id)["metadata"]})

    @api.api_route(base, methods=["PUT", "POST"])
    async def set_metadata(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        server = c.server(server_id)
        new = await body_of(request, "metadata")
        merged = new if request.method == "PUT" else {**server["metadata"], **new}
        _save(c, server, merged)
        return c.answer({"metadata": server["metadata"]})

    @api.get(base + "/{key}")
    async def get_item(region: str, server_id: str, key: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        metadata = c.server(server_id)["metadata"]
        if key not in metadata:
            raise nova_error(404, "Metadata item was not found")
        return c.answer({"meta": {key: metadata[key]}})

    @api.put(base + "/{key}")
    async def set_item(region: str, server_id: str, key: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        server = c.server(server_id)
        meta = await body_of(request, "meta")
        if list(meta) != [key]:
            raise nova_error(400, "Request body and URI mismatch")
        _save(c, server, {**server["metadata"], **meta})
        return c.answer({"meta": {key: server["metadata"][key]}})

    @api.delete(base + "/{key}")
    async def delete_item(region: str, server_id: str, key: str, request: Request) -> Response:
        c = call(emu, region, request)
        server = c.server(server_id)
        if key not in server["metadata"]:
            raise nova_error(404, "Metadata item was not found")
        _save(c, server, {k: v for k, v in server["metadata"].items() if k != key})
        return c.empty(204)


def _keypair_routes(api: APIRouter, emu: Emulator) -> None:
    @api.post("/v2.1/os-keypairs")
    async def create_keypair(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        spec = await body_of(request, "keypair")
        await asyncio.sleep(emu.config.latency.sample("keypair"))
        record = nova_keypairs.create(emu, region, c.auth, spec)
        status = 201 if c.version >= (2, 2) else 200
        return c.answer({"keypair": nova_keypairs.view(record, detail=False)}, status)

    @api.get("/v2.1/os-keypairs")
    async def list_keypairs(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        owned = [
            k
            for k in emu.store.records(region, nova_keypairs.KIND)
            if k["user_id"] == c.auth.user_id
        ]
        items = [{"keypair": nova_keypairs.view(k, detail=False)} for k in owned]
        return c.answer({"keypairs": items})

    @api.get("/v2.1/os-keypairs/{name}")
    async def show_keypair(region: str, name: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        record = nova_keypairs.find(emu, region, c.auth, name)
        return c.answer({"keypair": nova_keypairs.view(record)})

    @api.delete("/v2.1/os-keypairs/{name}")
    async def delete_keypair(region: str, name: str, request: Request) -> Response:
        c = call(emu, region, request)
        record = nova_keypairs.find(emu, region, c.auth, name)
        await asyncio.sleep(emu.config.latency.sample("keypair_delete"))
        emu.store.delete(region, nova_keypairs.KIND, record["id"])
        return c.empty(204 if c.version >= (2, 2) else 202)


def router(emu: Emulator) -> APIRouter:
    """The Nova routes under ``/{region}/compute``."""
    api = APIRouter(prefix="/{region}/compute")
    _version_routes(api)
    _flavor_routes(api, emu)
    _server_routes(api, emu)
    _server_item_routes(api, emu)
    _metadata_routes(api, emu)
    _limit_routes(api, emu)
    _keypair_routes(api, emu)
    nova_hosts.add_routes(api, emu, call)
    nova_interfaces.add_routes(api, emu, call, body_of)
    return api
