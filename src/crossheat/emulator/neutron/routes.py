"""HTTP routes for a Neutron ``Collection``: CRUD, filters, ``fields=``, tags.

For a collection at ``networks``::

    POST   /{region}/network/v2.0/networks            {"network": {...}} -> 201
    GET    /{region}/network/v2.0/networks?name=x&tags=a,b&fields=id
                                    (also limit, marker -> networks_links; sort_key, sort_dir;
                                    all_projects=true or project_id=: every project's,
                                    for an admin)
    GET    /{region}/network/v2.0/networks/{id}
    PUT    /{region}/network/v2.0/networks/{id}       {"network": {...}} -> 200
    DELETE /{region}/network/v2.0/networks/{id}       -> 204 after the kind's latency
    GET|PUT|DELETE .../networks/{id}/tags             {"tags": [...]}
    GET|PUT|DELETE .../networks/{id}/tags/{tag}
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import ApiError, Emulator, Record, neutron_error
from crossheat.emulator.neutron.base import (
    LOCK,
    NON_FILTERS,
    Collection,
    Ctx,
    bad_request,
    touch,
)

PREFIX = "/{region}/network/v2.0"


def context(emu: Emulator, request: Request) -> Ctx:
    """The call's context; 404 for a region this emulator does not serve, 401 without a token."""
    region = request.path_params["region"]
    if region not in emu.regions:
        raise neutron_error(404, "HTTPNotFound", "The resource could not be found.")
    return Ctx(emu, region, emu.authenticate(request.headers.get("X-Auth-Token")))


async def read_body(request: Request, key: str | None) -> Record:
    """The JSON body, unwrapped from ``key`` when given; 400 when malformed."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise neutron_error(400, "MalformedRequestBody", "Malformed request body") from exc
    if key is not None:
        data = data.get(key) if isinstance(data, dict) else None
        if not isinstance(data, dict):
            raise bad_request(f"Resource body required: '{key}' not found in request body")
    if not isinstance(data, dict):
        raise bad_request("Request body must be a JSON object")
    return data


def _split(values: list[str]) -> set[str]:
    return {part for value in values for part in value.split(",") if part}


def _tags_match(record: Record, query: dict[str, list[str]]) -> bool:
    tags = set(record.get("tags", []))
    if "tags" in query and not _split(query["tags"]) <= tags:
        return False
    if "tags-any" in query and not _split(query["tags-any"]) & tags:
        return False
    if "not-tags" in query and _split(query["not-tags"]) <= tags:
        return False
    return not ("not-tags-any" in query and _split(query["not-tags-any"]) & tags)


def _value_matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    if isinstance(value, bool):
        return str(value).lower() in [w.lower() for w in wanted]
    if value is None:
        return any(w in ("", "None", "null") for w in wanted)
    return str(value) in wanted


def filter_records(records: list[Record], query: dict[str, list[str]]) -> list[Record]:
    """Neutron's filters: exact match (several values: any), tag filters; unknown keys ignored."""
    out = []
    for record in records:
        if not _tags_match(record, query):
            continue
        if all(
            key in NON_FILTERS or key not in record or _value_matches(record[key], wanted)
            for key, wanted in query.items()
        ):
            out.append(record)
    return out


def _sorted(records: list[Record], query: dict[str, list[str]]) -> list[Record]:
    """``sort_key=name&sort_dir=desc`` (several pairs: first key first); else creation order."""
    keys, dirs = query.get("sort_key", []), query.get("sort_dir", [])
    for index in reversed(range(len(keys))):
        descending = index < len(dirs) and dirs[index] == "desc"
        key = keys[index]
        records = sorted(records, key=lambda r: str(r.get(key, "")), reverse=descending)
    return records


def paginate(
    records: list[Record], query: dict[str, list[str]], request: Request
) -> tuple[list[Record], list[Record]]:
    """``limit`` and ``marker`` (the last id seen): the page and its ``next`` link, if any."""
    marker = (query.get("marker") or [""])[0]
    if marker:
        ids = [r["id"] for r in records]
        records = records[ids.index(marker) + 1 :] if marker in ids else []
    limit = (query.get("limit") or [""])[0]
    if not limit.isdigit() or int(limit) <= 0 or len(records) <= int(limit):
        return records, []
    page = records[: int(limit)]
    href = str(request.url.include_query_params(marker=page[-1]["id"]))
    return page, [{"rel": "next", "href": href}]


def _all_projects(query: dict[str, list[str]]) -> bool:
    """Whether an admin's listing takes in every project: with ``?all_projects=true`` (or
    ``all_tenants``), or a ``project_id``/``tenant_id`` filter (which then narrows it).
    Real Neutron shows an admin everything without asking; the emulator keeps an admin's
    plain listing to its own project, so that names such as ``default`` stay unambiguous
    for the admin clients that tests and crossheat use."""
    if "project_id" in query or "tenant_id" in query:
        return True
    values = query.get("all_projects", []) + query.get("all_tenants", [])
    return any(v.lower() in ("1", "true", "yes") for v in values)


def _fields(record: Record, fields: list[str]) -> Record:
    wanted = _split(fields)
    return {k: v for k, v in record.items() if k in wanted} if wanted else record


