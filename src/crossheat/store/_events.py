"""Events: an append-only log per stack, numbered in commit order so that readers never
miss one.

    store.add_event(stack.id, "east_net", Action.CREATE, Status.COMPLETE,
                    resource_type="OS::Neutron::Net", physical_id="...", region="East")
    new = store.list_events(stack.id, after_seq=last.seq)   # each event once, late ones too
    cursor = EventCursor(store, stack.id); cursor.read()    # the same, remembered

Why a sequence and not the id: the id (autoincrement) is taken when the row is
inserted, visibility comes at commit. With several engines (or threads) writing
one stack on PostgreSQL, the event given id 7 can commit after the one given
id 8; a reader that has seen 8 and asks for "id > 8" never gets 7.

So each event also gets ``seq``, its number in its stack, taken in the inserting
transaction from the stack's row of ``event_sequences``: one statement,
``INSERT ... ON CONFLICT (stack_id) DO UPDATE SET last_seq = last_seq + 1
RETURNING last_seq``, just before the event's insert. What that guarantees:

- PostgreSQL (READ COMMITTED, our isolation): the statement locks the counter
  row until the transaction ends. A second writer of the stack waits at that
  statement until the first commits (or rolls back) and then reads the latest
  committed value: number n+1 is handed out only after the transaction holding
  n has ended. Hence, per stack, seq order is commit order, a rolled-back
  transaction takes its number back (no gaps), and any snapshot that sees
  event n sees every event before it (they committed earlier). A reader that
  asks for "seq > the last seq it saw" misses nothing and gets nothing twice.
- SQLite: a write transaction holds the database's only write lock from its
  first write until commit, so no other transaction can take a number while
  one is taken and not committed; the same holds, trivially.

The counter is a row of its own, not a column of ``stacks``: a fenced write
(``_core.StoreCore._write``) holds a share lock on the stack row, and two such
transactions that then both updated that row would deadlock. Writers of one
stack wait for each other only between taking a number and committing: the
number is taken last, just before the insert.

The reason text never holds a secret: every secret the store knows for the
stack (hidden parameters, secret properties and attributes,
``remember_secrets``) is replaced by ``******``.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossheat.store._core import StoreCore
from crossheat.store.models import EventRow, EventSequenceRow, utcnow
from crossheat.store.records import STACK_EVENT_TYPE, Action, EventRecord, Status

#: ``crossheat.events``: one record per event (stack and resources), at INFO.
log = logging.getLogger("crossheat.events")


class EventCursor:
    """Reads a stack's events as they come, each exactly once, in the stack's order
    (``event list --follow``): those numbered after the last one it returned."""

    def __init__(self, store: EventStore, stack_id: str) -> None:
        self.store, self.stack_id = store, stack_id
        self.last_seq: int | None = None

    def read(self) -> list[EventRecord]:
        """The events not returned before, in sequence order."""
        new = self.store.list_events(self.stack_id, self.last_seq)
        if new:
            self.last_seq = new[-1].seq
        return new


class EventStore(Protocol):
    def list_events(self, stack_id: str, after_seq: int | None = None) -> list[EventRecord]: ...


def insert_event(session: Session, row: EventRow) -> EventRecord:
    """Add ``row`` (its reason already scrubbed) in the caller's transaction, numbered
    next in its stack; the caller should commit soon (other writers of the stack wait)."""
    row.seq = _next_seq(session, row.stack_id)
    session.add(row)
    session.flush()
    _log_event(row, session.info.get("operation"))
    return _record(row)


def _log_event(row: EventRow, operation: str | None) -> None:
    """One log line per event, its fields apart (``--log-format json`` shows them)."""
    stack_level = row.resource_type == STACK_EVENT_TYPE
    fields = {
        "stack_id": row.stack_id, "stack": row.resource_name if stack_level else None,
        "resource": None if stack_level else row.resource_name,
        "resource_type": row.resource_type, "region": row.region, "operation": operation,
        "action": row.action, "status": row.status, "event_seq": row.seq,
    }  # fmt: skip
    log.info("%s %s_%s: %s", row.resource_name, row.action, row.status, row.reason, extra=fields)


def _upsert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_update``), imported for that dialect
    only: PostgreSQL's is not loaded by a command on SQLite."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _next_seq(session: Session, stack_id: str) -> int:
    """The stack's next event number; its counter stays locked until the transaction ends."""
    insert = _upsert(session.get_bind().dialect.name)
    counter = EventSequenceRow
    statement = (
        insert(counter)
        .values(stack_id=stack_id, last_seq=1)
        .on_conflict_do_update(
            index_elements=[counter.stack_id], set_={"last_seq": counter.last_seq + 1}
        )
        .returning(counter.last_seq)
    )
    seq: int = session.execute(statement).scalar_one()
    return seq


