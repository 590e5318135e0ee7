"""Nova servers for the emulator: creation, status, quotas, ports, the JSON view.

A server is a record of kind ``servers``::

    {id, name, project_id, user_id, image_id, flavor_id, key_name, metadata,
     security_groups, user_data, created, updated, ready_at, ports, fault,
     power: "on"|"off", resize: {flavor_id, ready_at} | None, rebuild_until?, description,
     deleting_until?, availability_zone, node?}

Its status is computed when read: ``ERROR`` when it has a fault, ``BUILD``
until ``ready_at`` (its ``server`` latency), then ``ACTIVE`` (``SHUTOFF``
when stopped); a resize shows ``RESIZE`` then ``VERIFY_RESIZE`` until it is
confirmed or reverted; a rebuild shows ``REBUILD`` until ``rebuild_until``. A
missing image, flavor or network and an exhausted quota (instances, cores,
ram) do not fail the create call: the server goes ``ERROR`` with a ``fault``
saying why, as the issue asks. Where it runs is ``nova.hosts``' business: a
bare-metal flavor's server takes a node (``node``), boots with the ``baremetal``
latency, and goes ``ERROR`` (``No valid host was found``) when no node is free.

A delete takes time, as in Nova: the server keeps its status with task state
``deleting`` (``OS-EXT-STS:task_state``) until ``deleting_until`` (its
``server_delete`` latency, which is the ``server`` latency unless set), and still
counts against the quota; then ``reap`` (run before every call to the region)
removes it and its ports, and a GET answers 404.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from crossheat.emulator import glance, neutron
from crossheat.emulator.core import ApiError, Auth, Emulator, Record, iso_now, new_id
from crossheat.emulator.nova import flavors as nova_flavors
from crossheat.emulator.nova import hosts as nova_hosts

KIND = "servers"


def status(server: Record, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if server.get("fault"):
        return "ERROR"
    if now < server["ready_at"]:
        return "BUILD"
    if now < server.get("rebuild_until", 0):
        return "REBUILD"
    resize = server.get("resize")
    if resize:
        return "RESIZE" if now < resize["ready_at"] else "VERIFY_RESIZE"
    return "SHUTOFF" if server.get("power") == "off" else "ACTIVE"


def fault(code: int, message: str) -> Record:
    return {"code": code, "message": message, "created": iso_now()}


def usage(emu: Emulator, region: str, project_id: str) -> dict[str, int]:
    """What a project's servers hold: ``{"servers", "cores", "ram"}`` (ERROR ones hold nothing)."""
    live = [
        s
        for s in emu.store.records(region, KIND)
        if s["project_id"] == project_id and not s.get("fault")
    ]
    held = [nova_flavors.resources(s["flavor_id"]) for s in live]
    return {
        "servers": len(live),
        "cores": sum(vcpus for vcpus, _ in held),
        "ram": sum(ram for _, ram in held),
    }


def _quota_fault(emu: Emulator, region: str, auth: Auth, flavor_id: str) -> Record | None:
    """The fault of a server that would exceed its project's quota, if it would."""
    used = usage(emu, region, auth.project_id)
    vcpus, ram = nova_flavors.resources(flavor_id)
    wanted = {"servers": 1, "cores": vcpus, "ram": ram}
    for quota, label in (("servers", "instances"), ("cores", "cores"), ("ram", "ram")):
        limit = emu.quota(quota, region)
        if used[quota] + wanted[quota] > limit:
            message = (
                f"Quota exceeded for {label}: Requested {wanted[quota]}, but already used"
                f" {used[quota]} of {limit} {label}"
            )
            return fault(403, message)
    return None


