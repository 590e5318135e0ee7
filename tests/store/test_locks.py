"""Stack locks, including two real processes racing for the same stacks."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from datetime import timedelta
from multiprocessing.synchronize import Barrier, Event

import pytest

from crossheat.errors import StackLocked, StackNotFound, StoreError
from crossheat.store import Action, StackSpec, Store, new_engine_id

SPAWN = multiprocessing.get_context("spawn")
ROUNDS = 15


def _stack(store: Store, name: str = "vpn") -> str:
    return store.create_stack(name, "p1", StackSpec(template={})).id


def test_second_engine_is_told_who_holds_the_stack(store: Store) -> None:
    stack_id = _stack(store)
    holder, other = new_engine_id(), new_engine_id()
    store.acquire_lock(stack_id, Action.UPDATE, holder)
    with pytest.raises(StackLocked, match=rf"UPDATE operation of engine {holder} since 20\d\d-"):
        store.acquire_lock(stack_id, Action.DELETE, other)
    with pytest.raises(StackLocked):
        store.acquire_lock(stack_id, Action.UPDATE, holder)  # not re-entrant either
    lock = store.get_stack(stack_id).lock
    assert (lock.operation, lock.engine_id) == ("UPDATE", holder)


def test_release_frees_the_stack_only_for_its_holder(store: Store) -> None:
    stack_id = _stack(store)
    holder, other = new_engine_id(), new_engine_id()
    store.acquire_lock(stack_id, Action.CREATE, holder)
    store.release_lock(stack_id, other)
    assert store.get_lock(stack_id).engine_id == holder
    store.release_lock(stack_id, holder)
    assert not store.get_lock(stack_id).held
    store.acquire_lock(stack_id, Action.DELETE, other)


def test_heartbeat_moves_forward_and_fails_once_the_lock_is_lost(store: Store) -> None:
    stack_id = _stack(store)
    holder = new_engine_id()
    store.acquire_lock(stack_id, Action.CREATE, holder)
    first = store.get_lock(stack_id).heartbeat_at
    time.sleep(0.01)
    store.heartbeat_lock(stack_id, holder)
    second = store.get_lock(stack_id).heartbeat_at
    assert first is not None and second is not None and second > first
    store.release_lock(stack_id, holder)
    with pytest.raises(StackLocked, match="lost the lock"):
        store.heartbeat_lock(stack_id, holder)


def test_a_cancel_request_reaches_the_holder_on_any_host_and_ends_with_the_lock(
    store: Store,
) -> None:
    stack_id = _stack(store)
    elsewhere = "engine-host-2:4242:0a1b2c3d"  # another machine sharing the database
    store.acquire_lock(stack_id, Action.UPDATE, elsewhere)
    assert not store.cancel_requested(stack_id, elsewhere)
    assert not store.request_cancel(stack_id, new_engine_id())  # not the holder
    assert store.request_cancel(stack_id, elsewhere)
    assert store.cancel_requested(stack_id, elsewhere)
    assert store.get_lock(stack_id).cancel_requested_at is not None
    worker = new_engine_id()
    store.hand_over_lock(stack_id, elsewhere, worker)
    assert store.cancel_requested(stack_id, worker)  # the worker that takes over honours it
    store.release_lock(stack_id, worker)
    store.acquire_lock(stack_id, Action.UPDATE, worker)
    assert not store.cancel_requested(stack_id, worker)  # the next operation starts clean


def test_take_over_needs_a_dead_holder(store: Store) -> None:
    stack_id = _stack(store)
    with pytest.raises(StoreError, match="not locked"):
        store.take_over_lock(stack_id, new_engine_id())
    alive = new_engine_id()  # this very process
    store.acquire_lock(stack_id, Action.UPDATE, alive)
    with pytest.raises(StackLocked, match="holder is alive"):
        store.take_over_lock(stack_id, new_engine_id())


def test_take_over_after_heartbeats_stop(store: Store) -> None:
    stack_id = _stack(store)
    elsewhere = "other-host.example:4242:abcd1234"  # its pid cannot be checked from here
    store.acquire_lock(stack_id, Action.DELETE, elsewhere)
    with pytest.raises(StackLocked):
        store.take_over_lock(stack_id, new_engine_id(), stale_after=timedelta(minutes=5))
    time.sleep(0.02)
    mine = new_engine_id()
    previous = store.take_over_lock(stack_id, mine, stale_after=timedelta(milliseconds=10))
    assert (previous.operation, previous.engine_id) == ("DELETE", elsewhere)
    lock = store.get_lock(stack_id)
    assert (lock.operation, lock.engine_id) == ("DELETE", mine)


def test_deleted_stack_cannot_be_locked(store: Store) -> None:
    stack_id = _stack(store)
    store.soft_delete_stack(stack_id)
    with pytest.raises(StackNotFound):
        store.acquire_lock(stack_id, Action.CREATE, new_engine_id())


def _race(
    url: str, stack_ids: list[str], barrier: Barrier, wins: multiprocessing.Queue[str]
) -> None:
    engine_id = new_engine_id()
    with Store.open(url) as store:
        for stack_id in stack_ids:
            barrier.wait(timeout=30)
            try:
                store.acquire_lock(stack_id, Action.CREATE, engine_id)
            except StackLocked:
                continue
            wins.put(stack_id)


def test_two_processes_never_both_win_a_stack(store: Store, db_url: str) -> None:
    stack_ids = [_stack(store, f"s{i}") for i in range(ROUNDS)]
    barrier, wins = SPAWN.Barrier(2), SPAWN.Queue()
    racers = [SPAWN.Process(target=_race, args=(db_url, stack_ids, barrier, wins)) for _ in "ab"]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    won = [wins.get(timeout=5) for _ in range(ROUNDS)]
    assert sorted(won) == sorted(stack_ids)  # each stack won exactly once
    assert wins.empty()
    holders = {store.get_lock(stack_id).engine_id for stack_id in stack_ids}
    assert len(holders) <= 2 and None not in holders


def _hold(url: str, stack_id: str, holding: Event) -> None:
    with Store.open(url) as store:
        store.acquire_lock(stack_id, Action.CREATE, new_engine_id())
        holding.set()
        time.sleep(60)


def test_lock_of_a_killed_engine_is_taken_over(store: Store, db_url: str) -> None:
    stack_id = _stack(store)
    holding = SPAWN.Event()
    holder = SPAWN.Process(target=_hold, args=(db_url, stack_id, holding))
    holder.start()
    assert holding.wait(timeout=30)
    assert holder.pid is not None
    dead = store.get_lock(stack_id)
    assert dead.engine_id is not None
    assert dead.engine_id.startswith(f"{socket.gethostname()}:{holder.pid}:")
    with pytest.raises(StackLocked, match="alive"):
        store.take_over_lock(stack_id, new_engine_id())
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    previous = store.take_over_lock(stack_id, new_engine_id())
    assert previous == dead