def _record(row: EventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        stack_id=row.stack_id,
        resource_name=row.resource_name,
        resource_type=row.resource_type,
        physical_id=row.physical_id,
        region=row.region,
        action=Action(row.action),
        status=Status(row.status),
        reason=row.reason,
        timestamp=row.timestamp,
        seq=row.seq,
    )


class EventQueries(StoreCore):
    def add_event(
        self,
        stack_id: str,
        resource_name: str,
        action: Action,
        status: Status,
        reason: str = "",
        *,
        resource_type: str = STACK_EVENT_TYPE,
        physical_id: str | None = None,
        region: str | None = None,
    ) -> EventRecord:
        """Append one event; for the stack itself pass its name and the default type."""
        with self._write(stack_id) as session:
            row = EventRow(
                stack_id=stack_id, resource_name=resource_name, resource_type=resource_type,
                physical_id=physical_id, region=region, action=action.value,
                status=status.value, reason=self._scrub(session, stack_id, reason),
                timestamp=utcnow(),
            )  # fmt: skip
            return insert_event(session, row)

    def list_events(
        self,
        stack_id: str,
        after_seq: int | None = None,
        *,
        after_event: int | None = None,
        resource_name: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """The stack's events in sequence order; only those numbered after ``after_seq``,
        or after the stack's event of id ``after_event`` (an unknown one: all), if given."""
        query = select(EventRow).where(EventRow.stack_id == stack_id)
        if after_seq is not None:
            query = query.where(EventRow.seq > after_seq)
        if after_event is not None:
            marker = select(EventRow.seq).where(
                EventRow.stack_id == stack_id, EventRow.id == after_event
            )
            query = query.where(EventRow.seq > func.coalesce(marker.scalar_subquery(), 0))
        if resource_name is not None:
            query = query.where(EventRow.resource_name == resource_name)
        query = query.order_by(EventRow.seq).limit(limit)
        with self._session() as session:
            return [_record(row) for row in session.scalars(query)]

    def recent_durations(
        self, resource_type: str, region: str, action: str, *, scan: int = 60
    ) -> list[float]:
        """Seconds from ``<action>_IN_PROGRESS`` to ``<action>_COMPLETE`` of the latest
        actions on resources of ``resource_type`` in ``region``, in any stack, oldest
        first; only the last ``scan`` such events are read (``engine.pacing``)."""
        query = (
            select(EventRow.stack_id, EventRow.resource_name, EventRow.status, EventRow.timestamp)
            .where(EventRow.resource_type == resource_type, EventRow.region == region)
            .where(EventRow.action == action)
            .order_by(EventRow.id.desc())
            .limit(scan)
        )
        with self._session() as session:
            rows = list(session.execute(query))
        started: dict[tuple[str, str], float] = {}
        durations = []
        for stack_id, name, status, timestamp in reversed(rows):
            key = (stack_id, name)
            if status == Status.IN_PROGRESS.value:
                started[key] = timestamp.timestamp()
            elif key in started:
                begun = started.pop(key)
                if status == Status.COMPLETE.value:
                    durations.append(timestamp.timestamp() - begun)
        return durations
