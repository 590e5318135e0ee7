"""An operation holding a stack stops at once when its heartbeat fails or a write is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from crossheat.errors import LockLost
from crossheat.service import _stacks as stacks
from crossheat.store import Action, StackSpec, Status, Store

HOLDER = "other-host.example:4242:abcd1234"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'crossheat.db'}")


async def _until_stopped(stop: asyncio.Event, store: Store, stack_id: str) -> str:
    """An operation: it works until told to stop, then tries to record its end."""
    await stop.wait()
    await asyncio.to_thread(
        store.update_stack_status, stack_id, Action.CREATE, Status.FAILED, "stopped"
    )
    return "returned"


def test_a_failed_heartbeat_stops_the_operation_and_nothing_more_is_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSHEAT_LOCK_HEARTBEAT", "0.05")
    stack_id = store.create_stack("vpn", "p1", StackSpec(template={})).id
    store.acquire_lock(stack_id, Action.CREATE, HOLDER)
    store.take_over_lock(stack_id, "thief:1:x", stale_after=timedelta(0))  # behind its back

    async def scenario() -> str:
        stop = asyncio.Event()
        main = _until_stopped(stop, store, stack_id)
        return await asyncio.wait_for(
            stacks._holding(store, stack_id, HOLDER, main, stop.set), timeout=5
        )

    with pytest.raises(LockLost, match="heartbeat failed"):
        asyncio.run(scenario())
    assert store.get_stack(stack_id).stack_status == "CREATE_IN_PROGRESS"  # not "stopped"


def test_a_refused_write_stops_the_operation(store: Store) -> None:
    stack_id = store.create_stack("vpn", "p1", StackSpec(template={})).id
    store.acquire_lock(stack_id, Action.CREATE, HOLDER)

    async def scenario() -> str:
        stop = asyncio.Event()

        async def operation() -> str:
            store.take_over_lock(stack_id, "thief:1:x", stale_after=timedelta(0))
            with pytest.raises(LockLost):
                await asyncio.to_thread(
                    store.add_event, stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS
                )
            await asyncio.wait_for(stop.wait(), timeout=5)  # the refusal stopped it
            return "stopped"

        return await stacks._holding(store, stack_id, HOLDER, operation(), stop.set)

    with pytest.raises(LockLost, match="engine thief:1:x holds it"):
        asyncio.run(scenario())


def test_an_operation_that_keeps_its_lock_returns_its_result(store: Store) -> None:
    stack_id = store.create_stack("vpn", "p1", StackSpec(template={})).id
    store.acquire_lock(stack_id, Action.CREATE, HOLDER)

    async def operation() -> str:
        await asyncio.to_thread(
            store.update_stack_status, stack_id, Action.CREATE, Status.COMPLETE, "done"
        )
        return "done"

    async def scenario() -> str:
        return await stacks._holding(store, stack_id, HOLDER, operation(), lambda: None)

    assert asyncio.run(scenario()) == "done"
    assert store.get_stack(stack_id).stack_status == "CREATE_COMPLETE"
