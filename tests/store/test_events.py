from __future__ import annotations

from datetime import UTC

import pytest

from crossheat.store import STACK_EVENT_TYPE, Action, StackSpec, Status, Store


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
    assert store.list_events(stack_id, after_id=first.id) == [second]
    assert store.list_events(stack_id, after_id=second.id) == []
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
