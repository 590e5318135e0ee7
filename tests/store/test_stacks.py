from __future__ import annotations

from dataclasses import replace

import pytest

from crossheat.errors import StackError, StackExists, StackNotFound
from crossheat.store import Action, StackSpec, Status, Store

TEMPLATE = {"heat_template_version": "2021-04-16", "resources": {}}


BASE = StackSpec(
    template=TEMPLATE,
    parameters={"flavor": "m1.small", "db_password": "hunter2-very-secret"},
    hidden_parameters=frozenset({"db_password"}),
    environment={"parameters": {"db_password": "hunter2-very-secret"}},
    files={"nested.yaml": "heat_template_version: 2021-04-16\n"},
    template_path="east-west.yaml",
    disable_rollback=False,
    timeout_mins=30,
    region_map={"regions": {"East": {"cloud": "onprem"}}},
)


def spec(parameters: dict[str, object] | None = None) -> StackSpec:
    return BASE if parameters is None else replace(BASE, parameters=parameters)


def test_created_stack_reads_back_by_name_and_id(store: Store) -> None:
    created = store.create_stack("vpn", "p1", spec())
    by_name = store.get_stack("vpn", "p1")
    by_id = store.get_stack(created.id)
    assert by_name == by_id == created
    assert by_name.stack_status == "CREATE_IN_PROGRESS"
    assert by_name.spec == spec()
    assert by_name.spec.hidden_parameters == {"db_password"}
    assert by_name.previous is None
    assert by_name.created_at.tzinfo is not None


def test_name_is_unique_per_project_only(store: Store) -> None:
    store.create_stack("vpn", "p1", spec())
    with pytest.raises(StackExists, match="vpn"):
        store.create_stack("vpn", "p1", spec())
    other = store.create_stack("vpn", "p2", spec())
    assert store.get_stack("vpn", "p2").id == other.id
    with pytest.raises(StackNotFound):
        store.get_stack(other.id, "p1")


def test_list_shows_live_top_level_stacks_of_the_project(store: Store) -> None:
    first = store.create_stack("a", "p1", spec())
    second = store.create_stack("b", "p1", spec())
    store.create_stack("c", "p2", spec())
    nested = store.create_stack("a-net", "p1", spec(), parent_id=first.id)
    gone = store.create_stack("d", "p1", spec())
    store.soft_delete_stack(gone.id)
    assert [s.name for s in store.list_stacks("p1")] == ["a", "b"]
    assert {s.id for s in store.list_stacks("p1", include_nested=True)} == {
        first.id, second.id, nested.id,
    }  # fmt: skip
    assert len(store.list_stacks()) == 3


def test_soft_deleted_stack_frees_its_name_and_keeps_its_events(store: Store) -> None:
    old = store.create_stack("vpn", "p1", spec())
    store.add_event(old.id, "vpn", Action.DELETE, Status.COMPLETE, "Stack DELETE completed")
    store.soft_delete_stack(old.id)
    with pytest.raises(StackNotFound):
        store.get_stack("vpn", "p1")
    with pytest.raises(StackNotFound):
        store.get_stack(old.id)
    deleted = store.get_stack(old.id, include_deleted=True)
    assert deleted.deleted_at is not None
    assert [e.reason for e in store.list_events(old.id)] == ["Stack DELETE completed"]
    again = store.create_stack("vpn", "p1", spec())
    assert store.get_stack("vpn", "p1").id == again.id != old.id


def test_status_update_is_visible_and_scrubbed(store: Store) -> None:
    stack = store.create_stack("vpn", "p1", spec())
    store.update_stack_status(
        stack.id, Action.CREATE, Status.FAILED, "auth failed for hunter2-very-secret"
    )
    got = store.get_stack(stack.id)
    assert got.stack_status == "CREATE_FAILED"
    assert got.status_reason == "auth failed for ******"
    assert got.updated_at is not None


def test_update_keeps_previous_spec_and_rollback_restores_it(store: Store) -> None:
    stack = store.create_stack("vpn", "p1", spec())
    new_spec = spec(parameters={"flavor": "m1.large", "db_password": "new-pass-123"})
    store.save_template_for_update(stack.id, new_spec)
    updated = store.get_stack(stack.id)
    assert updated.spec == new_spec
    assert updated.previous == spec()
    restored = store.restore_previous_template(stack.id)
    assert restored == spec()
    after = store.get_stack(stack.id)
    assert after.spec == spec() and after.previous is None
    with pytest.raises(StackError, match="no previous template"):
        store.restore_previous_template(stack.id)


def test_missing_stack_is_reported(store: Store) -> None:
    with pytest.raises(StackNotFound, match="nope"):
        store.get_stack("nope", "p1")
    with pytest.raises(StackNotFound):
        store.update_stack_status("nope", Action.CREATE, Status.COMPLETE)


def test_state_survives_reopening(store: Store, db_url: str) -> None:
    stack = store.create_stack("vpn", "p1", spec())
    store.close()
    with Store.open(db_url) as reopened:
        assert reopened.get_stack("vpn", "p1") == stack


def test_nested_stack_needs_its_parent(store: Store) -> None:
    with pytest.raises(StackNotFound, match="parent"):
        store.create_stack("child", "p1", spec(), parent_id="no-such-stack")


def test_tags_are_kept_with_the_spec_and_its_previous_one(store: Store) -> None:
    created = store.create_stack("vpn", "p1", replace(spec(), tags=("web", "prod")))
    assert store.get_stack(created.id).spec.tags == ("web", "prod")
    assert store.get_stack(created.id).spec.environment == BASE.environment
    store.save_template_for_update(created.id, replace(spec(), tags=("db",)))
    updated = store.get_stack(created.id)
    assert updated.spec.tags == ("db",)
    assert updated.previous is not None and updated.previous.tags == ("web", "prod")
    assert store.restore_previous_template(created.id).tags == ("web", "prod")


def test_deleted_stacks_are_listed_only_when_asked(store: Store) -> None:
    kept = store.create_stack("kept", "p1", spec())
    gone = store.create_stack("gone", "p1", spec())
    store.soft_delete_stack(gone.id)
    assert [s.id for s in store.list_stacks("p1")] == [kept.id]
    listed = store.list_stacks("p1", include_deleted=True)
    assert [s.id for s in listed] == [kept.id, gone.id]
    assert listed[1].deleted_at is not None
