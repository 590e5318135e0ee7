"""Bare-metal hosts of the emulator through openstacksdk: the Ironic flavor and its extra
specs, one instance per node, "No valid host was found", hypervisors and zones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest

from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import Emulator, EmulatorConfig, Latency
from crossheat.emulator.nova import flavors as nova_flavors
from crossheat.emulator.nova import hosts as nova_hosts
from crossheat.emulator.server import ThreadedEmulator

#: A VM boots in 0.05 s; a bare-metal node, ten times that.
LATENCY = "default=0,server=0.05,jitter=0"


@pytest.fixture
def clouds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    config = EmulatorConfig(
        regions=["East", "West"], state=":memory:", latency=Latency.from_spec(LATENCY),
        baremetal=2,
    )  # fmt: skip
    running = ThreadedEmulator(config)
    path = tmp_path / "clouds.yaml"
    write_clouds_yaml(path, "emulator", running.url, ["East", "West"])
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    try:
        yield running.url
    finally:
        running.stop()


@pytest.fixture
def conn(clouds: str) -> Any:
    return openstack.connect(cloud="emulator", region_name="East")


def boot(conn: Any, name: str, flavor: str = "baremetal.general", **extra: Any) -> Any:
    image = conn.image.find_image("cirros", ignore_missing=False)
    found = conn.compute.find_flavor(flavor, ignore_missing=False)
    return conn.compute.create_server(
        name=name, image_id=image.id, flavor_id=found.id, networks="none", **extra
    )


def wait(conn: Any, server: Any, status: str = "ACTIVE") -> Any:
    return conn.compute.wait_for_server(server, status=status, interval=0.05, wait=5)


def on_nodes(conn: Any) -> list[str]:
    """The ids of the servers on bare-metal nodes, as the hypervisors list them (sorted)."""
    return sorted(
        s["uuid"]
        for h in conn.compute.hypervisors(details=True, with_servers=True)
        if h.hypervisor_type == "ironic"
        for s in h.servers or []
    )


def test_the_baremetal_flavor_asks_for_a_node_as_ironic_flavors_do(conn: Any) -> None:
    flavor = conn.compute.find_flavor("baremetal.general", ignore_missing=False)
    assert flavor.extra_specs["resources:CUSTOM_BAREMETAL_GENERAL"] == "1"
    specs = conn.compute.fetch_flavor_extra_specs(flavor).extra_specs
    assert specs["resources:CUSTOM_BAREMETAL_GENERAL"] == "1"
    assert specs["resources:VCPU"] == "0"
    small = conn.compute.find_flavor("m1.small", ignore_missing=False)
    assert conn.compute.fetch_flavor_extra_specs(small).extra_specs == {}


def test_one_instance_per_node_then_no_valid_host_until_a_node_is_freed(conn: Any) -> None:
    first, second = boot(conn, "bm-1"), boot(conn, "bm-2")
    started = time.monotonic()
    assert conn.compute.get_server(first.id).status == "BUILD"
    wait(conn, first), wait(conn, second)
    assert time.monotonic() - started >= 0.4  # ten times a VM's 0.05 s
    assert wait(conn, first).availability_zone == "baremetal"
    assert on_nodes(conn) == sorted([first.id, second.id])

    third = wait(conn, boot(conn, "bm-3"), "ERROR")
    assert third.fault["code"] == 500
    assert third.fault["message"].startswith("No valid host was found.")

    conn.compute.delete_server(first)
    conn.compute.wait_for_delete(first, interval=0.05, wait=5)
    assert on_nodes(conn) == [second.id]
    fourth = wait(conn, boot(conn, "bm-4"))
    assert on_nodes(conn) == sorted([second.id, fourth.id])


def test_a_baremetal_server_cannot_be_resized(conn: Any) -> None:
    server = wait(conn, boot(conn, "bm"))
    with pytest.raises(openstack.exceptions.BadRequestException) as caught:
        conn.compute.resize_server(server, "2")
    assert "Resize is not supported" in str(caught.value)
    assert "bare-metal" in str(caught.value)
    vm = wait(conn, boot(conn, "vm", "m1.tiny"))
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.resize_server(vm, "100")
    assert conn.compute.get_server(server.id).status == "ACTIVE"


def test_hypervisors_and_zones_as_nova_shows_them(conn: Any) -> None:
    hypervisors = list(conn.compute.hypervisors(details=True))
    assert sorted(h.hypervisor_type for h in hypervisors) == ["QEMU", "ironic", "ironic"]
    assert {h.state for h in hypervisors} == {"up"}
    assert len(list(conn.compute.hypervisors())) == 3
    zones = {z.name for z in conn.compute.availability_zones()}
    assert zones == {"nova", "baremetal"}
    detail = {z.name: z.hosts for z in conn.compute.availability_zones(details=True)}
    assert list(detail["baremetal"]) == ["ironic-compute-east"]
    demo = openstack.connect(cloud="emulator-demo", region_name="East")
    with pytest.raises(openstack.exceptions.ForbiddenException):
        list(demo.compute.hypervisors())


def test_a_zone_without_a_host_of_the_kind_is_no_valid_host(conn: Any) -> None:
    vm = wait(conn, boot(conn, "vm", "m1.tiny", availability_zone="baremetal"), "ERROR")
    assert vm.fault["message"].startswith("No valid host was found.")
    with pytest.raises(openstack.exceptions.BadRequestException):
        boot(conn, "nowhere", "m1.tiny", availability_zone="mars")


def test_without_baremetal_nodes_there_is_neither_the_flavor_nor_the_zone() -> None:
    emu = Emulator(EmulatorConfig(regions=["East"], state=":memory:"))
    try:
        assert nova_flavors.BAREMETAL_FLAVOR not in nova_flavors.offered(emu)
        assert nova_hosts.zones(emu) == ["nova"] and nova_hosts.nodes(emu, "East") == []
    finally:
        emu.store.close()


def test_a_baremetal_boot_takes_ten_times_a_vm_unless_set() -> None:
    latency = Latency.from_spec("server=3,server_delete=1")
    assert (latency.base("baremetal"), latency.base("baremetal_delete")) == (30.0, 10.0)
    latency = Latency.from_spec("server=3,baremetal=120")
    assert (latency.base("baremetal"), latency.base("baremetal_delete")) == (120.0, 120.0)
