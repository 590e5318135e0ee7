"""Glance v2 for the emulator: two public images per region, read-only.

::

    GET /{region}/image                  300 version list (v2.16)
    GET /{region}/image/v2/images        ?name=&status=&visibility=&owner=&id=in:A,B, limit/marker
    GET /{region}/image/v2/images/{id}   the image, bare (no wrapper key)
    GET /{region}/image/v2/schemas/image[s]   the JSON schemas (``glance.schemas``)

Errors are Glance's webob pages (``error_shapes.GlanceError``).

Images are seeded (``cirros``, ``ubuntu``) with ids derived from region and
name, so they are the same after a restart and differ between regions.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crossheat.emulator.core import Emulator, Record, match_filters, stable_id
from crossheat.emulator.error_shapes import GlanceError
from crossheat.emulator.glance import schemas as glance_schemas

KIND = "images"

#: name -> (size in bytes, disk format, min_disk GB)
IMAGES: dict[str, tuple[int, str, int]] = {
    "cirros": (21430272, "qcow2", 1),
    "ubuntu": (654311424, "qcow2", 10),
}

_FILTERS = ("name", "status", "visibility", "owner", "id", "disk_format", "container_format")


def image_id(region: str, name: str) -> str:
    return stable_id("image", f"{region}:{name}", dashed=True)


def _image(region: str, name: str, owner: str) -> Record:
    size, disk_format, min_disk = IMAGES[name]
    id_ = image_id(region, name)
    digest = hashlib.md5(id_.encode(), usedforsecurity=False).hexdigest()
    return {
        "id": id_,
        "name": name,
        "status": "active",
        "visibility": "public",
        "protected": False,
        "container_format": "bare",
        "disk_format": disk_format,
        "min_disk": min_disk,
        "min_ram": 0,
        "size": size,
        "virtual_size": None,
        "checksum": digest,
        "os_hash_algo": "sha512",
        "os_hash_value": hashlib.sha512(id_.encode()).hexdigest(),
        "tags": [],
        "owner": owner,
        "os_hidden": False,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "self": f"/v2/images/{id_}",
        "file": f"/v2/images/{id_}/file",
        "schema": "/v2/schemas/image",
    }


def seed(emu: Emulator, admin_project_id: str) -> None:
    """Images ``cirros`` and ``ubuntu`` in every region (idempotent)."""
    for region in emu.regions:
        for name in IMAGES:
            if emu.store.get(region, KIND, image_id(region, name)) is None:
                emu.store.insert(region, KIND, _image(region, name, admin_project_id))


def find_image(emu: Emulator, region: str, ref: str) -> Record | None:
    """An image of ``region`` by id (what Nova's ``imageRef`` names)."""
    return emu.store.get(region, KIND, ref)


def select(images: list[Record], filters: dict[str, str]) -> list[Record]:
    """Glance's filters: exact values, or ``in:a,b`` for any of several (``?id=in:x,y``)."""
    exact = {k: v for k, v in filters.items() if not v.startswith("in:")}
    chosen = match_filters(images, exact)
    for key, value in filters.items():
        if value.startswith("in:"):
            wanted = set(value.removeprefix("in:").split(","))
            chosen = [i for i in chosen if str(i.get(key)) in wanted]
    return chosen


def _not_found(id_: str) -> GlanceError:
    return GlanceError(404, f"No image found with ID {id_}")


def _page(images: list[Record], params: dict[str, str]) -> tuple[list[Record], str | None]:
    """``limit``/``marker`` paging; the marker of the next page when there is one."""
    if "marker" in params:
        ids = [i["id"] for i in images]
        if params["marker"] not in ids:
            raise GlanceError(400, "marker not found")
        images = images[ids.index(params["marker"]) + 1 :]
    text = params.get("limit", "25")
    if not text.isdigit():
        raise GlanceError(400, f"Invalid limit: {text}")
    limit = int(text)
    if len(images) > limit:
        return images[:limit], images[limit - 1]["id"]
    return images, None


def router(emu: Emulator) -> APIRouter:
    """The Glance routes under ``/{region}/image``."""
    api = APIRouter(prefix="/{region}/image")

    @api.get("")
    @api.get("/")
    async def versions(region: str, request: Request) -> JSONResponse:
        base = str(request.base_url).rstrip("/")
        version = {
            "id": "v2.16",
            "status": "CURRENT",
            "links": [{"rel": "self", "href": f"{base}/{region}/image/v2/"}],
        }
        return JSONResponse({"versions": [version]}, status_code=300)

    @api.get("/v2/schemas/image")
    async def image_schema(region: str, request: Request) -> JSONResponse:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        return JSONResponse(glance_schemas.image_schema())

    @api.get("/v2/schemas/images")
    async def images_schema(region: str, request: Request) -> JSONResponse:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        return JSONResponse(glance_schemas.images_schema())

    @api.get("/v2/images")
    async def list_images(region: str, request: Request) -> JSONResponse:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        params = dict(request.query_params)
        filters = {k: v for k, v in params.items() if k in _FILTERS}
        images = sorted(select(emu.store.records(region, KIND), filters), key=_sort_key)
        page, marker = _page(images, params)
        body: dict[str, Any] = {"images": page, "schema": "/v2/schemas/images"}
        body["first"] = "/v2/images"
        if marker:
            body["next"] = f"/v2/images?marker={marker}&limit={params.get('limit', 25)}"
        return JSONResponse(body)

    @api.get("/v2/images/{image_id}")
    async def show_image(region: str, image_id: str, request: Request) -> JSONResponse:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        image = find_image(emu, region, image_id)
        if image is None:
            raise _not_found(image_id)
        return JSONResponse(image)

    return api


def _sort_key(image: Record) -> tuple[str, str, str]:
    return (image["created_at"], image["name"], image["id"])
