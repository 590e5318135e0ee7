"""The emulator's admin hooks: faults, latency, counters, listing; and request ids."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openstack
import pytest

from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import Emulator
from crossheat.errors import CrossheatError

Base = tuple[str, Emulator]


@pytest.fixture
def admin(emulator: Base) -> AdminClient:
    return AdminClient(emulator[0])


def test_region_down_fails_only_that_regions_services(
    admin: AdminClient, conn: Any, west_conn: Any
) -> None:
    assert admin.faults({"region_down": ["West"]})["region_down"] == ["West"]
    with pytest.raises(openstack.exceptions.HttpException) as failure:
        list(west_conn.network.networks())
    assert failure.value.status_code == 503
    assert [n.name for n in conn.network.networks()] == ["public"]
    admin.faults(reset=True)
    assert [n.name for n in west_conn.network.networks()] == ["public"]


def test_error_rate_answers_503_but_never_for_keystone(emulator: Base, admin: AdminClient) -> None:
    admin.faults({"error_rate": 1.0})
    url = emulator[0]
    assert httpx.get(f"{url}/East/compute/v2.1/flavors").status_code == 503
    assert httpx.get(f"{url}/identity/v3").status_code == 200
    assert httpx.get(f"{url}/admin/faults").status_code == 200
    admin.faults({"error_rate": 0})
    assert httpx.get(f"{url}/East/compute/v2.1/flavors").status_code == 401


def test_a_lost_answer_is_a_502_for_a_create_that_happened(admin: AdminClient, conn: Any) -> None:
    admin.faults({"lost_answer_rate": 1.0})
    with pytest.raises(openstack.exceptions.HttpException) as failure:
        conn.network.create_network(name="made-anyway")
    assert failure.value.status_code == 502
    assert [n.name for n in conn.network.networks(name="made-anyway")] == ["made-anyway"]
    assert admin.counters()["East"]["LOST /network/v2.0/networks"] == 1
    admin.faults({"lost_answer_rate": 0})
    assert conn.network.create_network(name="answered").name == "answered"


def test_quota_fault_changes_while_running(admin: AdminClient, demo_conn: Any) -> None:
    admin.faults({"quota.networks": 1})
    demo_conn.network.create_network(name="first")
    with pytest.raises(openstack.exceptions.ConflictException):
        demo_conn.network.create_network(name="second")
    assert admin.faults()["quota"] == {"networks": 1}


def test_bad_fault_is_refused(admin: AdminClient) -> None:
    with pytest.raises(CrossheatError, match="400"):
        admin.faults({"meteor_strike": 1})


def test_latency_applies_to_creates(admin: AdminClient, conn: Any) -> None:
    assert admin.latency({"network": 0.3, "jitter": 0})["seconds"] == {"network": 0.3}
    started = time.monotonic()
    conn.network.create_network(name="slow")
    assert time.monotonic() - started >= 0.3
    assert admin.latency(reset=True)["seconds"] == {}


def test_counters_by_path_template(admin: AdminClient, conn: Any, west_conn: Any) -> None:
    list(conn.network.networks())
    admin.reset_counters()
    network = conn.network.create_network(name="counted")
    conn.network.get_network(network.id)
    conn.network.delete_network(network)
    list(west_conn.compute.flavors())
    counters = admin.counters()
    assert counters["East"] == {
        "POST /network/v2.0/networks": 1,
        "GET /network/v2.0/networks/{id}": 1,
        "DELETE /network/v2.0/networks/{id}": 1,
    }
    assert counters["West"]["GET /compute/v2.1/flavors/detail"] == 1
    admin.reset_counters()
    assert admin.counters() == {"East": {}, "West": {}}


def test_resources_lists_everything_of_a_region(
    admin: AdminClient, conn: Any, demo_conn: Any
) -> None:
    assert admin.resources("East") == {}
    conn.network.create_network(name="admins")
    demo_conn.network.create_network(name="demos")
    image = conn.image.find_image("cirros", ignore_missing=False)
    conn.compute.create_server(name="vm", image_id=image.id, flavor_id="1", networks="none")
    found = admin.resources("East")
    assert sorted(n["name"] for n in found["networks"]) == ["admins", "demos"]
    assert [s["name"] for s in found["servers"]] == ["vm"]
    assert admin.resources("West") == {}
    everything = admin.resources("East", all=True)
    assert "public" in {n["name"] for n in everything["networks"]}
    assert {i["name"] for i in everything["images"]} == {"cirros", "ubuntu"}
    with pytest.raises(CrossheatError, match="404"):
        admin.resources("North")


@pytest.mark.parametrize(
    "path",
    [
        "/identity/v3",
        "/East/network/v2.0/networks",
        "/West/compute/v2.1",
        "/North/image",
        "/admin/faults",
    ],
)
def test_every_response_carries_a_request_id(emulator: Base, path: str) -> None:
    answer = httpx.get(emulator[0] + path)
    assert answer.headers["x-openstack-request-id"].startswith("req-")


def test_sdk_errors_carry_the_request_id(conn: Any) -> None:
    with pytest.raises(openstack.exceptions.NotFoundException) as failure:
        conn.network.get_network("00000000-0000-0000-0000-000000000000")
    assert str(failure.value.request_id).startswith("req-")
