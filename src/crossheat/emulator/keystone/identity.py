"""Keystone's identity data for the emulator: projects, users, roles, role assignments.

Records of region ``"*"`` in the emulator's store (so a state file keeps them)::

    projects          {id, name, domain_id, description, enabled}
    users             {id, name, domain_id, enabled, default_project_id, _salt, _hash}
    roles             {id, name, description}                  admin, member, reader
    role_assignments  {id, user_id, project_id, role_id}

Seeded on every start (idempotent): users ``admin`` (role ``admin`` on project
``admin``) and ``demo`` (``member`` on ``demo``), with their names as passwords, and
one user per ``EmulatorConfig.projects`` entry (``--project NAME:USER:PASSWORD[:admin]``):
``member`` on that project, ``admin`` too when asked. Seeded ids derive from the names,
so they are the same on every start. Passwords are kept salted and hashed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from crossheat.emulator.core import ApiError, Emulator, ProjectSeed, Record, new_id, stable_id

GLOBAL = "*"
PROJECTS, USERS, ROLES, ASSIGNMENTS = "projects", "users", "roles", "role_assignments"
DOMAIN_ID = "default"
DOMAIN = {"id": DOMAIN_ID, "name": "Default"}
ROLE_NAMES = ("admin", "member", "reader")
#: The users every emulator has: ``(project, user, password, admin)``.
BUILT_IN = (ProjectSeed("admin", "admin", "admin", True), ProjectSeed("demo", "demo", "demo"))


def project_id(name: str) -> str:
    """The id of a seeded project (``admin``, ``demo``, ``--project`` ones)."""
    return stable_id("project", name)


def user_id(name: str) -> str:
    return stable_id("user", name)


def role_id(name: str) -> str:
    return stable_id("role", name)


def error(status: int, title: str, message: str) -> ApiError:
    """Keystone's ``{"error": {"code", "title", "message"}}``."""
    return ApiError(status, {"error": {"code": status, "title": title, "message": message}})


def forbidden(action: str) -> ApiError:
    return error(
        403,
        "Forbidden",
        f"You are not authorized to perform the requested action: identity:{action}.",
    )


def not_found(kind: str, id_: str) -> ApiError:
    return error(404, "Not Found", f"Could not find {kind}: {id_}.")


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()


def check_password(user: Record, password: Any) -> bool:
    if not isinstance(password, str) or not user.get("_hash"):
        return False
    return secrets.compare_digest(_hash(password, user["_salt"]), user["_hash"])


def set_password(user: Record, password: str) -> None:
    user["_salt"] = secrets.token_hex(8)
    user["_hash"] = _hash(password, user["_salt"])


def caller(emu: Emulator, token: str | None) -> Record:
    """The token record behind ``token`` (scoped or not); 401 when unknown or expired."""
    record = emu.store.get(GLOBAL, "tokens", token) if token else None
    if record is None or record["expires"] <= time.time():
        raise error(401, "Unauthorized", "The request you have made requires authentication.")
    return record


# ---- records -------------------------------------------------------------------------


def records(emu: Emulator, kind: str) -> list[Record]:
    return emu.store.records(GLOBAL, kind)


def get(emu: Emulator, kind: str, id_: str) -> Record | None:
    return emu.store.get(GLOBAL, kind, id_)


def by_name(emu: Emulator, kind: str, name: str) -> Record | None:
    return next((r for r in records(emu, kind) if r["name"] == name), None)


def new_project(emu: Emulator, name: str, description: str = "", id_: str | None = None) -> Record:
    """Store project ``name``; 409 when there is one of that name already."""
    if by_name(emu, PROJECTS, name) is not None:
        raise error(
            409,
            "Conflict",
            "Conflict occurred attempting to store project - it is not permitted to have"
            f" two projects with the same name in the same domain : {name}.",
        )
    record = {"id": id_ or new_id().replace("-", ""), "name": name, "domain_id": DOMAIN_ID,
              "description": description, "enabled": True}  # fmt: skip
    return emu.store.insert(GLOBAL, PROJECTS, record)


def new_user(
    emu: Emulator, name: str, password: str | None, default_project_id: str | None = None,
    id_: str | None = None,
) -> Record:  # fmt: skip
    """Store user ``name``; 409 when there is one of that name already."""
    if by_name(emu, USERS, name) is not None:
        raise error(
            409,
            "Conflict",
            f"Conflict occurred attempting to store user - Duplicate entry found with name {name}"
            f" at domain ID {DOMAIN_ID}.",
        )
    record: Record = {"id": id_ or new_id().replace("-", ""), "name": name,
                      "domain_id": DOMAIN_ID, "enabled": True,
                      "default_project_id": default_project_id}  # fmt: skip
    if password is not None:
        set_password(record, password)
    return emu.store.insert(GLOBAL, USERS, record)


def assign(emu: Emulator, user: str, project: str, role: str) -> Record:
    """Give ``user`` the ``role`` on ``project`` (ids); the same assignment twice is one."""
    id_ = stable_id("assignment", f"{user}:{project}:{role}")
    record = {"id": id_, "user_id": user, "project_id": project, "role_id": role}
    return emu.store.insert(GLOBAL, ASSIGNMENTS, record)


