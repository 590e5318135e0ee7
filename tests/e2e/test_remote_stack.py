"""Heat's multi-region form, ``OS::Heat::Stack`` with ``context: {region_name: ...}``, as
Heat's own functional tests for remote stacks write it: deployed, read, updated and
deleted across two regions, the nested stack a stack of its own with its parent."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import World, start_emulator

pytestmark = pytest.mark.e2e

# heat_integrationtests' remote stack test, as it is (its region West here).
HEAT_REMOTE = """\
heat_template_version: 2013-05-23
resources:
  random1:
    type: OS::Heat::RandomString
outputs:
  remote_key:
    value: {get_attr: [random1, value]}
"""

# The same form with a parameter, a network beside the value, and one output read alone.
REMOTE = """\
heat_template_version: 2013-05-23
parameters:
  label: {type: string, default: remote}
resources:
  random1:
    type: OS::Heat::Value
    properties: {value: {list_join: ['-', [key, {get_param: label}]]}}
  net:
    type: OS::Neutron::Net
    properties: {name: {get_param: label}}
outputs:
  remote_key:
    value: {get_attr: [random1, value]}
  net_id:
    value: {get_resource: net}
"""

PARENT = """\
heat_template_version: 2013-05-23
parameters:
  label: {type: string, default: first}
resources:
  local_net:
    type: OS::Neutron::Net
    properties: {name: local}
  marker:
    type: OS::Heat::Value
    properties: {value: {get_resource: my_stack}}
  my_stack:
    type: OS::Heat::Stack
    properties:
      context:
        region_name: West
      template:
        get_file: remote_stack.yaml
      parameters:
        label: {get_param: label}
      timeout: 5
  heat_stack:
    type: OS::Heat::Stack
    properties:
      context:
        region_name: West
      template:
        get_file: heat_remote_stack.yaml
