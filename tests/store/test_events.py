from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from crossheat.store import STACK_EVENT_TYPE, Action, StackSpec, Status, Store
from crossheat.store.models import EventRow

SERVER = "OS::Nova::Server"


@pytest.fixture
def stack_id(store: Store) -> str:
    spec = StackSpec(
        template={},
        parameters={"db_password": "hunter2-very-secret"},
        hidden_parameters=frozenset({"db_password"}),
    )
    return store.create_stack("vpn", "p1", spec).id


def test_events_come_back_in_order_and_incrementally(store: Store, stack_id: str) -> None:
    first = store.add_event(stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS, "Stack CREATE")
    second = store.add_event(
        stack_id, "net", Action.CREATE, Status.COMPLETE, "state changed",
        resource_type="OS::Neutron::Net", physical_id="n-1", region="East",
    )  # fmt: skip
    assert store.list_events(stack_id) == [first, second]
    assert first.resource_type == STACK_EVENT_TYPE
    assert (first.seq, second.seq) == (1, 2)
    assert store.list_events(stack_id, after_seq=first.seq) == [second]
    assert store.list_events(stack_id, after_seq=second.seq) == []
    assert store.list_events(stack_id, after_event=first.id) == [second]
    assert store.list_events(stack_id, after_event=-1) == [first, second]  # unknown: all
    assert store.list_events(stack_id, resource_name="net") == [second]
    assert store.list_events(stack_id, limit=1) == [first]


def test_timestamps_are_utc_with_microseconds(store: Store, stack_id: str) -> None:
    stamps = [
        store.add_event(stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS).timestamp
        for _ in range(5)
    ]
    read = [event.timestamp for event in store.list_events(stack_id)]
    assert read == stamps
    assert all(stamp.tzinfo == UTC for stamp in read)
    assert any(stamp.microsecond for stamp in read)


def test_reasons_never_carry_known_secrets(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(
        stack_id, "vm", "OS::Nova::Server",
        properties={"admin_pass": "pa55-word"}, secret_paths=["admin_pass"],
    )  # fmt: skip
    store.remember_secrets(stack_id, ["token-abc"])
    reason = "login hunter2-very-secret / pa55-word / token-abc failed"
    event = store.add_event(stack_id, "vm", Action.CREATE, Status.FAILED, reason)
    assert event.reason == "login ****** / ****** / ****** failed"
    assert store.list_events(stack_id)[0].reason == event.reason
    assert res.properties["admin_pass"] == "pa55-word"


def test_a_fresh_store_knows_the_secrets_already_written(
    store: Store, stack_id: str, db_url: str
) -> None:
    store.upsert_resource(
        stack_id, "vm", "OS::Nova::Server", properties={"admin_pass": "pa55-word"},
        secret_paths=["admin_pass"],
    )  # fmt: skip
    store.close()
    with Store.open(db_url) as other:
        event = other.add_event(
            stack_id, "vm", Action.DELETE, Status.FAILED, "hunter2-very-secret pa55-word"
        )
    assert event.reason == "****** ******"


def test_a_status_change_can_write_its_event_in_the_same_call(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(stack_id, "net", "OS::Neutron::Net", region="East")
    quiet = store.set_resource_status(res.id, Action.CREATE, Status.IN_PROGRESS)
    assert quiet is None and store.list_events(stack_id) == []
    event = store.set_resource_status(
        res.id, Action.CREATE, Status.FAILED, "quota hunter2-very-secret", physical_id="n-1",
        event=True,
    )  # fmt: skip
    assert event is not None
    assert (event.resource_name, event.resource_type, event.physical_id, event.region) == (
        "net", "OS::Neutron::Net", "n-1", "East",
    )  # fmt: skip
    assert (event.action, event.status, event.reason) == ("CREATE", "FAILED", "quota ******")
    stack_event = store.update_stack_status(
        stack_id, Action.CREATE, Status.FAILED, "Resource CREATE failed", event=True
    )
    assert stack_event is not None
    assert (stack_event.resource_name, stack_event.resource_type, stack_event.physical_id) == (
        "vpn", STACK_EVENT_TYPE, stack_id,
    )  # fmt: skip
    assert store.list_events(stack_id) == [event, stack_event]


def test_recent_durations_pair_each_start_with_its_completion(store: Store, stack_id: str) -> None:
    """Seconds from IN_PROGRESS to COMPLETE, per type, region and action, oldest first;
    failed, unfinished, other regions, types and actions do not count."""
    other = store.create_stack("other", "p1", StackSpec(template={})).id
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    events = [  # (seconds after t0, stack, resource, type, region, action, status)
        (0.0, stack_id, "vm", SERVER, "East", "CREATE", "IN_PROGRESS"),
        (1.0, other, "vm", SERVER, "East", "CREATE", "IN_PROGRESS"),
        (3.0, stack_id, "vm", SERVER, "East", "CREATE", "COMPLETE"),
        (5.5, other, "vm", SERVER, "East", "CREATE", "COMPLETE"),
        (6.0, stack_id, "bad", SERVER, "East", "CREATE", "IN_PROGRESS"),
        (9.0, stack_id, "bad", SERVER, "East", "CREATE", "FAILED"),
        (10.0, stack_id, "west", SERVER, "West", "CREATE", "IN_PROGRESS"),
        (11.0, stack_id, "west", SERVER, "West", "CREATE", "COMPLETE"),
        (12.0, stack_id, "net", "OS::Neutron::Net", "East", "CREATE", "IN_PROGRESS"),
        (13.0, stack_id, "net", "OS::Neutron::Net", "East", "CREATE", "COMPLETE"),
        (14.0, stack_id, "vm", SERVER, "East", "DELETE", "IN_PROGRESS"),
        (14.5, stack_id, "vm", SERVER, "East", "DELETE", "COMPLETE"),
        (20.0, stack_id, "vm2", SERVER, "East", "CREATE", "IN_PROGRESS"),
    ]
    with Session(store.engine) as session:
        for seq, (seconds, stack, name, kind, region, action, status) in enumerate(events, 1):
            session.add(EventRow(stack_id=stack, resource_name=name, resource_type=kind,
                                 region=region, action=action, status=status, seq=seq,
                                 timestamp=t0 + timedelta(seconds=seconds)))  # fmt: skip
        session.commit()
    assert store.recent_durations(SERVER, "East", "CREATE") == [3.0, 4.5]
    assert store.recent_durations(SERVER, "West", "CREATE") == [1.0]
    assert store.recent_durations(SERVER, "East", "DELETE") == [0.5]
    assert store.recent_durations(SERVER, "North", "CREATE") == []
    assert store.recent_durations(SERVER, "East", "CREATE", scan=6) == [4.5]  # vm: start not read
