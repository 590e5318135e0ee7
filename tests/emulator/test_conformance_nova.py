"""python-novaclient against the emulated Nova, as Heat's nova client plugin and server drive it.

Heat asks the newest microversion (``versions.get_current``), resolves a flavor
by id and else by name, creates, shows and deletes servers, lists a server's
interfaces when it completes (``interface_list``), attaches and detaches
interfaces, manages keypairs and metadata, and reads limits and zones.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from glanceclient import client as glance_client
from neutronclient.v2_0 import client as neutron_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from crossheat.emulator.core import Emulator


def nova(session: Any, version: str = "2.1", region: str = "East") -> Any:
    return nova_client.Client(version, session=session, region_name=region)


def neutron(session: Any, region: str = "East") -> Any:
    return neutron_client.Client(session=session, region_name=region)


@dataclass
class Net:
    network: dict[str, Any]
    subnet: dict[str, Any]


def make_net(client: Any, name: str, cidr: str) -> Net:
    network = client.create_network({"network": {"name": name}})["network"]
    body = {"network_id": network["id"], "cidr": cidr, "ip_version": 4, "name": f"{name}-sub"}
    return Net(network, client.create_subnet({"subnet": body})["subnet"])


def cirros(session: Any) -> str:
    [image] = glance_client.Client("2", session=session, region_name="East").images.list(
        filters={"name": "cirros"}
    )
    return str(image.id)


def boot(session: Any, net: Net, name: str = "vm", version: str = "2.1", **kwargs: Any) -> Any:
    client = nova(session, version)
    flavor = client.flavors.find(name="m1.small")
    nics = [{"net-id": net.network["id"]}]
    return client.servers.create(name, cirros(session), flavor.id, nics=nics, **kwargs)


def gone(client: Any, server_id: str) -> bool:
    """Whether the server disappears within a few seconds (deletion may take a while)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            client.servers.get(server_id)
        except nova_exc.NotFound:
            return True
        time.sleep(0.05)
    return False


def test_heat_finds_the_newest_microversion_and_flavors_by_id_or_name(ks_session: Any) -> None:
    client = nova(ks_session)
    assert client.versions.get_current().version == "2.96"
    assert client.flavors.get("2").ram == 2048
    with pytest.raises(nova_exc.NotFound):
        client.flavors.get("m1.small")
    assert client.flavors.find(name="m1.small").id == "2"
    assert sorted(f.name for f in client.flavors.list()) == [
        "m1.large",
        "m1.medium",
        "m1.small",
        "m1.tiny",
    ]


@pytest.mark.parametrize("version", ["2.1", "2.96"])
def test_server_create_show_interfaces_and_delete(ks_session: Any, version: str) -> None:
    net = make_net(neutron(ks_session), "app", "10.10.0.0/24")
    client = nova(ks_session, version)
    created = boot(ks_session, net, "web", version, meta={"role": "web"})
    server = client.servers.get(created.id)
    assert (server.name, server.status, server.metadata) == ("web", "ACTIVE", {"role": "web"})
    [address] = server.networks["app"]
    [interface] = client.servers.interface_list(server.id)
    assert interface.net_id == net.network["id"]
    assert interface.fixed_ips == [{"subnet_id": net.subnet["id"], "ip_address": address}]
    assert interface.port_state == "ACTIVE"
    assert (getattr(interface, "tag", "absent") is None) == (version >= "2.70")
    client.servers.delete(server.id)
    assert gone(client, server.id)


def test_attaching_to_a_network_creates_a_port_and_detaching_deletes_it(ks_session: Any) -> None:
    networks = neutron(ks_session)
    first, second = make_net(networks, "a", "10.1.0.0/24"), make_net(networks, "b", "10.2.0.0/24")
    client = nova(ks_session)
    server = boot(ks_session, first)
    attached = client.servers.interface_attach(server.id, None, second.network["id"], "10.2.0.9")
    assert attached.fixed_ips[0]["ip_address"] == "10.2.0.9"
    port = networks.show_port(attached.port_id)["port"]
    assert (port["device_id"], port["device_owner"]) == (server.id, "compute:nova")
    assert client.servers.get(server.id).networks["b"] == ["10.2.0.9"]
    assert client.servers.interface_list(server.id)[1].port_id == attached.port_id
    client.servers.interface_detach(server.id, attached.port_id)
    assert [i.net_id for i in client.servers.interface_list(server.id)] == [first.network["id"]]
    assert "b" not in client.servers.get(server.id).networks
    assert networks.list_ports(id=attached.port_id)["ports"] == []


