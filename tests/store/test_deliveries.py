"""Webhook deliveries kept in the database: claimed by one process at a time, for one
attempt; due again later after a failure; the URL sealed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from crossheat.store import Store

URL = "https://hooks.example/notify?token=deliveries-token-5b1e"


def test_a_due_delivery_is_claimed_by_one_process_for_one_attempt(db_url: str) -> None:
    with Store.open(db_url) as store:
        (first,) = store.queue_deliveries("stack.operation", "d-1", b'{"a": 1}', [URL])
        claimed = store.claim_deliveries("host-a:1", lease=30)
        assert [(d.id, d.url, d.body, d.attempts) for d in claimed] == [
            (first, URL, b'{"a": 1}', 0)
        ]
        assert store.claim_deliveries("host-b:2", lease=30) == []  # held by a
        later = datetime.now(UTC) + timedelta(seconds=0.5)
        store.delivery_retry(first, later)  # a's attempt failed
        assert store.claim_deliveries("host-b:2", lease=30) == []  # not due yet
        due = store.next_delivery_at()
        assert due is not None and abs((due - later).total_seconds()) < 0.01
        again = []
        while not again and datetime.now(UTC) < later + timedelta(seconds=5):
            again = store.claim_deliveries("host-b:2", lease=30)
        assert datetime.now(UTC) >= later
        assert [(d.id, d.attempts) for d in again] == [(first, 1)]
        store.delivery_done(first)
        assert store.claim_deliveries("host-b:2", lease=30) == []
        assert store.next_delivery_at() is None


def test_one_held_by_a_process_that_stopped_is_claimed_once_its_lease_has_passed(
    db_url: str,
) -> None:
    with Store.open(db_url) as store:
        ids = store.queue_deliveries("stack.drift", "d-2", b"{}", [URL, URL + "&b"])
        assert len(store.claim_deliveries("dead:1", lease=0.2)) == 2
        assert store.claim_deliveries("alive:2", lease=30) == []
        due = store.next_delivery_at()
        assert due is not None and due > datetime.now(UTC)  # when the lease ends
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        claimed = []
        while not claimed and datetime.now(UTC) < deadline:
            claimed = store.claim_deliveries("alive:2", lease=30)
        assert sorted(d.id for d in claimed) == ids


def test_the_url_is_sealed_in_the_database(db_url: str) -> None:
    with Store.open(db_url) as store:
        store.queue_deliveries("stack.operation", "d-3", b"{}", [URL])
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM webhook_deliveries")).all()
        assert len(rows) == 1
        assert "deliveries-token-5b1e" not in repr(rows)
        assert "hooks.example" not in repr(rows)
