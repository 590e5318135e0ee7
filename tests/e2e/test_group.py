"""A resource group in a multi-region stack: members deployed, read and deleted with it;
resized in place by a stack update."""

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


NETS = """\
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 2}
resources:
  nets:
    type: OS::Heat::ResourceGroup
    region: West
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Neutron::Net
        properties: {name: grp-net-%index%}
outputs:
  ids: {value: {get_attr: [nets, refs]}}
"""

UPDATE = ("stack", "update", "nets", "--existing", "--parameter")


def group_nets(world: World) -> dict[str, str]:
    """The group's networks in West: name -> id."""
    nets = world.admin.resources("West").get("networks", [])
    return {n["name"]: n["id"] for n in nets if n["name"].startswith("grp-net-")}


def create_nets(world: World) -> list[str]:
    start_emulator(world)
    template = world.tmp / "nets.yaml"
    template.write_text(NETS)
    stack = world.json("stack", "create", "nets", "-t", str(template), "--wait")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids: list[str] = {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"]
    assert group_nets(world) == {"grp-net-0": ids[0], "grp-net-1": ids[1]}
    return ids


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_resizing_a_group_adds_or_removes_members_and_keeps_the_others(world: World) -> None:
    old = create_nets(world)
    preview = world.json(*UPDATE, "count=3", "--dry-run")
    assert [r["resource_name"] for r in preview["updated"]] == ["nets"]
    assert preview["replaced"] == []
    stack = world.json(*UPDATE, "count=3", "--wait")
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    ids = {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"]
    assert ids[:2] == old and len(set(ids)) == 3
    assert group_nets(world) == {"grp-net-0": old[0], "grp-net-1": old[1], "grp-net-2": ids[2]}
    stack = world.json(*UPDATE, "count=1", "--wait")
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"] == old[:1]
    assert group_nets(world) == {"grp-net-0": old[0]}  # the two highest went
    world.crossheat("stack", "delete", "nets", "--wait", "--yes")
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_group_that_cannot_grow_rolls_back_without_leftovers(world: World) -> None:
    old = create_nets(world)
    # room for one more network (the seeded public one counts), not for the two asked
    world.admin.faults({"quota.West.networks": 4})
    done = world.crossheat(*UPDATE, "count=4", "--wait", check=False)
    assert done.returncode == 1
    stack = world.json("stack", "show", "nets")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    assert group_nets(world) == {"grp-net-0": old[0], "grp-net-1": old[1]}
    world.admin.faults(reset=True)
    world.crossheat("stack", "delete", "nets", "--wait", "--yes")
    assert world.leftovers("West") == {}
