from __future__ import annotations

import pytest
from sqlalchemy import text

from crossheat.errors import StoreError
from crossheat.store import Action, StackSpec, Status, Store

NET = "OS::Neutron::Net"
SERVER = "OS::Nova::Server"


@pytest.fixture
def stack_id(store: Store) -> str:
    return store.create_stack("vpn", "p1", StackSpec(template={"resources": {}})).id


def test_upsert_adds_then_updates_the_same_row(store: Store, stack_id: str) -> None:
    added = store.upsert_resource(stack_id, "net", NET, region="East", properties={"name": "a"})
    assert added.resource_status == "INIT_COMPLETE"
    again = store.upsert_resource(stack_id, "net", NET, region="East", properties={"name": "b"})
    assert again.id == added.id
    [only] = store.list_resources(stack_id)
    assert only.properties == {"name": "b"} and only.region == "East"


def test_status_and_physical_id(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(stack_id, "net", NET)
    store.set_resource_status(res.id, Action.CREATE, Status.IN_PROGRESS, physical_id="phys-1")
    store.set_resource_status(res.id, Action.CREATE, Status.COMPLETE, "state changed")
    got = store.get_resource(res.id)
    assert (got.resource_status, got.physical_id, got.status_reason) == (
        "CREATE_COMPLETE", "phys-1", "state changed",
    )  # fmt: skip


def test_intent_and_progress_survive_a_crash(store: Store, stack_id: str, db_url: str) -> None:
    res = store.upsert_resource(stack_id, "vm", SERVER, region="West")
    intent = {"operation": "create", "tags": ["crossheat-stack=vpn", "crossheat-resource=vm"]}
    store.record_intent(res.id, intent)
    store.set_progress(res.id, {"step": "poll", "server_id": "s-1"})
    store.close()
    with Store.open(db_url) as after_restart:
        [got] = after_restart.list_resources(stack_id)
        assert got.intent == intent
        assert got.progress == {"step": "poll", "server_id": "s-1"}
        after_restart.record_intent(res.id, None)
        assert after_restart.get_resource(res.id).intent is None


def test_secret_properties_and_attributes_read_back_opened(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(
        stack_id,
        "vm",
        SERVER,
        properties={"admin_pass": "pa55-word", "networks": [{"port": "p", "key": "k-123"}]},
        secret_paths=["admin_pass", ("networks", 0, "key"), "not_there"],
    )
    assert res.properties["admin_pass"] == "pa55-word"
    assert res.properties["networks"][0]["key"] == "k-123"
    assert set(res.secret_paths) == {
        ("properties", "admin_pass"), ("properties", "networks", 0, "key"),
    }  # fmt: skip
    store.set_attributes(res.id, {"password": "gen-123", "ip": "10.0.0.5"}, ["password"])
    got = store.get_resource(res.id)
    assert got.attributes == {"password": "gen-123", "ip": "10.0.0.5"}
    assert ("attributes", "password") in got.secret_paths


def test_replacement_keeps_both_rows_until_the_old_one_goes(store: Store, stack_id: str) -> None:
    old = store.upsert_resource(stack_id, "vm", SERVER, properties={"flavor": "small"})
    new = store.create_replacement(old.id, properties={"flavor": "large"})
    assert (new.name, new.replaces) == ("vm", old.id)
    assert store.get_resource(old.id).replaced_by == new.id
    assert len(store.list_resources(stack_id)) == 2
    # Upserts by name now reach the replacement, not the old row.
    assert store.upsert_resource(stack_id, "vm", SERVER, properties={"flavor": "xl"}).id == new.id
    store.remove_resource(old.id)
    [left] = store.list_resources(stack_id)
    assert (left.id, left.replaces, left.properties) == (new.id, None, {"flavor": "xl"})


def test_rolled_back_replacement_leaves_the_old_row_current(store: Store, stack_id: str) -> None:
    old = store.upsert_resource(stack_id, "vm", SERVER)
    new = store.create_replacement(old.id, properties={})
    store.remove_resource(new.id)
    assert store.get_resource(old.id).replaced_by is None
    assert store.upsert_resource(stack_id, "vm", SERVER).id == old.id


def test_resource_reasons_are_scrubbed(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(
        stack_id, "vm", SERVER, properties={"admin_pass": "pa55-word"}, secret_paths=["admin_pass"]
    )
    store.set_resource_status(res.id, Action.CREATE, Status.FAILED, "bad password pa55-word")
    assert store.get_resource(res.id).status_reason == "bad password ******"


def test_unknown_resource_is_a_store_error(store: Store, stack_id: str) -> None:
    with pytest.raises(StoreError, match="nope"):
        store.set_progress("nope", {})
    with pytest.raises(StoreError, match="nope"):
        store.get_resource("nope")


def test_cleared_intent_is_sql_null(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(stack_id, "vm", SERVER)
    store.record_intent(res.id, {"operation": "delete"})
    store.record_intent(res.id, None)
    with store.engine.connect() as conn:
        pending = conn.execute(text("SELECT count(*) FROM resources WHERE intent IS NOT NULL"))
        assert pending.scalar() == 0


def test_start_and_finish_an_action_in_one_call_each(store: Store, stack_id: str) -> None:
    res = store.upsert_resource(stack_id, "vm", SERVER, region="West")
    started = store.start_action(res.id, Action.CREATE, {"operation": "create", "tags": ["t"]})
    assert (started.action, started.status, started.reason) == (
        "CREATE",
        "IN_PROGRESS",
        "state changed",
    )
    assert store.get_resource(res.id).intent == {"operation": "create", "tags": ["t"]}
    store.set_progress(res.id, {"step": "poll"})
    failed = store.finish_action(
        res.id, Action.CREATE, Status.FAILED, "went to ERROR", physical_id="s-1"
    )
    kept = store.get_resource(res.id)
    assert (failed.physical_id, kept.progress, kept.intent) == (
        "s-1",
        {"step": "poll"},
        {"operation": "create", "tags": ["t"]},
    )
    done = store.finish_action(
        res.id, Action.CREATE, Status.COMPLETE, attributes={"pw": "gen-pw-1", "ip": "10.0.0.9"},
        secret_paths=["pw"],
    )  # fmt: skip
    got = store.get_resource(res.id)
    assert (got.resource_status, got.intent, got.progress) == ("CREATE_COMPLETE", None, None)
    assert got.attributes == {"pw": "gen-pw-1", "ip": "10.0.0.9"}
    assert ("attributes", "pw") in got.secret_paths
    assert store.list_events(stack_id) == [started, failed, done]
    leak = store.add_event(stack_id, "vm", Action.CHECK, Status.FAILED, "saw gen-pw-1")
    assert leak.reason == "saw ******"
