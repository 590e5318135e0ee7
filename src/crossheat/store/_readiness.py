"""When polled resources became ready: the bounds the engine's poll schedules learn from.

    store.finish_action(r.id, Action.CREATE, Status.COMPLETE, readiness=Readiness(2.9, 3.05))
    store.recent_readiness("OS::Nova::Server", "East", "CREATE")   # [..., Readiness(2.9, 3.05)]

A finished action that polled leaves one row (``engine.pacing`` says what the bounds
are): written in the transaction that finishes the action (``insert_readiness``), so
it costs no write of its own, and fenced as that one is. Rows are of a type in a region,
not of a stack: they outlive the stacks that taught them, as the cloud's pace does. Only
the last ``RECENT`` of each are kept: the same write deletes the older ones.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crossheat.store._core import StoreCore
from crossheat.store.models import ReadinessRow, utcnow
from crossheat.store.records import Readiness

#: Rows read per (type, region, action): ``engine.pacing.SPAN``.
RECENT = 20


def insert_readiness(
    session: Session, resource_type: str, region: str, action: str, bounds: Readiness
) -> None:
    """Add ``bounds`` in the caller's transaction, and forget those of the same type,
    region and action older than the last ``RECENT``."""
    session.add(
        ReadinessRow(
            resource_type=resource_type, region=region, action=action,
            not_ready_at=bounds.not_ready_at, ready_by=bounds.ready_by, recorded_at=utcnow(),
        )
    )  # fmt: skip
    session.flush()
    same = (
        ReadinessRow.resource_type == resource_type,
        ReadinessRow.region == region,
        ReadinessRow.action == action,
    )
    oldest_kept = (
        select(ReadinessRow.id).where(*same).order_by(ReadinessRow.id.desc())
        .offset(RECENT - 1).limit(1).scalar_subquery()
    )  # fmt: skip
    session.execute(
        delete(ReadinessRow).where(*same, ReadinessRow.id < oldest_kept),
        execution_options={"synchronize_session": False},
    )


class ReadinessQueries(StoreCore):
    def recent_readiness(
        self, resource_type: str, region: str, action: str, *, keep: int = RECENT
    ) -> list[Readiness]:
        """The bounds of the last ``keep`` actions that polled resources of
        ``resource_type`` in ``region``, in any stack, oldest first."""
        query = (
            select(ReadinessRow.not_ready_at, ReadinessRow.ready_by)
            .where(ReadinessRow.resource_type == resource_type, ReadinessRow.region == region)
            .where(ReadinessRow.action == action)
            .order_by(ReadinessRow.id.desc())
            .limit(keep)
        )
        with self._session() as session:
            rows = list(session.execute(query))
        return [Readiness(float(low), float(high)) for low, high in reversed(rows)]
