"""Stacks: create, find, list, status, the template kept for rollback, soft delete.

Hidden parameter values are sealed in ``parameters`` and in the
environment's ``parameters`` / ``parameter_defaults``; the record opens them. A stack's
tags are kept in its ``environment`` column, under ``TAGS_KEY`` beside the sources.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crossheat.errors import StackError, StackExists, StackNotFound
from crossheat.store._core import StoreCore
from crossheat.store._events import insert_event
from crossheat.store.models import EventRow, StackRow, db_now, utcnow
from crossheat.store.records import (
    STACK_EVENT_TYPE,
    Action,
    EventRecord,
    JSONDict,
    LockInfo,
    StackRecord,
    StackSpec,
    Status,
)
from crossheat.store.secrets import SecretBox, is_sealed, sealed_paths

#: Where the ``environment`` column keeps the stack's tags (no column of their own).
TAGS_KEY = "tags"


def _seal_spec(box: SecretBox, spec: StackSpec) -> JSONDict:
    hidden = sorted(spec.hidden_parameters)
    env_paths: list[tuple[str | int, ...]] = [
        (section, name) for section in ("parameters", "parameter_defaults") for name in hidden
    ]
    sources = spec.environment.get("sources")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(source, dict) and source.get("secret"):
            env_paths.append(("sources", index, "text"))
    environment = box.seal_paths(spec.environment, env_paths)
    if spec.tags:
        environment = {**environment, TAGS_KEY: list(spec.tags)}
    return {
        "template": _seal_defaults(box, spec.template, hidden),
        "template_path": spec.template_path,
        "files": dict(spec.files),
        "environment": environment,
        "parameters": box.seal_paths(spec.parameters, hidden),
        "disable_rollback": spec.disable_rollback,
        "timeout_mins": spec.timeout_mins,
        "region_map": spec.region_map,
    }


def _seal_defaults(box: SecretBox, template: JSONDict, hidden: list[str]) -> JSONDict:
    """The template with the defaults of hidden parameters sealed."""
    declared = template.get("parameters")
    if not isinstance(declared, dict):
        return template
    paths = [(name, "default") for name in hidden if isinstance(declared.get(name), dict)]
    paths = [p for p in paths if declared[p[0]].get("default") is not None]
    if not paths:
        return template
    return {**template, "parameters": box.seal_paths(declared, paths)}


def _open_spec(box: SecretBox, doc: JSONDict) -> StackSpec:
    parameters: JSONDict = doc["parameters"]
    template: JSONDict = doc["template"]
    hidden = {k for k, v in parameters.items() if is_sealed(v)}
    declared = template.get("parameters")
    if isinstance(declared, dict) and sealed_paths(declared):
        hidden |= {str(path[0]) for path in sealed_paths(declared)}
        template = {**template, "parameters": box.open_all(declared)}
    environment = dict(box.open_all(doc["environment"]))
    tags = environment.pop(TAGS_KEY, None) or ()
    return StackSpec(
        template=template,
        environment=environment,
        parameters=box.open_all(parameters),
        hidden_parameters=frozenset(str(name) for name in hidden),
        files=doc["files"],
        template_path=doc["template_path"],
        disable_rollback=doc["disable_rollback"],
        timeout_mins=doc["timeout_mins"],
        region_map=doc["region_map"],
        tags=tuple(str(tag) for tag in tags),
    )


def _row_spec(row: StackRow) -> JSONDict:
    return {key: getattr(row, key) for key in _SPEC_KEYS}


_SPEC_KEYS = (
    "template", "template_path", "files", "environment", "parameters",
    "disable_rollback", "timeout_mins", "region_map",
)  # fmt: skip


def _record(box: SecretBox, row: StackRow, now: datetime | None = None) -> StackRecord:
    """The record of ``row``; ``now``: the database's clock when it was read."""
    return StackRecord(
        id=row.id,
        name=row.name,
        project=row.project,
        action=Action(row.action),
        status=Status(row.status),
        status_reason=row.status_reason,
        spec=_open_spec(box, _row_spec(row)),
        previous=_open_spec(box, row.previous) if row.previous else None,
        parent_id=row.parent_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        lock=LockInfo(
            operation=row.lock_operation,
            engine_id=row.lock_engine_id,
            acquired_at=row.lock_acquired_at,
            heartbeat_at=row.lock_heartbeat_at,
            cancel_requested_at=row.lock_cancel_requested_at,
            read_at=now,
        ),
    )


