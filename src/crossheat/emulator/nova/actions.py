"""Server actions (``POST /servers/{id}/action``) for the emulated Nova.

::

    {"resize": {"flavorRef": "3"}}   ACTIVE|SHUTOFF -> RESIZE -> VERIFY_RESIZE (``server`` latency)
    {"confirmResize": null}          VERIFY_RESIZE -> ACTIVE with the new flavor
    {"revertResize": null}           VERIFY_RESIZE -> ACTIVE with the old flavor
    {"rebuild": {"imageRef": "..."}} ACTIVE|SHUTOFF -> REBUILD -> ACTIVE with the new image
                                     (``server`` latency)
    {"reboot": {"type": "SOFT"}}     ACTIVE|SHUTOFF -> ACTIVE
    {"os-stop": null}                ACTIVE -> SHUTOFF
    {"os-start": null}               SHUTOFF -> ACTIVE

An action in the wrong state, or on a server being deleted, answers 409 as Nova does. A
resize of a bare-metal server (or to a bare-metal flavor) answers 400: Nova's ironic
driver cannot resize.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from crossheat.emulator import glance
from crossheat.emulator.core import Emulator, Record, iso_now, nova_error
from crossheat.emulator.nova import flavors as nova_flavors
from crossheat.emulator.nova import servers as nova_servers

_STATE_NAMES = {
    "BUILD": "building",
    "ERROR": "error",
    "RESIZE": "active",
    "REBUILD": "active",
    "VERIFY_RESIZE": "resized",
    "ACTIVE": "active",
    "SHUTOFF": "stopped",
}


def _require(server: Record, action: str, *allowed: str) -> None:
    if nova_servers.deleting(server):
        raise nova_error(
            409,
            f"Cannot '{action}' instance {server['id']} while it is in task_state deleting",
        )
    state = nova_servers.status(server)
    if state not in allowed:
        raise nova_error(
            409,
            f"Cannot '{action}' instance {server['id']} while it is in vm_state"
            f" {_STATE_NAMES[state]}",
        )


def _resize(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "resize", "ACTIVE", "SHUTOFF")
    ref = str((args or {}).get("flavorRef", "")) if isinstance(args, dict) else ""
    flavor_id = nova_flavors.find_flavor(emu, ref)
    if flavor_id is None:
        raise nova_error(400, f"Flavor {ref} could not be found.")
    if flavor_id == server["flavor_id"]:
        raise nova_error(400, "When resizing, instances must change flavor!")
    if server.get("node") or nova_flavors.is_baremetal(server["flavor_id"]):
        raise nova_error(
            400,
            f"Resize is not supported for instance {server['id']}: it runs on a bare-metal"
            " node (hypervisor type ironic), whose flavor cannot change; replace the server"
            " instead.",
        )
    if nova_flavors.is_baremetal(flavor_id):
        raise nova_error(
            400,
            f"Resize is not supported for instance {server['id']}: a virtual machine cannot"
            " move to a bare-metal flavor; replace the server instead.",
        )
    ready_at = time.time() + emu.config.latency.sample("server")
    return {"resize": {"flavor_id": flavor_id, "ready_at": ready_at}}


def _confirm(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "confirmResize", "VERIFY_RESIZE")
    return {"flavor_id": server["resize"]["flavor_id"], "resize": None, "power": "on"}


def _revert(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "revertResize", "VERIFY_RESIZE")
    return {"resize": None}


def _rebuild(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "rebuild", "ACTIVE", "SHUTOFF")
    ref = str((args or {}).get("imageRef", "")) if isinstance(args, dict) else ""
    image_id = ref.rstrip("/").rsplit("/", 1)[-1]
    if not image_id or glance.find_image(emu, region, image_id) is None:
        raise nova_error(400, f"Image {ref} could not be found.")
    kind = "baremetal" if server.get("node") else "server"
    ready_at = time.time() + emu.config.latency.sample(kind)
    return {"image_id": image_id, "rebuild_until": ready_at, "power": "on"}


def _reboot(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "reboot", "ACTIVE", "SHUTOFF")
    return {"power": "on"}


def _stop(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "stop", "ACTIVE")
    return {"power": "off"}


def _start(emu: Emulator, region: str, server: Record, args: Any) -> Record:
    _require(server, "start", "SHUTOFF")
    return {"power": "on"}


ACTIONS: dict[str, Callable[[Emulator, str, Record, Any], Record]] = {
    "resize": _resize,
    "confirmResize": _confirm,
    "revertResize": _revert,
    "rebuild": _rebuild,
    "reboot": _reboot,
    "os-stop": _stop,
    "os-start": _start,
}


def run(emu: Emulator, region: str, server: Record, body: Any) -> None:
    """Apply the one action named in ``body``; 400 for anything else."""
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in ACTIONS:
        raise nova_error(400, f"There is no such action: {next(iter(body or {}), '')}")
    name, args = next(iter(body.items()))
    changes = ACTIONS[name](emu, region, server, args)
    changes["updated"] = iso_now()
    emu.store.update(region, nova_servers.KIND, server["id"], changes)
