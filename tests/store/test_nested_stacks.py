"""Nested stack rows: one per remote stack of a parent, following the parent."""

from __future__ import annotations

from crossheat.store import Action, StackSpec, Status, Store

SPEC = StackSpec(template={"heat_template_version": "2021-04-16", "resources": {}})


def test_nested_stacks_follow_their_parent_and_go_with_it(store: Store) -> None:
    parent = store.create_stack("vpn", "p1", SPEC)
    store.sync_nested(parent.id, {"east": SPEC, "west": SPEC}, Action.CREATE, Status.COMPLETE)
    nested = store.nested_stacks(parent.id)
    assert {n: s.name for n, s in nested.items()} == {"east": "vpn-east", "west": "vpn-west"}
    assert {s.parent_id for s in nested.values()} == {parent.id}
    assert [s.name for s in store.list_stacks("p1")] == ["vpn"]
    assert sorted(s.name for s in store.list_stacks("p1", include_nested=True)) == [
        "vpn", "vpn-east", "vpn-west",
    ]  # fmt: skip

    store.sync_nested(parent.id, {"east": SPEC}, Action.UPDATE, Status.COMPLETE)
    nested = store.nested_stacks(parent.id)
    assert list(nested) == ["east"]
    assert nested["east"].stack_status == "UPDATE_COMPLETE"
    assert nested["east"].id == store.get_stack("vpn-east").id  # the same row, kept

    store.soft_delete_stack(parent.id)
    assert store.nested_stacks(parent.id) == {}
    assert store.list_stacks("p1", include_nested=True) == []
