"""Keystone v3 for the emulator: discovery, tokens, validation, the catalog.

Users, projects and roles are ``keystone.identity``'s (``admin``/``admin`` with role
``admin`` on project ``admin``, ``demo``/``demo`` a ``member`` of ``demo``, and those
seeded with ``--project``); ``keystone.crud`` serves them. Tokens are records of kind
``tokens`` in region ``"*"`` (see ``Emulator.authenticate``)::

    POST   /identity/v3/auth/tokens   password or token method; a project scope by id or
                                      name (else the user's default project, else
                                      unscoped) -> 201, X-Subject-Token
    GET    /identity/v3/auth/tokens   X-Auth-Token + X-Subject-Token -> 200 {"token": {user,
                                      project, roles, expires_at, catalog}} (?nocatalog);
                                      404 for an unknown or expired subject token
    HEAD   /identity/v3/auth/tokens   same, without a body
    DELETE /identity/v3/auth/tokens   revoke X-Subject-Token -> 204
    GET    /identity/v3/auth/projects the projects the caller's user has a role on
    GET    /identity/v3/auth/catalog  the catalog of the caller's (scoped) token

A token is admin (``Auth.is_admin``: every project's resources in admin listings) when
it carries the role ``admin``. Only the caller's own token, or an admin, may validate a
token (403 otherwise).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import ApiError, Emulator, Record, stable_id
from crossheat.emulator.keystone import crud as keystone_crud
from crossheat.emulator.keystone import identity

DOMAIN = identity.DOMAIN


def project_id(name: str) -> str:
    """The id of project ``admin`` or ``demo`` (or one seeded with ``--project``)."""
    return identity.project_id(name)


def _unauthorized(message: str) -> ApiError:
    return identity.error(401, "Unauthorized", message)


def _bad_request(message: str) -> ApiError:
    return identity.error(400, "Bad Request", message)


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


def _find_user(emu: Emulator, identity_: dict[str, Any]) -> Record:
    """The enabled user named (or given by id) in the ``password`` method, if its password
    matches."""
    spec = identity_.get("password", {}).get("user", {})
    user = None
    if spec.get("id"):
        user = identity.get(emu, identity.USERS, str(spec["id"]))
    elif spec.get("name"):
        user = identity.by_name(emu, identity.USERS, str(spec["name"]))
    if (
        user is None
        or not user["enabled"]
        or not identity.check_password(user, spec.get("password"))
    ):
        raise _unauthorized("The request you have made requires authentication.")
    return user


def _user_from_token(emu: Emulator, identity_: dict[str, Any]) -> Record:
    record = identity.caller(emu, identity_.get("token", {}).get("id"))
    user = identity.get(emu, identity.USERS, record["user_id"])
    if user is None or not user["enabled"]:
        raise _unauthorized("The request you have made requires authentication.")
    return user


def _scope(emu: Emulator, user: Record, scope: Any) -> tuple[Record | None, list[Record]]:
    """The project a token is scoped to (``None``: unscoped) and the user's roles on it.

    A project named by id, or by name (in domain ``Default``); without a scope, the user's
    default project if it has a role there. 401 for a project it has no role on.
    """
    if scope is not None and not isinstance(scope, dict):
        raise _bad_request("scope must be an object")
    spec = (scope or {}).get("project")
    if scope and spec is None:
        raise _unauthorized("Only project scope is supported by this emulator.")
    if spec is None:
        default = user.get("default_project_id")
        project = identity.get(emu, identity.PROJECTS, default) if default else None
        roles = identity.roles_on(emu, user["id"], project["id"]) if project else []
        return (project, roles) if roles else (None, [])
    if spec.get("id"):
        project = identity.get(emu, identity.PROJECTS, str(spec["id"]))
    else:
        project = identity.by_name(emu, identity.PROJECTS, str(spec.get("name", "")))
    roles = identity.roles_on(emu, user["id"], project["id"]) if project else []
    if project is None or not project["enabled"] or not roles:
        raise _unauthorized(f"User {user['id']} has no access to project {spec}")
    return project, roles


def issue_token(
    emu: Emulator,
    user: Record,
    project: Record | None,
    roles: list[Record],
    methods: list[str],
    expires: float | None = None,
) -> Record:
    """Store a new token and return its record; expired tokens are dropped. ``expires``:
    no later than this (a token made from a token lives no longer than it, as in
    Keystone)."""
    now = time.time()
    for old in emu.store.records("*", "tokens"):
        if old["expires"] <= now:
            emu.store.delete("*", "tokens", old["id"])
    names = [r["name"] for r in roles]
    record: Record = {
        "id": uuid.uuid4().hex,
        "user_id": user["id"],
        "user_name": user["name"],
        "project_id": project["id"] if project else None,
        "project_name": project["name"] if project else None,
        "roles": [{"id": r["id"], "name": r["name"]} for r in roles],
        "is_admin": "admin" in names,
        "methods": methods,
        "issued": now,
        "expires": min(now + emu.config.token_ttl, expires or float("inf")),
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


def _token_time(at: float) -> str:
    """``2026-12-07T17:41:20.123456Z``: Keystone's token times, to the microsecond (a
    token's life is not rounded down to its second, as ``iso_now`` would)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_body(emu: Emulator, record: Record, base: str, catalog: bool = True) -> dict[str, Any]:
    """The ``{"token": {...}}`` document keystoneauth needs; an unscoped token has no
    project, roles or catalog."""
    token: dict[str, Any] = {
        "methods": record.get("methods", ["password"]),
        "user": {"id": record["user_id"], "name": record["user_name"], "domain": DOMAIN},
        "issued_at": _token_time(record["issued"]),
        "expires_at": _token_time(record["expires"]),
        "audit_ids": [record["id"][:22]],
    }
    if record.get("project_id"):
        token["project"] = {
            "id": record["project_id"],
            "name": record["project_name"],
            "domain": DOMAIN,
        }
        token["roles"] = record.get("roles", [])
        token["is_domain"] = False
        if catalog:
            token["catalog"] = _catalog(emu, base, record["project_id"])
    return {"token": token}


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
    _auth_routes(api, emu)
    keystone_crud.add_routes(api, emu)
    return api


