"""Keystone v3 for the emulator: discovery, password tokens, validation, the catalog.

Two users, each in its own project of domain ``Default``::

    admin / admin   project admin   (is_admin)
    demo  / demo    project demo

Ids are derived from the names, so they are stable across restarts and a
state file keeps its owners. Tokens are records of kind ``tokens`` in region
``"*"`` (see ``Emulator.authenticate``)::

    POST   /identity/v3/auth/tokens   password (or token) method, project scope -> 201
    GET    /identity/v3/auth/tokens   X-Auth-Token + X-Subject-Token -> 200 (validation)
    HEAD   /identity/v3/auth/tokens   same, without a body
    DELETE /identity/v3/auth/tokens   revoke X-Subject-Token -> 204
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import ApiError, Emulator, Record, iso_now, stable_id

DOMAIN = {"id": "default", "name": "Default"}


@dataclass(frozen=True)
class User:
    name: str
    password: str
    project: str
    is_admin: bool

    @property
    def id(self) -> str:
        return stable_id("user", self.name)

    @property
    def project_id(self) -> str:
        return stable_id("project", self.project)


USERS = {
    "admin": User("admin", "admin", "admin", is_admin=True),
    "demo": User("demo", "demo", "demo", is_admin=False),
}


def project_id(name: str) -> str:
    """The id of project ``admin`` or ``demo``."""
    return stable_id("project", name)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, {"error": {"code": 401, "title": "Unauthorized", "message": message}})


def _bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": {"code": 400, "title": "Bad Request", "message": message}})


def _version_doc(base: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/identity/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


def _find_user(identity: dict[str, Any]) -> User:
    """The user named by the ``password`` method, if its password matches."""
    spec = identity.get("password", {}).get("user", {})
    by_name = USERS.get(spec.get("name", ""))
    by_id = next((u for u in USERS.values() if u.id == spec.get("id")), None)
    user = by_name or by_id
    if user is None or spec.get("password") != user.password:
        raise _unauthorized("The request you have made requires authentication.")
    return user


def _user_from_token(emu: Emulator, identity: dict[str, Any]) -> User:
    token = identity.get("token", {}).get("id")
    auth = emu.authenticate(token)
    return USERS[auth.user_name]


def _check_scope(user: User, scope: dict[str, Any] | None) -> None:
    """Only project scope on the user's own project is accepted."""
    project = (scope or {}).get("project")
    if project is None:
        return
    if (
        project.get("name", user.project) != user.project
        or project.get("id", user.project_id) != user.project_id
    ):
        raise _unauthorized(f"User {user.id} has no access to project {project}")


def issue_token(emu: Emulator, user: User) -> Record:
    """Store a new token for ``user`` and return its record; expired tokens are dropped."""
    now = time.time()
    for old in emu.store.records("*", "tokens"):
        if old["expires"] <= now:
            emu.store.delete("*", "tokens", old["id"])
    record: Record = {
        "id": uuid.uuid4().hex,
        "user_id": user.id,
        "user_name": user.name,
        "project_id": user.project_id,
        "project_name": user.project,
        "is_admin": user.is_admin,
        "issued": time.time(),
        "expires": time.time() + emu.config.token_ttl,
    }
    return emu.store.insert("*", "tokens", record)


def _expand(url: str, project_id: str) -> str:
    """Keystone's catalog substitution: ``%(tenant_id)s``/``$(project_id)s`` -> the project id."""
    for name in ("tenant_id", "project_id"):
        url = url.replace(f"%({name})s", project_id).replace(f"$({name})s", project_id)
    return url


