"""Keystone's projects, users, roles and role assignments over HTTP (under ``/identity``).

::

    GET|POST         /v3/projects              ?name=&enabled=      admin (403 otherwise)
    GET|PATCH|DELETE /v3/projects/{id}         GET: admin, or a member of the project
    GET|POST         /v3/users                 ?name=&enabled=      admin
    GET|PATCH|DELETE /v3/users/{id}            GET: admin, or the user itself
    GET              /v3/users/{id}/projects   admin, or the user itself
    GET|POST         /v3/roles   GET|DELETE /v3/roles/{id}          admin
    GET              /v3/role_assignments      ?user.id=&scope.project.id=&role.id=
                                               &include_names=      admin
    GET              /v3/projects/{p}/users/{u}/roles               admin
    PUT|HEAD|GET|DELETE /v3/projects/{p}/users/{u}/roles/{r}        admin (grant: 204)

Bodies and errors as Keystone's (``{"project": {...}}``, ``{"error": {"code", "title",
"message"}}``); a collection comes with ``links``. An admin is a token with the role
``admin`` (``keystone.identity``'s ``admin`` user).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from crossheat.emulator.core import Emulator, Record
from crossheat.emulator.keystone import identity

_P, _U, _R = identity.PROJECTS, identity.USERS, identity.ROLES


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _me(emu: Emulator, request: Request) -> Record:
    return identity.caller(emu, request.headers.get("X-Auth-Token"))


def _admin(emu: Emulator, request: Request, action: str) -> Record:
    """The caller's token, which must be an admin's (403 otherwise)."""
    me = _me(emu, request)
    if not me["is_admin"]:
        raise identity.forbidden(action)
    return me


def _one(emu: Emulator, kind: str, id_: str) -> Record:
    record = identity.get(emu, kind, id_)
    if record is None:
        raise identity.not_found(kind.rstrip("s"), id_)
    return record


async def _body(request: Request, key: str) -> Record:
    try:
        body = await request.json()
    except ValueError as exc:
        raise identity.error(400, "Bad Request", "Malformed request body") from exc
    inner = body.get(key) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise identity.error(400, "Bad Request", f"Expecting to find {key} in request body.")
    return inner


def _listing(request: Request, key: str, items: list[Record]) -> JSONResponse:
    """``{key: items, "links": {...}}`` filtered by ``?name=`` and ``?enabled=``."""
    query = request.query_params
    if "name" in query:
        items = [i for i in items if i.get("name") == query["name"]]
    if "enabled" in query:
        wanted = query["enabled"].lower() not in ("0", "false", "no")
        items = [i for i in items if i.get("enabled", True) == wanted]
    links = {"self": str(request.url), "previous": None, "next": None}
    return JSONResponse({key: items, "links": links})


def _changes(body: Record, allowed: tuple[str, ...]) -> Record:
    unknown = set(body) - set(allowed)
    if unknown:
        raise identity.error(400, "Bad Request", f"Invalid attribute(s): {sorted(unknown)}")
    return body


def add_routes(api: APIRouter, emu: Emulator) -> None:
    """Every route of the module doc, on ``api`` (prefix ``/identity``)."""
    _project_routes(api, emu)
    _user_routes(api, emu)
    _role_routes(api, emu)
    _grant_routes(api, emu)


def _project_routes(api: APIRouter, emu: Emulator) -> None:
    def view(request: Request) -> Callable[[Record], Record]:
        base = _base(request)
        return lambda project: identity.project_view(project, base)

    @api.get("/v3/projects")
    async def list_projects(request: Request) -> JSONResponse:
        _admin(emu, request, "list_projects")
        items = [view(request)(p) for p in identity.records(emu, _P)]
        return _listing(request, "projects", items)

    @api.post("/v3/projects")
    async def create_project(request: Request) -> JSONResponse:
        _admin(emu, request, "create_project")
        body = await _body(request, "project")
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise identity.error(400, "Bad Request", "'name' is a required property")
        project = identity.new_project(emu, body["name"], str(body.get("description") or ""))
        if body.get("enabled") is False:
            emu.store.update(identity.GLOBAL, _P, project["id"], {"enabled": False})
        return JSONResponse({"project": view(request)(project)}, status_code=201)

    @api.get("/v3/projects/{project_id}")
    async def show_project(project_id: str, request: Request) -> JSONResponse:
        me = _me(emu, request)
        project = _one(emu, _P, project_id)
        if not me["is_admin"] and not identity.roles_on(emu, me["user_id"], project_id):
            raise identity.forbidden("get_project")
        return JSONResponse({"project": view(request)(project)})

    @api.patch("/v3/projects/{project_id}")
    async def update_project(project_id: str, request: Request) -> JSONResponse:
        _admin(emu, request, "update_project")
        _one(emu, _P, project_id)
        changes = _changes(await _body(request, "project"), ("name", "description", "enabled"))
        project = emu.store.update(identity.GLOBAL, _P, project_id, changes)
        return JSONResponse({"project": view(request)(project)})

    @api.delete("/v3/projects/{project_id}")
    async def delete_project(project_id: str, request: Request) -> Response:
        _admin(emu, request, "delete_project")
        _one(emu, _P, project_id)
        identity.forget_project(emu, project_id)
        return Response(status_code=204)


def _user_routes(api: APIRouter, emu: Emulator) -> None:
    def may_see(me: Record, user_id: str, action: str) -> None:
        if not me["is_admin"] and me["user_id"] != user_id:
            raise identity.forbidden(action)

    @api.get("/v3/users")
    async def list_users(request: Request) -> JSONResponse:
        _admin(emu, request, "list_users")
        base = _base(request)
        items = [identity.user_view(u, base) for u in identity.records(emu, _U)]
        return _listing(request, "users", items)

    @api.post("/v3/users")
    async def create_user(request: Request) -> JSONResponse:
        _admin(emu, request, "create_user")
        body = await _body(request, "user")
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise identity.error(400, "Bad Request", "'name' is a required property")
        default = body.get("default_project_id")
        if default is not None:
            _one(emu, _P, str(default))
        password = body.get("password")
        user = identity.new_user(emu, body["name"], password and str(password), default)
        return JSONResponse({"user": identity.user_view(user, _base(request))}, status_code=201)

    @api.get("/v3/users/{user_id}")
    async def show_user(user_id: str, request: Request) -> JSONResponse:
        may_see(_me(emu, request), user_id, "get_user")
        return JSONResponse({"user": identity.user_view(_one(emu, _U, user_id), _base(request))})

    @api.patch("/v3/users/{user_id}")
    async def update_user(user_id: str, request: Request) -> JSONResponse:
        _admin(emu, request, "update_user")
        user = _one(emu, _U, user_id)
        allowed = ("name", "enabled", "default_project_id", "password", "description")
        changes = _changes(await _body(request, "user"), allowed)
        if "password" in changes:
            identity.set_password(user, str(changes.pop("password")))
        user = emu.store.update(identity.GLOBAL, _U, user_id, changes)
        return JSONResponse({"user": identity.user_view(user, _base(request))})

    @api.delete("/v3/users/{user_id}")
    async def delete_user(user_id: str, request: Request) -> Response:
        _admin(emu, request, "delete_user")
        _one(emu, _U, user_id)
        identity.forget_user(emu, user_id)
        return Response(status_code=204)

    @api.get("/v3/users/{user_id}/projects")
    async def user_projects(user_id: str, request: Request) -> JSONResponse:
        may_see(_me(emu, request), user_id, "list_user_projects")
        _one(emu, _U, user_id)
        base = _base(request)
        items = [identity.project_view(p, base) for p in identity.projects_of(emu, user_id)]
        return _listing(request, "projects", items)


def _role_routes(api: APIRouter, emu: Emulator) -> None:
    @api.get("/v3/roles")
    async def list_roles(request: Request) -> JSONResponse:
        _admin(emu, request, "list_roles")
        base = _base(request)
        return _listing(
            request, "roles", [identity.role_view(r, base) for r in identity.records(emu, _R)]
        )

    @api.post("/v3/roles")
    async def create_role(request: Request) -> JSONResponse:
        _admin(emu, request, "create_role")
        body = await _body(request, "role")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise identity.error(400, "Bad Request", "'name' is a required property")
        if identity.by_name(emu, _R, name) is not None:
            raise identity.error(409, "Conflict", f"Duplicate entry found with name {name}.")
        role = {"id": identity.role_id(name), "name": name,
                "description": str(body.get("description") or "")}  # fmt: skip
        emu.store.insert(identity.GLOBAL, _R, role)
        return JSONResponse({"role": identity.role_view(role, _base(request))}, status_code=201)

    @api.get("/v3/roles/{role_id}")
    async def show_role(role_id: str, request: Request) -> JSONResponse:
        _admin(emu, request, "get_role")
        return JSONResponse({"role": identity.role_view(_one(emu, _R, role_id), _base(request))})

    @api.delete("/v3/roles/{role_id}")
    async def delete_role(role_id: str, request: Request) -> Response:
        _admin(emu, request, "delete_role")
        _one(emu, _R, role_id)
        for item in identity.records(emu, identity.ASSIGNMENTS):
            if item["role_id"] == role_id:
                emu.store.delete(identity.GLOBAL, identity.ASSIGNMENTS, item["id"])
        emu.store.delete(identity.GLOBAL, _R, role_id)
        return Response(status_code=204)

    @api.get("/v3/role_assignments")
    async def role_assignments(request: Request) -> JSONResponse:
        _admin(emu, request, "list_role_assignments")
        query = request.query_params
        names = query.get("include_names", "0").lower() not in ("0", "false")
        wanted = {"user_id": query.get("user.id"), "project_id": query.get("scope.project.id"),
                  "role_id": query.get("role.id")}  # fmt: skip
        items = [
            identity.assignment_view(emu, item, _base(request), names)
            for item in identity.records(emu, identity.ASSIGNMENTS)
            if all(value is None or item[key] == value for key, value in wanted.items())
        ]
        links = {"self": str(request.url), "previous": None, "next": None}
        return JSONResponse({"role_assignments": items, "links": links})


def _grant_routes(api: APIRouter, emu: Emulator) -> None:
    base = "/v3/projects/{project_id}/users/{user_id}/roles"

    def parties(request: Request, action: str, **ids: Any) -> None:
        _admin(emu, request, action)
        _one(emu, _P, ids["project_id"])
        _one(emu, _U, ids["user_id"])
        if "role_id" in ids:
            _one(emu, _R, ids["role_id"])

    @api.get(base)
    async def list_grants(project_id: str, user_id: str, request: Request) -> JSONResponse:
        parties(request, "list_grants", project_id=project_id, user_id=user_id)
        roles = identity.roles_on(emu, user_id, project_id)
        return _listing(request, "roles", [identity.role_view(r, _base(request)) for r in roles])

    @api.put(base + "/{role_id}")
    async def grant(project_id: str, user_id: str, role_id: str, request: Request) -> Response:
        parties(request, "create_grant", project_id=project_id, user_id=user_id, role_id=role_id)
        identity.assign(emu, user_id, project_id, role_id)
        return Response(status_code=204)

    @api.api_route(base + "/{role_id}", methods=["GET", "HEAD"])
    async def check_grant(
        project_id: str, user_id: str, role_id: str, request: Request
    ) -> Response:
        parties(request, "check_grant", project_id=project_id, user_id=user_id, role_id=role_id)
        if role_id not in {r["id"] for r in identity.roles_on(emu, user_id, project_id)}:
            raise identity.not_found("role assignment", role_id)
        return Response(status_code=204)

    @api.delete(base + "/{role_id}")
    async def revoke(project_id: str, user_id: str, role_id: str, request: Request) -> Response:
        parties(request, "revoke_grant", project_id=project_id, user_id=user_id, role_id=role_id)
        if not identity.unassign(emu, user_id, project_id, role_id):
            raise identity.not_found("role assignment", role_id)
        return Response(status_code=204)
