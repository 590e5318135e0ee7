"""``crossheat stack import``: a network and a router made by hand with openstacksdk are
taken over by a stack, the rest of it created; a property that differs refuses the import
with nothing changed, or is updated when asked; delete removes everything."""

from __future__ import annotations

import json

import pytest
from openstack.config import OpenStackConfig
from openstack.connection import Connection

from tests.e2e.conftest import World, start_emulator

pytestmark = pytest.mark.e2e

TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: handmade}
  router:
    type: OS::Neutron::Router
    properties: {name: main-router}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.7.0.0/24}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  west_net:
    type: OS::Neutron::Net
    region: West
    properties: {name: {list_join: ['-', [west, {get_attr: [net, name]}]]}}
"""


def _changes(world: World) -> list[str]:
    """The calls that created, changed or deleted something, in every region."""
    counted = world.admin.counters()
    return [c for region in counted.values() for c in region if not c.startswith("GET")]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_resources_made_by_hand_are_imported_and_the_rest_created(world: World) -> None:
    start_emulator(world, latency="default=0.005")
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    east = Connection(config=config.get_one(cloud="emulator", region_name="East"))
    net = east.network.create_network(name="handmade")
    router = east.network.create_router(name="handmade-router")
    (world.tmp / "stack.yaml").write_text(TEMPLATE)
    (world.tmp / "ids.yaml").write_text(f"router: {router.id}\n")
    args = ("stack", "import", "site", "-t", "stack.yaml", "--resource", f"net={net.id}")

    world.admin.reset_counters()
    refused = world.crossheat(*args, "--mapping", "ids.yaml", check=False)
    assert refused.returncode == 1
    assert (
        "router: name: the template has 'main-router', the cloud has 'handmade-router'"
        in refused.stderr
    ), refused.stderr
    assert _changes(world) == []  # nothing created, tagged or deleted
    with world.service() as service:
        assert service.list_stacks() == []

    done = world.crossheat(*args, "--mapping", "ids.yaml", "--update-differing", "-f", "json")
    stack = json.loads(done.stdout)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    ids = {r["resource_name"]: r["physical_resource_id"] for r in world.resources("site")}
    assert ids["net"] == net.id and ids["router"] == router.id  # taken over, not made again
    made = east.network.get_network(net.id)
    assert {f"crossheat-stack={stack['id']}", "crossheat-resource=net"} <= set(made.tags)
    assert east.network.get_router(router.id).name == "main-router"  # the differing one
    left = world.leftovers("East")
    assert (left["networks"], left["routers"]) == (["handmade"], ["main-router"])  # once each
    assert left["subnets"] == ["site-subnet"] and len(left["ports"]) == 1  # the rest: created
    assert world.leftovers("West") == {"networks": ["west-handmade"]}

    world.delete("site")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
