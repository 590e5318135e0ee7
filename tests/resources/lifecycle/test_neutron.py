"""Networks, subnets, routers and router interfaces through their lifecycles, in the emulator."""

from __future__ import annotations

import ipaddress

import pytest

from crossheat.clouds.driver import RegionClients
from crossheat.engine.check import Difference, differences
from crossheat.errors import CloudNotFound
from crossheat.resources.lifecycle import Done
from crossheat.resources.types.neutron import Net, Router, RouterInterface, Subnet
from tests.resources.lifecycle.conftest import MakeCtx, run
from tests.resources.lifecycle.helpers import after_crash, create, delete


def test_net_lifecycle_keeps_create_answer_and_is_found_by_tags(make_ctx: MakeCtx) -> None:
    net, ctx = Net(), make_ctx("private")
    assert net.create(ctx, Net.with_defaults({})) == Done()
    assert ctx.physical_id and ctx.attributes["status"] == "ACTIVE"
    assert ctx.attributes["name"] == "demo-private"
    assert ctx.attributes["show"]["tags"] == ctx.tags
    assert net.find(after_crash(make_ctx, ctx)) == ctx.physical_id
    assert net.find(make_ctx("other")) is None
    run(net.update(ctx, {}, {"name": "renamed", "tags": ["web"]}, {"name", "tags"}), lambda: Done())
    assert net.read(ctx) is not None and ctx.attributes["name"] == "renamed"
    live = net.live_properties(ctx)
    assert live is not None
    assert (live["name"], live["tags"], live["shared"]) == ("renamed", ["web"], False)
    delete(net, ctx)
    assert net.live_properties(ctx) is None
    assert net.delete(ctx) == Done()  # already gone


def test_subnet_takes_a_network_name_and_reports_heat_attributes(make_ctx: MakeCtx) -> None:
    net_ctx, sub_ctx = make_ctx("net"), make_ctx("sub")
    create(Net(), net_ctx, {"name": "lifecycle-net-by-name"})
    create(Subnet(), sub_ctx, {"network": "lifecycle-net-by-name", "cidr": "10.7.0.0/24"})
    attrs = Subnet().read(sub_ctx)
    assert attrs is not None
    assert (attrs["network_id"], attrs["cidr"], attrs["gateway_ip"]) == (
        net_ctx.physical_id, "10.7.0.0/24", "10.7.0.1",
    )  # fmt: skip
    assert attrs["allocation_pools"] == [{"start": "10.7.0.2", "end": "10.7.0.254"}]
    assert Net().read(net_ctx)["subnets"] == [sub_ctx.physical_id]  # type: ignore[index]
    Subnet().update(sub_ctx, {}, {"gateway_ip": ""}, {"gateway_ip"})
    assert sub_ctx.attributes["gateway_ip"] is None
    delete(Subnet(), sub_ctx)
    delete(Net(), net_ctx)


def test_subnet_on_a_missing_network_names_it_and_the_region(make_ctx: MakeCtx) -> None:
    with pytest.raises(CloudNotFound, match="no-such-net") as caught:
        Subnet().create(make_ctx("sub"), {"network": "no-such-net", "cidr": "10.8.0.0/24"})
    assert caught.value.region == "East"


def test_router_gateway_by_name_and_interface(make_ctx: MakeCtx) -> None:
    net_ctx, sub_ctx, r_ctx, i_ctx = (make_ctx(n) for n in ("net", "sub", "router", "iface"))
    create(Net(), net_ctx, {})
    create(Subnet(), sub_ctx, {"network": net_ctx.physical_id, "cidr": "10.9.0.0/24"})
    create(Router(), r_ctx, {"external_gateway_info": {"network": "public"}})
    gateway = r_ctx.attributes["external_gateway_info"]
    assert gateway["external_fixed_ips"][0]["ip_address"]
    assert gateway["external_fixed_ips"][0]["subnet_id"]
    live = Router().live_properties(r_ctx)
    assert live is not None and live["external_gateway_info"]["network"] == gateway["network_id"]
    iface = RouterInterface()
    create(iface, i_ctx, {"router": r_ctx.physical_id, "subnet": sub_ctx.physical_id})
    assert i_ctx.physical_id == f"{r_ctx.physical_id}:subnet_id={sub_ctx.physical_id}"
    assert iface.read(i_ctx) is not None
    assert iface.find(after_crash(make_ctx, i_ctx)) == i_ctx.physical_id
    delete(iface, i_ctx)
    assert iface.delete(i_ctx) == Done()
    for plugin, ctx in ((Router(), r_ctx), (Subnet(), sub_ctx), (Net(), net_ctx)):
        delete(plugin, ctx)


def test_router_gateway_changed_outside_is_drift(make_ctx: MakeCtx, clients: RegionClients) -> None:
    conn, router, ctx = clients.connection("East"), Router(), make_ctx("edge")
    public = conn.network.find_subnet("public-subnet", ignore_missing=False)
    hosts = list(ipaddress.ip_network(public.cidr).hosts())
    wanted = [{"subnet": "public-subnet", "ip_address": str(hosts[-3])}]
    gateway = {"network": "public", "external_fixed_ips": wanted}
    props = Router.with_defaults({"external_gateway_info": gateway})
    create(router, ctx, props)
    assert differences(router, ctx, props) == []  # names in the template, ids in Neutron
    conn.network.update_router(str(ctx.physical_id), external_gateway_info=None)
    assert differences(router, ctx, props) == [Difference("external_gateway_info", gateway, None)]
    moved = [{"subnet_id": public.id, "ip_address": str(hosts[-4])}]
    info = {"network_id": public.network_id, "external_fixed_ips": moved}
    conn.network.update_router(str(ctx.physical_id), external_gateway_info=info)
    live = [{"subnet": public.id, "ip_address": str(hosts[-4])}]
    assert differences(router, ctx, props) == [
        Difference("external_gateway_info.external_fixed_ips", wanted, live)
    ]
    unpinned = Router.with_defaults({"external_gateway_info": {"network": "public"}})
    assert differences(router, ctx, unpinned) == []  # any address will do
    delete(router, ctx)