outputs:
  key:
    value: {get_attr: [my_stack, outputs]}
  heat_key:
    value: {get_attr: [heat_stack, outputs]}
  remote_net:
    value: {get_attr: [my_stack, outputs, net_id]}
  remote_name:
    value: {get_attr: [my_stack, stack_name]}
  remote_id:
    value: {get_resource: my_stack}
  remote_stack_id:
    value: {get_attr: [my_stack, OS::stack_id]}
  marked:
    value: {get_attr: [marker, value]}
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_remote_stack_deploys_updates_and_deletes_across_two_regions(world: World) -> None:
    start_emulator(world, latency="default=0.005")
    (world.tmp / "remote_stack.yaml").write_text(REMOTE)
    (world.tmp / "heat_remote_stack.yaml").write_text(HEAT_REMOTE)
    (world.tmp / "parent.yaml").write_text(PARENT)

    stack = world.create("parent", "parent.yaml")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    resources = {r["resource_name"]: r for r in world.resources("parent")}
    assert {n: (r["region"], r["resource_type"]) for n, r in resources.items()} == {
        "local_net": ("East", "OS::Neutron::Net"), "marker": ("East", "OS::Heat::Value"),
        "my_stack": ("West", "OS::Heat::Stack"), "heat_stack": ("West", "OS::Heat::Stack"),
        "my_stack.random1": ("West", "OS::Heat::Value"),
        "my_stack.net": ("West", "OS::Neutron::Net"),
        "heat_stack.random1": ("West", "OS::Heat::RandomString"),
    }  # fmt: skip
    assert outputs["heat_key"] == {"remote_key": "******"}  # a random string: secret
    assert set(outputs["key"]) == {"remote_key", "net_id"}
    assert outputs["key"]["remote_key"] == "key-first"
    assert outputs["remote_net"] == resources["my_stack.net"]["physical_resource_id"]
    assert outputs["remote_name"] == "parent-my_stack"
    assert world.leftovers("West") == {"networks": ["first"]}
    assert world.leftovers("East") == {"networks": ["local"]}

    # The nested stack: a stack row of its own, its parent the stack, shown only when asked.
    with world.service() as service:
        assert [s["stack_name"] for s in service.list_stacks()] == ["parent"]
    nested = world.json("stack", "list", "--nested")
    by_name = {s["Stack Name"]: s for s in nested}
    assert set(by_name) == {"parent", "parent-my_stack", "parent-heat_stack"}
    assert by_name["parent-my_stack"]["Stack Status"] == "CREATE_COMPLETE"
    with world.service() as service:
        assert service.heat().find("parent-my_stack").parent_id == stack["id"]

    # As in Heat, the resource's physical id is its nested stack's id ...
    nested_id = by_name["parent-my_stack"]["ID"]
    assert resources["my_stack"]["physical_resource_id"] == nested_id
    assert outputs["remote_id"] == outputs["remote_stack_id"] == outputs["marked"] == nested_id
    shown = world.json("stack", "resource", "show", "parent", "my_stack")
    assert (shown["physical_resource_id"], shown["nested_stack_id"]) == (nested_id, nested_id)
    # ... and the nested stack shows its own resources, outputs and events.
    inner = world.json("stack", "resource", "list", "parent-my_stack")
    assert {r["resource_name"]: r["physical_resource_id"] for r in inner} == {
        "random1": resources["my_stack.random1"]["physical_resource_id"],
        "net": resources["my_stack.net"]["physical_resource_id"],
    }
    own = world.json("stack", "output", "show", "parent-my_stack", "remote_key")
    assert own["output_value"] == "key-first"
    listed = world.json("stack", "output", "list", "parent-my_stack")
    assert sorted(o["output_key"] for o in listed) == ["net_id", "remote_key"]
    events = world.json("stack", "event", "list", "parent-my_stack")
    assert {e["resource_name"] for e in events} == {"parent-my_stack", "random1", "net"}

    stack = world.update("parent", existing=True, parameters={"label": "second"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert world.leftovers("West") == {"networks": ["second"]}
    assert world.leftovers("East") == {"networks": ["local"]}
    assert world.show("parent-my_stack")["stack_status"] == "UPDATE_COMPLETE"
    again = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert again["key"]["remote_key"] == "key-second"
    assert again["remote_net"] == outputs["remote_net"]  # renamed in place, not remade
    assert again["remote_id"] == nested_id  # the same nested stack
    assert world.show("parent-my_stack")["outputs"][0]["output_value"] == "key-second"
    marker = {r["resource_name"]: r for r in world.resources("parent")}["marker"]
    assert marker["resource_status"] == "CREATE_COMPLETE"  # its value did not change

    world.delete("parent")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
    with world.service() as service:
        assert service.list_stacks(nested=True) == []


SLOW = """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: slow-net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.7.0.0/24}
  server:
    type: OS::Nova::Server
    depends_on: subnet
    properties: {image: cirros, flavor: m1.small, networks: [{network: {get_resource: net}}]}
"""

TIMED = """\
heat_template_version: 2018-08-31
resources:
  local_net:
    type: OS::Neutron::Net
    properties: {name: local}
  remote:
    type: OS::Heat::Stack
    properties:
      context: {region_name: West}
      template: {get_file: slow.yaml}
      timeout: 1
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_remote_stack_past_its_timeout_fails_timed_out_with_its_parent(world: World) -> None:
    """``timeout: 1`` and a server that takes 90 s to boot: at one minute the nested stack
    fails "Timed out", its server's wait is cut short, and its parent fails with it."""
    start_emulator(world, latency="default=0.02,server=90,server_delete=0.1")
    (world.tmp / "slow.yaml").write_text(SLOW)
    (world.tmp / "timed.yaml").write_text(TIMED)
    started = time.monotonic()
    stack = world.create("parent", "timed.yaml", disable_rollback=True)
    assert 60 <= time.monotonic() - started < 80

    assert stack["stack_status"] == "CREATE_FAILED"
    reason = "Timed out after 1 min; unfinished: server"
    assert stack["stack_status_reason"] == f"Resource CREATE failed: remote: {reason}"
    nested = world.show("parent-remote")
    assert (nested["stack_status"], nested["stack_status_reason"]) == ("CREATE_FAILED", reason)
    resources = {r["resource_name"]: r for r in world.resources("parent")}
    shown = {n: (r["resource_status"], r["resource_status_reason"]) for n, r in resources.items()}
    assert shown["remote"] == ("CREATE_FAILED", reason)
    assert shown["remote.server"][0] == "CREATE_FAILED"
    assert "timed out while waiting for the cloud" in shown["remote.server"][1]
    assert shown["remote.subnet"][0] == shown["local_net"][0] == "CREATE_COMPLETE"
    failed = [e for e in world.events("parent") if e["resource_status"] == "CREATE_FAILED"]
    assert [e["resource_name"] for e in failed] == ["remote.server", "remote", "parent"]

    world.delete("parent")
    assert world.leftovers("West") == {} and world.leftovers("East") == {}
