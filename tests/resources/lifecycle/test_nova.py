"""Servers and key pairs through their lifecycles, in the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from crossheat.clouds.driver import RegionClients
from crossheat.engine.check import Difference, differences
from crossheat.errors import CloudNotFound, NotSupportedError
from crossheat.resources.lifecycle import Done, Pending, ResourceContext
from crossheat.resources.types.neutron import Net, Router, RouterInterface, Subnet
from crossheat.resources.types.neutron_ports import FloatingIP
from crossheat.resources.types.nova import KeyPair, Server
from tests.resources.lifecycle.conftest import MakeCtx, run
from tests.resources.lifecycle.helpers import after_crash, create, delete, update


@pytest.fixture
def network(make_ctx: MakeCtx) -> ResourceContext:
    net_ctx = make_ctx("net")
    create(Net(), net_ctx, {"name": "lifecycle-servers"})
    create(Subnet(), make_ctx("sub"), {"network": net_ctx.physical_id, "cidr": "10.30.0.0/24"})
    return net_ctx


def test_server_boots_with_marks_and_heat_attributes(
    make_ctx: MakeCtx, network: ResourceContext
) -> None:
    server, ctx = Server(), make_ctx("web")
    props = {
        "image": "linux",
        "flavor": "small",
        "networks": [{"network": "lifecycle-servers", "fixed_ip": "10.30.0.50"}],
        "metadata": {"role": "web", "weight": 3},
    }
    db, db_props = make_ctx("db"), props | {"networks": [{"network": network.physical_id}]}
    step = server.create(db, Server.with_defaults(db_props))
    assert isinstance(step, Pending) and step.delay == pytest.approx(0.2)
    assert run(step, lambda: server.check_create(db)) >= 1
    assert db.attributes["first_address"].startswith("10.30.0.")
    create(server, ctx, props)
    attrs = ctx.attributes
    assert (attrs["name"], attrs["first_address"]) == ("demo-web", "10.30.0.50")
    assert attrs["networks"]["lifecycle-servers"] == ["10.30.0.50"]
    assert attrs["networks"][network.physical_id] == ["10.30.0.50"]
    (address,) = attrs["addresses"]["lifecycle-servers"]
    assert address["addr"] == "10.30.0.50" and address["port"]
    assert attrs["show"]["metadata"] == {"role": "web", "weight": "3"} | ctx.metadata
    assert Server().find(after_crash(make_ctx, ctx)) == ctx.physical_id
    assert Server().find(make_ctx("nothing")) is None


def test_server_resize_rename_and_delete(make_ctx: MakeCtx, network: ResourceContext) -> None:
    server, ctx = Server(), make_ctx("app")
    old = {"image": "linux", "flavor": "small", "networks": [{"network": network.physical_id}],
           "metadata": {"a": "1"}}  # fmt: skip
    create(server, ctx, old)
    new = old | {"flavor": "large", "name": "app-2", "metadata": {"b": "2"}}
    assert update(server, ctx, old, new) >= 2  # resize, then confirm
    assert ctx.attributes["show"]["flavor"]["original_name"] == "m1.medium"
    assert server.live_properties(ctx) == {
        "name": "app-2", "key_name": None, "metadata": {"b": "2"}, "flavor": "m1.medium",
        "image": "cirros",
    }  # fmt: skip
    with pytest.raises(NotSupportedError, match="networks"):
        server.update(ctx, old, old, {"networks"})
    delete(server, ctx)
    assert server.delete(ctx) == Done() and server.live_properties(ctx) is None


def test_server_delete_is_done_only_once_nova_answers_404(
    make_ctx: MakeCtx, network: ResourceContext, emulator: tuple[str, Any]
) -> None:
    """Nova answers the DELETE at once and keeps the server (task state ``deleting``) for a
    while: the delete's poll step waits until the server is gone."""
    server, ctx = Server(), make_ctx("going")
    create(server, ctx, {"image": "linux", "flavor": "small",
                         "networks": [{"network": network.physical_id}]})  # fmt: skip
    latency = emulator[1].config.latency
    latency.seconds["server_delete"] = 1.0
    try:
        step = server.delete(ctx)
        assert isinstance(step, Pending)
        assert isinstance(server.check_delete(ctx), Pending)  # still there, deleting
        assert run(step, lambda: server.check_delete(ctx)) >= 1
    finally:
        del latency.seconds["server_delete"]
    assert server.read(ctx) is None


def test_server_with_unknown_image_names_it_and_the_region(make_ctx: MakeCtx) -> None:
    with pytest.raises(CloudNotFound, match="windows") as caught:
        Server().create(make_ctx("bad", "West"), {"image": "windows", "flavor": "small"})
    assert caught.value.region == "West"


def test_keypair_generated_key_is_kept_and_found_by_name(make_ctx: MakeCtx) -> None:
    keypair, ctx = KeyPair(), make_ctx("key")
    create(keypair, ctx, {"name": "lifecycle-key", "save_private_key": True})
    assert ctx.physical_id == "lifecycle-key"
    assert ctx.attributes["public_key"] and ctx.attributes["private_key"]
    assert keypair.read(ctx)["private_key"] == ctx.attributes["private_key"]  # type: ignore[index]
    lost = after_crash(make_ctx, ctx)
    lost.progress = dict(ctx.progress)
    assert keypair.find(lost) == "lifecycle-key"
    delete(keypair, ctx)
    assert keypair.find(lost) is None


