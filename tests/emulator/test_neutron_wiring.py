"""What Neutron offers the rest of the emulator: Nova's port wiring, seeding, listing, discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from crossheat.emulator import neutron
from crossheat.emulator.core import ApiError, Auth, Emulator, EmulatorConfig


def _auth(conn: Any) -> Auth:
    project = conn.current_project_id
    return Auth("t", "u", "admin", project, "admin", is_admin=True)


def test_server_port_from_network(emulator: tuple[str, Emulator], conn: Any) -> None:
    emu = emulator[1]
    network = conn.network.create_network(name="servers")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.5.0.0/24", ip_version=4)
    port = neutron.allocate_server_port(emu, "East", _auth(conn), {"uuid": network.id}, "srv-1")
    assert port["fixed_ips"] == [{"subnet_id": subnet.id, "ip_address": "10.5.0.2"}]
    assert port["mac_address"].startswith("fa:16:3e:")
    seen = conn.network.get_port(port["id"])
    assert (seen.device_owner, seen.device_id) == ("compute:nova", "srv-1")
    fixed = {"uuid": network.id, "fixed_ip": "10.5.0.9"}
    other = neutron.allocate_server_port(emu, "East", _auth(conn), fixed, "srv-1")
    assert other["fixed_ips"][0]["ip_address"] == "10.5.0.9"
    assert neutron.network_name(emu, "East", network.id) == "servers"
    neutron.release_server_ports(emu, "East", "srv-1")
    assert list(conn.network.ports(device_id="srv-1")) == []


def test_server_port_given_by_the_user(emulator: tuple[str, Emulator], conn: Any) -> None:
    emu = emulator[1]
    network = conn.network.create_network(name="n")
    conn.network.create_subnet(network_id=network.id, cidr="10.5.0.0/24", ip_version=4)
    mine = conn.network.create_port(network_id=network.id)
    bound = neutron.allocate_server_port(emu, "East", _auth(conn), {"port": mine.id}, "srv-2")
    assert bound["id"] == mine.id and bound["device_id"] == "srv-2"
    with pytest.raises(ApiError) as taken:
        neutron.allocate_server_port(emu, "East", _auth(conn), {"port": mine.id}, "srv-3")
    assert taken.value.status == 409
    neutron.release_server_ports(emu, "East", "srv-2")
    assert conn.network.get_port(mine.id).device_id == ""


def test_server_port_errors(emulator: tuple[str, Emulator], conn: Any) -> None:
    emu = emulator[1]
    with pytest.raises(ApiError) as missing:
        neutron.allocate_server_port(emu, "East", _auth(conn), {"uuid": "nope"}, "srv")
    assert missing.value.status == 404
    assert missing.value.body["NeutronError"]["type"] == "NetworkNotFound"
    network = conn.network.create_network(name="no-subnet")
    conn.network.create_subnet(network_id=network.id, cidr="10.6.0.0/30", ip_version=4)
    neutron.allocate_server_port(emu, "East", _auth(conn), {"uuid": network.id}, "srv")
    with pytest.raises(ApiError) as exhausted:
        neutron.allocate_server_port(emu, "East", _auth(conn), {"uuid": network.id}, "srv")
    assert exhausted.value.status == 409


def test_list_all_hides_seeded_public(emulator: tuple[str, Emulator], conn: Any) -> None:
    emu = emulator[1]
    assert neutron.list_all(emu, "East") == {}
    conn.network.create_network(name="mine")
    listed = neutron.list_all(emu, "East")
    assert [n["name"] for n in listed["networks"]] == ["mine"]
    everything = neutron.list_all(emu, "East", include_seeded=True)
    assert {n["name"] for n in everything["networks"]} == {"mine", "public"}
    assert all(not key.startswith("_") for n in everything["networks"] for key in n)


def test_seed_is_idempotent_across_restarts(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    first = Emulator(EmulatorConfig(regions=["East", "West"], state=state))
    neutron.seed(first, "admin-project")
    cidrs = sorted(s["cidr"] for s in neutron.list_all(first, "West", True)["subnets"])
    first.store.close()
    again = Emulator(EmulatorConfig(regions=["East", "West"], state=state))
    neutron.seed(again, "admin-project")
    assert sorted(s["cidr"] for s in neutron.list_all(again, "West", True)["subnets"]) == cidrs
    assert cidrs == ["100.64.1.0/24"]
    other_cloud = Emulator(EmulatorConfig(regions=["East"], cloud_index=1))
    neutron.seed(other_cloud, "admin-project")
    (subnet,) = neutron.list_all(other_cloud, "East", True)["subnets"]
    assert subnet["cidr"] == "100.65.0.0/24"


def test_version_discovery_and_extensions(emulator: tuple[str, Any], conn: Any) -> None:
    base = emulator[0]
    versions = httpx.get(f"{base}/West/network").json()["versions"]
    assert versions[0]["id"] == "v2.0"
    assert versions[0]["links"][0]["href"] == f"{base}/West/network/v2.0/"
    aliases = {e.alias for e in conn.network.extensions()}
    assert {"vpnaas", "standard-attr-tag", "external-net"} <= aliases
