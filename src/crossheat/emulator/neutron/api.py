"""The emulated Neutron v2.0 (with VPNaaS): its routes, seed data, and Nova's wiring calls.

``router(emu)`` serves, for every region of ``emu``::

    GET  /{region}/network                      version discovery
    ...  /{region}/network/v2.0/{collection}    networks, subnets, ports, routers,
                                                floatingips, security-groups,
                                                security-group-rules, vpn/vpnservices,
                                                vpn/ikepolicies, vpn/ipsecpolicies,
                                                vpn/ipsec-site-connections, vpn/endpoint-groups
    PUT  /{region}/network/v2.0/routers/{id}/add_router_interface (and remove_...)
    GET  /admin/vpn/endpoints                   this cloud's IPsec endpoints, for peer clouds

``seed`` gives every region an external, shared network ``public`` whose
subnet is ``100.(64+cloud_index).(region_index).0/24`` (see ``ipam.public_cidr``).
Nova calls ``allocate_server_port``, ``release_server_ports`` and
``network_name`` in-process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import Auth, Emulator, Record, neutron_error
from crossheat.emulator.neutron import ipam
from crossheat.emulator.neutron.base import LOCK, Collection, Ctx, check_quota, public
from crossheat.emulator.neutron.l3 import FloatingIPs, Routers, add_interface, remove_interface
from crossheat.emulator.neutron.networks import Networks, Subnets
from crossheat.emulator.neutron.ports import Ports, delete_port, new_port
from crossheat.emulator.neutron.routes import PREFIX, add_collection, context, read_body
from crossheat.emulator.neutron.secgroups import SecurityGroupRules, SecurityGroups
from crossheat.emulator.neutron.vpn import EndpointGroups, IKEPolicies, IPsecPolicies, VPNServices
from crossheat.emulator.neutron.vpn_tunnels import IPsecSiteConnections, local_endpoints

COLLECTIONS: tuple[Collection, ...] = (
    Networks(),
    Subnets(),
    Ports(),
    Routers(),
    FloatingIPs(),
    SecurityGroups(),
    SecurityGroupRules(),
    VPNServices(),
    IKEPolicies(),
    IPsecPolicies(),
    EndpointGroups(),
    IPsecSiteConnections(),
)

EXTENSIONS = ("external-net", "router", "extraroute", "security-group", "vpnaas",
              "vpn-endpoint-groups", "standard-attr-tag", "standard-attr-description",
              "standard-attr-timestamp", "standard-attr-revisions", "project-id", "quotas",
              "binding", "port-security")  # fmt: skip


def router(emu: Emulator) -> APIRouter:
    """Every Neutron route of ``emu`` (see the module doc)."""
    api = APIRouter()
    _discovery_routes(api, emu)
    _interface_routes(api, emu)
    for collection in COLLECTIONS:
        add_collection(api, emu, collection)

    async def vpn_endpoints(request: Request) -> Response:
        return JSONResponse({"endpoints": local_endpoints(emu)})

    api.add_api_route("/admin/vpn/endpoints", vpn_endpoints, methods=["GET"])
    return api


def _discovery_routes(api: APIRouter, emu: Emulator) -> None:
    async def versions(request: Request) -> Response:
        region = request.path_params["region"]
        if region not in emu.regions:
            raise neutron_error(404, "HTTPNotFound", "The resource could not be found.")
        href = f"{str(request.base_url).rstrip('/')}/{region}/network/v2.0/"
        version = {"id": "v2.0", "status": "CURRENT", "links": [{"href": href, "rel": "self"}]}
        return JSONResponse({"versions": [version]})

    async def extensions(request: Request) -> Response:
        context(emu, request)
        items = [
            {
                "alias": a,
                "name": a,
                "description": a,
                "links": [],
                "updated": "2026-01-01T00:00:00Z",
            }
            for a in EXTENSIONS
        ]
        return JSONResponse({"extensions": items})

    api.add_api_route("/{region}/network", versions, methods=["GET"])
    api.add_api_route("/{region}/network/", versions, methods=["GET"])
    api.add_api_route(PREFIX + "/extensions", extensions, methods=["GET"])


def _interface_routes(api: APIRouter, emu: Emulator) -> None:
    async def add(request: Request) -> Response:
        ctx = context(emu, request)
        body = await read_body(request, None)
        await asyncio.sleep(emu.config.latency.sample("router_interface"))
        with LOCK:
            router = Routers().find(ctx, request.path_params["id"])
            return JSONResponse(add_interface(ctx, router, body))

    async def remove(request: Request) -> Response:
        ctx = context(emu, request)
        body = await read_body(request, None)
        await asyncio.sleep(emu.config.latency.sample("router_interface_delete"))
        with LOCK:
            router = Routers().find(ctx, request.path_params["id"])
            return JSONResponse(remove_interface(ctx, router, body))

    api.add_api_route(PREFIX + "/routers/{id}/add_router_interface", add, methods=["PUT"])
    api.add_api_route(PREFIX + "/routers/{id}/remove_router_interface", remove, methods=["PUT"])


def _admin_ctx(emu: Emulator, region: str, project_id: str) -> Ctx:
    auth = Auth("internal", "internal", "admin", project_id, "admin", is_admin=True)
    return Ctx(emu, region, auth)


def seed(emu: Emulator, admin_project_id: str) -> None:
    """Give every region its external network ``public`` and subnet (idempotent)."""
    with LOCK:
        for index, region in enumerate(emu.regions):
            ctx = _admin_ctx(emu, region, admin_project_id)
            if any(n.get("_seeded") for n in ctx.records("networks")):
                continue
            body = {"name": "public", "router:external": True, "shared": True}
            network = Networks().create(ctx, body)
            cidr = ipam.public_cidr(emu.config.cloud_index, index)
            subnet = Subnets().create(
                ctx, {"name": "public-subnet", "network_id": network["id"], "cidr": cidr}
            )
            for kind, record in (("networks", network), ("subnets", subnet)):
                record["_seeded"] = True
                ctx.save(kind, record)


def list_all(emu: Emulator, region: str, include_seeded: bool = False) -> dict[str, list[Record]]:
    """Every Neutron resource of ``region``, all projects, as the API shows them."""
    ctx = _admin_ctx(emu, region, "")
    out: dict[str, list[Record]] = {}
    for collection in COLLECTIONS:
        records = [
            collection.view(ctx, r)
            for r in ctx.records(collection.kind)
            if include_seeded or not r.get("_seeded")
        ]
        if records:
            out[collection.kind] = records
    return out


def network_name(emu: Emulator, region: str, network_id: str) -> str:
    """The network's name (its id when it has none or is gone), for Nova's ``addresses``."""
    network = emu.store.get(region, "networks", network_id)
    return str(network["name"]) if network and network.get("name") else network_id


def allocate_server_port(
    emu: Emulator, region: str, auth: Auth, network_ref: dict[str, Any], server_id: str
) -> Record:
    """Wire a server: ``{"uuid": net[, "fixed_ip": ip]}`` makes a port, ``{"port": id}`` binds one.

    Raises ``ApiError`` like Neutron: 404 unknown network/port, 409 port in use,
    address taken or pools exhausted, 409 ``OverQuota``, 400 bad address.
    """
    ctx = Ctx(emu, region, auth)
    with LOCK:
        if network_ref.get("port"):
            return public(_bind_port(ctx, str(network_ref["port"]), server_id))
        if not network_ref.get("uuid"):
            raise neutron_error(400, "HTTPBadRequest", "A network needs 'uuid' or 'port'")
        network = Networks().find(ctx, str(network_ref["uuid"]))
        body: Record = {"device_owner": "compute:nova", "device_id": server_id}
        if network_ref.get("fixed_ip"):
            body["fixed_ips"] = [{"ip_address": network_ref["fixed_ip"]}]
        check_quota(ctx, "ports", "ports", auth.project_id)
        port = new_port(ctx, network, body, auth.project_id)
        port["_by_nova"] = True
        ctx.save("ports", port)
        return public(port)


def _bind_port(ctx: Ctx, port_id: str, server_id: str) -> Record:
    port = Ports().find(ctx, port_id)
    if port["device_id"] and port["device_id"] != server_id:
        raise neutron_error(
            409, "PortInUse", f"Port {port_id} is still in use by {port['device_id']}."
        )
    port.update(device_owner="compute:nova", device_id=server_id)
    ctx.save("ports", port)
    return port


def release_server_ports(emu: Emulator, region: str, server_id: str) -> None:
    """Unwire a deleted server: delete the ports made for it, unbind the ones it was given."""
    ctx = _admin_ctx(emu, region, "")
    with LOCK:
        for port in ctx.records("ports"):
            if port["device_id"] != server_id or not port["device_owner"].startswith("compute:"):
                continue
            if port.get("_by_nova"):
                delete_port(ctx, port)
            else:
                port.update(device_owner="", device_id="")
                ctx.save("ports", port)
