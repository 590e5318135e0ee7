"""Nested stacks: one row per ``OS::Heat::Stack`` (or template resource) of a stack, with
the stack as its parent, following its parent's action and status; and one per template
resource of a nested template, with that nested stack as its parent, at every level.

    store.sync_nested(parent.id, {"remote": spec, "remote.sub": spec}, Action.CREATE, ...)
    store.nested_stacks(parent.id)           # {"remote": StackRecord, ...}: one level
    store.nested_ids(parent.id)              # {"remote": id, "remote.sub": id}: every level

The nested stack's resources are the parent's (``remote.net``, ``remote.sub.port``): the
engine deploys them with the parent's, so a nested row is the parent's view of them,
named ``<parent>-<resource>`` as Heat names the stack it makes for such a resource
(``<parent>-remote-sub`` for ``sub`` of ``remote``'s template).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select

from crossheat.store._core import StoreCore
from crossheat.store._stacks import _record, _seal_spec, descendants
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
        """Make the live nested stacks of ``parent_id`` be ``children`` (path of resource
        names -> the nested template: ``remote``, ``remote.sub`` for ``sub`` of remote's
        template, whose parent is remote's nested stack), each with ``action``/``status``;
        a nested stack whose resource is gone is marked deleted (its resources went with
        the parent's), and so are those below it."""
        now = utcnow()
        with self._write(parent_id) as session:
            parent = session.get(StackRow, parent_id)
            if parent is None:
                return
            live = descendants(session, parent)
            reason = self._scrub(session, parent_id, reason)
            for path, gone in live.items():
                if path not in children:
                    gone.action, gone.status = Action.DELETE.value, Status.COMPLETE.value
                    gone.deleted_at = gone.updated_at = now
            for path in sorted(children, key=lambda p: p.count(".")):
                row = live.get(path)
                owner_path, _, resource = path.rpartition(".")
                owner = live.get(owner_path) if owner_path in children else parent
                if row is None and owner is not None:
                    row = live[path] = StackRow(
                        id=str(uuid.uuid4()), name=f"{owner.name}-{resource}",
                        project=parent.project, parent_id=owner.id,
                        **_seal_spec(self._box, children[path]),
                    )  # fmt: skip
                    session.add(row)
                if row is not None:
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
        """The ids of the live nested stacks of ``parent_id`` at every level, by path of
        resource names (``remote``, ``remote.sub``)."""
        with self._session() as session:
            parent = session.get(StackRow, parent_id)
            if parent is None:
                return {}
            return {path: row.id for path, row in descendants(session, parent).items()}

    def delete_nested(self, parent_id: str) -> None:
        """Mark every nested stack of ``parent_id`` deleted, at every level (with the parent)."""
        self.sync_nested(parent_id, {}, Action.DELETE, Status.COMPLETE)


def _resource_of(parent: str, name: str) -> str:
    return name.removeprefix(f"{parent}-")
