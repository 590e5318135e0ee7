"""Webhook POSTs still to make, kept until delivered or dropped (``service._webhooks``).

    ids = store.queue_deliveries("stack.operation", delivery_id, body, [url, ...])
    for d in store.claim_deliveries("host:pid", lease=15):   # due, nobody trying them
        ...POST d.url...
        store.delivery_done(d.id)                      # or delivery_retry(d.id, when)
    store.next_delivery_at()                           # when one is due next (None: none)
    store.remaining_deliveries(ids)                    # those not delivered or dropped yet

A process claims a due delivery for ``lease`` seconds, long enough for one attempt;
between attempts nobody holds it, so a process that dies loses nothing: its deliveries
are claimed by another once due (or, for one it was trying, once the lease has passed).
A claim is one conditional UPDATE per row, which two processes cannot both win, on
SQLite and PostgreSQL alike. URLs are sealed (they may carry a token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update

from crossheat.store._core import StoreCore
from crossheat.store.models import WebhookDeliveryRow, utcnow

#: Deliveries one claim takes at most.
CLAIM_BATCH = 20


@dataclass(frozen=True)
class PendingDelivery:
    """A delivery claimed to be tried now; ``attempts``: those made before."""

    id: int
    delivery_id: str
    kind: str
    url: str
    body: bytes
    attempts: int


class DeliveryQueries(StoreCore):
    def queue_deliveries(
        self, kind: str, delivery_id: str, body: bytes, urls: Sequence[str]
    ) -> list[int]:
        """One delivery of ``body`` per URL, due now; their ids."""
        now = utcnow()
        rows = [
            WebhookDeliveryRow(
                delivery_id=delivery_id,
                kind=kind,
                target={"url": self._box.seal(url)},
                body=body.decode(),
                attempts=0,
                due_at=now,
                created_at=now,
            )
            for url in urls
        ]
        with self._turn(), self._session() as session:
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    def claim_deliveries(self, owner: str, lease: float) -> list[PendingDelivery]:
        """Deliveries due now that nobody holds, held by ``owner`` for ``lease`` seconds."""
        now = utcnow()
        free = or_(
            WebhookDeliveryRow.claimed_until.is_(None), WebhookDeliveryRow.claimed_until < now
        )
        query = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.due_at <= now, free)
        claimed: list[PendingDelivery] = []
        with self._turn(), self._session() as session:
            candidates = session.scalars(
                query.order_by(WebhookDeliveryRow.due_at).limit(CLAIM_BATCH)
            )
            for row_id in list(candidates):
                won = session.execute(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.id == row_id, free)
                    .values(claimed_by=owner, claimed_until=now + timedelta(seconds=lease))
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process took it meanwhile
                row = session.get_one(WebhookDeliveryRow, row_id)
                claimed.append(PendingDelivery(
                    row.id, row.delivery_id, row.kind, str(self._box.open(row.target["url"])),
                    row.body.encode(), row.attempts,
                ))  # fmt: skip
        return claimed

    def delivery_done(self, delivery: int) -> None:
        """Delivered, or dropped: forgotten."""
        with self._turn(), self._session() as session:
            session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery))

    def delivery_retry(self, delivery: int, due_at: datetime) -> None:
        """One more attempt made that failed; the next is due at ``due_at``, by anyone."""
        with self._turn(), self._session() as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery)
                .values(
                    attempts=WebhookDeliveryRow.attempts + 1,
                    due_at=due_at,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    def remaining_deliveries(self, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` not delivered or dropped yet (by any process)."""
        query = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.id.in_(list(ids)))
        with self._session() as session:
            return set(session.scalars(query))

    def next_delivery_at(self) -> datetime | None:
        """When the next delivery can be tried: it is due and nobody holds it. None when
        there is none."""
        held = WebhookDeliveryRow.claimed_until > WebhookDeliveryRow.due_at
        when = case((held, WebhookDeliveryRow.claimed_until), else_=WebhookDeliveryRow.due_at)
        soonest = func.min(when, type_=WebhookDeliveryRow.due_at.type)
        with self._session() as session:
            found: datetime | None = session.scalar(select(soonest))
        return found
