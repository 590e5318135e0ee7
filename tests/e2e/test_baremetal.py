"""Bare-metal servers end to end: ``crossheat emulator start --baremetal 2``, a template
asking for the host class ``baremetal``, and what a user meets when nodes run out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openstack
import pytest

from tests.e2e.conftest import World, start_emulator

#: East offers bare metal (two nodes, zone baremetal); West has no such class.
REGION_MAP = """\
regions:
  East:
    cloud: emulator
    region_name: East
    host_classes:
      baremetal: {flavor: baremetal.general, availability_zone: baremetal}
  West:
    cloud: emulator
    region_name: West
default_region: East
"""


def template(world: World, name: str, count: int, flavor: str = "baremetal") -> Path:
    servers = "".join(
        f"  metal_{i}:\n    type: OS::Nova::Server\n    region: East\n"
        f"    properties: {{image: cirros, flavor: {flavor}}}\n"
        for i in range(1, count + 1)
    )
    path = world.tmp / f"{name}.yaml"
    path.write_text(f"heat_template_version: 2018-08-31\nresources:\n{servers}")
    return path


def on_nodes(conn: Any) -> list[str]:
    """The servers on East's bare-metal nodes, as ``os-hypervisors`` lists them."""
    return sorted(
        s["uuid"]
        for h in conn.compute.hypervisors(details=True, with_servers=True)
        if h.hypervisor_type == "ironic"
        for s in h.servers or []
    )


def servers_of(world: World, stack: str) -> list[str]:
    return sorted(r["physical_resource_id"] for r in world.resources(stack))


def failures(world: World, stack: str, status: str) -> list[str]:
    return [e["resource_status_reason"] for e in world.events(stack)
            if e["resource_status"] == status and e["resource_name"] != stack]  # fmt: skip


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_two_baremetal_servers_deploy_a_third_finds_no_node_and_rollbacks_free_them(
    world: World,
) -> None:
    start_emulator(world, latency="default=0.02,server=0.05", baremetal=2)
    regions = Path(world.env["XDG_CONFIG_HOME"]) / "crossheat" / "regions.yaml"
    regions.write_text(REGION_MAP)
    assert world.monkeypatch is not None
    world.monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", world.env["OS_CLIENT_CONFIG_FILE"])
    conn = openstack.connect(cloud="emulator", region_name="East")
    assert {z.name for z in conn.compute.availability_zones()} == {"nova", "baremetal"}
    types = sorted(h.hypervisor_type for h in conn.compute.hypervisors(details=True))
    assert types == ["QEMU", "ironic", "ironic"]

    # validate: West offers no class "baremetal"; the error names both, at the flavor
    west = template(world, "west", 1).read_text().replace("region: East", "region: West")
    (world.tmp / "west.yaml").write_text(west)
    done = world.crossheat("validate", "-t", "west.yaml", check=False)
    assert done.returncode == 1
    assert "west.yaml:6:33: error: resources.metal_1.properties.flavor" in done.stderr
    assert "region West offers no host class 'baremetal'" in done.stdout + done.stderr

    # two servers take both nodes, in the class's zone, and read back in sync
    pair = world.create("pair", template(world, "pair", 2))
    assert pair["stack_status"] == "CREATE_COMPLETE", pair["stack_status_reason"]
    assert on_nodes(conn) == servers_of(world, "pair")
    for server_id in servers_of(world, "pair"):
        server = conn.compute.get_server(server_id)
        assert (server.flavor.original_name, server.availability_zone) == (
            "baremetal.general", "baremetal",
        )  # fmt: skip
    with world.service() as service:
        assert service.check("pair").ok

    # a resize is refused with Nova's reason (the update rolls back); the servers stay
    resized = world.update("pair", template(world, "small", 2, "m1.small"))
    assert resized["stack_status"] == "ROLLBACK_COMPLETE"  # back to the previous template
    reasons = failures(world, "pair", "UPDATE_FAILED")
    assert any("Resize is not supported" in r and "bare-metal" in r for r in reasons), reasons
    assert on_nodes(conn) == servers_of(world, "pair")

    # a third finds no node: the stack fails with Nova's reason and rolls back
    third = world.create("third", template(world, "third", 1))
    assert third["stack_status"] == "ROLLBACK_COMPLETE"
    assert any("No valid host was found" in r for r in failures(world, "third", "CREATE_FAILED"))
    assert on_nodes(conn) == servers_of(world, "pair")

    # deleting frees the nodes; three at once take two, fail, and give them back
    world.delete("pair")
    assert on_nodes(conn) == []
    trio = world.create("trio", template(world, "trio", 3))
    assert trio["stack_status"] == "ROLLBACK_COMPLETE"
    assert any("No valid host was found" in r for r in failures(world, "trio", "CREATE_FAILED"))
    assert on_nodes(conn) == []
    again = world.create("again", template(world, "again", 2))
    assert again["stack_status"] == "CREATE_COMPLETE", again["stack_status_reason"]
    assert len(on_nodes(conn)) == 2
    world.delete("again")
    assert world.leftovers("East") == {}
