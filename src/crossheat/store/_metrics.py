"""What ``/metrics`` reads from the database at scrape time: counts, never ids or names.

    store.stacks_by_status()        # [("CREATE", "COMPLETE", "East", 3), ...] live stacks
    store.event_marks()             # {stack id: (its last event's number, top-level?)}
    store.counted_events({id: 12})  # that stack's events past 12 that /metrics counts
    store.queue_depth()             # {"todo": 1, "doing": 2} (PostgreSQL's job queue)

Operations run in any process (the server, ``crossheat worker`` on any machine, a
detached engine): what they leave in the database is what every process agrees on.
A stack's events are numbered in the order they committed (``_events``), so a reader that
has counted a stack's events up to a number has seen every one before it: ``/metrics``
reads only the events past what it counted (``service._metrics.OperationTally``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select, text

from crossheat.store._core import StoreCore
from crossheat.store.models import EventRow, EventSequenceRow, ResourceRow, StackRow
from crossheat.store.records import STACK_EVENT_TYPE

#: (stack id, its number, resource type, action, status, region, when): an event.
MetricEvent = tuple[str, int, str, str, str, str | None, datetime]
#: Stacks whose new events one query asks for: an OR of a condition per stack, or, for
#: stacks none of whose events were counted yet, a list.
STACKS_PER_QUERY = 100
NEW_STACKS_PER_QUERY = 500


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

    def event_marks(self) -> dict[str, tuple[int, bool]]:
        """Each stack's last event number (deleted stacks' too, until purged), and whether
        it is a top-level stack."""
        query = select(
            EventSequenceRow.stack_id, EventSequenceRow.last_seq, StackRow.parent_id
        ).join(StackRow, StackRow.id == EventSequenceRow.stack_id)
        with self._session() as session:
            return {r[0]: (int(r[1]), r[2] is None) for r in session.execute(query)}

    def counted_events(self, after: Mapping[str, int]) -> list[MetricEvent]:
        """The events ``/metrics`` counts (stacks' own, and resources' CHECK_FAILED) of
        the stacks of ``after``, numbered past the number given for each (0: all), each
        stack's in order. (Those up to a number ``event_marks`` gave have all committed;
        later ones may still be coming.)"""
        counted = or_(
            EventRow.resource_type == STACK_EVENT_TYPE,
            and_(EventRow.action == "CHECK", EventRow.status == "FAILED"),
        )
        new = [stack_id for stack_id, seq in after.items() if seq <= 0]
        seen = [(stack_id, seq) for stack_id, seq in after.items() if seq > 0]
        wheres: list[ColumnElement[bool]] = [
            EventRow.stack_id.in_(new[i : i + NEW_STACKS_PER_QUERY])
            for i in range(0, len(new), NEW_STACKS_PER_QUERY)
        ]
        for i in range(0, len(seen), STACKS_PER_QUERY):
            wheres.append(or_(*(
                and_(EventRow.stack_id == stack_id, EventRow.seq > seq)
                for stack_id, seq in seen[i : i + STACKS_PER_QUERY]
            )))  # fmt: skip
        found: list[MetricEvent] = []
        with self._session() as session:
            for where in wheres:
                query = (
                    select(EventRow.stack_id, EventRow.seq, EventRow.resource_type,
                           EventRow.action, EventRow.status, EventRow.region, EventRow.timestamp)
                    .where(where, counted)
                    .order_by(EventRow.stack_id, EventRow.seq)
                )  # fmt: skip
                found.extend(
                    (r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in session.execute(query)
                )
        return found

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
