"""Webhook POSTs still to make, kept until delivered or dropped (``service._webhooks``).

    ids = store.queue_deliveries("stack.operation", delivery_id, body, [url, ...])
    ids = store.queue_deliveries(..., replacing=notice.id)  # what a notice turned into
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

A *notice* (kind ``NOTICE``, no URL) is a row written with the freeing of a stack's lock,
in the same transaction (``Store.release_lock``): the operation that held it has ended.
It is claimed like a delivery, and the webhooks' outbox turns it into the deliveries of
the operation's event (``replacing``: in one transaction, so the event is queued once)
or drops it (no webhook, no operation), in whichever process claims it first: one that
dies as its operation ends loses nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update

from crossheat.store._core import StoreCore
from crossheat.store.models import WebhookDeliveryRow, utcnow
from crossheat.store.records import LockInfo

#: Deliveries one claim takes at most.
CLAIM_BATCH = 20
#: The kind of a notice: a stack's lock was freed by the engine that held it.
NOTICE = "stack.released"


def notice_row(stack_id: str, lock: LockInfo) -> WebhookDeliveryRow:
    """The notice that ``lock`` on the stack was freed by its holder (due now); its
    ``delivery_id`` is the id of the event it turns into."""
    now = utcnow()
    body = {
        "stack_id": stack_id, "operation": lock.operation, "engine_id": lock.engine_id,
        "acquired_at": None if lock.acquired_at is None else lock.acquired_at.isoformat(),
    }  # fmt: skip
    return WebhookDeliveryRow(
        delivery_id=str(uuid.uuid4()), kind=NOTICE, target={}, body=json.dumps(body),
        attempts=0, due_at=now, created_at=now,
    )  # fmt: skip


def notice_lock(delivery: PendingDelivery) -> tuple[str, LockInfo]:
    """The stack and the lock a notice (``notice_row``) tells of."""
    body = json.loads(delivery.body)
    acquired = body["acquired_at"]
    at = None if acquired is None else datetime.fromisoformat(acquired)
    return body["stack_id"], LockInfo(body["operation"], body["engine_id"], at, None)


@dataclass(frozen=True)
class PendingDelivery:
    """A delivery claimed to be tried now (or a notice to read: ``url`` empty);
    ``attempts``: those made before."""

    id: int
    delivery_id: str
    kind: str
    url: str
    body: bytes
    attempts: int


class DeliveryQueries(StoreCore):
    def queue_deliveries(
        self, kind: str, delivery_id: str, body: bytes, urls: Sequence[str],
        *, replacing: int | None = None,
    ) -> list[int]:  # fmt: skip
        """One delivery of ``body`` per URL (each once), due now; their ids.
        ``replacing``: a notice these deliveries come from, deleted in the same
        transaction (none are queued when it is gone already: another process turned it
        into them)."""
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
            for url in dict.fromkeys(urls)
        ]
        with self._turn(), self._session() as session:
            if replacing is not None:
                gone = session.execute(
                    delete(WebhookDeliveryRow).where(WebhookDeliveryRow.id == replacing)
                )
                if gone.rowcount != 1:  # type: ignore[attr-defined]
                    return []
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
                url = str(self._box.open(row.target["url"])) if "url" in row.target else ""
                claimed.append(PendingDelivery(
                    row.id, row.delivery_id, row.kind, url, row.body.encode(), row.attempts
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
