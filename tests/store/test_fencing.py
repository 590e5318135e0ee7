"""Fencing: an engine whose stack was taken over writes nothing more; lock times are the
database's clock, not the host's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from sqlalchemy import event, text

from crossheat.errors import LockLost, StackLocked
from crossheat.store import Action, StackSpec, Status, Store, new_engine_id
from crossheat.store import _core as core
from crossheat.store._core import FRESH_FENCE_SECONDS

ELSEWHERE = "other-host.example:4242:abcd1234"  # a holder whose pid cannot be checked from here


def _stack_with_resource(store: Store) -> tuple[str, str]:
    stack_id = store.create_stack("vpn", "p1", StackSpec(template={})).id
    resource = store.upsert_resource(stack_id, "net", "OS::Neutron::Net", region="East")
    return stack_id, resource.id


def _taken_over(store: Store, db_url: str, stack_id: str) -> str:
    """Another engine (another process, its own connections) takes the stack over."""
    thief = new_engine_id()
    with Store.open(db_url) as other:
        time.sleep(0.01)
        other.take_over_lock(stack_id, thief, stale_after=timedelta(0))
    return thief


def test_writes_of_the_holder_pass_and_a_taken_over_engine_writes_nothing(
    store: Store, db_url: str
) -> None:
    stack_id, resource_id = _stack_with_resource(store)
    store.acquire_lock(stack_id, Action.CREATE, ELSEWHERE)
    lost: list[str] = []
    store.fence(stack_id, ELSEWHERE, lambda: lost.append("stop"))
    store.start_action(resource_id, Action.CREATE, {"operation": "create"})
    store.add_event(stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS, "started")
    assert lost == []

    thief = _taken_over(store, db_url, stack_id)
    before = (store.get_resource(resource_id), len(store.list_events(stack_id)))
    refused = [
        lambda: store.finish_action(resource_id, Action.CREATE, Status.COMPLETE, physical_id="p"),
        lambda: store.set_resource_status(resource_id, Action.CREATE, Status.FAILED, "x"),
        lambda: store.set_progress(resource_id, {"step": "poll"}),
        lambda: store.record_intent(resource_id, None),
        lambda: store.add_event(stack_id, "vpn", Action.CREATE, Status.FAILED, "late"),
        lambda: store.update_stack_status(stack_id, Action.CREATE, Status.FAILED, "late"),
        lambda: store.upsert_resource(stack_id, "other", "OS::Heat::None"),
        lambda: store.add_resources(stack_id, [("more", "OS::Heat::None", None)]),
        lambda: store.remove_resource(resource_id),
        lambda: store.soft_delete_stack(stack_id),
    ]
    for write in refused:
        with pytest.raises(LockLost, match=f"engine {thief} holds it"):
            write()
    assert lost == ["stop"]  # told once, at the first refused write
    assert (store.get_resource(resource_id), len(store.list_events(stack_id))) == before
    stack = store.get_stack(stack_id)
    assert (stack.stack_status, stack.lock.engine_id) == ("CREATE_IN_PROGRESS", thief)
    assert store.unfence(stack_id) is not None


def test_writes_of_stacks_this_process_does_not_fence_are_not_checked(store: Store) -> None:
    stack_id, resource_id = _stack_with_resource(store)
    store.fence("some-other-stack", ELSEWHERE)
    store.set_progress(resource_id, {"step": "poll"})  # no lock at all: not fenced
    store.update_stack_status(stack_id, Action.CREATE, Status.COMPLETE, "done")
    assert store.get_resource(resource_id).progress == {"step": "poll"}
    assert store.get_stack(stack_id).stack_status == "CREATE_COMPLETE"


def test_after_a_failed_heartbeat_every_write_is_refused(store: Store) -> None:
    stack_id, resource_id = _stack_with_resource(store)
    store.acquire_lock(stack_id, Action.CREATE, ELSEWHERE)
    store.fence(stack_id, ELSEWHERE)
    store.fence_lost(stack_id, "heartbeat failed")
    with pytest.raises(LockLost, match="heartbeat failed"):
        store.set_progress(resource_id, {"step": "poll"})
    assert store.get_resource(resource_id).progress is None
    assert (
        store.unfence(stack_id) == "heartbeat failed; the operation stops and writes nothing more"
    )


def test_lock_times_are_the_databases_clock_not_the_hosts(store: Store) -> None:
    """An engine on a host whose clock is an hour slow is alive all the same."""
    stack_id, _ = _stack_with_resource(store)
    slow = datetime.now(UTC) - timedelta(hours=1)
    with mock.patch("crossheat.store.locks.utcnow", return_value=slow):
        store.acquire_lock(stack_id, Action.UPDATE, ELSEWHERE)
        store.heartbeat_lock(stack_id, ELSEWHERE)
    lock = store.get_lock(stack_id)
    assert lock.read_at is not None and lock.heartbeat_at is not None
    assert abs(lock.read_at - lock.heartbeat_at) < timedelta(minutes=1)
    with pytest.raises(StackLocked, match="holder is alive"):
        store.take_over_lock(stack_id, new_engine_id())


def test_an_engine_checks_its_fence_before_a_cloud_call(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_id, resource_id = _stack_with_resource(store)
    store.check_fence(stack_id)  # not fenced: nothing to check
    store.acquire_lock(stack_id, Action.CREATE, ELSEWHERE)
    lost: list[str] = []
    store.fence(stack_id, ELSEWHERE, lambda: lost.append("stop"))
    reads: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: reads.append(a[2]))
    store.check_fence(stack_id)  # it holds the stack: one read says so
    assert len(reads) == 1 and lost == []
    store.check_fence(stack_id)  # the next calls, while that read is fresh: none
    store.set_progress(resource_id, {"step": "poll"})  # a fenced write confirms it too
    reads.clear()
    store.check_fence(stack_id)
    assert reads == []

    thief = _taken_over(store, db_url, stack_id)
    # The engine froze meanwhile (its stack was taken over because it was silent): on
    # waking, what it last read is old, so it reads again before its next call.
    woken = SimpleNamespace(monotonic=lambda: time.monotonic() + 2 * FRESH_FENCE_SECONDS)
    monkeypatch.setattr(core, "time", woken)
    with pytest.raises(LockLost, match=f"engine {thief} holds it"):
        store.check_fence(stack_id)  # no write of its own needed to find out
    assert len(reads) == 1 and lost == ["stop"]
    with pytest.raises(LockLost):
        store.check_fence(stack_id)
    assert lost == ["stop"]  # told once


def test_postgresql_ends_a_session_left_idle_in_a_transaction(pg_schema_url: str) -> None:
    with Store.open(pg_schema_url) as pg, pg.engine.connect() as conn:
        shown = conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()
    assert shown == "15s"  # a frozen engine's locks are freed for a take-over
