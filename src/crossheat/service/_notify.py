"""Telling webhooks that an operation ended or that a check found drift.

    store = watch_operations(Store.open(url))   # what ``Service.store`` does

Every engine frees its stack's lock when its operation ends, in whatever process it
runs (``crossheat serve``, a worker, a detached engine, the CLI's ``--wait``), and the
same transaction writes a notice of it (``Store.release_lock``). The webhooks' outbox
thread (``_webhooks``) of whichever process claims the notice first (that one, at once,
or any other with the database open, should it die) reads how the operation ended and
queues the event's deliveries in place of the notice; the operation never waits for it.
A lock freed with the stack still IN_PROGRESS (a worker pausing it) or by something that
was no operation (marking a resource unhealthy) sends nothing.

The event (``X-Crossheat-Event: stack.operation``, or ``stack.drift`` for a check that
ended CHECK_FAILED)::

    {"event": "stack.drift", "id": "<delivery id>", "sent_at": "...",
     "stack": {"id": "...", "name": "vpn", "project": "..."},
     "operation": "CHECK", "action": "CHECK", "status": "FAILED",
     "stack_status": "CHECK_FAILED", "reason": "...",
     "started_at": "...", "ended_at": "...",
     "drift": [{"resource": "east_net", "type": "OS::Neutron::Net", "region": "East",
                "physical_id": "...", "reason": "..."}]}

Reasons are the stored ones: secrets are masked there already.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crossheat.errors import StackNotFound
from crossheat.service._webhooks import WEBHOOKS, Outgoing, deployment_webhooks, stack_webhooks
from crossheat.store import NOTICE, notice_lock
from crossheat.store.models import utcnow
from crossheat.store.records import STACK_EVENT_TYPE, Action, Status

if TYPE_CHECKING:
    from crossheat.store import EventRecord, PendingDelivery, Store

#: A stack event this long before the lock was taken still counts as the operation's
#: (the lock's time is the database's clock, the event's the engine host's).
CLOCK_SLACK = timedelta(seconds=2)


def watch_operations(store: Store) -> Store:
    """``store``, telling the webhooks about each operation its engines end."""
    store.released_hooks.append(lambda notice: WEBHOOKS.noticed(store, notice))
    WEBHOOKS.watch(store)  # and deliver what other processes left in it
    return store


def operation_event(store: Store, notice: PendingDelivery) -> Outgoing | None:
    """The event of the operation a notice tells of (its kind, body and URLs), if one
    ended and a webhook is to hear of it."""
    stack_id, lock = notice_lock(notice)
    try:
        stack = store.get_stack(stack_id, include_deleted=True)
    except StackNotFound:
        return None
    urls = [*deployment_webhooks(), *stack_webhooks(stack.spec.tags)]
    if not urls or stack.status is Status.IN_PROGRESS:
        return None
    events = store.list_events(stack_id, resource_name=stack.name)  # the stack's own
    own = _operation_events(events, lock.acquired_at)
    if not own or own[-1].status is Status.IN_PROGRESS:
        return None  # the lock was taken for something else than an operation
    drift = stack.action is Action.CHECK and stack.status is Status.FAILED
    event: dict[str, Any] = {
        "event": "stack.drift" if drift else "stack.operation",
        "id": notice.delivery_id,
        "sent_at": _iso(utcnow()),
        "stack": {"id": stack.id, "name": stack.name, "project": stack.project},
        "operation": lock.operation or stack.action.value,
        "action": stack.action.value,
        "status": stack.status.value,
        "stack_status": stack.stack_status,
        "reason": stack.status_reason,
        "started_at": _iso(own[0].timestamp),
        "ended_at": _iso(own[-1].timestamp),
    }
    if drift:
        event["drift"] = [
            {"resource": r.name, "type": r.type, "region": r.region,
             "physical_id": r.physical_id, "reason": r.status_reason}
            for r in store.list_resources(stack_id)
            if not r.replaced_by and (r.action, r.status) == (Action.CHECK, Status.FAILED)
        ]  # fmt: skip
    return event["event"], json.dumps(event, default=str, sort_keys=True).encode(), urls


WEBHOOKS.reads(NOTICE, operation_event)


def _operation_events(events: list[EventRecord], since: datetime | None) -> list[EventRecord]:
    """The stack's own events written since the lock was taken (all without a time)."""
    mine = [e for e in events if e.resource_type == STACK_EVENT_TYPE]
    if since is None:
        return mine[-1:]
    start = _naive(since) - CLOCK_SLACK
    return [e for e in mine if _naive(e.timestamp) >= start]


def _naive(at: datetime) -> datetime:
    """``at`` in UTC without a zone, as the store keeps times."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _iso(at: datetime) -> str:
    return _naive(at).isoformat() + "Z"
