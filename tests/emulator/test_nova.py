"""Nova v2.1 of the emulator through openstacksdk: flavors, servers, metadata, resize, keypairs."""

from __future__ import annotations

from typing import Any

import httpx
import openstack
import pytest

from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import Emulator

Base = tuple[str, Emulator]
NotFound = openstack.exceptions.NotFoundException


@pytest.fixture
def net(conn: Any) -> Any:
    network = conn.network.create_network(name="app")
    conn.network.create_subnet(network_id=network.id, cidr="10.1.0.0/24", ip_version=4)
    return network


def boot(conn: Any, name: str = "vm", networks: Any = "none", **extra: Any) -> Any:
    image = conn.image.find_image("cirros", ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    return conn.compute.create_server(
        name=name, image_id=image.id, flavor_id=flavor.id, networks=networks, **extra
    )


def test_flavors(conn: Any) -> None:
    flavors = {f.name: f for f in conn.compute.flavors()}
    assert list(flavors) == ["m1.tiny", "m1.small", "m1.medium", "m1.large"]
    small = conn.compute.find_flavor("m1.small", ignore_missing=False)
    assert (small.vcpus, small.ram, small.disk) == (1, 2048, 20)
    assert conn.compute.get_flavor(flavors["m1.large"].id).vcpus == 4
    with pytest.raises(NotFound):
        conn.compute.get_flavor("99")


def test_server_builds_then_is_active_with_an_address(emulator: Base, conn: Any, net: Any) -> None:
    AdminClient(emulator[0]).latency({"server": 1.0, "jitter": 0})
    created = boot(conn, networks=[{"uuid": net.id}], metadata={"role": "web"})
    assert created.admin_password
    assert conn.compute.get_server(created.id).status == "BUILD"
    server = conn.compute.wait_for_server(created, interval=0.1, wait=10)
    assert server.status == "ACTIVE"
    [address] = server.addresses["app"]
    assert address["addr"].startswith("10.1.0.")
    assert address["OS-EXT-IPS-MAC:mac_addr"].startswith("fa:16:3e:")
    assert server.flavor.original_name == "m1.tiny"
    assert server.metadata == {"role": "web"}
    assert server.project_id == conn.current_project_id
    [port] = conn.network.ports(device_id=server.id)
    assert port.device_owner == "compute:nova"


def test_two_servers_never_share_an_address(conn: Any, net: Any) -> None:
    servers = [boot(conn, f"vm{i}", [{"uuid": net.id}]) for i in range(3)]
    addresses = {conn.compute.get_server(s.id).addresses["app"][0]["addr"] for s in servers}
    assert len(addresses) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image_id": "00000000-0000-0000-0000-000000000000"}, "Image"),
        ({"flavor_id": "99"}, "Flavor"),
        ({"networks": [{"uuid": "00000000-0000-0000-0000-000000000001"}]}, "could not be found"),
    ],
)
def test_missing_image_flavor_or_network_gives_error_with_fault(
    conn: Any, change: dict[str, Any], message: str
) -> None:
    image = conn.image.find_image("cirros", ignore_missing=False)
    attrs = {"name": "bad", "image_id": image.id, "flavor_id": "1", "networks": "none", **change}
    server = conn.compute.get_server(conn.compute.create_server(**attrs).id)
    assert server.status == "ERROR"
    assert message in server.fault["message"]
    with pytest.raises(openstack.exceptions.ResourceFailure):
        conn.compute.wait_for_server(server, interval=0.1, wait=5)


def test_exhausted_quota_gives_error_with_a_quota_message(emulator: Base, conn: Any) -> None:
    AdminClient(emulator[0]).faults({"quota.servers": 1})
    assert conn.compute.get_server(boot(conn, "one").id).status != "ERROR"
    second = conn.compute.get_server(boot(conn, "two").id)
    assert second.status == "ERROR"
    assert second.fault["message"] == (
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    )


def test_limits_show_quota_and_usage(emulator: Base, conn: Any) -> None:
    AdminClient(emulator[0]).faults({"quota.cores": 3})
    boot(conn)
    limits = conn.compute.get_limits().absolute
    assert (limits.instances_used, limits.total_cores_used, limits.total_ram_used) == (1, 1, 512)
    assert limits.total_cores == 3


def test_list_filters(conn: Any) -> None:
    for name in ("web-1", "web-2", "db-1"):
        boot(conn, name)
    assert sorted(s.name for s in conn.compute.servers(name="^web")) == ["web-1", "web-2"]
    assert len(list(conn.compute.servers(status="ACTIVE"))) == 3
    assert list(conn.compute.servers(status="ERROR")) == []
    assert {s.name for s in conn.compute.servers(details=False)} == {"web-1", "web-2", "db-1"}
    assert conn.compute.find_server("db-1", ignore_missing=False).name == "db-1"