def _query(request: Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    return query


class _Routes:
    """The HTTP handlers of one collection (bound methods, registered by ``add_collection``).

    Each takes only the ``request`` (path parameters from ``request.path_params``), so
    FastAPI has no parameters to validate on the hot paths the benchmark measures.
    """

    def __init__(self, emu: Emulator, coll: Collection) -> None:
        self.emu = emu
        self.coll = coll

    async def create(self, request: Request) -> Response:
        coll, ctx = self.coll, context(self.emu, request)
        body = await read_body(request, coll.key)
        if coll.latency is not None:
            await asyncio.sleep(self.emu.config.latency.sample(coll.latency))
        with LOCK:
            record = coll.create(ctx, body)
        return JSONResponse({coll.key: coll.view(ctx, record)}, status_code=201)

    async def list_(self, request: Request) -> Response:
        coll, ctx = self.coll, context(self.emu, request)
        await coll.prepare(ctx)
        query = _query(request)
        everyone = ctx.auth.is_admin and _all_projects(query)
        views = [
            coll.view(ctx, r) for r in ctx.records(coll.kind) if everyone or coll.visible(ctx, r)
        ]
        page, links = paginate(_sorted(filter_records(views, query), query), query, request)
        items = [_fields(v, query.get("fields", [])) for v in page]
        return JSONResponse(
            {coll.kind: items, f"{coll.kind}_links": links} if links else {coll.kind: items}
        )

    async def show(self, request: Request) -> Response:
        coll, ctx = self.coll, context(self.emu, request)
        record = coll.find(ctx, request.path_params["id"])
        await coll.prepare(ctx)
        view = _fields(coll.view(ctx, record), _query(request).get("fields", []))
        return JSONResponse({coll.key: view})

    async def update(self, request: Request) -> Response:
        coll, ctx = self.coll, context(self.emu, request)
        body = await read_body(request, coll.key)
        with LOCK:
            record = coll.update(ctx, coll.find(ctx, request.path_params["id"]), body)
        await coll.prepare(ctx)
        return JSONResponse({coll.key: coll.view(ctx, record)})

    async def delete(self, request: Request) -> Response:
        """Synchronous, as in Neutron: the answer comes once the kind's latency has passed
        (an unknown id is answered 404 at once)."""
        coll, ctx = self.coll, context(self.emu, request)
        coll.find(ctx, request.path_params["id"])
        await asyncio.sleep(self.emu.config.latency.sample(coll.delete_latency))
        with LOCK:
            coll.delete(ctx, coll.find(ctx, request.path_params["id"]))
        return Response(status_code=204)

    async def get_tags(self, request: Request) -> Response:
        record = self.coll.find(context(self.emu, request), request.path_params["id"])
        return JSONResponse({"tags": record.get("tags", [])})

    async def put_tags(self, request: Request) -> Response:
        tags = (await read_body(request, None)).get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise bad_request("Invalid tags body: expected {'tags': [strings]}")
        return JSONResponse({"tags": self._retag(request, lambda _: tags)})

    async def delete_tags(self, request: Request) -> Response:
        self._retag(request, lambda _: [])
        return Response(status_code=204)

    async def get_tag(self, request: Request) -> Response:
        record = self.coll.find(context(self.emu, request), request.path_params["id"])
        tag = request.path_params["tag"]
        if tag not in record.get("tags", []):
            raise _tag_not_found(tag)
        return Response(status_code=204)

    async def put_tag(self, request: Request) -> Response:
        tag = request.path_params["tag"]
        self._retag(request, lambda old: [*old, tag])
        return Response(status_code=201)

    async def delete_tag(self, request: Request) -> Response:
        tag = request.path_params["tag"]

        def without(old: list[str]) -> list[str]:
            if tag not in old:
                raise _tag_not_found(tag)
            return [t for t in old if t != tag]

        self._retag(request, without)
        return Response(status_code=204)

    def _retag(self, request: Request, change: Callable[[list[str]], list[str]]) -> list[str]:
        ctx = context(self.emu, request)
        with LOCK:
            record = self.coll.find(ctx, request.path_params["id"])
            record["tags"] = sorted(set(change(list(record.get("tags", [])))))
            touch(record)
            ctx.save(self.coll.kind, record)
            return list(record["tags"])


def _tag_not_found(tag: str) -> ApiError:
    return neutron_error(404, "TagNotFound", f"Tag {tag} could not be found.")


def add_collection(api: APIRouter, emu: Emulator, coll: Collection) -> None:
    """Register the CRUD routes (and tag routes when ``coll.tagged``) of ``coll`` on ``api``."""
    routes = _Routes(emu, coll)
    base = f"{PREFIX}/{coll.path}"
    table: list[tuple[str, str, Callable[..., Any]]] = [
        ("POST", base, routes.create),
        ("GET", base, routes.list_),
        ("GET", base + "/{id}", routes.show),
        ("PUT", base + "/{id}", routes.update),
        ("DELETE", base + "/{id}", routes.delete),
    ]
    if coll.tagged:
        table += [
            ("GET", base + "/{id}/tags", routes.get_tags),
            ("PUT", base + "/{id}/tags", routes.put_tags),
            ("DELETE", base + "/{id}/tags", routes.delete_tags),
            ("GET", base + "/{id}/tags/{tag}", routes.get_tag),
            ("PUT", base + "/{id}/tags/{tag}", routes.put_tag),
            ("DELETE", base + "/{id}/tags/{tag}", routes.delete_tag),
        ]
    for method, path, handler in table:
        api.add_api_route(path, handler, methods=[method])
