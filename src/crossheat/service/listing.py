"""The stack list's columns, read from a SQLite state database without SQLAlchemy.

    rows = stack_rows()   # [{"id", "stack_name", "stack_status", "creation_time",
                          #   "updated_time", "regions"}, ...] or None

``crossheat stack list`` shows a few columns of each stack; importing SQLAlchemy and
building the ORM would cost more than everything else the command does (~0.25 s).
For a SQLite database already at the latest schema, these columns are read here with
the standard library's ``sqlite3``: the same rows as ``Stacks.describe_all`` gives,
cut to ``LIST_COLUMNS`` (a test compares them). For anything else (PostgreSQL, no
database yet, a schema to migrate) this answers None, and the caller opens the ``Store``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from crossheat.store.database import HEAD_REVISION, database_url
from crossheat.store.records import current_project

#: The columns read here, as ``crossheat.service.stack_dict`` names them.
LIST_COLUMNS = ("id", "stack_name", "stack_status", "creation_time", "updated_time", "regions")

_STACKS = (
    "SELECT id, name, action, status, created_at, updated_at FROM stacks"
    " WHERE deleted_at IS NULL AND parent_id IS NULL AND project = ?"
    " ORDER BY created_at, id"
)
_REGIONS = (
    "SELECT DISTINCT r.stack_id, r.region FROM resources r JOIN stacks s ON s.id = r.stack_id"
    " WHERE r.replaced_by IS NULL AND s.deleted_at IS NULL AND s.parent_id IS NULL"
    " AND s.project = ?"
)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///FILE`` URL; None for any other URL."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    name = url[len(prefix) :]
    return Path(name) if name and name != ":memory:" else None


def stack_rows(url: str | None = None, project: str | None = None) -> list[dict[str, Any]] | None:
    """The project's live top-level stacks, oldest first, with ``LIST_COLUMNS``; None when
    the database is not a SQLite file at the latest schema."""
    path = sqlite_path(database_url(url))
    if path is None or not path.is_file():
        return None
    project = current_project() if project is None else project
    try:
        with closing(sqlite3.connect(path, timeout=30)) as db:
            if _revision(db) != HEAD_REVISION:
                return None
            stacks = db.execute(_STACKS, (project,)).fetchall()
            regions: dict[str, set[str]] = {}
            for stack_id, region in db.execute(_REGIONS, (project,)):
                if region:
                    regions.setdefault(stack_id, set()).add(region)
    except sqlite3.Error:
        return None  # the Store says what is wrong, in its words
    return [
        {
            "id": stack_id,
            "stack_name": name,
            "stack_status": f"{action}_{status}",
            "creation_time": _time(created),
            "updated_time": _time(updated),
            "regions": sorted(regions.get(stack_id, ())),
        }
        for stack_id, name, action, status, created, updated in stacks
    ]


def _revision(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: a database never migrated
        return None
    return str(row[0]) if row else None


def _time(value: str | None) -> str | None:
    """SQLAlchemy's SQLite text for a UTC time, as ``stack_dict`` shows it."""
    if value is None:
        return None
    return datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%SZ")
