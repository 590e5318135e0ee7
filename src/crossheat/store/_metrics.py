"""What ``/metrics`` reads from the database at scrape time: counts, never ids or names.

    store.stacks_by_status()        # [("CREATE", "COMPLETE", "East", 3), ...] live stacks
    store.stack_operation_events()  # top-level stacks' own events, per stack in order
    store.drifted_resources()       # [("East", 2)]: resources checks found out of sync
    store.queue_depth()             # {"todo": 1, "doing": 2} (PostgreSQL's job queue)

Operations run in any process (the server, ``crossheat worker`` on any machine, a
detached engine): what they leave in the database is what every process agrees on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select, text

from crossheat.store._core import StoreCore
from crossheat.store.models import EventRow, ResourceRow, StackRow
from crossheat.store.records import STACK_EVENT_TYPE

#: (stack id, its number, action, status, when): a stack's own event.
StackEvent = tuple[str, int, str, str, datetime]


class MetricQueries(StoreCore):
    def stacks_by_status(self) -> list[tuple[str, str, str, int]]:
        """Live top-level stacks by action, status and region they have resources in
        (``""``: none yet); a stack in two regions counts in both."""
        pairs = (
            select(ResourceRow.stack_id, ResourceRow.region)
            .where(ResourceRow.replaced_by.is_(None), ResourceRow.region.is_not(None))
            .distinct()
            .subquery()
        )
        query = (
            select(
                StackRow.action, StackRow.status, pairs.c.region, func.count(distinct(StackRow.id))
            )
            .outerjoin(pairs, pairs.c.stack_id == StackRow.id)
            .where(StackRow.deleted_at.is_(None), StackRow.parent_id.is_(None))
            .group_by(StackRow.action, StackRow.status, pairs.c.region)
        )
        with self._session() as session:
            rows = session.execute(query).all()
        return [(r[0], r[1], r[2] or "", int(r[3])) for r in rows]

    def stack_operation_events(self) -> list[StackEvent]:
        """Every top-level stack's own events (deleted stacks' too), each stack's in order:
        what operations began (IN_PROGRESS) and how they ended."""
        query = (
            select(EventRow.stack_id, EventRow.seq, EventRow.action, EventRow.status,
                   EventRow.timestamp)
            .join(StackRow, StackRow.id == EventRow.stack_id)
            .where(EventRow.resource_type == STACK_EVENT_TYPE, StackRow.parent_id.is_(None))
            .order_by(EventRow.stack_id, EventRow.seq)
        )  # fmt: skip
        with self._session() as session:
            return [(r[0], int(r[1]), r[2], r[3], r[4]) for r in session.execute(query)]

    def drifted_resources(self) -> list[tuple[str, int]]:
        """Resources a check found out of sync (their CHECK_FAILED events), by region."""
        query = (
            select(EventRow.region, func.count())
            .where(
                EventRow.resource_type != STACK_EVENT_TYPE,
                EventRow.action == "CHECK",
                EventRow.status == "FAILED",
            )
            .group_by(EventRow.region)
        )
        with self._session() as session:
            return [(r[0] or "", int(r[1])) for r in session.execute(query)]

    def queue_depth(self) -> dict[str, int] | None:
        """Jobs of the queue waiting (``todo``) and running (``doing``); None without a
        queue (SQLite)."""
        if self.engine.dialect.name != "postgresql":
            return None
        query = text(
            "SELECT status, count(*) FROM procrastinate_jobs"
            " WHERE status IN ('todo', 'doing') GROUP BY status"
        )
        found = {"todo": 0, "doing": 0}
        with self._session() as session:
            for status, count in session.execute(query):
                found[str(status)] = int(count)
        return found
