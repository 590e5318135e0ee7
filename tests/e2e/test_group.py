"""A resource group in a multi-region stack: members deployed, read and deleted with it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import World, start_emulator

TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
    region: West
    properties: {name: group-net}
  subnet:
    type: OS::Neutron::Subnet
    region: West
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  servers:
    type: OS::Heat::ResourceGroup
    region: West
    depends_on: subnet
    properties:
      count: 2
      resource_def:
        type: OS::Nova::Server
        properties:
          name: web-%index%
          image: cirros
          flavor: m1.tiny
          networks: [{network: {get_resource: net}}]
  label:
    type: OS::Heat::Value
    region: East
    properties: {value: {get_attr: [servers, refs]}}
outputs:
  ids: {value: {get_attr: [servers, refs]}}
  addresses: {value: {get_attr: [servers, attributes, first_address]}}
  seen_in_east: {value: {get_attr: [label, value]}}
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_group_members_are_deployed_and_deleted_with_the_stack(world: World) -> None:
    start_emulator(world)
    template = world.tmp / "group.yaml"
    template.write_text(TEMPLATE)
    stack = world.json("stack", "create", "grp", "-t", str(template), "--wait")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    servers = world.admin.resources("West")["servers"]
    assert sorted(s["name"] for s in servers) == ["web-0", "web-1"]
    assert sorted(outputs["ids"]) == sorted(s["id"] for s in servers)
    assert outputs["seen_in_east"] == outputs["ids"]  # read across regions
    assert all(a.startswith("10.9.0.") for a in outputs["addresses"])
    world.crossheat("stack", "delete", "grp", "--wait", "--yes")
    assert world.leftovers("West") == {} and world.leftovers("East") == {}