def unassign(emu: Emulator, user: str, project: str, role: str) -> bool:
    id_ = stable_id("assignment", f"{user}:{project}:{role}")
    found = get(emu, ASSIGNMENTS, id_) is not None
    emu.store.delete(GLOBAL, ASSIGNMENTS, id_)
    return found


def roles_on(emu: Emulator, user: str, project: str) -> list[Record]:
    """The roles ``user`` has on ``project`` (ids), by name."""
    ids = {
        a["role_id"]
        for a in records(emu, ASSIGNMENTS)
        if a["user_id"] == user and a["project_id"] == project
    }
    found = [r for r in (get(emu, ROLES, i) for i in ids) if r is not None]
    return sorted(found, key=lambda r: str(r["name"]))


def projects_of(emu: Emulator, user: str) -> list[Record]:
    """The enabled projects ``user`` has a role on."""
    ids = {a["project_id"] for a in records(emu, ASSIGNMENTS) if a["user_id"] == user}
    found = [p for p in (get(emu, PROJECTS, i) for i in ids) if p is not None and p["enabled"]]
    return sorted(found, key=lambda p: str(p["name"]))


def forget_project(emu: Emulator, project: str) -> None:
    """Delete a project and the role assignments on it."""
    for item in records(emu, ASSIGNMENTS):
        if item["project_id"] == project:
            emu.store.delete(GLOBAL, ASSIGNMENTS, item["id"])
    emu.store.delete(GLOBAL, PROJECTS, project)


def forget_user(emu: Emulator, user: str) -> None:
    """Delete a user, its role assignments and its tokens."""
    for item in records(emu, ASSIGNMENTS):
        if item["user_id"] == user:
            emu.store.delete(GLOBAL, ASSIGNMENTS, item["id"])
    for token in records(emu, "tokens"):
        if token["user_id"] == user:
            emu.store.delete(GLOBAL, "tokens", token["id"])
    emu.store.delete(GLOBAL, USERS, user)


# ---- seeding --------------------------------------------------------------------------


def seed_member(emu: Emulator, seed: ProjectSeed) -> tuple[Record, Record]:
    """Project ``seed.project`` and user ``seed.user`` (made when missing; a user that
    exists gets ``seed.password``), with ``member`` on it and ``admin`` when asked."""
    project = get(emu, PROJECTS, project_id(seed.project)) or by_name(emu, PROJECTS, seed.project)
    if project is None:
        project = new_project(emu, seed.project, id_=project_id(seed.project))
    user = get(emu, USERS, user_id(seed.user)) or by_name(emu, USERS, seed.user)
    if user is None:
        user = new_user(emu, seed.user, seed.password, project["id"], id_=user_id(seed.user))
    else:
        set_password(user, seed.password)
        emu.store.save(GLOBAL, USERS, user)
    for role in ("member", "admin") if seed.admin else ("member",):
        assign(emu, user["id"], project["id"], role_id(role))
    return project, user


def seed(emu: Emulator) -> None:
    """Roles, the built-in users and the configured ones (idempotent)."""
    for name in ROLE_NAMES:
        if get(emu, ROLES, role_id(name)) is None:
            record = {"id": role_id(name), "name": name, "description": ""}
            emu.store.insert(GLOBAL, ROLES, record)
    for item in (*BUILT_IN, *emu.config.projects):
        seed_member(emu, item)


# ---- views ----------------------------------------------------------------------------


def _link(base: str, path: str) -> dict[str, Any]:
    return {"self": f"{base}/identity/v3/{path}"}


def project_view(project: Record, base: str) -> Record:
    return {**project, "parent_id": DOMAIN_ID, "is_domain": False, "tags": [], "options": {},
            "links": _link(base, f"projects/{project['id']}")}  # fmt: skip


def user_view(user: Record, base: str) -> Record:
    out = {k: v for k, v in user.items() if not k.startswith("_") and v is not None}
    return {**out, "password_expires_at": None, "options": {},
            "links": _link(base, f"users/{user['id']}")}  # fmt: skip


def role_view(role: Record, base: str) -> Record:
    return {**role, "domain_id": None, "options": {}, "links": _link(base, f"roles/{role['id']}")}


def assignment_view(emu: Emulator, item: Record, base: str, names: bool) -> Record:
    """``{"role": {"id"}, "user": {"id"}, "scope": {"project": {"id"}}, "links"}``."""
    role: Record = {"id": item["role_id"]}
    user: Record = {"id": item["user_id"]}
    project: Record = {"id": item["project_id"]}
    if names:
        for out, kind in ((role, ROLES), (user, USERS), (project, PROJECTS)):
            record = get(emu, kind, out["id"])
            out["name"] = record["name"] if record else None
        user["domain"] = project["domain"] = dict(DOMAIN)
    path = f"projects/{project['id']}/users/{user['id']}/roles/{role['id']}"
    return {"role": role, "user": user, "scope": {"project": project},
            "links": {"assignment": f"{base}/identity/v3/{path}"}}  # fmt: skip
