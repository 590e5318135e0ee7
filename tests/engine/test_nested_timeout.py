"""``OS::Heat::Stack``'s ``timeout``: a nested stack whose create or update takes longer
fails "Timed out", and its parent with it (on ``Test::Box``, a minute made 0.2 s)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from crossheat.engine import nested_timeout
from crossheat.engine.spec import load_spec
from crossheat.engine.update import UpdateOperation
from crossheat.store import Action, StackRecord, StackSpec, Status, Store
from tests.engine.boxes import BoxCloud, box, new_operation, registry, template

FOREVER = 10**9  # polls: a box that never gets ready


@pytest.fixture(autouse=True)
def short_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nested_timeout, "MINUTE", 0.2)


def remote(resources: dict[str, Any], timeout: int | None = 1) -> dict[str, Any]:
    """An ``OS::Heat::Stack`` in West whose template has ``resources``."""
    properties: dict[str, Any] = {
        "context": {"region_name": "West"},
        "template": json.dumps(template(resources)),  # its text, as get_file gives it
    }
    if timeout is not None:
        properties["timeout"] = timeout
    return {"type": "OS::Heat::Stack", "properties": properties}


def _create(store: Store, resources: dict[str, Any], rollback: bool = False) -> StackRecord:
    op = new_operation(store, resources, rollback=rollback)
    try:
        return asyncio.run(op.create())
    finally:
        op.close()


def _statuses(store: Store, stack_id: str) -> dict[str, tuple[str, str]]:
    return {r.name: (r.resource_status, r.status_reason) for r in store.list_resources(stack_id)}


def test_a_nested_stack_past_its_timeout_fails_timed_out_and_its_parent_with_it(
    store: Store, cloud: BoxCloud
) -> None:
    stack = _create(store, {
        "local": box(),
        "remote": remote({"quick": box(), "slow": box(polls=FOREVER),
                          "later": box(after="slow")}),
    })  # fmt: skip
    reason = "Timed out after 1 min; unfinished: later, slow"
    assert stack.stack_status == "CREATE_FAILED"
    assert stack.status_reason == f"Resource CREATE failed: remote: {reason}"
    nested = store.nested_stacks(stack.id)["remote"]
    assert (nested.stack_status, nested.status_reason) == ("CREATE_FAILED", reason)
    # The nested stack's own resources: the slow one cut short, the one after never made.
    assert _statuses(store, nested.id) == {
        "quick": ("CREATE_COMPLETE", "state changed"),
        "slow": ("CREATE_FAILED",
                 "NestedStackTimedOut: remote.slow: timed out while waiting for the cloud"),
        "later": ("INIT_COMPLETE", ""),
    }  # fmt: skip
    assert ("create", "remote.later") not in cloud.calls
    assert _statuses(store, stack.id)["local"][0] == "CREATE_COMPLETE"
    # The parent's resource for the nested stack failed, as in Heat's event list.
    failed = [e for e in store.list_events(stack.id) if e.resource_name == "remote"]
    assert [(e.resource_type, e.action, e.status, e.reason) for e in failed] == [
        ("OS::Heat::Stack", "CREATE", "FAILED", reason)
    ]
    assert failed[0].physical_id == nested.id


def test_a_timed_out_nested_stack_is_rolled_back_with_its_parent(
    store: Store, cloud: BoxCloud
) -> None:
    resources = {"local": box(), "remote": remote({"slow": box(polls=FOREVER)})}
    stack = _create(store, resources, rollback=True)
    assert stack.stack_status == "ROLLBACK_COMPLETE"
    assert cloud.boxes == {}
    failed = [e for e in store.list_events(stack.id) if e.status == "FAILED"]
    assert [(e.resource_name, e.reason) for e in failed] == [
        ("remote.slow", "NestedStackTimedOut: remote.slow: timed out while waiting for the cloud"),
        ("remote", "Timed out after 1 min; unfinished: slow"),
        ("s", "Resource CREATE failed: remote: Timed out after 1 min; unfinished: slow"),
    ]


def test_a_nested_stack_done_in_time_completes(store: Store, cloud: BoxCloud) -> None:
    stack = _create(store, {"in_time": remote({"box": box(polls=3)}), "untimed": remote(
        {"box": box()}, timeout=None)})  # fmt: skip
    assert stack.stack_status == "CREATE_COMPLETE", stack.status_reason
    assert {s.stack_status for s in store.nested_stacks(stack.id).values()} == {"CREATE_COMPLETE"}


def test_an_update_past_the_nested_stacks_timeout_fails_it(store: Store, cloud: BoxCloud) -> None:
    """A replacement that never gets ready: the nested stack's update times out."""
    op = new_operation(store, {"remote": remote({"b": box(color="red")})})
    try:
        assert asyncio.run(op.create()).stack_status == "CREATE_COMPLETE"
    finally:
        op.close()
    changed = {"remote": remote({"b": box(color="blue", polls=FOREVER)})}
    spec = StackSpec(template=template(changed), disable_rollback=False)
    store.save_template_for_update(op.stack.id, spec)
    stack = store.get_stack(op.stack.id)
    update = UpdateOperation(
        store, registry(), stack, load_spec(stack.spec), None, None, old_spec=stack.previous
    )
    try:
        stack = asyncio.run(update.update())
    finally:
        update.close()
    assert stack.stack_status == "ROLLBACK_COMPLETE"
    nested = store.nested_stacks(stack.id)["remote"]
    failed = [e for e in store.list_events(stack.id) if e.status == "FAILED"]
    assert [(e.resource_name, e.action, e.reason) for e in failed][-2:] == [
        ("remote", "UPDATE", "Timed out after 1 min; unfinished: b"),
        ("s", "UPDATE", "Resource UPDATE failed: remote: Timed out after 1 min; unfinished: b"),
    ]
    assert [b["props"]["color"] for b in cloud.boxes.values()] == ["red"]
    assert nested.stack_status == "ROLLBACK_COMPLETE"


