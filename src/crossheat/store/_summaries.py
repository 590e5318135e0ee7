"""Stack summaries: what a list shows of many stacks, read without their content.

    summaries = store.list_stack_summaries("alpha")    # [StackSummary, ...], oldest first

A ``StackRecord`` carries the stack's whole spec (template, files, environment,
parameters, the previous spec), decoded and its sealed values opened: for a list of
hundreds of stacks that decoding is nearly all the time spent. A summary reads only the
columns a list shows and filters by (the tags out of the environment column by the
database's JSON operator), and the regions of every listed stack, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from crossheat.store._core import StoreCore
from crossheat.store._stacks import TAGS_KEY
from crossheat.store.models import ResourceRow, StackRow, db_now
from crossheat.store.records import Action, LockInfo, StackSummary, Status

#: The columns of a summary, in the order ``_summary`` takes them.
_COLUMNS = (
    StackRow.id, StackRow.name, StackRow.project, StackRow.action, StackRow.status,
    StackRow.status_reason, StackRow.parent_id, StackRow.created_at, StackRow.updated_at,
    StackRow.deleted_at, StackRow.lock_operation, StackRow.lock_engine_id,
    StackRow.lock_acquired_at, StackRow.lock_heartbeat_at, StackRow.lock_cancel_requested_at,
    StackRow.environment[TAGS_KEY], StackRow.disable_rollback, StackRow.timeout_mins,
    StackRow.previous.is_not(None),
)  # fmt: skip


class SummaryQueries(StoreCore):
    def list_stack_summaries(
        self,
        project: str | None = None,
        *,
        include_nested: bool = False,
        include_deleted: bool = False,
    ) -> list[StackSummary]:
        """The stacks ``list_stacks`` gives (same arguments, same order), as summaries."""
        where = _where(project, include_nested=include_nested, include_deleted=include_deleted)
        stacks = select(*_COLUMNS).where(*where).order_by(StackRow.created_at, StackRow.id)
        with self._session() as session:
            db = session.connection()  # Core: no ORM loading for plain columns
            rows = db.execute(stacks).all()
            regions = _regions(db, where) if rows else {}
            held = any(row[11] is not None for row in rows)
            now = db.scalar(select(db_now())) if held else None
        return [_summary(row, regions.get(row[0], ()), now) for row in rows]

    def resources_per_region(self, project: str | None = None) -> dict[str, int]:
        """How many current resources the live stacks of ``project`` (None: every
        project) have in each region, nested stacks' included."""
        where = _where(project, include_nested=True, include_deleted=False)
        query = (
            select(ResourceRow.region, func.count())
            .join(StackRow, StackRow.id == ResourceRow.stack_id)
            .where(ResourceRow.replaced_by.is_(None), ResourceRow.region.is_not(None), *where)
            .group_by(ResourceRow.region)
        )
        with self._session() as session:
            rows = session.connection().execute(query).all()
        return {str(region): int(count) for region, count in rows}


def _where(
    project: str | None, *, include_nested: bool, include_deleted: bool
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not include_deleted:
        where.append(StackRow.deleted_at.is_(None))
    if project is not None:
        where.append(StackRow.project == project)
    if not include_nested:
        where.append(StackRow.parent_id.is_(None))
    return where


def _regions(db: Connection, where: Sequence[ColumnElement[bool]]) -> dict[str, tuple[str, ...]]:
    """The regions the current resources of the stacks ``where`` selects are in, sorted."""
    query: Select[str, str | None] = (
        select(ResourceRow.stack_id, ResourceRow.region)
        .join(StackRow, StackRow.id == ResourceRow.stack_id)
        .where(ResourceRow.replaced_by.is_(None), ResourceRow.region.is_not(None), *where)
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for stack_id, region in db.execute(query):
        if region:
            found.setdefault(stack_id, []).append(region)
    return {stack_id: tuple(sorted(names)) for stack_id, names in found.items()}


def _summary(row: Any, regions: tuple[str, ...], now: datetime | None) -> StackSummary:
    (stack_id, name, project, action, status, reason, parent_id, created, updated, deleted,
     operation, engine_id, acquired, heartbeat, cancel, tags, no_rollback, timeout,
     has_previous) = row  # fmt: skip
    return StackSummary(
        id=stack_id, name=name, project=project, action=Action(action), status=Status(status),
        status_reason=reason, parent_id=parent_id, created_at=created, updated_at=updated,
        deleted_at=deleted,
        lock=LockInfo(operation, engine_id, acquired, heartbeat, cancel, read_at=now),
        tags=tuple(str(tag) for tag in tags or ()), disable_rollback=no_rollback,
        timeout_mins=timeout, has_previous=bool(has_previous), regions=regions,
    )  # fmt: skip