def test_server_floating_ip_is_associated_once_it_is_up(
    make_ctx: MakeCtx, network: ResourceContext
) -> None:
    router, fip = make_ctx("router"), make_ctx("fip")
    create(Router(), router, {"external_gateway_info": {"network": "public"}})
    net = Net().read(network)
    assert net is not None
    subnet = net["subnets"]
    create(
        RouterInterface(), make_ctx("iface"), {"router": router.physical_id, "subnet": subnet[0]}
    )
    create(FloatingIP(), fip, {"floating_network": "public"})
    ctx = make_ctx("edge")
    nic = {"network": network.physical_id, "floating_ip": fip.physical_id}
    create(Server(), ctx, {"image": "linux", "flavor": "small", "networks": [nic]})
    (address,) = ctx.attributes["addresses"]["lifecycle-servers"][:1]
    assert FloatingIP().read(fip)["port_id"] == address["port"]  # type: ignore[index]
    assert "floating_ips" not in ctx.progress


def _resize_outside(conn: Any, server_id: str, flavor_name: str) -> None:
    """What an operator does with openstacksdk: resize, wait, confirm."""
    conn.compute.resize_server(server_id, conn.compute.find_flavor(flavor_name).id)
    server = conn.compute.get_server(server_id)
    server = conn.compute.wait_for_server(server, status="VERIFY_RESIZE", interval=0.05, wait=10)
    conn.compute.confirm_server_resize(server_id)
    conn.compute.wait_for_server(server, status="ACTIVE", interval=0.05, wait=10)


def test_server_resized_outside_shows_flavor_drift(
    make_ctx: MakeCtx, network: ResourceContext, clients: RegionClients
) -> None:
    server, ctx = Server(), make_ctx("resized")
    nic = [{"network": network.physical_id}]
    props = Server.with_defaults({"image": "linux", "flavor": "small", "networks": nic})
    create(server, ctx, props)
    conn = clients.connection("East")
    image_id = conn.image.find_image("cirros", ignore_missing=False).id
    assert differences(server, ctx, props) == []  # logical names, as the region map has them
    same = props | {"flavor": "2", "image": image_id}  # ids of m1.small and cirros
    assert differences(server, ctx, same) == []
    assert differences(server, ctx, props | {"flavor": "m1.small", "image": "cirros"}) == []
    _resize_outside(conn, str(ctx.physical_id), "m1.medium")
    assert differences(server, ctx, props) == [Difference("flavor", "small", "m1.medium")]
    assert differences(server, ctx, props | {"flavor": "large"}) == []  # large is m1.medium
    assert differences(server, ctx, props | {"image": "no-such-image"}) == [
        Difference("flavor", "small", "m1.medium")
    ]  # an image that cannot be looked up cannot be compared
    delete(server, ctx)
    assert differences(server, ctx, props) is None


def test_server_rebuilt_outside_shows_image_drift_until_rebuilt_back(
    make_ctx: MakeCtx, network: ResourceContext, clients: RegionClients
) -> None:
    server, ctx = Server(), make_ctx("rebuilt")
    nic = [{"network": network.physical_id}]
    props = Server.with_defaults({"image": "linux", "flavor": "small", "networks": nic})
    create(server, ctx, props)
    conn = clients.connection("East")
    ubuntu = conn.image.find_image("ubuntu", ignore_missing=False)
    rebuilt = conn.compute.rebuild_server(str(ctx.physical_id), ubuntu.id)
    conn.compute.wait_for_server(rebuilt, status="ACTIVE", interval=0.05, wait=10)
    assert differences(server, ctx, props) == [Difference("image", "linux", "ubuntu")]
    assert update(server, ctx, props | {"image": "ubuntu"}, props) >= 1  # REBUILD, then ACTIVE
    assert differences(server, ctx, props) == []
    delete(server, ctx)


def test_server_networks_drift_as_far_as_its_ports_map_to_the_entries(
    make_ctx: MakeCtx, clients: RegionClients
) -> None:
    network = make_ctx("nics_net")
    create(Net(), network, {"name": "nics-net"})
    create(Subnet(), make_ctx("nics_sub"), {"network": "nics-net", "cidr": "10.31.0.0/24"})
    server, ctx = Server(), make_ctx("nics")
    nic = [{"network": "nics-net", "fixed_ip": "10.31.0.60", "tag": "a"}]
    props = Server.with_defaults({"image": "linux", "flavor": "small", "networks": nic})
    create(server, ctx, props)
    assert differences(server, ctx, props) == []  # a network by name; a tag is not read
    unknown = props | {"networks": [{"network": "no-such-net", "fixed_ip": "10.31.0.99"}]}
    assert differences(server, ctx, unknown) == []  # cannot be looked up: not compared
    auto = props | {"networks": [{"allocate_network": "auto"}]}
    assert differences(server, ctx, auto) == []

    conn = clients.connection("East")
    extra = conn.network.create_port(
        network_id=network.physical_id, device_id=ctx.physical_id, device_owner="compute:nova"
    )  # an interface attached behind crossheat's back
    assert differences(server, ctx, props) == [
        Difference(
            "networks",
            nic,
            [
                {"network": "nics-net", "fixed_ip": "10.31.0.60"},
                {"port": extra.id, "network": network.physical_id},
            ],
        )
    ]
    assert differences(server, ctx, auto) == []  # allocated: whatever ports it has
    none = props | {"networks": [{"allocate_network": "none"}]}
    assert differences(server, ctx, none) == [
        Difference("networks", [{"allocate_network": "none"}], [{"allocate_network": "auto"}])
    ]
    delete(server, ctx)
    conn.network.delete_port(extra)
