"""Nova's port interfaces of a server (``os-interface``) for the emulator.

Under ``/{region}/compute/v2.1/servers/{server_id}``::

    GET    /os-interface             {"interfaceAttachments": [...]}
    GET    /os-interface/{port_id}   {"interfaceAttachment": {...}}
    POST   /os-interface             {"interfaceAttachment": {"net_id" | "port_id",
                                      "fixed_ips": [{"ip_address"}]?, "tag"?}} -> 200
    DELETE /os-interface/{port_id}   -> 202

An interface is a Neutron port whose ``device_id`` is the server, as Nova
lists them. Attaching to a network creates a port there (Nova's own: detaching
deletes it); attaching a port binds it (detaching unbinds it). Attach and
detach need the server ACTIVE or SHUTOFF (409 otherwise); Neutron's errors come
back in Nova's shape. From microversion 2.70 an interface shows its ``tag``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator import neutron
from crossheat.emulator.core import ApiError, Auth, Emulator, Record, iso_now, nova_error
from crossheat.emulator.neutron.base import LOCK, Ctx
from crossheat.emulator.neutron.ports import Ports, delete_port
from crossheat.emulator.nova import servers as nova_servers

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from crossheat.emulator.nova.api import Call

    CallOf = Callable[[Emulator, str, Request], Call]
    BodyOf = Callable[[Request, str], Awaitable[Record]]

#: Server statuses an interface may be attached to or detached from.
_CHANGEABLE = ("ACTIVE", "SHUTOFF")


def server_ports(emu: Emulator, region: str, server_id: str) -> list[Record]:
    """The ports wired to a server, in creation order."""
    return [
        p
        for p in emu.store.records(region, "ports")
        if p.get("device_id") == server_id and str(p.get("device_owner", "")).startswith("compute:")
    ]


def view(emu: Emulator, region: str, port: Record, version: tuple[int, int]) -> Record:
    """A port as Nova shows an interface attachment."""
    ctx = Ctx(emu, region, _internal(""))
    out: Record = {
        "port_id": port["id"],
        "net_id": port["network_id"],
        "mac_addr": port["mac_address"],
        "port_state": Ports().view(ctx, port)["status"],
        "fixed_ips": [
            {"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
            for ip in port.get("fixed_ips", [])
        ],
    }
    if version >= (2, 70):
        out["tag"] = port.get("_nova_tag")
    return out


def _internal(project_id: str) -> Auth:
    return Auth("internal", "internal", "admin", project_id, "admin", is_admin=True)


def _check_changeable(server: Record, action: str) -> None:
    state = nova_servers.status(server)
    if state not in _CHANGEABLE:
        raise nova_error(
            409,
            f"Cannot '{action}' instance {server['id']} while it is in status {state}",
        )


def _as_nova(exc: ApiError) -> ApiError:
    """A Neutron error of an attach as Nova answers it."""
    detail: Any = exc.body.get("NeutronError", {})
    message = detail.get("message", str(exc)) if isinstance(detail, dict) else str(exc)
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    if exc.status == 404:
        return nova_error(404, message)
    if kind == "OverQuota":
        return nova_error(403, "Maximum number of ports exceeded")
    if kind == "PortInUse":
        return nova_error(409, message)
    return nova_error(400, message)


def _network_ref(emu: Emulator, region: str, auth: Auth, spec: Record) -> Record:
    """What to wire: ``{"port": id}`` or ``{"uuid": net[, "fixed_ip": ip]}``."""
    port_id, net_id = spec.get("port_id"), spec.get("net_id")
    if port_id and net_id:
        raise nova_error(400, "Must not input both network_id and port_id")
    if port_id:
        return {"port": str(port_id)}
    ref: Record = {}
    if net_id:
        ref["uuid"] = str(net_id)
    else:
        own = [
            n
            for n in emu.store.records(region, "networks")
            if n.get("project_id") == auth.project_id and not n.get("router:external")
        ]
        if len(own) != 1:
            raise nova_error(400, "Network could not be chosen: give net_id or port_id")
        ref["uuid"] = own[0]["id"]
    fixed_ips = spec.get("fixed_ips") or []
    if not isinstance(fixed_ips, list) or len(fixed_ips) > 1:
        raise nova_error(400, "Invalid input for field/attribute fixed_ips.")
    if fixed_ips:
        if not isinstance(fixed_ips[0], dict) or "ip_address" not in fixed_ips[0]:
            raise nova_error(400, "Invalid input for field/attribute fixed_ips.")
        ref["fixed_ip"] = fixed_ips[0]["ip_address"]
    return ref


def attach(emu: Emulator, region: str, auth: Auth, server: Record, spec: Record) -> Record:
    """Wire a port to ``server`` as ``spec`` says; the port."""
    _check_changeable(server, "attach_interface")
    ref = _network_ref(emu, region, auth, spec)
    try:
        port = neutron.allocate_server_port(emu, region, auth, ref, server["id"])
    except ApiError as exc:
        raise _as_nova(exc) from exc
    with LOCK:
        stored = emu.store.get(region, "ports", port["id"])
        if stored is not None and spec.get("tag") is not None:
            stored["_nova_tag"] = str(spec["tag"])
            emu.store.save(region, "ports", stored)
        ports = [*server.get("ports", []), port["id"]]
        emu.store.update(
            region, nova_servers.KIND, server["id"], {"ports": ports, "updated": iso_now()}
        )
    return stored or port


def find(emu: Emulator, region: str, server: Record, port_id: str) -> Record:
    """The server's interface ``port_id``; 404 when there is no such port or it is elsewhere."""
    port = emu.store.get(region, "ports", port_id)
    if port is None:
        raise nova_error(404, f"Port id {port_id} could not be found.")
    if port.get("device_id") != server["id"]:
        raise nova_error(404, f"Instance {server['id']} does not have a port with id {port_id}")
    return port