def _network_refs(emu: Emulator, region: str, auth: Auth, networks: Any) -> list[Record]:
    """``networks`` of a create request as ``[{"uuid"|"port"|"fixed_ip": ...}]``."""
    if networks == "none":
        return []
    if networks in (None, "auto"):
        own = [
            n
            for n in emu.store.records(region, "networks")
            if n.get("project_id") == auth.project_id and not n.get("router:external")
        ]
        return [{"uuid": own[0]["id"]}] if own else []
    if not isinstance(networks, list) or not all(isinstance(n, dict) for n in networks):
        raise ApiError(
            400,
            {"badRequest": {"code": 400, "message": "Invalid input for field/attribute networks."}},
        )
    return [{k: v for k, v in n.items() if k in ("uuid", "port", "fixed_ip")} for n in networks]


def _attach_ports(
    emu: Emulator, region: str, auth: Auth, server: Record, refs: list[Record]
) -> Record | None:
    """Ports for the server's networks; the fault when one cannot be had."""
    if not refs:
        return None
    for ref in refs:
        try:
            port = neutron.allocate_server_port(emu, region, auth, ref, server["id"])
        except ApiError as exc:
            neutron.release_server_ports(emu, region, server["id"])
            server["ports"] = []
            detail: Any = next(iter(exc.body.values()), {})
            message = detail.get("message", str(exc)) if isinstance(detail, dict) else str(exc)
            return fault(exc.status, f"Build of instance {server['id']} aborted: {message}")
        server["ports"].append(port["id"])
    return None


def _build_fault(emu: Emulator, region: str, auth: Auth, server: Record) -> Record | None:
    if glance.find_image(emu, region, server["image_id"]) is None:
        return fault(404, f"Image {server['image_id']} could not be found.")
    if nova_flavors.find_flavor(emu, server["flavor_id"]) is None:
        return fault(404, f"Flavor {server['flavor_id']} could not be found.")
    return _quota_fault(emu, region, auth, server["flavor_id"])


def create(emu: Emulator, region: str, auth: Auth, spec: Record) -> Record:
    """Store a new server from a validated create request; ``adminPass`` included."""
    flavor_ref = str(spec.get("flavorRef", ""))
    image_ref = str(spec.get("imageRef", "")).rstrip("/").rsplit("/", 1)[-1]
    refs = _network_refs(emu, region, auth, spec.get("networks"))
    nova_hosts.check_zone(emu, spec.get("availability_zone"))
    flavor_id = nova_flavors.find_flavor(emu, flavor_ref) or flavor_ref
    boot = "baremetal" if nova_flavors.is_baremetal(flavor_id) else "server"
    now = iso_now()
    server: Record = {
        "id": new_id(),
        "name": spec["name"],
        "project_id": auth.project_id,
        "user_id": auth.user_id,
        "image_id": image_ref,
        "flavor_id": flavor_id,
        "key_name": spec.get("key_name"),
        "metadata": dict(spec.get("metadata") or {}),
        "security_groups": [g.get("name", "default") for g in spec.get("security_groups") or []]
        or ["default"],
        "user_data": spec.get("user_data"),
        "description": spec.get("description"),
        "created": now,
        "updated": now,
        "ready_at": time.time() + emu.config.latency.sample(boot),
        "ports": [],
        "fault": None,
        "power": "on",
        "resize": None,
    }
    server["fault"] = (
        _build_fault(emu, region, auth, server)
        or nova_hosts.place(emu, region, server, spec.get("availability_zone"))
        or _attach_ports(emu, region, auth, server, refs)
    )
    emu.store.insert(region, KIND, server)
    return {**server, "adminPass": secrets.token_urlsafe(9)}


def delete(emu: Emulator, region: str, server: Record) -> None:
    """Start deleting ``server``: it shows task state ``deleting`` until its
    ``server_delete`` latency (by default its ``server`` latency) has passed, then
    ``reap`` removes it (and its ports). Deleting a server already being deleted
    changes nothing."""
    if server.get("deleting_until") is not None:
        return
    kind = "baremetal_delete" if server.get("node") else "server_delete"
    until = time.time() + emu.config.latency.sample(kind)
    emu.store.update(region, KIND, server["id"], {"deleting_until": until, "updated": iso_now()})


