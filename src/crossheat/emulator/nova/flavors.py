"""Nova flavors and microversions for the emulator.

Flavors are fixed and the same in every region, with devstack's ids::

    id  name       vCPUs  RAM MB  disk GB
    1   m1.tiny    1      512     1
    2   m1.small   1      2048    20
    3   m1.medium  2      4096    40
    4   m1.large   4      8192    80

The compute API speaks microversions 2.1 to 2.96: a request names one with
``OpenStack-API-Version: compute 2.x`` or ``X-OpenStack-Nova-API-Version: 2.x``
(``latest`` is 2.96, none is 2.1), and the answer carries the one used.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from crossheat.emulator.core import Record, nova_error

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)

FLAVORS: dict[str, tuple[str, int, int, int]] = {
    "1": ("m1.tiny", 1, 512, 1),
    "2": ("m1.small", 1, 2048, 20),
    "3": ("m1.medium", 2, 4096, 40),
    "4": ("m1.large", 4, 8192, 80),
}

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def microversion(request: Request) -> tuple[int, int]:
    """The microversion a request asks for; 406 when it is out of range or malformed."""
    header = request.headers.get("OpenStack-API-Version", "")
    wanted = header.removeprefix("compute").strip() if header.startswith("compute") else ""
    wanted = wanted or request.headers.get("X-OpenStack-Nova-API-Version", "").strip()
    if not wanted:
        return MIN_VERSION
    if wanted == "latest":
        return MAX_VERSION
    match = _VERSION.match(wanted)
    version = (int(match[1]), int(match[2])) if match else (0, 0)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise nova_error(
            406,
            f"Version {wanted} is not supported by the API. Minimum is 2.1 and maximum is 2.96.",
        )
    return version


def version_headers(version: tuple[int, int]) -> dict[str, str]:
    text = f"{version[0]}.{version[1]}"
    return {
        "OpenStack-API-Version": f"compute {text}",
        "X-OpenStack-Nova-API-Version": text,
        "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }


def version_doc(url: str) -> dict[str, Any]:
    """The v2.1 version document, ``url`` being the versioned endpoint."""
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": "2.96",
        "min_version": "2.1",
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{url}/"}],
        "media-types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }
        ],
    }


def find_flavor(ref: str) -> str | None:
    """The flavor id named by a ``flavorRef`` (an id or a URL ending in one)."""
    id_ = ref.rstrip("/").rsplit("/", 1)[-1]
    return id_ if id_ in FLAVORS else None


def flavor_view(id_: str, url: str, detail: bool = True) -> Record:
    name, vcpus, ram, disk = FLAVORS[id_]
    links = [{"rel": "self", "href": f"{url}/flavors/{id_}"}]
    if not detail:
        return {"id": id_, "name": name, "links": links}
    return {
        "id": id_,
        "name": name,
        "vcpus": vcpus,
        "ram": ram,
        "disk": disk,
        "swap": 0,
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "OS-FLV-DISABLED:disabled": False,
        "os-flavor-access:is_public": True,
        "rxtx_factor": 1.0,
        "description": None,
        "extra_specs": {},
        "links": links,
    }


def embedded_flavor(id_: str, version: tuple[int, int]) -> Record:
    """A server's ``flavor``: ``{id, links}`` before 2.47, the flavor's contents from 2.47."""
    name, vcpus, ram, disk = FLAVORS[id_]
    if version < (2, 47):
        return {"id": id_, "links": [{"rel": "bookmark", "href": f"/flavors/{id_}"}]}
    return {
        "original_name": name,
        "vcpus": vcpus,
        "ram": ram,
        "disk": disk,
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {},
    }


def resources(id_: str) -> tuple[int, int]:
    """(vCPUs, RAM MB) of a flavor: what it takes from the cores and ram quotas."""
    _, vcpus, ram, _ = FLAVORS[id_]
    return vcpus, ram
