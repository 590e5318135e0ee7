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


def test_a_nested_stack_shows_its_parents_records_under_its_resource_by_their_own_names(
    store: Store,
) -> None:
    parent = store.create_stack("vpn", "p1", SPEC)
    store.sync_nested(parent.id, {"remote": SPEC}, Action.CREATE, Status.IN_PROGRESS)
    nested = store.nested_stacks(parent.id)["remote"]
    store.add_resources(parent.id, [
        ("local", "OS::Neutron::Net", "East"),
        ("remote.net", "OS::Neutron::Net", "West"),
        ("remote.sub.port", "OS::Neutron::Port", "West"),
        ("remoter", "OS::Neutron::Net", "East"),  # another resource's name, not a prefix
    ])  # fmt: skip
    store.update_stack_status(parent.id, Action.CREATE, Status.IN_PROGRESS, event=True)
    store.add_event(parent.id, "local", Action.CREATE, Status.COMPLETE)
    store.add_event(parent.id, "remote.net", Action.CREATE, Status.COMPLETE)

    resources = store.list_resources(nested.id)
    assert [(r.name, r.region, r.stack_id) for r in resources] == [
        ("net", "West", nested.id), ("sub.port", "West", nested.id),
    ]  # fmt: skip
    by_parent = {r.name: r.id for r in store.list_resources(parent.id)}
    assert [r.id for r in resources] == [by_parent["remote.net"], by_parent["remote.sub.port"]]
    events = store.list_events(nested.id)
    assert [(e.resource_name, e.stack_id) for e in events] == [
        ("vpn-remote", nested.id), ("net", nested.id),
    ]  # fmt: skip
    assert [e.resource_name for e in store.list_events(nested.id, resource_name="net")] == ["net"]
    assert store.list_events(nested.id, after_seq=events[-1].seq) == []
    # The parent's own view is unchanged.
    assert len(store.list_resources(parent.id)) == 4
    assert len(store.list_events(parent.id)) == 3


def test_every_level_is_a_nested_stack_of_the_one_above_and_goes_with_the_top(
    store: Store,
) -> None:
    parent = store.create_stack("top", "p1", SPEC)
    levels = {"remote": SPEC, "remote.sub": SPEC}
    store.sync_nested(parent.id, levels, Action.CREATE, Status.COMPLETE)
    remote = store.nested_stacks(parent.id)["remote"]
    sub = store.nested_stacks(remote.id)["sub"]
    assert list(store.nested_stacks(parent.id)) == ["remote"]  # one level each
    assert (sub.name, sub.parent_id, sub.stack_status) == ("top-remote-sub", remote.id,
                                                           "CREATE_COMPLETE")  # fmt: skip
    assert store.nested_ids(parent.id) == {"remote": remote.id, "remote.sub": sub.id}
    store.add_resources(parent.id, [
        ("remote.net", "OS::Neutron::Net", "West"),
        ("remote.sub.port", "OS::Neutron::Port", "West"),
    ])  # fmt: skip
    store.add_event(parent.id, "remote.sub.port", Action.CREATE, Status.COMPLETE)
    assert [r.name for r in store.list_resources(remote.id)] == ["net"]  # not sub.port
    assert [r.name for r in store.flat_resources(remote.id)] == ["net", "sub.port"]
    assert [(r.name, r.stack_id) for r in store.list_resources(sub.id)] == [("port", sub.id)]
    assert [e.resource_name for e in store.list_events(sub.id)] == ["port"]
    assert store.list_events(remote.id) == []

    store.sync_nested(parent.id, {}, Action.UPDATE, Status.COMPLETE)  # remote gone: sub too
    assert store.nested_ids(parent.id) == {}
    store.sync_nested(parent.id, levels, Action.UPDATE, Status.COMPLETE)
    store.soft_delete_stack(parent.id)
    assert store.list_stacks("p1", include_nested=True) == []