def deleting(server: Record) -> bool:
    return server.get("deleting_until") is not None


def reap(emu: Emulator, region: str, now: float | None = None) -> None:
    """Remove the servers of ``region`` whose delete has finished, releasing their ports."""
    now = time.time() if now is None else now
    for server in emu.store.records(region, KIND):
        until = server.get("deleting_until")
        if until is None or until > now:
            continue
        if server["ports"]:
            neutron.release_server_ports(emu, region, server["id"])
        emu.store.delete(region, KIND, server["id"])


def addresses(emu: Emulator, region: str, server: Record) -> dict[str, list[Record]]:
    """``{network name: [{version, addr, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}]}``."""
    out: dict[str, list[Record]] = {}
    if not server["ports"]:
        return out
    for port_id in server["ports"]:
        port = emu.store.get(region, "ports", port_id)
        if port is None:
            continue
        name = neutron.network_name(emu, region, port["network_id"])
        for fixed in port.get("fixed_ips", []):
            addr = fixed["ip_address"]
            out.setdefault(name, []).append(
                {
                    "version": 6 if ":" in addr else 4,
                    "addr": addr,
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": port.get("mac_address"),
                }
            )
    return out


_VM_STATES = {
    "BUILD": ("building", "spawning", 0),
    "ACTIVE": ("active", None, 1),
    "SHUTOFF": ("stopped", None, 4),
    "ERROR": ("error", None, 0),
    "RESIZE": ("active", "resize_migrating", 1),
    "REBUILD": ("active", "rebuilding", 1),
    "VERIFY_RESIZE": ("resized", None, 1),
}


def links(url: str, id_: str) -> list[Record]:
    return [
        {"rel": "self", "href": f"{url}/servers/{id_}"},
        {"rel": "bookmark", "href": f"{url.rsplit('/v2.1', 1)[0]}/servers/{id_}"},
    ]


def _image(server: Record) -> Record:
    bookmark = {"rel": "bookmark", "href": f"/images/{server['image_id']}"}
    return {"id": server["image_id"], "links": [bookmark]}


def _flavor(server: Record, version: tuple[int, int]) -> Record:
    if not nova_flavors.known(server["flavor_id"]):
        return {"id": server["flavor_id"], "links": []}
    return nova_flavors.embedded_flavor(server["flavor_id"], version)


def view(emu: Emulator, region: str, server: Record, url: str, version: tuple[int, int]) -> Record:
    """The ``server`` document of show and list-detail, as Nova answers it."""
    state = status(server)
    vm_state, task_state, power = _VM_STATES[state]
    if deleting(server):
        task_state = "deleting"
    out: Record = {
        "id": server["id"],
        "name": server["name"],
        "status": state,
        "tenant_id": server["project_id"],
        "user_id": server["user_id"],
        "metadata": server["metadata"],
        "hostId": "" if state == "ERROR" else server["project_id"][:16],
        "image": _image(server),
        "flavor": _flavor(server, version),
        "created": server["created"],
        "updated": server["updated"],
        "addresses": addresses(emu, region, server),
        "accessIPv4": "",
        "accessIPv6": "",
        "links": links(url, server["id"]),
        "OS-DCF:diskConfig": "MANUAL",
        "progress": 0 if state == "BUILD" else 100,
        "OS-EXT-AZ:availability_zone": ""
        if state == "ERROR"
        else server.get("availability_zone", nova_hosts.VM_ZONE),
        "config_drive": "",
        "key_name": server["key_name"],
        "OS-SRV-USG:launched_at": None if state in ("BUILD", "ERROR") else server["created"],
        "OS-SRV-USG:terminated_at": None,
        "security_groups": [{"name": name} for name in server["security_groups"]],
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:power_state": power,
        "os-extended-volumes:volumes_attached": [],
        "locked": False,
        "description": server.get("description"),
        "tags": [],
    }
    if server.get("fault"):
        out["fault"] = server["fault"]
    return out
