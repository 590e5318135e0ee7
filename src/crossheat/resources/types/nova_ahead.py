"""A check's batched reads of Nova's types (``ResourceType.read_ahead``): one list call
per kind and region answers what reading each server or key pair would ask one by one.

    Server.read_ahead    servers (details), ports, and the images the servers run
    KeyPair.read_ahead   the project's key pairs

``live_image_name`` lives here as the call a server's image is read back with, which the
list of images answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crossheat.resources.lifecycle import Answered, CloudCaller
from crossheat.resources.types.neutron_crud import as_api_dict, sdk_list
from crossheat.resources.types.nova_server import compute


def live_image_name(conn: Any, image_id: str) -> str | None:
    """The name of a server's image; ``None`` when Glance no longer has it (an image
    replaced since by a new one of the same name is no change made to the server)."""
    found = conn.image.find_image(image_id, ignore_missing=True)
    return None if found is None or not found.name else str(found.name)


def _server_objects(conn: Any) -> list[Any]:
    return list(conn.compute.servers(details=True))


def _images(conn: Any) -> list[Any]:
    return list(conn.image.images())


def _keypairs(conn: Any) -> list[Any]:
    return list(conn.compute.keypairs())


def _image_names(call: CloudCaller, servers: Sequence[Any]) -> list[Answered]:
    """One list of the images the region shows answers ``live_image_name`` for each image
    the ``servers`` run (none when they all boot from volumes); an image not listed is
    looked up as usual."""
    wanted = set()
    for server in servers:
        image = as_api_dict(server).get("image") or {}
        if isinstance(image, dict) and image.get("id"):
            wanted.add(str(image["id"]))
    if not wanted:
        return []
    return [
        Answered(live_image_name, (str(image.id),), {}, str(image.name) if image.name else None)
        for image in call(_images)
        if str(image.id) in wanted
    ]


def read_servers_ahead(
    cls: type, call: CloudCaller, stack_id: str, physical_ids: Sequence[str]
) -> list[Answered]:
    """``Server.read_ahead``: one list of the project's servers (Nova cannot filter by
    metadata) answers each one's ``get_server``, one list of the project's ports each
    one's ports (``ports(device_id=...)``, empty for a server without any), and one list
    of images the names of their images."""
    wanted = set(physical_ids)
    servers = [s for s in call(_server_objects) if str(s.id) in wanted]
    if not servers:
        return []
    ports: dict[str, list[dict[str, Any]]] = {str(s.id): [] for s in servers}
    for port in call(sdk_list, "ports"):
        ports.get(str(port.get("device_id")), []).append(port)
    return [
        answer
        for server in servers
        for answer in (
            Answered(compute, ("get_server", str(server.id)), {}, server),
            Answered(sdk_list, ("ports",), {"device_id": str(server.id)}, ports[str(server.id)]),
        )
    ] + _image_names(call, servers)


def read_keypairs_ahead(
    cls: type, call: CloudCaller, stack_id: str, physical_ids: Sequence[str]
) -> list[Answered]:
    """``KeyPair.read_ahead``: one list of the project's key pairs answers each one's
    ``get_keypair`` (a key pair's physical id is its name)."""
    wanted = set(physical_ids)
    return [
        Answered(compute, ("get_keypair", str(keypair.name)), {}, keypair)
        for keypair in call(_keypairs)
        if str(keypair.name) in wanted
    ]
