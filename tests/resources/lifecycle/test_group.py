"""OS::Heat::ResourceGroup: its members made, polled, updated and deleted with their own
lifecycles; a group grows, shrinks and changes its members in place, as Heat's does."""

from __future__ import annotations

from typing import Any

from crossheat.resources.lifecycle import RESOURCE_TAG, STACK_TAG, ResourceContext
from crossheat.resources.types.resource_group import ResourceGroup
from tests.resources.lifecycle.conftest import MakeCtx, run
from tests.resources.lifecycle.helpers import create, delete, update


def nets(count: int, name: str = "grp-net-%index%", **more: Any) -> dict[str, Any]:
    """Properties of a group of ``count`` networks."""
    definition = {"type": "OS::Neutron::Net", "properties": {"name": name}}
    return {"count": count, "resource_def": definition, **more}


def networks(ctx: ResourceContext) -> dict[str, str]:
    """The networks of this test's stack in the emulator: id -> name."""
    tag = f"{STACK_TAG}={ctx.stack_id}"
    return {n.id: n.name for n in ctx.call(lambda conn: list(conn.network.networks(tags=tag)))}


def test_group_of_networks_is_created_tagged_and_deleted(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("nets", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    refs = ctx.attributes["refs"]
    assert len(refs) == 2 and len(set(refs)) == 2
    assert ctx.attributes["refs_map"] == {"0": refs[0], "1": refs[1]}
    assert ctx.attributes["resource.1"]["name"] == "grp-net-1"
    assert ctx.attributes["attributes"]["name"] == ["grp-net-0", "grp-net-1"]
    net = ctx.call(lambda conn: conn.network.get_network(refs[0]))
    assert f"{RESOURCE_TAG}=nets-0" in net.tags
    assert group.live_properties(ctx) == {"count": 2}
    ctx.call(lambda conn: conn.network.delete_network(refs[1]))
    assert group.live_properties(ctx) == {"count": 1}  # a member deleted behind our back
    delete(group, ctx)
    assert networks(ctx) == {}


def test_growing_creates_only_the_new_members_and_shrinking_deletes_the_highest(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("grow", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    first = list(ctx.attributes["refs"])
    update(group, ctx, nets(2), nets(3))
    refs = ctx.attributes["refs"]
    assert refs[:2] == first and len(set(refs)) == 3  # the two old ones kept, one new
    assert networks(ctx) == dict(zip(refs, ["grp-net-0", "grp-net-1", "grp-net-2"], strict=True))
    assert ctx.attributes["refs_map"]["2"] == refs[2]
    assert ctx.attributes["resource.2"]["name"] == "grp-net-2"
    assert ctx.attributes["attributes"]["name"] == ["grp-net-0", "grp-net-1", "grp-net-2"]
    net = ctx.call(lambda conn: conn.network.get_network(refs[2]))
    assert f"{RESOURCE_TAG}=grow-2" in net.tags
    update(group, ctx, nets(3), nets(1))
    assert ctx.attributes["refs"] == [first[0]]
    assert ctx.attributes["refs_map"] == {"0": first[0]}
    assert "resource.1" not in ctx.attributes and "resource.2" not in ctx.attributes
    assert networks(ctx) == {first[0]: "grp-net-0"}  # the two highest deleted
    assert group.live_properties(ctx) == {"count": 1}
    delete(group, ctx)
    assert networks(ctx) == {}


def test_removal_policies_choose_who_goes_and_the_name_is_never_reused(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("policy", "East")
    group = ResourceGroup()
    create(group, ctx, nets(3))
    zero, one, two = ctx.attributes["refs"]
    by_id = nets(2, removal_policies=[{"resource_list": [one]}])  # named by its id
    update(group, ctx, nets(3), by_id)
    assert ctx.attributes["refs_map"] == {"0": zero, "2": two}
    assert ctx.attributes["removed_rsrc_list"] == ["1"]
    assert networks(ctx) == {zero: "grp-net-0", two: "grp-net-2"}
    update(group, ctx, by_id, nets(3))  # "append" mode: "1" stays removed
    assert list(ctx.attributes["refs_map"]) == ["0", "2", "3"]
    assert ctx.attributes["refs"][:2] == [zero, two]
    assert sorted(networks(ctx).values()) == ["grp-net-0", "grp-net-2", "grp-net-3"]
    delete(group, ctx)


def test_a_definition_the_member_type_updates_in_place_keeps_the_members(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("rename", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    refs = list(ctx.attributes["refs"])
    update(group, ctx, nets(2), nets(2, name="renamed-%index%"))
    assert ctx.attributes["refs"] == refs
    assert networks(ctx) == dict(zip(refs, ["renamed-0", "renamed-1"], strict=True))
    assert ctx.attributes["attributes"]["name"] == ["renamed-0", "renamed-1"]
    delete(group, ctx)


def test_a_definition_the_member_type_cannot_update_replaces_each_member(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("zones", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    old = list(ctx.attributes["refs"])
    zoned = nets(2)
    zoned["resource_def"]["properties"]["availability_zone_hints"] = ["nova"]
    update(group, ctx, nets(2), zoned)
    refs = ctx.attributes["refs"]
    assert not set(refs) & set(old)  # made anew, the old ones deleted
    assert networks(ctx) == dict(zip(refs, ["grp-net-0", "grp-net-1"], strict=True))
    delete(group, ctx)


def test_servers_renamed_in_place_keep_their_ids(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("web", "West")
    group = ResourceGroup()
    server = {"name": "web-%index%", "image": "linux", "flavor": "small", "networks": []}
    before = {"count": 2, "resource_def": {"type": "OS::Nova::Server", "properties": server}}
    create(group, ctx, before)
    refs = list(ctx.attributes["refs"])
    renamed = {**server, "name": "app-%index%", "metadata": {"role": "app"}}
    after = {**before, "resource_def": {"type": "OS::Nova::Server", "properties": renamed}}
    update(group, ctx, before, after)
    assert ctx.attributes["refs"] == refs
    for index, server_id in enumerate(refs):
        live = ctx.call(lambda conn, i=server_id: conn.compute.get_server(i))
        assert live.name == f"app-{index}"
        assert live.metadata["role"] == "app"
    delete(group, ctx)


def test_a_member_deleted_behind_our_back_is_made_again_by_an_update(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("heal", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    zero, one = ctx.attributes["refs"]
    ctx.call(lambda conn: conn.network.delete_network(one))
    props = ResourceGroup.with_defaults(nets(2))
    # what the engine does when it sees the drift: set ``count`` back
    run(group.update(ctx, props, props, {"count"}), lambda: group.check_update(ctx))
    assert ctx.attributes["refs"][0] == zero
    assert ctx.attributes["refs"][1] != one
    assert sorted(networks(ctx).values()) == ["grp-net-0", "grp-net-1"]
    delete(group, ctx)
