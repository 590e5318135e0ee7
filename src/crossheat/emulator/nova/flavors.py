"""Nova flavors and microversions for the emulator.

Flavors are fixed and the same in every region, with devstack's ids::

    id  name       vCPUs  RAM MB  disk GB
    1   m1.tiny    1      512     1
    2   m1.small   1      2048    20
    3   m1.medium  2      4096    40
    4   m1.large   4      8192    80

With bare-metal nodes (``--baremetal N``) there is one more, as Ironic's flavors are::

    100 baremetal.general  4  8192  100   extra specs resources:CUSTOM_BAREMETAL_GENERAL=1,
                                          resources:VCPU=0, resources:MEMORY_MB=0,
                                          resources:DISK_GB=0 (a whole node, nothing shared)

A flavor shows its ``extra_specs`` from microversion 2.61 (the flavor's document) and
2.47 (a server's embedded flavor), and always at ``/flavors/{id}/os-extra_specs``.

The compute API speaks microversions 2.1 to 2.96: a request names one with
``OpenStack-API-Version: compute 2.x`` or ``X-OpenStack-Nova-API-Version: 2.x``
(``latest`` is 2.96, none is 2.1), and the answer carries the one used.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from crossheat.emulator.core import Emulator, Record, nova_error

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)

FLAVORS: dict[str, tuple[str, int, int, int]] = {
    "1": ("m1.tiny", 1, 512, 1),
    "2": ("m1.small", 1, 2048, 20),
    "3": ("m1.medium", 2, 4096, 40),
    "4": ("m1.large", 4, 8192, 80),
}

#: The bare-metal flavor: offered only by an emulator with bare-metal nodes.
BAREMETAL_FLAVOR = "100"
BAREMETAL_FLAVORS: dict[str, tuple[str, int, int, int]] = {
    BAREMETAL_FLAVOR: ("baremetal.general", 4, 8192, 100),
}
#: The placement resource class a bare-metal flavor asks for (one node of that class).
BAREMETAL_RESOURCE = "resources:CUSTOM_BAREMETAL_GENERAL"
_EXTRA_SPECS: dict[str, dict[str, str]] = {
    BAREMETAL_FLAVOR: {
        BAREMETAL_RESOURCE: "1",
        "resources:VCPU": "0",
        "resources:MEMORY_MB": "0",
        "resources:DISK_GB": "0",
    },
}
_ALL = FLAVORS | BAREMETAL_FLAVORS

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


def offered(emu: Emulator) -> list[str]:
    """The ids of the flavors ``emu`` offers: the bare-metal one only with nodes."""
    return list(FLAVORS) + (list(BAREMETAL_FLAVORS) if emu.config.baremetal > 0 else [])


def find_flavor(emu: Emulator, ref: str) -> str | None:
    """The flavor id named by a ``flavorRef`` (an id or a URL ending in one)."""
    id_ = ref.rstrip("/").rsplit("/", 1)[-1]
    return id_ if id_ in offered(emu) else None


def known(id_: str) -> bool:
    """Whether ``id_`` is a flavor of some emulator (what a server record may hold)."""
    return id_ in _ALL


def is_baremetal(id_: str) -> bool:
    """Whether the flavor asks for a bare-metal node (a custom resource class)."""
    return BAREMETAL_RESOURCE in _EXTRA_SPECS.get(id_, {})


def extra_specs(id_: str) -> dict[str, str]:
    return dict(_EXTRA_SPECS.get(id_, {}))


def flavor_view(
    id_: str, url: str, detail: bool = True, version: tuple[int, int] = MIN_VERSION
) -> Record:
    name, vcpus, ram, disk = _ALL[id_]
    links = [{"rel": "self", "href": f"{url}/flavors/{id_}"}]
    if not detail:
        return {"id": id_, "name": name, "links": links}
    view: Record = {
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
        "links": links,
    }
    if version >= (2, 61):
        view["extra_specs"] = extra_specs(id_)
    return view


def embedded_flavor(id_: str, version: tuple[int, int]) -> Record:
    """A server's ``flavor``: ``{id, links}`` before 2.47, the flavor's contents from 2.47."""
    name, vcpus, ram, disk = _ALL[id_]
    if version < (2, 47):
        return {"id": id_, "links": [{"rel": "bookmark", "href": f"/flavors/{id_}"}]}
    return {
        "original_name": name,
        "vcpus": vcpus,
        "ram": ram,
        "disk": disk,
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": extra_specs(id_),
    }


def resources(id_: str) -> tuple[int, int]:
    """(vCPUs, RAM MB) of a flavor: what it takes from the cores and ram quotas."""
    _, vcpus, ram, _ = _ALL[id_]
    return vcpus, ram
