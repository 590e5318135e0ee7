"""Where the emulated Nova's servers run: hypervisors, bare-metal nodes, availability zones.

Every region has one libvirt host (``compute-{region}``, hypervisor type ``QEMU``, zone
``nova``) that takes any number of virtual machines. With ``--baremetal N`` it also has
N Ironic nodes behind ``ironic-compute-{region}`` (hypervisor type ``ironic``, zone
``baremetal``, each node a hypervisor named by its UUID, as Nova's ironic driver shows
them). A server of a bare-metal flavor takes a whole free node; with none free (or when
it asks for a zone without one) it goes ``ERROR`` with Nova's fault ``No valid host was
found. ...`` (code 500). Which node a server holds is kept on the server (``node``): a
node is free again once its server is gone (after the delete's latency, the node's
cleaning) or failed.

::

    GET /v2.1/os-hypervisors[/detail]        admin; ?with_servers=true (2.53+),
                                             ?hypervisor_hostname_pattern= (2.53+)
    GET /v2.1/os-hypervisors/{id}            admin; ids are UUIDs from 2.53, integers before
    GET /v2.1/os-availability-zone[/detail]  zones ``nova`` (and ``baremetal``); detail:
                                             their hosts and services, admin only

Before 2.88 a hypervisor also shows its capacity and usage (vCPUs, RAM, disk,
``running_vms``); from 2.88 only ``uptime`` is added, as in Nova.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crossheat.emulator.core import ApiError, Emulator, Record, iso_now, nova_error
from crossheat.emulator.nova import flavors as nova_flavors

#: Zone of the libvirt host, and of the bare-metal nodes.
VM_ZONE = "nova"
BAREMETAL_ZONE = "baremetal"
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."

_NAMESPACE = uuid.UUID("6f1c1f3e-7a55-4b2e-9d0c-5b1d0c7e4a11")
#: The libvirt host's capacity: vCPUs, RAM MB, disk GB.
_VM_HOST = (64, 262144, 2000)


def _uuid(text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, text))


def zones(emu: Emulator) -> list[str]:
    """The availability zones servers can be in."""
    return [VM_ZONE] + ([BAREMETAL_ZONE] if emu.config.baremetal > 0 else [])


def nodes(emu: Emulator, region: str) -> list[str]:
    """The bare-metal nodes of ``region`` (their UUIDs, stable across restarts)."""
    return [_uuid(f"{region}/node/{i}") for i in range(emu.config.baremetal)]


def holders(emu: Emulator, region: str) -> dict[str, str]:
    """Node UUID -> the id of the server on it (failed servers hold none)."""
    return {
        s["node"]: s["id"]
        for s in emu.store.records(region, "servers")
        if s.get("node") and not s.get("fault")
    }


def check_zone(emu: Emulator, zone: Any) -> None:
    """400 for a create naming a zone this cloud has not (Nova's answer)."""
    if zone is None:
        return
    name = str(zone).split(":", 1)[0]
    if name and name not in zones(emu):
        raise ApiError(
            400,
            {
                "badRequest": {
                    "code": 400,
                    "message": "The requested availability zone is not available",
                }
            },
        )


def place(emu: Emulator, region: str, server: Record, zone: str | None) -> Record | None:
    """Schedule ``server``: its zone (and its node, for a bare-metal flavor) set on it, or
    the fault ``No valid host was found`` when no host of its kind is free there."""
    metal = nova_flavors.is_baremetal(server["flavor_id"])
    wanted = zone.split(":", 1)[0] if zone else None
    home = BAREMETAL_ZONE if metal else VM_ZONE
    server["availability_zone"] = wanted or home
    if wanted not in (None, "", home):
        return {"code": 500, "message": NO_VALID_HOST, "created": iso_now()}
    if not metal:
        return None
    taken = holders(emu, region)
    free = [node for node in nodes(emu, region) if node not in taken]
    if not free:
        return {"code": 500, "message": NO_VALID_HOST, "created": iso_now()}
    server["node"] = free[0]
    return None


# ---- the API's views --------------------------------------------------------------------


def _servers_on(emu: Emulator, region: str) -> dict[str, list[Record]]:
    """Hypervisor hostname -> its servers as ``{name, uuid}`` (failed ones run nowhere)."""
    out: dict[str, list[Record]] = {}
    host = f"compute-{region.lower()}"
    for server in emu.store.records(region, "servers"):
        if server.get("fault"):
            continue
        entry = {"name": f"instance-{server['id'][:8]}", "uuid": server["id"]}
        out.setdefault(server.get("node") or host, []).append(entry)
    return out


def _hypervisors(emu: Emulator, region: str) -> list[Record]:
    """Every hypervisor of ``region`` with what a detail view needs (``_view`` trims it)."""
    host = f"compute-{region.lower()}"
    metal_host = f"ironic-compute-{region.lower()}"
    metal = nova_flavors.BAREMETAL_FLAVORS[nova_flavors.BAREMETAL_FLAVOR]
    items: list[Record] = [
        {"name": host, "type": "QEMU", "version": 8002000, "service": host, "ip": "10.0.0.11",
         "capacity": _VM_HOST}
    ]  # fmt: skip
    for node in nodes(emu, region):
        items.append({"name": node, "type": "ironic", "version": 1, "service": metal_host,
                      "ip": "10.0.0.12", "capacity": metal[1:]})  # fmt: skip
    for number, item in enumerate(items, 1):
        item["number"] = number
        # an ironic compute node's UUID is its node's, as Nova's ironic driver makes them
        item["uuid"] = item["name"] if number > 1 else _uuid(f"{region}/hypervisor/{host}")
    return items


def _usage(item: Record, servers: list[Record], emu: Emulator, region: str) -> Record:
    """The pre-2.88 capacity and usage fields of a hypervisor."""
    vcpus, ram, disk = item["capacity"]
    if item["type"] == "ironic":
        used = (vcpus, ram, disk) if servers else (0, 0, 0)
    else:
        held = [emu.store.get(region, "servers", s["uuid"]) for s in servers]
        sizes = [nova_flavors.FLAVORS.get(s["flavor_id"]) for s in held if s is not None]
        used = (
            sum(f[1] for f in sizes if f),
            512 + sum(f[2] for f in sizes if f),
            sum(f[3] for f in sizes if f),
        )
    return {
        "vcpus": vcpus, "memory_mb": ram, "local_gb": disk,
        "vcpus_used": used[0], "memory_mb_used": used[1], "local_gb_used": used[2],
        "free_ram_mb": ram - used[1], "free_disk_gb": disk - used[2],
        "current_workload": 0, "running_vms": len(servers), "disk_available_least": disk - used[2],
    }  # fmt: skip


def _view(
    emu: Emulator, region: str, item: Record, version: tuple[int, int], detail: bool,
    servers: list[Record] | None,
) -> Record:  # fmt: skip
    modern = version >= (2, 53)
    out: Record = {
        "id": item["uuid"] if modern else item["number"],
        "hypervisor_hostname": item["name"],
        "state": "up",
        "status": "enabled",
    }
    if detail:
        out |= {
            "hypervisor_type": item["type"],
            "hypervisor_version": item["version"],
            "host_ip": item["ip"],
            "service": {
                "host": item["service"],
                "id": _uuid(f"{region}/service/{item['service']}") if modern else item["number"],
                "disabled_reason": None,
            },
        }
        if version >= (2, 88):
            out["uptime"] = " 08:32:11 up 93 days, 18:25,  1 user,  load average: 0.2, 0.3, 0.3"
        else:
            held = _servers_on(emu, region).get(item["name"], [])
            out |= _usage(item, held, emu, region)
            out["cpu_info"] = {"arch": "x86_64"} if version >= (2, 28) else '{"arch": "x86_64"}'
    if servers is not None and (servers or version >= (2, 75)):
        out["servers"] = servers
    return out


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def add_routes(api: APIRouter, emu: Emulator, call: Callable[..., Any]) -> None:
    """The hypervisor and availability-zone routes (``call`` is ``api.call``)."""

    def admin_only(c: Any, rule: str) -> None:
        if not c.auth.is_admin:
            raise nova_error(403, f"Policy doesn't allow {rule} to be performed.")

    def listing(region: str, request: Request, detail: bool) -> JSONResponse:
        c = call(emu, region, request)
        rule = "detail" if detail else "list"
        admin_only(c, f"os_compute_api:os-hypervisors:{rule}")
        params = request.query_params
        modern = c.version >= (2, 53)
        with_servers = modern and _truthy(params.get("with_servers"))
        pattern = params.get("hypervisor_hostname_pattern") if modern else None
        on = _servers_on(emu, region)
        items = [
            _view(emu, region, item, c.version, detail,
                  on.get(item["name"], []) if with_servers else None)
            for item in _hypervisors(emu, region)
            if not pattern or pattern in item["name"]
        ]  # fmt: skip
        if pattern and not items:
            raise nova_error(404, f"No hypervisor matching '{pattern}' could be found.")
        answer: JSONResponse = c.answer({"hypervisors": items})
        return answer

    @api.get("/v2.1/os-hypervisors")
    async def list_hypervisors(region: str, request: Request) -> JSONResponse:
        return listing(region, request, detail=False)

    @api.get("/v2.1/os-hypervisors/detail")
    async def list_hypervisors_detail(region: str, request: Request) -> JSONResponse:
        return listing(region, request, detail=True)

    @api.get("/v2.1/os-hypervisors/{hypervisor_id}")
    async def show_hypervisor(region: str, hypervisor_id: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        admin_only(c, "os_compute_api:os-hypervisors:show")
        key = "uuid" if c.version >= (2, 53) else "number"
        for item in _hypervisors(emu, region):
            if str(item[key]) == hypervisor_id:
                with_servers = c.version >= (2, 53) and _truthy(
                    request.query_params.get("with_servers")
                )
                servers = _servers_on(emu, region).get(item["name"], [])
                view = _view(emu, region, item, c.version, True, servers if with_servers else None)
                answer: JSONResponse = c.answer({"hypervisor": view})
                return answer
        raise nova_error(404, f"Hypervisor with ID '{hypervisor_id}' could not be found.")

    _zone_routes(api, emu, call)


def _zone_routes(api: APIRouter, emu: Emulator, call: Callable[..., Any]) -> None:
    def zone(name: str, hosts: Record | None) -> Record:
        return {"zoneName": name, "zoneState": {"available": True}, "hosts": hosts}

    def service(updated: str) -> Record:
        return {"available": True, "active": True, "updated_at": updated}

    @api.get("/v2.1/os-availability-zone")
    async def list_zones(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        answer: JSONResponse = c.answer(
            {"availabilityZoneInfo": [zone(name, None) for name in zones(emu)]}
        )
        return answer

    @api.get("/v2.1/os-availability-zone/detail")
    async def list_zones_detail(region: str, request: Request) -> JSONResponse:
        c = call(emu, region, request)
        if not c.auth.is_admin:
            message = (
                "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed."
            )
            raise nova_error(403, message)
        now = iso_now()
        host = region.lower()
        internal = {
            f"controller-{host}": {
                "nova-conductor": service(now),
                "nova-scheduler": service(now),
            }
        }
        info = [
            zone("internal", internal),
            zone(VM_ZONE, {f"compute-{host}": {"nova-compute": service(now)}}),
        ]
        if emu.config.baremetal > 0:
            metal = {f"ironic-compute-{host}": {"nova-compute": service(now)}}
            info.append(zone(BAREMETAL_ZONE, metal))
        answer: JSONResponse = c.answer({"availabilityZoneInfo": info})
        return answer