def detach(emu: Emulator, region: str, server: Record, port_id: str) -> None:
    """Unwire ``port_id``: delete it when Nova made it, unbind it otherwise."""
    _check_changeable(server, "detach_interface")
    with LOCK:
        port = find(emu, region, server, port_id)
        ctx = Ctx(emu, region, _internal(port.get("project_id", "")))
        if port.get("_by_nova"):
            delete_port(ctx, port)
        else:
            port.update(device_owner="", device_id="")
            port.pop("_nova_tag", None)
            ctx.save("ports", port)
        ports = [p for p in server.get("ports", []) if p != port_id]
        emu.store.update(
            region, nova_servers.KIND, server["id"], {"ports": ports, "updated": iso_now()}
        )


def add_routes(api: APIRouter, emu: Emulator, call: CallOf, body_of: BodyOf) -> None:
    """Register the ``os-interface`` routes on Nova's router (``call``/``body_of`` from nova)."""
    base = "/v2.1/servers/{server_id}/os-interface"

    @api.get(base)
    async def list_interfaces(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        server = c.server(server_id)
        ports = server_ports(emu, region, server["id"])
        return c.answer({"interfaceAttachments": [view(emu, region, p, c.version) for p in ports]})

    @api.get(base + "/{port_id}")
    async def show_interface(
        region: str, server_id: str, port_id: str, request: Request
    ) -> JSONResponse:
        c = call(emu, region, request)
        port = find(emu, region, c.server(server_id), port_id)
        return c.answer({"interfaceAttachment": view(emu, region, port, c.version)})

    @api.post(base)
    async def attach_interface(region: str, server_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        server = c.server(server_id)
        spec = await body_of(request, "interfaceAttachment")
        port = attach(emu, region, c.auth, server, spec)
        return c.answer({"interfaceAttachment": view(emu, region, port, c.version)})

    @api.delete(base + "/{port_id}")
    async def detach_interface(
        region: str, server_id: str, port_id: str, request: Request
    ) -> Response:
        c = call(emu, region, request)
        detach(emu, region, c.server(server_id), port_id)
        return c.empty(202)