def test_a_nested_stack_inside_a_nested_stack_is_timed_too(store: Store, cloud: BoxCloud) -> None:
    inner = remote({"slow": box(polls=FOREVER)})
    stack = _create(store, {"outer": remote({"quick": box(), "inner": inner}, timeout=None)})
    assert stack.stack_status == "CREATE_FAILED"
    assert "Timed out after 1 min; unfinished: slow" in stack.status_reason
    statuses = _statuses(store, stack.id)
    assert statuses["outer.quick"][0] == "CREATE_COMPLETE"
    assert statuses["outer.inner.slow"] == (
        "CREATE_FAILED",
        "NestedStackTimedOut: outer.inner.slow: timed out while waiting for the cloud",
    )
    inner_id = store.nested_ids(stack.id)["outer.inner"]
    inner_stack = store.get_stack(inner_id)
    assert (inner_stack.stack_status, inner_stack.status_reason) == (
        "CREATE_FAILED",
        "Timed out after 1 min; unfinished: slow",
    )


def test_a_resumed_create_keeps_the_nested_stacks_clock_where_it_was(
    store: Store, cloud: BoxCloud
) -> None:
    """An engine that started the nested stack's first resource and died: the one that
    resumes the create counts the timeout from that start, not from its own (a box that
    takes three polls would be in time for a clock started afresh: the test above)."""
    op = new_operation(store, {"remote": remote({"box": box(polls=3)})})
    store.add_event(op.stack.id, "remote.box", Action.CREATE, Status.IN_PROGRESS, "state changed")
    time.sleep(0.3)  # more than the nested stack's minute (0.2 s) ago
    try:
        stack = asyncio.run(op.create())
    finally:
        op.close()
    assert stack.stack_status == "CREATE_FAILED"
    assert stack.status_reason == "Resource CREATE failed: remote: Timed out after 1 min; " + (
        "unfinished: box"
    )


def test_an_earlier_operations_start_does_not_count(store: Store, cloud: BoxCloud) -> None:
    """Only this operation's starts count: those before the stack's last COMPLETE or
    FAILED event were another operation's."""
    op = new_operation(store, {"remote": remote({"box": box(polls=3)})})
    store.add_event(op.stack.id, "remote.box", Action.CREATE, Status.IN_PROGRESS, "state changed")
    store.add_event(op.stack.id, "s", Action.CHECK, Status.COMPLETE, "Stack CHECK completed")
    time.sleep(0.3)
    try:
        stack = asyncio.run(op.create())
    finally:
        op.close()
    assert stack.stack_status == "CREATE_COMPLETE", stack.status_reason