class StackQueries(StoreCore):
    def create_stack(
        self,
        name: str,
        project: str,
        spec: StackSpec,
        *,
        action: Action = Action.CREATE,
        status: Status = Status.IN_PROGRESS,
        reason: str = "",
        parent_id: str | None = None,
    ) -> StackRecord:
        """A new stack row; ``StackExists`` if ``project`` has a live stack of that name."""
        sealed = _seal_spec(self._box, spec)
        row = StackRow(
            id=str(uuid.uuid4()), name=name, project=project, parent_id=parent_id,
            action=action.value, status=status.value, status_reason=reason, **sealed,
        )  # fmt: skip
        with self._session() as session:
            if parent_id is not None and session.get(StackRow, parent_id) is None:
                raise StackNotFound(f"parent stack {parent_id!r} not found")
            if session.scalar(_live(project, name)) is not None:
                raise StackExists(f"stack {name!r} already exists in project {project!r}")
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                raise StackExists(f"stack {name!r} already exists in project {project!r}") from exc
        self._remember_sealed(row.id, sealed)
        return _record(self._box, row)

    def get_stack(
        self, name_or_id: str, project: str | None = None, *, include_deleted: bool = False
    ) -> StackRecord:
        """The stack with that id or (live) name; ``StackNotFound`` otherwise.

        ``project=None`` searches every project. A deleted stack is found by
        id only, and only with ``include_deleted`` (to read its events).
        """
        with self._session() as session:
            row = session.get(StackRow, name_or_id)
            if row is not None and project is not None and row.project != project:
                row = None
            if row is not None and row.deleted_at is not None and not include_deleted:
                row = None
            if row is None:
                row = session.scalar(_live(project, name_or_id))
            if row is None:
                raise StackNotFound(f"stack {name_or_id!r} not found")
            return _record(self._box, row, session.scalar(select(db_now())))

    def list_stacks(
        self,
        project: str | None = None,
        *,
        include_nested: bool = False,
        include_deleted: bool = False,
    ) -> list[StackRecord]:
        """Live stacks, oldest first; nested stacks only with ``include_nested``, deleted
        ones only with ``include_deleted``."""
        query = select(StackRow)
        if not include_deleted:
            query = query.where(StackRow.deleted_at.is_(None))
        if project is not None:
            query = query.where(StackRow.project == project)
        if not include_nested:
            query = query.where(StackRow.parent_id.is_(None))
        with self._session() as session:
            now = session.scalar(select(db_now()))
            rows = session.scalars(query.order_by(StackRow.created_at, StackRow.id))
            return [_record(self._box, row, now) for row in rows]

    def update_stack_status(
        self,
        stack_id: str,
        action: Action,
        status: Status,
        reason: str = "",
        *,
        event: bool = False,
    ) -> EventRecord | None:
        """Set ``action``/``status`` and the reason (secrets scrubbed).

        With ``event``, the stack's event (named after the stack, type
        ``OS::Heat::Stack``) is added in the same transaction and returned.
        """
        with self._write(stack_id) as session:
            row = _get(session, stack_id)
            row.action, row.status = action.value, status.value
            row.status_reason = self._scrub(session, stack_id, reason)
            row.updated_at = utcnow()
            if not event:
                return None
            return insert_event(
                session,
                EventRow(
                    stack_id=row.id, resource_name=row.name, resource_type=STACK_EVENT_TYPE,
                    physical_id=row.id, region=None, action=row.action, status=row.status,
                    reason=row.status_reason, timestamp=row.updated_at,
                ),
            )  # fmt: skip

    def save_template_for_update(self, stack_id: str, spec: StackSpec) -> None:
        """Make ``spec`` current and keep the current one as ``previous`` (for rollback)."""
        sealed = _seal_spec(self._box, spec)
        with self._write(stack_id) as session:
            row = _get(session, stack_id)
            row.previous = _row_spec(row)
            _assign(row, sealed)
            row.updated_at = utcnow()
        self._remember_sealed(stack_id, sealed)

    def restore_previous_template(self, stack_id: str) -> StackSpec:
        """Rollback: ``previous`` becomes current again and is returned (``StackError``
        if there is none)."""
        with self._write(stack_id) as session:
            row = _get(session, stack_id)
            if row.previous is None:
                raise StackError(f"stack {stack_id!r} has no previous template to roll back to")
            _assign(row, row.previous)
            row.previous = None
            row.updated_at = utcnow()
            return _open_spec(self._box, _row_spec(row))

    def soft_delete_stack(self, stack_id: str) -> None:
        """Hide the stack from lists and name lookups and free its lock; events stay."""
        with self._write(stack_id) as session:
            row = _get(session, stack_id)
            row.deleted_at = utcnow()
            for child in descendants(session, row).values():
                child.deleted_at = row.deleted_at
                child.action, child.status = row.action, row.status
            row.lock_operation = row.lock_engine_id = None
            row.lock_acquired_at = row.lock_heartbeat_at = None


def descendants(session: Session, row: StackRow) -> dict[str, StackRow]:
    """The live nested stacks of ``row`` at every level, by path of resource names
    (``remote``, ``remote.sub``: the nested stack of ``sub`` is ``<row>-remote-sub``, with
    ``<row>-remote`` as its parent), each level before the next."""
    found: dict[str, StackRow] = {}
    level: dict[str, tuple[StackRow, str]] = {row.id: (row, "")}
    while level:
        children = session.scalars(
            select(StackRow)
            .where(StackRow.parent_id.in_(list(level)), StackRow.deleted_at.is_(None))
            .order_by(StackRow.created_at, StackRow.id)
        )
        below: dict[str, tuple[StackRow, str]] = {}
        for child in children:
            owner, path = level[str(child.parent_id)]
            full = path + child.name.removeprefix(f"{owner.name}-")
            found[full] = child
            below[child.id] = (child, f"{full}.")
        level = below
    return found


def _live(project: str | None, name: str) -> Select[StackRow]:
    query = select(StackRow).where(StackRow.name == name, StackRow.deleted_at.is_(None))
    if project is not None:
        query = query.where(StackRow.project == project)
    return query.order_by(StackRow.created_at.desc()).limit(1)


def _get(session: Session, stack_id: str) -> StackRow:
    row = session.get(StackRow, stack_id)
    if row is None or row.deleted_at is not None:
        raise StackNotFound(f"stack {stack_id!r} not found")
    return row


def _assign(row: StackRow, sealed: dict[str, Any]) -> None:
    for key in _SPEC_KEYS:
        setattr(row, key, sealed[key])
