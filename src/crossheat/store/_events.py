"""Events: an append-only log per stack, read incrementally for ``event list --follow``.

    store.add_event(stack.id, "east_net", Action.CREATE, Status.COMPLETE,
                    resource_type="OS::Neutron::Net", physical_id="...", region="East")
    new = store.list_events(stack.id, after_id=last_seen_id)
    cursor = EventCursor(store, stack.id); cursor.read()   # each event once, late ones too

The reason text never holds a secret: every secret the store knows for the
stack (hidden parameters, secret properties and attributes,
``remember_secrets``) is replaced by ``******``.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossheat.store._core import StoreCore
from crossheat.store.models import EventRow, utcnow
from crossheat.store.records import STACK_EVENT_TYPE, Action, EventRecord, Status


class EventCursor:
    """Reads a stack's events as they come, each exactly once (``event list --follow``).

    Ids are taken at insert, not at commit: on PostgreSQL an event written in a
    longer transaction can become visible after one with a higher id was already
    read. The cursor therefore reads again the last ``lookback`` ids and skips those
    it has returned, instead of trusting "newer than the last id seen".
    """

    def __init__(self, store: EventStore, stack_id: str, lookback: int = 256) -> None:
        self.store, self.stack_id, self.lookback = store, stack_id, lookback
        self.seen: set[int] = set()
        self.highest: int | None = None

    def read(self) -> list[EventRecord]:
        """The events not returned before, in id order."""
        after = None if self.highest is None else self.highest - self.lookback
        new = [e for e in self.store.list_events(self.stack_id, after) if e.id not in self.seen]
        for event in new:
            self.seen.add(event.id)
            self.highest = max(self.highest or event.id, event.id)
        if self.highest is not None:
            floor = self.highest - self.lookback
            self.seen = {i for i in self.seen if i > floor}
        return new


class EventStore(Protocol):
    def list_events(self, stack_id: str, after_id: int | None = None) -> list[EventRecord]: ...


def insert_event(session: Session, row: EventRow) -> EventRecord:
    """Add ``row`` (its reason already scrubbed) in the caller's transaction."""
    session.add(row)
    session.flush()
    return _record(row)


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
        after_id: int | None = None,
        *,
        resource_name: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """The stack's events in order, only those newer than ``after_id`` if given."""
        query = select(EventRow).where(EventRow.stack_id == stack_id)
        if after_id is not None:
            query = query.where(EventRow.id > after_id)
        if resource_name is not None:
            query = query.where(EventRow.resource_name == resource_name)
        query = query.order_by(EventRow.id).limit(limit)
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