def _token_routes(api: APIRouter, emu: Emulator) -> None:
    @api.post("/v3/auth/tokens")
    async def create_token(request: Request) -> JSONResponse:
        try:
            auth = (await request.json())["auth"]
            identity_ = auth["identity"]
            methods = list(identity_.get("methods", []))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _bad_request("Expecting to find auth in request body.") from exc
        expires = None
        if "password" in methods:
            user = _find_user(emu, identity_)
        elif "token" in methods:
            user = _user_from_token(emu, identity_)
            expires = identity.caller(emu, identity_.get("token", {}).get("id"))["expires"]
        else:
            raise _unauthorized("Unsupported authentication method.")
        project, roles = _scope(emu, user, auth.get("scope"))
        record = issue_token(emu, user, project, roles, methods, expires)
        body = token_body(emu, record, base_url(request))
        return JSONResponse(body, status_code=201, headers={"X-Subject-Token": record["id"]})

    @api.get("/v3/auth/tokens")
    async def validate_token(request: Request) -> JSONResponse:
        subject = _subject(emu, request)
        nocatalog = "nocatalog" in request.query_params
        body = token_body(emu, subject, base_url(request), catalog=not nocatalog)
        return JSONResponse(body, headers={"X-Subject-Token": subject["id"]})

    @api.head("/v3/auth/tokens")
    async def check_token(request: Request) -> Response:
        _subject(emu, request)
        return Response(status_code=200)

    @api.delete("/v3/auth/tokens")
    async def revoke_token(request: Request) -> Response:
        emu.store.delete("*", "tokens", _subject(emu, request)["id"])
        return Response(status_code=204)


def _auth_routes(api: APIRouter, emu: Emulator) -> None:
    @api.get("/v3/auth/projects")
    async def auth_projects(request: Request) -> JSONResponse:
        record = identity.caller(emu, request.headers.get("X-Auth-Token"))
        base = base_url(request)
        projects = identity.projects_of(emu, record["user_id"])
        return JSONResponse(
            {
                "projects": [identity.project_view(p, base) for p in projects],
                "links": {"self": f"{base}/identity/v3/auth/projects", "previous": None,
                          "next": None},
            }
        )  # fmt: skip

    @api.get("/v3/auth/catalog")
    async def auth_catalog(request: Request) -> JSONResponse:
        record = identity.caller(emu, request.headers.get("X-Auth-Token"))
        if not record.get("project_id"):
            raise identity.forbidden("get_auth_catalog")
        return JSONResponse({"catalog": _catalog(emu, base_url(request), record["project_id"])})


def _subject(emu: Emulator, request: Request) -> Record:
    """The token named by ``X-Subject-Token``, for a caller that may see it (its own token,
    or an admin: 403 otherwise); 404 when unknown or expired."""
    me = identity.caller(emu, request.headers.get("X-Auth-Token"))
    token = request.headers.get("X-Subject-Token")
    record = emu.store.get("*", "tokens", token) if token else None
    if record is None or record["expires"] <= time.time():
        raise identity.error(404, "Not Found", "Could not find token.")
    if not me["is_admin"] and me["user_id"] != record["user_id"]:
        raise identity.forbidden("validate_token")
    return record
