"""Nested stacks: one row per ``OS::Heat::Stack`` (or template resource) of a stack, with
the stack as its parent, following its parent's action and status.

    store.sync_nested(parent.id, {"remote": spec}, Action.CREATE, Status.COMPLETE, "...")
    store.nested_stacks(parent.id)           # {"remote": StackRecord, ...}

The nested stack's resources are the parent's (``remote.net``): the engine deploys
them with the parent's, so a nested row is the parent's view of them, named
``<parent>-<resource>`` as Heat names the stack it makes for such a resource.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select

from crossheat.store._core import StoreCore
from crossheat.store._stacks import _record, _seal_spec
from crossheat.store.models import StackRow, utcnow
from crossheat.store.records import Action, StackRecord, StackSpec, Status


class NestedQueries(StoreCore):
    def sync_nested(
        self,
        parent_id: str,
        children: Mapping[str, StackSpec],
        action: Action,
        status: Status,
        reason: str = "",
    ) -> None:
        """Make the live nested stacks of ``parent_id`` be ``children`` (resource name ->
        the nested template), each with ``action``/``status``; a nested stack whose
        resource is gone is marked deleted (its resources went with the parent's)."""
        now = utcnow()
        with self._write(parent_id) as session:
            parent = session.get(StackRow, parent_id)
            if parent is None:
                return
            rows = session.scalars(
                select(StackRow).where(
                    StackRow.parent_id == parent_id, StackRow.deleted_at.is_(None)
                )
            )
            live = {_resource_of(parent.name, row.name): row for row in rows}
            reason = self._scrub(session, parent_id, reason)
            for resource, gone in live.items():
                if resource not in children:
                    gone.action, gone.status = Action.DELETE.value, Status.COMPLETE.value
                    gone.deleted_at = gone.updated_at = now
            for resource, spec in children.items():
                row = live.get(resource)
                if row is None:
                    row = StackRow(
                        id=str(uuid.uuid4()), name=f"{parent.name}-{resource}",
                        project=parent.project, parent_id=parent_id,
                        **_seal_spec(self._box, spec),
                    )  # fmt: skip
                    session.add(row)
                row.action, row.status, row.status_reason = action.value, status.value, reason
                row.updated_at = now

    def nested_stacks(self, parent_id: str) -> dict[str, StackRecord]:
        """The live nested stacks of ``parent_id``, by the parent's resource name."""
        with self._session() as session:
            parent = session.get(StackRow, parent_id)
            if parent is None:
                return {}
            rows = session.scalars(
                select(StackRow)
                .where(StackRow.parent_id == parent_id, StackRow.deleted_at.is_(None))
                .order_by(StackRow.created_at)
            )
            return {_resource_of(parent.name, r.name): _record(self._box, r) for r in rows}

    def nested_ids(self, parent_id: str) -> dict[str, str]:
        """The ids of the live nested stacks of ``parent_id``, by resource name."""
        return {name: stack.id for name, stack in self.nested_stacks(parent_id).items()}

    def delete_nested(self, parent_id: str) -> None:
        """Mark every nested stack of ``parent_id`` deleted (with the parent)."""
        self.sync_nested(parent_id, {}, Action.DELETE, Status.COMPLETE)


def _resource_of(parent: str, name: str) -> str:
    return name.removeprefix(f"{parent}-")