def test_attaching_a_given_port_binds_it_and_detaching_unbinds_it(ks_session: Any) -> None:
    networks = neutron(ks_session)
    net = make_net(networks, "a", "10.1.0.0/24")
    port = networks.create_port({"port": {"network_id": net.network["id"], "name": "mine"}})
    port_id = port["port"]["id"]
    client = nova(ks_session)
    server = boot(ks_session, net)
    client.servers.interface_attach(server.id, port_id, None, None)
    assert networks.show_port(port_id)["port"]["device_id"] == server.id
    assert len(client.servers.interface_list(server.id)) == 2
    client.servers.interface_detach(server.id, port_id)
    kept = networks.show_port(port_id)["port"]
    assert (kept["name"], kept["device_id"], kept["device_owner"]) == ("mine", "", "")


def test_a_server_booted_on_a_port_heat_made_leaves_it_unbound_when_deleted(
    ks_session: Any,
) -> None:
    networks = neutron(ks_session)
    net = make_net(networks, "a", "10.1.0.0/24")
    body = {"network_id": net.network["id"], "fixed_ips": [{"ip_address": "10.1.0.50"}]}
    port_id = networks.create_port({"port": body})["port"]["id"]
    client = nova(ks_session)
    flavor = client.flavors.find(name="m1.tiny")
    server = client.servers.create("vm", cirros(ks_session), flavor.id, nics=[{"port-id": port_id}])
    [interface] = client.servers.interface_list(server.id)
    assert (interface.port_id, interface.fixed_ips[0]["ip_address"]) == (port_id, "10.1.0.50")
    assert client.servers.get(server.id).networks == {"a": ["10.1.0.50"]}
    client.servers.delete(server.id)
    assert gone(client, server.id)
    assert networks.show_port(port_id)["port"]["device_id"] == ""


def test_interface_errors_raise_novaclients_exceptions(
    emulator: tuple[str, Emulator], ks_session: Any
) -> None:
    networks = neutron(ks_session)
    net = make_net(networks, "a", "10.1.0.0/24")
    client = nova(ks_session)
    server = boot(ks_session, net)
    with pytest.raises(nova_exc.NotFound):
        client.servers.interface_list(str(uuid.uuid4()))
    with pytest.raises(nova_exc.NotFound):
        client.servers.interface_attach(server.id, None, str(uuid.uuid4()), None)
    with pytest.raises(nova_exc.BadRequest):
        client.servers.interface_attach(server.id, "p", net.network["id"], None)
    with pytest.raises(nova_exc.NotFound):
        client.servers.interface_detach(server.id, str(uuid.uuid4()))
    emulator[1].config.latency.seconds["server"] = 30
    building = boot(ks_session, net, "slow")
    with pytest.raises(nova_exc.Conflict, match="BUILD"):
        client.servers.interface_attach(building.id, None, net.network["id"], None)


def test_keypairs_and_metadata_as_heat_uses_them(ks_session: Any) -> None:
    client = nova(ks_session)
    made = client.keypairs.create("generated")
    assert made.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert client.keypairs.get("generated").public_key == made.public_key
    imported = client.keypairs.create("imported", public_key=made.public_key)
    assert imported.fingerprint == made.fingerprint
    with pytest.raises(nova_exc.NotFound):
        client.keypairs.get("no-such-key")
    client.keypairs.delete("imported")
    assert [k.name for k in client.keypairs.list()] == ["generated"]
    server = boot(ks_session, make_net(neutron(ks_session), "a", "10.1.0.0/24"))
    client.servers.set_meta(server.id, {"a": "1", "b": "2"})
    client.servers.delete_meta(server.id, ["a"])
    assert client.servers.get(server.id).metadata == {"b": "2"}


def test_availability_zones_and_limits(ks_session: Any, demo_ks_session: Any) -> None:
    client = nova(ks_session)
    assert [z.zoneName for z in client.availability_zones.list(detailed=False)] == ["nova"]
    detailed = {z.zoneName: z for z in client.availability_zones.list()}
    assert set(detailed) == {"internal", "nova"}
    assert detailed["nova"].zoneState == {"available": True}
    assert list(detailed["nova"].hosts) == ["compute-east"]
    demo = nova(demo_ks_session)
    assert [z.zoneName for z in demo.availability_zones.list(detailed=False)] == ["nova"]
    with pytest.raises(nova_exc.Forbidden):
        demo.availability_zones.list()
    absolute = {limit.name: limit.value for limit in client.limits.get().absolute}
    assert absolute["maxTotalInstances"] == 10


def test_unknown_routes_raise_novaclients_not_found(
    emulator: tuple[str, Emulator], ks_session: Any
) -> None:
    client = nova(ks_session)
    with pytest.raises(nova_exc.NotFound, match="The resource could not be found"):
        client.client.get("/os-no-such-extension")
    with pytest.raises(nova_exc.MethodNotAllowed):
        client.client.put("/flavors", body={})
    headers = {"X-Auth-Token": ks_session.get_token()}
    base = f"{emulator[0]}/East/compute/v2.1"
    answer = httpx.get(f"{base}/no-such-thing", headers=headers)
    assert answer.status_code == 404
    assert answer.json() == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}
    }
    wrong = httpx.delete(f"{base}/flavors/detail", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
    assert list(wrong.json()) == ["badMethod"]