def _catalog(emu: Emulator, base: str, project_id: str) -> list[dict[str, Any]]:
    """Every service's public endpoint in every region; the orchestration URL expanded."""
    services: dict[str, tuple[str, str]] = {
        "identity": ("keystone", f"{base}/identity"),
        "network": ("neutron", f"{base}/{{region}}/network"),
        "compute": ("nova", f"{base}/{{region}}/compute/v2.1"),
        "image": ("glance", f"{base}/{{region}}/image"),
    }
    if emu.config.orchestration_url:
        services["orchestration"] = ("heat", _expand(emu.config.orchestration_url, project_id))
    catalog = []
    for type_, (name, template) in services.items():
        endpoints = [
            {
                "id": stable_id("endpoint", f"{type_}:{region}"),
                "interface": "public",
                "region_id": region,
                "region": region,
                "url": template.replace("{region}", region),
            }
            for region in emu.regions
        ]
        catalog.append(
            {"type": type_, "name": name, "id": stable_id("service", type_), "endpoints": endpoints}
        )
    return catalog


def token_body(emu: Emulator, record: Record, base: str) -> dict[str, Any]:
    """The ``{"token": {...}}`` document keystoneauth needs."""
    role = "admin" if record["is_admin"] else "member"
    return {
        "token": {
            "methods": ["password"],
            "user": {"id": record["user_id"], "name": record["user_name"], "domain": DOMAIN},
            "project": {
                "id": record["project_id"],
                "name": record["project_name"],
                "domain": DOMAIN,
            },
            "roles": [{"id": stable_id("role", role), "name": role}],
            "issued_at": iso_now(record["issued"] - time.time()),
            "expires_at": iso_now(record["expires"] - time.time()),
            "audit_ids": [record["id"][:22]],
            "is_domain": False,
            "catalog": _catalog(emu, base, record["project_id"]),
        }
    }


def base_url(request: Request) -> str:
    """``http://host:port`` as the client reached us."""
    return str(request.base_url).rstrip("/")


def router(emu: Emulator) -> APIRouter:
    """The Keystone routes under ``/identity``."""
    api = APIRouter(prefix="/identity")

    @api.get("")
    @api.get("/")
    async def versions(request: Request) -> JSONResponse:
        doc = {"versions": {"values": [_version_doc(base_url(request))]}}
        return JSONResponse(doc, status_code=300)

    @api.get("/v3")
    @api.get("/v3/")
    async def version(request: Request) -> JSONResponse:
        return JSONResponse({"version": _version_doc(base_url(request))})

    _token_routes(api, emu)
    return api


def _token_routes(api: APIRouter, emu: Emulator) -> None:
    @api.post("/v3/auth/tokens")
    async def create_token(request: Request) -> JSONResponse:
        try:
            auth = (await request.json())["auth"]
            identity = auth["identity"]
        except (ValueError, KeyError, TypeError) as exc:
            raise _bad_request("Expecting to find auth in request body.") from exc
        methods = identity.get("methods", [])
        if "password" in methods:
            user = _find_user(identity)
        elif "token" in methods:
            user = _user_from_token(emu, identity)
        else:
            raise _unauthorized("Unsupported authentication method.")
        _check_scope(user, auth.get("scope"))
        record = issue_token(emu, user)
        body = token_body(emu, record, base_url(request))
        return JSONResponse(body, status_code=201, headers={"X-Subject-Token": record["id"]})

    @api.get("/v3/auth/tokens")
    async def validate_token(request: Request) -> JSONResponse:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        subject = _subject(emu, request)
        body = token_body(emu, subject, base_url(request))
        return JSONResponse(body, headers={"X-Subject-Token": subject["id"]})

    @api.head("/v3/auth/tokens")
    async def check_token(request: Request) -> Response:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        _subject(emu, request)
        return Response(status_code=200)

    @api.delete("/v3/auth/tokens")
    async def revoke_token(request: Request) -> Response:
        emu.authenticate(request.headers.get("X-Auth-Token"))
        emu.store.delete("*", "tokens", _subject(emu, request)["id"])
        return Response(status_code=204)


def _subject(emu: Emulator, request: Request) -> Record:
    """The token named by ``X-Subject-Token``; 404 when unknown or expired."""
    token = request.headers.get("X-Subject-Token")
    record = emu.store.get("*", "tokens", token) if token else None
    if record is None or record["expires"] <= time.time():
        raise ApiError(
            404,
            {"error": {"code": 404, "title": "Not Found", "message": "Could not find token."}},
        )
    return record
