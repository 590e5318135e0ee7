"""Readiness bounds: written with the action that finishes, read per type, region and
action by any later operation, process or stack."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from crossheat.errors import LockLost
from crossheat.store import Action, Readiness, StackSpec, Status, Store, new_engine_id

SERVER = "OS::Nova::Server"


def _server(store: Store, name: str = "vm", region: str | None = "East") -> str:
    stack = store.create_stack(f"vpn-{name}", "p1", StackSpec(template={}))
    return store.upsert_resource(stack.id, name, SERVER, region=region).id


def test_a_finished_action_leaves_its_bounds_for_later_processes(db_url: str) -> None:
    with Store.open(db_url) as store:
        for n, bounds in enumerate([Readiness(2.9, 3.1), Readiness(3.0, 3.05)]):
            resource_id = _server(store, f"vm{n}")
            store.start_action(resource_id, Action.CREATE, {"operation": "create"})
            store.finish_action(resource_id, Action.CREATE, Status.COMPLETE, readiness=bounds)
        west = _server(store, "west", "West")
        store.finish_action(west, Action.CREATE, Status.COMPLETE, readiness=Readiness(1.0, 2.0))
        store.finish_action(west, Action.DELETE, Status.COMPLETE, readiness=Readiness(0.0, 0.5))
        store.finish_action(west, Action.UPDATE, Status.COMPLETE)  # nothing polled
        nowhere = _server(store, "nowhere", None)
        store.finish_action(nowhere, Action.CREATE, Status.COMPLETE, readiness=Readiness(0, 1))
    with Store.open(db_url) as later:  # another process, say
        assert later.recent_readiness(SERVER, "East", "CREATE") == [
            Readiness(2.9, 3.1), Readiness(3.0, 3.05),
        ]  # fmt: skip
        assert later.recent_readiness(SERVER, "West", "CREATE") == [Readiness(1.0, 2.0)]
        assert later.recent_readiness(SERVER, "West", "DELETE") == [Readiness(0.0, 0.5)]
        assert later.recent_readiness(SERVER, "West", "UPDATE") == []
        assert later.recent_readiness(SERVER, "", "CREATE") == [Readiness(0.0, 1.0)]
        assert later.recent_readiness(SERVER, "East", "CREATE", keep=1) == [Readiness(3.0, 3.05)]


def test_only_the_last_few_are_read_and_kept(store: Store) -> None:
    resource_id = _server(store)
    for n in range(25):
        store.finish_action(
            resource_id, Action.CREATE, Status.COMPLETE, readiness=Readiness(n, n + 1)
        )
    got = store.recent_readiness(SERVER, "East", "CREATE")
    assert got == [Readiness(float(n), float(n + 1)) for n in range(5, 25)]
    # The older ones are gone from the database, not only left unread.
    assert store.recent_readiness(SERVER, "East", "CREATE", keep=100) == got


def test_an_engine_that_lost_its_stack_records_no_bounds(store: Store, db_url: str) -> None:
    resource_id = _server(store)
    stack_id = store.get_resource(resource_id).stack_id
    holder = new_engine_id()
    store.acquire_lock(stack_id, Action.CREATE, holder)
    store.fence(stack_id, holder)
    with Store.open(db_url) as other:
        time.sleep(0.01)
        other.take_over_lock(stack_id, new_engine_id(), stale_after=timedelta(0))
    with pytest.raises(LockLost):
        store.finish_action(
            resource_id, Action.CREATE, Status.COMPLETE, readiness=Readiness(2.9, 3.1)
        )
    assert store.recent_readiness(SERVER, "East", "CREATE") == []
