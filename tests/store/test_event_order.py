"""Events are numbered per stack in commit order: a reader that follows the numbers gets
every event once, in order, however many writers there are (``store/_events.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from crossheat.store import Action, EventCursor, EventRecord, StackSpec, Status, Store
from crossheat.store._events import insert_event
from crossheat.store.models import EventRow, utcnow


def _stack(store: Store, name: str = "vpn") -> str:
    return store.create_stack(name, "p1", StackSpec(template={})).id


@contextmanager
def _open_event(store: Store, stack_id: str, reason: str) -> Iterator[EventRecord]:
    """An event inserted in a transaction that commits when the block ends."""
    with Session(store.engine) as session:
        yield insert_event(
            session,
            EventRow(
                stack_id=stack_id, resource_name="net", resource_type="OS::Neutron::Net",
                action="CREATE", status="COMPLETE", reason=reason, timestamp=utcnow(),
            ),
        )  # fmt: skip
        session.commit()


def test_each_stack_numbers_its_events_from_one(store: Store) -> None:
    vpn, web = _stack(store, "vpn"), _stack(store, "web")
    added = [
        store.add_event(stack, stack, Action.CREATE, Status.IN_PROGRESS)
        for stack in (vpn, web, vpn, vpn, web)
    ]
    assert [(e.stack_id, e.seq) for e in added] == [
        (vpn, 1), (web, 1), (vpn, 2), (vpn, 3), (web, 2),
    ]  # fmt: skip
    assert [e.seq for e in store.list_events(vpn)] == [1, 2, 3]


def test_an_event_rolled_back_gives_its_number_back(store: Store) -> None:
    stack_id = _stack(store)
    store.add_event(stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS)
    with Session(store.engine) as session:
        row = EventRow(stack_id=stack_id, resource_name="net", resource_type="OS::Neutron::Net",
                       action="CREATE", status="FAILED", reason="", timestamp=utcnow())  # fmt: skip
        assert insert_event(session, row).seq == 2
        session.rollback()
    again = store.add_event(stack_id, "vpn", Action.CREATE, Status.COMPLETE)
    assert again.seq == 2
    assert [e.seq for e in store.list_events(stack_id)] == [1, 2]


def test_a_writer_waits_for_the_event_numbered_before_its_own_to_commit(store: Store) -> None:
    """The first event (lower id) commits late: the second writer waits for it, so no
    reader can see the second without the first; each reader gets both once, in order."""
    stack_id = _stack(store)
    cursor = EventCursor(store, stack_id)
    with _open_event(store, stack_id, "slow") as slow:
        quick = threading.Thread(
            target=store.add_event,
            args=(stack_id, "subnet", Action.CREATE, Status.COMPLETE, "quick"),
        )
        quick.start()
        quick.join(timeout=1.0)
        assert quick.is_alive()  # it waits for "slow" to commit
        assert cursor.read() == []
        assert store.list_events(stack_id) == []
    quick.join(timeout=30)
    assert not quick.is_alive()
    read = cursor.read()
    assert [(e.reason, e.seq) for e in read] == [("slow", 1), ("quick", 2)]
    assert read[0].id == slow.id
    assert cursor.read() == []


def test_many_fenced_writers_and_a_follower_agree_on_every_event(store: Store, db_url: str) -> None:
    """Three engines' connections, two threads each, write one stack under its fence
    (a share lock on the stack row on PostgreSQL: no deadlock with the numbering), while
    a follower reads: it gets all the events, once each, numbered 1..n in order."""
    stack_id = _stack(store)
    engine_id = "engine-a"
    store.acquire_lock(stack_id, Action.CREATE, engine_id)
    stores = [Store.open(db_url) for _ in range(3)]
    per_writer, writers = 15, []
    for number in range(6):
        writer_store = stores[number % 3]
        writer_store.fence(stack_id, engine_id)
        resource = writer_store.upsert_resource(stack_id, f"r{number}", "OS::Heat::None")

        def write(store_: Store = writer_store, resource_id: str = resource.id) -> None:
            for step in range(per_writer):
                store_.set_resource_status(
                    resource_id, Action.CREATE, Status.IN_PROGRESS, f"step {step}", event=True
                )

        writers.append(threading.Thread(target=write))
    cursor, followed = EventCursor(store, stack_id), []
    for writer in writers:
        writer.start()
    while any(w.is_alive() for w in writers):
        followed += cursor.read()
    for writer in writers:
        writer.join()
    followed += cursor.read()
    for other in stores:
        other.close()
    total = per_writer * len(writers)
    assert [e.seq for e in followed] == list(range(1, total + 1))
    assert len({e.id for e in followed}) == total
    for number in range(6):
        steps = [e.reason for e in followed if e.resource_name == f"r{number}"]
        assert steps == [f"step {step}" for step in range(per_writer)]
    assert followed == store.list_events(stack_id)
