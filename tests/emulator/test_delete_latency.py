"""Deletes take time as in a real cloud; Keystone calls are counted; PUT answers get lost."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openstack
import pytest

from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import Emulator
from tests.emulator.test_nova import boot

Base = tuple[str, Emulator]
NotFound = openstack.exceptions.NotFoundException


@pytest.fixture
def admin(emulator: Base) -> AdminClient:
    return AdminClient(emulator[0])


def test_a_deleted_server_shows_deleting_then_is_gone_after_its_latency(
    admin: AdminClient, conn: Any
) -> None:
    network = conn.network.create_network(name="app")
    conn.network.create_subnet(network_id=network.id, cidr="10.1.0.0/24", ip_version=4)
    server = boot(conn, networks=[{"uuid": network.id}])
    admin.latency({"server": 0.6, "jitter": 0})
    started = time.monotonic()
    conn.compute.delete_server(server)
    assert time.monotonic() - started < 0.3  # Nova answers 204 at once
    deleting = conn.compute.get_server(server.id)
    assert deleting.status == "ACTIVE"
    assert deleting.task_state == "deleting"
    assert [s.id for s in conn.compute.servers()] == [server.id]
    assert len(list(conn.network.ports(device_id=server.id))) == 1  # not let go of yet
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.compute.stop_server(server)
    conn.compute.delete_server(server)  # again while deleting: accepted, no later end
    conn.compute.wait_for_delete(server, interval=0.05, wait=5)
    assert time.monotonic() - started >= 0.6
    with pytest.raises(NotFound):
        conn.compute.get_server(server.id)
    assert list(conn.network.ports(device_id=server.id)) == []
    assert admin.resources("East").get("servers") is None


def test_a_servers_delete_latency_can_differ_from_its_boot(admin: AdminClient, conn: Any) -> None:
    admin.latency({"server": 30, "server_delete": 0.2, "jitter": 0})
    server = boot(conn)
    assert conn.compute.get_server(server.id).status == "BUILD"
    started = time.monotonic()
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.05, wait=5)
    assert 0.2 <= time.monotonic() - started < 5


def test_the_admin_listing_does_not_show_a_server_whose_delete_has_finished(
    admin: AdminClient, conn: Any
) -> None:
    admin.latency({"server": 0.3, "jitter": 0})
    server = boot(conn)
    conn.compute.delete_server(server)
    assert [s["id"] for s in admin.resources("East")["servers"]] == [server.id]
    time.sleep(0.35)
    assert "servers" not in admin.resources("East")


def test_a_neutron_delete_answers_after_the_kinds_latency(admin: AdminClient, conn: Any) -> None:
    network = conn.network.create_network(name="slow-to-go")
    admin.latency({"network": 0.4, "jitter": 0})
    started = time.monotonic()
    conn.network.delete_network(network)
    assert time.monotonic() - started >= 0.4
    with pytest.raises(NotFound):
        conn.network.get_network(network.id)
    started = time.monotonic()
    with pytest.raises(NotFound):  # an unknown id is answered at once
        conn.network.delete_network(network, ignore_missing=False)
    assert time.monotonic() - started < 0.3


def test_a_port_delete_waits_for_the_port_latency(admin: AdminClient, conn: Any) -> None:
    network = conn.network.create_network(name="ports")
    conn.network.create_subnet(network_id=network.id, cidr="10.2.0.0/24", ip_version=4)
    port = conn.network.create_port(network_id=network.id)
    admin.latency({"port": 0.3, "jitter": 0})
    started = time.monotonic()
    conn.network.delete_port(port)
    assert time.monotonic() - started >= 0.3


def test_removing_a_router_interface_takes_its_latency(admin: AdminClient, conn: Any) -> None:
    network = conn.network.create_network(name="inside")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.3.0.0/24", ip_version=4)
    router = conn.network.create_router(name="r")
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    admin.latency({"router_interface": 0.3, "jitter": 0})
    started = time.monotonic()
    conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    assert time.monotonic() - started >= 0.3


def test_keystone_requests_are_counted_apart_from_regions(
    emulator: Base, admin: AdminClient, conn: Any
) -> None:
    admin.reset_counters()
    list(conn.network.networks())  # the first call: discovery and a token
    identity = admin.identity_counters()
    assert identity["POST /v3/auth/tokens"] == 1
    assert "GET /network/v2.0/networks" in admin.counters()["East"]
    httpx.get(f"{emulator[0]}/identity/v3/auth/projects")
    assert admin.identity_counters()["GET /v3/auth/projects"] == 1
    admin.reset_counters()
    assert admin.identity_counters() == {}


def test_a_lost_put_answer_is_a_502_for_an_interface_that_was_added(
    admin: AdminClient, conn: Any
) -> None:
    network = conn.network.create_network(name="lost")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.4.0.0/24", ip_version=4)
    router = conn.network.create_router(name="r")
    admin.faults({"lost_answer_rate": 1.0, "lost_answer_path": "/add_router_interface"})
    with pytest.raises(openstack.exceptions.HttpException) as failure:
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    assert failure.value.status_code == 502
    [port] = conn.network.ports(device_id=router.id)
    assert port.fixed_ips[0]["subnet_id"] == subnet.id
    counters = admin.counters()["East"]
    assert counters["LOST /network/v2.0/routers/{id}/add_router_interface"] == 1
    assert "LOST /network/v2.0/networks" not in counters  # other paths answer
    admin.faults(reset=True)
    with pytest.raises(openstack.exceptions.BadRequestException, match="already has a port"):
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