def test_rename_and_delete(conn: Any) -> None:
    server = boot(conn)
    assert conn.compute.update_server(server, name="renamed").name == "renamed"
    assert conn.compute.get_server(server.id).name == "renamed"
    conn.compute.delete_server(server)
    with pytest.raises(NotFound):
        conn.compute.get_server(server.id)
    with pytest.raises(NotFound):
        conn.compute.delete_server(server, ignore_missing=False)


def test_delete_releases_the_port(conn: Any, net: Any) -> None:
    server = boot(conn, networks=[{"uuid": net.id}])
    assert len(list(conn.network.ports(device_id=server.id))) == 1
    conn.compute.delete_server(server)
    assert list(conn.network.ports(device_id=server.id)) == []


def test_metadata(conn: Any) -> None:
    server = boot(conn, metadata={"a": "1"})
    conn.compute.set_server_metadata(server, b="2")
    assert conn.compute.fetch_server_metadata(server).metadata == {"a": "1", "b": "2"}
    conn.compute.delete_server_metadata(server, ["a"])
    assert conn.compute.fetch_server_metadata(server).metadata == {"b": "2"}
    with pytest.raises(NotFound):
        conn.compute.delete_server_metadata(server, ["missing"])
    server.replace_metadata(conn.compute, metadata={"c": "3"})
    assert conn.compute.get_server(server.id).metadata == {"c": "3"}


def test_resize_and_confirm(conn: Any) -> None:
    server = boot(conn)
    large = conn.compute.find_flavor("m1.large", ignore_missing=False)
    conn.compute.resize_server(server, large.id)
    resized = conn.compute.wait_for_server(server, status="VERIFY_RESIZE", interval=0.1, wait=5)
    assert resized.flavor.original_name == "m1.tiny"
    conn.compute.confirm_server_resize(server)
    active = conn.compute.get_server(server.id)
    assert (active.status, active.flavor.original_name, active.flavor.vcpus) == (
        "ACTIVE",
        "m1.large",
        4,
    )
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.compute.confirm_server_resize(server)


def test_revert_resize_keeps_the_flavor(conn: Any) -> None:
    server = boot(conn)
    conn.compute.resize_server(server, "2")
    conn.compute.revert_server_resize(server)
    assert conn.compute.get_server(server.id).flavor.original_name == "m1.tiny"


def test_tenant_isolation(conn: Any, demo_conn: Any) -> None:
    server = boot(conn, "secret")
    assert list(demo_conn.compute.servers()) == []
    with pytest.raises(NotFound):
        demo_conn.compute.get_server(server.id)
    with pytest.raises(NotFound):
        demo_conn.compute.delete_server(server, ignore_missing=False)


def test_keypairs(conn: Any, demo_conn: Any) -> None:
    made = conn.compute.create_keypair(name="made")
    assert made.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    imported = conn.compute.create_keypair(name="imported", public_key=made.public_key)
    assert imported.fingerprint == made.fingerprint
    assert imported.private_key is None
    assert sorted(k.name for k in conn.compute.keypairs()) == ["imported", "made"]
    assert conn.compute.get_keypair("made").public_key == made.public_key
    assert list(demo_conn.compute.keypairs()) == []
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.compute.create_keypair(name="made")
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.create_keypair(name="bad", public_key="not a key")
    conn.compute.delete_keypair("made")
    with pytest.raises(NotFound):
        conn.compute.get_keypair("made")


def test_server_with_unknown_keypair_is_bad_request(conn: Any) -> None:
    with pytest.raises(openstack.exceptions.BadRequestException):
        boot(conn, key_name="nope")


def test_microversion_is_echoed(emulator: Base, conn: Any) -> None:
    headers = {"X-Auth-Token": conn.session.get_token(), "OpenStack-API-Version": "compute 2.79"}
    answer = httpx.get(f"{emulator[0]}/East/compute/v2.1/flavors", headers=headers)
    assert answer.headers["OpenStack-API-Version"] == "compute 2.79"
    assert answer.headers["X-OpenStack-Nova-API-Version"] == "2.79"
    headers["OpenStack-API-Version"] = "compute 3.0"
    assert httpx.get(f"{emulator[0]}/East/compute/v2.1/flavors", headers=headers).status_code == 406


def test_version_discovery(emulator: Base) -> None:
    doc = httpx.get(f"{emulator[0]}/East/compute/v2.1").json()["version"]
    assert (doc["min_version"], doc["version"]) == ("2.1", "2.96")
    assert httpx.get(f"{emulator[0]}/East/compute").json()["versions"][0]["id"] == "v2.1"
