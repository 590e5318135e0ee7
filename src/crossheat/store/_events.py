"""Events: an append-only log per stack, read incrementally for ``event list --follow``.

    store.add_event(stack.id, "east_net", Action.CREATE, Status.COMPLETE,
                    resource_type="OS::Neutron::Net", physical_id="...", region="East")
    new = store.list_events(stack.id, after_id=last_seen_id)

The reason text never holds a secret: every secret the store knows for the
stack (hidden parameters, secret properties and attributes,
``remember_secrets``) is replaced by ``******``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossheat.store._core import StoreCore
from crossheat.store.models import EventRow, utcnow
from crossheat.store.records import STACK_EVENT_TYPE, Action, EventRecord, Status


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
        with self._session() as session:
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
