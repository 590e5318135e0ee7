"""Resources: the rows the engine writes before and after every cloud call.

A resource's life in the store::

    r = store.upsert_resource(stack_id, "net", "OS::Neutron::Net", region="East",
                              properties={...}, secret_paths=[("admin_pass",)])
    store.start_action(r.id, Action.CREATE, {"operation": "create", "tags": [...]})
    ...cloud call...
    store.set_resource_status(r.id, Action.CREATE, Status.IN_PROGRESS, physical_id="...")
    store.set_progress(r.id, {"step": "poll"})
    ...polls...
    store.finish_action(r.id, Action.CREATE, Status.COMPLETE, attributes={...})

``start_action`` and ``finish_action`` are the fine-grained calls
(``record_intent``, ``set_resource_status(..., event=True)``,
``set_attributes``, ``set_progress``) done in one transaction each.
Neither ``intent`` nor ``progress`` is encrypted: they must hold no secret.

Update by replacement: ``create_replacement(old.id, ...)`` adds a row with the
same name (``replaces`` = old id) and marks the old row ``replaced_by``;
``remove_resource`` drops whichever one is deleted in the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crossheat.errors import StoreError
from crossheat.store._core import StoreCore
from crossheat.store._events import insert_event
from crossheat.store._readiness import insert_readiness
from crossheat.store.models import EventRow, ResourceRow, utcnow
from crossheat.store.records import (
    Action,
    EventRecord,
    JSONDict,
    Readiness,
    ResourceRecord,
    Status,
)
from crossheat.store.secrets import SecretBox, SecretPath, sealed_paths


def _record(box: SecretBox, row: ResourceRow) -> ResourceRecord:
    paths = [("properties", *p) for p in sealed_paths(row.properties)]
    paths += [("attributes", *p) for p in sealed_paths(row.attributes)]
    return ResourceRecord(
        id=row.id,
        stack_id=row.stack_id,
        name=row.name,
        type=row.type,
        region=row.region,
        physical_id=row.physical_id,
        action=Action(row.action),
        status=Status(row.status),
        status_reason=row.status_reason,
        properties=box.open_all(row.properties),
        attributes=box.open_all(row.attributes),
        secret_paths=tuple(paths),
        progress=box.open_all(row.progress),
        intent=row.intent,
        replaces=row.replaces,
        replaced_by=row.replaced_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ResourceQueries(StoreCore):
    def upsert_resource(
        self,
        stack_id: str,
        name: str,
        type: str,
        *,
        region: str | None = None,
        properties: Mapping[str, Any] | None = None,
        secret_paths: Iterable[SecretPath] = (),
    ) -> ResourceRecord:
        """Write the current row for ``name`` (the one not replaced), or add it as
        ``INIT_COMPLETE``. Values at ``secret_paths`` of ``properties`` are sealed, and
        every value holding a secret text of the stack."""
        sealed = self._box.seal_paths(dict(properties or {}), secret_paths)
        with self._write(stack_id) as session:
            sealed = self._seal_secrets(session, stack_id, sealed)
            row = session.scalar(
                select(ResourceRow).where(
                    ResourceRow.stack_id == stack_id,
                    ResourceRow.name == name,
                    ResourceRow.replaced_by.is_(None),
                )
            )
            if row is None:
                row = _new_row(stack_id, name, type, region, sealed)
                session.add(row)
            else:
                row.type, row.region, row.properties = type, region, sealed
                row.updated_at = utcnow()
            session.flush()
            record = _record(self._box, row)
        self._remember_sealed(stack_id, sealed)
        return record

    def add_resources(
        self, stack_id: str, resources: Iterable[tuple[str, str, str | None]]
    ) -> list[ResourceRecord]:
        """New ``INIT_COMPLETE`` rows ``(name, type, region)`` in one transaction."""
        with self._write(stack_id) as session:
            rows = [_new_row(stack_id, name, type, region, {}) for name, type, region in resources]
            session.add_all(rows)
            session.flush()
            return [_record(self._box, row) for row in rows]

    def create_replacement(
        self,
        resource_id: str,
        *,
        properties: Mapping[str, Any],
        secret_paths: Iterable[SecretPath] = (),
        type: str | None = None,
    ) -> ResourceRecord:
        """A new ``INIT_COMPLETE`` row replacing ``resource_id`` (same name and region)."""
        sealed = self._box.seal_paths(dict(properties), secret_paths)
        with self._write(resource_id=resource_id) as session:
            old = _get(session, resource_id)
            sealed = self._seal_secrets(session, old.stack_id, sealed)
            new = _new_row(old.stack_id, old.name, type or old.type, old.region, sealed)
            new.replaces = old.id
            old.replaced_by = new.id
            session.add(new)
            session.flush()
            record = _record(self._box, new)
        self._remember_sealed(record.stack_id, sealed)
        return record

    def get_resource(self, resource_id: str) -> ResourceRecord:
        with self._session() as session:
            return _record(self._box, _get(session, resource_id))

    def stack_regions(self, stack_ids: list[str]) -> dict[str, list[str]]:
        """The regions each stack has resources in (current rows), sorted; one query."""
        query = (
            select(ResourceRow.stack_id, ResourceRow.region)
            .where(ResourceRow.stack_id.in_(stack_ids), ResourceRow.replaced_by.is_(None))
            .distinct()
        )
        found: dict[str, list[str]] = {stack_id: [] for stack_id in stack_ids}
        with self._session() as session:
            for stack_id, region in session.execute(query):
                if region:
                    found[stack_id].append(region)
        return {stack_id: sorted(regions) for stack_id, regions in found.items()}

    def list_resources(self, stack_id: str) -> list[ResourceRecord]:
        """Every row of the stack, replaced ones included, in creation order."""
        query = select(ResourceRow).where(ResourceRow.stack_id == stack_id)
        with self._session() as session:
            rows = session.scalars(query.order_by(ResourceRow.created_at, ResourceRow.id))
            return [_record(self._box, row) for row in rows]

    def set_resource_status(
        self,
        resource_id: str,
        action: Action,
        status: Status,
        reason: str = "",
        *,
        physical_id: str | None = None,
        event: bool = False,
    ) -> EventRecord | None:
        """Set action, status and reason (secrets scrubbed) and ``physical_id`` if given.

        With ``event``, the matching event is added in the same transaction and returned.
        """
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            self._apply_status(session, row, action, status, reason, physical_id)
            return _event_of(session, row) if event else None

    def start_action(
        self,
        resource_id: str,
        action: Action,
        intent: JSONDict | None,
        reason: str = "state changed",
        *,
        properties: Mapping[str, Any] | None = None,
        secret_paths: Iterable[SecretPath] = (),
    ) -> EventRecord:
        """Before a cloud call, in one transaction: record ``intent`` (and the resolved
        ``properties``, values at ``secret_paths`` sealed), set ``<action>_IN_PROGRESS``
        and add its event."""
        sealed = (
            None if properties is None else self._box.seal_paths(dict(properties), secret_paths)
        )
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            row.intent = intent
            if sealed is not None:
                sealed = self._seal_secrets(session, row.stack_id, sealed)
                self._remember_sealed(row.stack_id, sealed)
                row.properties = sealed
            self._apply_status(session, row, action, Status.IN_PROGRESS, reason, None)
            return _event_of(session, row)

    def finish_action(
        self,
        resource_id: str,
        action: Action,
        status: Status,
        reason: str = "state changed",
        *,
        physical_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        secret_paths: Iterable[SecretPath] = (),
        readiness: Readiness | None = None,
    ) -> EventRecord:
        """After the cloud work, in one transaction: the attributes if given (values at
        ``secret_paths`` sealed), ``<action>_<status>`` and its event, and ``readiness``,
        the bounds the polls put on when the resource became ready (``_readiness``).
        COMPLETE also clears the intent and the progress; FAILED keeps them, to find what
        was half made."""
        sealed = (
            None if attributes is None else self._box.seal_paths(dict(attributes), secret_paths)
        )
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            if sealed is not None:
                sealed = self._seal_secrets(session, row.stack_id, sealed)
                self._remember_sealed(row.stack_id, sealed)
                row.attributes = sealed
            if status is Status.COMPLETE:
                row.intent = row.progress = None
            self._apply_status(session, row, action, status, reason, physical_id)
            if readiness is not None:
                insert_readiness(session, row.type, row.region or "", action.value, readiness)
            return _event_of(session, row)

    def _apply_status(
        self,
        session: Session,
        row: ResourceRow,
        action: Action,
        status: Status,
        reason: str,
        physical_id: str | None,
    ) -> None:
        row.action, row.status = action.value, status.value
        row.status_reason = self._scrub(session, row.stack_id, reason)
        if physical_id is not None:
            row.physical_id = physical_id
        row.updated_at = utcnow()

    def set_attributes(
        self,
        resource_id: str,
        attributes: Mapping[str, Any],
        secret_paths: Iterable[SecretPath] = (),
    ) -> None:
        """Replace the resource's attributes; values at ``secret_paths`` are sealed, and
        every value holding a secret text of the stack."""
        sealed = self._box.seal_paths(dict(attributes), secret_paths)
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            row.attributes = self._seal_secrets(session, row.stack_id, sealed)
            row.updated_at = utcnow()
            stack_id = row.stack_id
        self._remember_sealed(stack_id, sealed)

    def record_intent(self, resource_id: str, intent: JSONDict | None) -> None:
        """Record what is about to happen in the cloud *before* the call, e.g.
        ``{"operation": "create", "tags": [...]}``; ``None`` once it is done."""
        self._set(resource_id, intent=intent)

    def set_progress(self, resource_id: str, progress: JSONDict | None) -> None:
        """The start/poll step state that lets an interrupted action resume (a value
        holding a secret text of the stack sealed)."""
        if not progress:
            self._set(resource_id, progress=progress)
            return
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            row.progress = self._seal_secrets(session, row.stack_id, _plain_copy(progress))
            row.updated_at = utcnow()

    def remove_resource(self, resource_id: str) -> None:
        """Drop the row (its cloud resource is gone) and the links to it."""
        with self._write(resource_id=resource_id) as session:
            row = _get(session, resource_id)
            session.execute(
                update(ResourceRow).where(ResourceRow.replaces == row.id).values(replaces=None)
            )
            session.execute(
                update(ResourceRow)
                .where(ResourceRow.replaced_by == row.id)
                .values(replaced_by=None)
            )
            session.delete(row)

    def _set(self, resource_id: str, **values: Any) -> str:
        with self._write(resource_id=resource_id) as session:
            stack_id: str | None = session.scalar(
                update(ResourceRow)
                .where(ResourceRow.id == resource_id)
                .values(updated_at=utcnow(), **values)
                .returning(ResourceRow.stack_id)
            )
        if stack_id is None:
            raise StoreError(f"resource {resource_id!r} not found")
        return stack_id


def _plain_copy(document: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(document))
    return copied


def _new_row(
    stack_id: str, name: str, type: str, region: str | None, properties: JSONDict
) -> ResourceRow:
    return ResourceRow(
        id=str(uuid.uuid4()), stack_id=stack_id, name=name, type=type, region=region,
        action=Action.INIT.value, status=Status.COMPLETE.value, status_reason="",
        properties=properties, attributes={}, created_at=utcnow(),
    )  # fmt: skip


def _event_of(session: Session, row: ResourceRow) -> EventRecord:
    """The event of the row's current status, added in ``session``."""
    return insert_event(
        session,
        EventRow(
            stack_id=row.stack_id, resource_name=row.name, resource_type=row.type,
            physical_id=row.physical_id, region=row.region, action=row.action,
            status=row.status, reason=row.status_reason, timestamp=row.updated_at,
        ),
    )  # fmt: skip


def _get(session: Session, resource_id: str) -> ResourceRow:
    row = session.get(ResourceRow, resource_id)
    if row is None:
        raise StoreError(f"resource {resource_id!r} not found")
    return row
