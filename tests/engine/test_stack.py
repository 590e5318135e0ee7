"""Operation create and delete on ``Test::Box`` (a cloud in memory): order, failures,
rollback, outputs."""

from __future__ import annotations

import asyncio
from typing import Any

from crossheat.engine.stack import EngineOptions, Operation
from crossheat.store import StackRecord, Store
from tests.engine.boxes import BoxCloud, box, new_operation


def _run(op: Operation, what: str = "create") -> StackRecord:
    try:
        result: StackRecord = asyncio.run(getattr(op, what)())
        return result
    finally:
        op.close()


def _statuses(store: Store, op: Operation) -> dict[str, str]:
    return {r.name: r.resource_status for r in store.list_resources(op.stack.id)}


def test_create_makes_each_resource_after_what_it_reads(store: Store, cloud: BoxCloud) -> None:
    op = new_operation(store, {"c": box(after="b"), "b": box("West", after="a"), "a": box()})
    stack = _run(op)
    assert stack.stack_status == "CREATE_COMPLETE"
    assert [name for call, name in cloud.calls if call == "create"] == ["a", "b", "c"]
    assert _statuses(store, op) == {n: "CREATE_COMPLETE" for n in "abc"}
    rows = {r.name: r for r in store.list_resources(op.stack.id)}
    assert rows["b"].region == "West" and rows["b"].physical_id in cloud.boxes
    assert rows["b"].properties["after"] == rows["a"].physical_id  # resolved get_resource


def test_a_failure_skips_dependents_and_reports_only_the_root_cause(
    store: Store, cloud: BoxCloud
) -> None:
    op = new_operation(
        store, {"a": box(), "bad": box(after="a", fail=True), "child": box(after="bad"),
                "other": box("West")},
    )  # fmt: skip
    stack = _run(op)
    assert stack.stack_status == "CREATE_FAILED"
    assert stack.status_reason == (
        "Resource CREATE failed: bad: ResourceFailed: [East] bad (box) went to ERROR: no room"
    )
    assert ("create", "child") not in cloud.calls  # skipped, never started
    statuses = _statuses(store, op)
    assert statuses["bad"] == "CREATE_FAILED"
    assert statuses["child"] == "INIT_COMPLETE"
    assert statuses["a"] == statuses["other"] == "CREATE_COMPLETE"  # let finish, kept
    assert len(cloud.boxes) == 2  # rollback disabled: what was made stays


def test_rollback_deletes_what_was_created(store: Store, cloud: BoxCloud) -> None:
    op = new_operation(
        store, {"a": box(), "b": box("West", after="a"), "bad": box(after="b", fail=True)},
        rollback=True,
    )  # fmt: skip
    stack = _run(op)
    assert stack.stack_status == "ROLLBACK_COMPLETE"
    assert cloud.boxes == {}
    deletes = [name for call, name in cloud.calls if call == "delete"]
    assert deletes == ["b", "a"]  # reverse dependency order; "bad" never existed
    assert _statuses(store, op)["a"] == "DELETE_COMPLETE"


def test_outputs_come_from_stored_attributes(store: Store, cloud: BoxCloud) -> None:
    outputs: dict[str, Any] = {
        "label": {"value": {"get_attr": ["a", "label"]}, "description": "a's label"},
        "id": {"value": {"get_resource": "a"}},
    }
    op = new_operation(store, {"a": box(size=3, color="blue")}, outputs=outputs)
    _run(op)
    physical_id = cloud.named("a")[0]
    cloud.boxes.clear()  # outputs read the store, not the cloud
    later = Operation(store, op.registry, op.stack, op.template, None, None)
    later.prepare_live()
    try:
        assert later.outputs() == [
            {"output_key": "label", "description": "a's label", "output_value": "blue-3"},
            {"output_key": "id", "description": "No description given",
             "output_value": physical_id},
        ]  # fmt: skip
    finally:
        later.close()


def test_delete_removes_everything_in_reverse_order(store: Store, cloud: BoxCloud) -> None:
    resources = {"a": box(), "b": box(after="a"), "c": box("West", after="b")}
    op = new_operation(store, resources)
    _run(op)
    cloud.calls.clear()
    stack = _run(Operation(store, op.registry, op.stack, op.template, None, None), "delete")
    assert stack.stack_status == "DELETE_COMPLETE"
    assert cloud.calls == [("delete", "c"), ("delete", "b"), ("delete", "a")]
    assert cloud.boxes == {}


def test_delete_of_a_box_gone_from_the_cloud_counts_as_done(store: Store, cloud: BoxCloud) -> None:
    op = new_operation(store, {"a": box(), "b": box()})
    _run(op)
    cloud.boxes.pop(cloud.named("a")[0])
    stack = _run(Operation(store, op.registry, op.stack, op.template, None, None), "delete")
    assert stack.stack_status == "DELETE_COMPLETE" and cloud.boxes == {}


def test_the_longest_chain_starts_first(store: Store, cloud: BoxCloud) -> None:
    """Of the resources ready at once, the one the longest chain goes through is created
    first (the template's order otherwise), and deleted first when the walk goes back."""
    op = new_operation(store, {
        "policy": box(), "net": box(), "subnet": box(after="net"), "server": box(after="subnet"),
    })  # fmt: skip
    one_at_a_time = EngineOptions(concurrency=1)
    op.options = one_at_a_time
    _run(op)
    assert [name for call, name in cloud.calls if call == "create"] == [
        "net", "policy", "subnet", "server"
    ]  # fmt: skip
    cloud.calls.clear()
    back = Operation(store, op.registry, op.stack, op.template, None, None, one_at_a_time)
    _run(back, "delete")
    assert [name for call, name in cloud.calls if call == "delete"] == [
        "server", "policy", "subnet", "net"
    ]  # fmt: skip
