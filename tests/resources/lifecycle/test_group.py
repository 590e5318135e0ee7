"""OS::Heat::ResourceGroup: its members made, polled and deleted with their own lifecycles."""

from __future__ import annotations

from crossheat.resources.lifecycle import RESOURCE_TAG
from crossheat.resources.types.resource_group import ResourceGroup
from tests.resources.lifecycle.conftest import MakeCtx
from tests.resources.lifecycle.helpers import create, delete


def test_group_of_networks_is_created_tagged_and_deleted(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("nets", "East")
    group = ResourceGroup()
    props = {
        "count": 2,
        "resource_def": {"type": "OS::Neutron::Net", "properties": {"name": "grp-net-%index%"}},
    }
    create(group, ctx, props)
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
    names = {n.name for n in ctx.call(lambda conn: list(conn.network.networks()))}
    assert not names & {"grp-net-0", "grp-net-1"}

