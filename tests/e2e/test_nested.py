"""Template resources (nested stacks): one module file deployed in East and in West."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import World, start_emulator

NET = """heat_template_version: 2018-08-31
parameters:
  cidr: {type: string}
  label: {type: string, default: plain}
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: {get_param: label}}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: {get_param: cidr}}
outputs:
  network_id: {value: {get_resource: net}}
"""

TOP = """heat_template_version: 2018-08-31
parameters:
  east_cidr: {type: string, default: 10.5.0.0/24}
  west_cidr: {type: string, default: 10.6.0.0/24}
resources:
  east_mod:
    type: modules/net.yaml
    region: East
    properties: {cidr: {get_param: east_cidr}}
  west_mod:
    type: modules/net.yaml
    region: West
    properties:
      cidr: {get_param: west_cidr}
      label: {get_attr: [east_mod, network_id]}
  west_port:
    type: OS::Neutron::Port
    region: West
    properties:
      network: {get_attr: [west_mod, network_id]}
outputs:
  east_network: {value: {get_attr: [east_mod, network_id]}}
"""


def events_after(world: World, last: int) -> list[dict[str, Any]]:
    return [
        e for e in world.events("nets")
        if e["id"] > last and e["resource_type"] != "OS::Heat::Stack"
    ]  # fmt: skip


def by_name(items: list[dict[str, Any]], key: str = "name") -> dict[str, dict[str, Any]]:
    return {str(item[key]): item for item in items}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_module_in_each_region_creates_updates_and_deletes(world: World) -> None:
    start_emulator(world)
    (world.tmp / "modules").mkdir()
    (world.tmp / "modules" / "net.yaml").write_text(NET)
    (world.tmp / "top.yaml").write_text(TOP)

    stack = world.create("nets", "top.yaml")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    resources = by_name(world.resources("nets"), "resource_name")
    assert {n: r["region"] for n, r in resources.items()} == {
        "east_mod": "East", "east_mod.net": "East", "east_mod.subnet": "East",
        "west_mod": "West", "west_mod.net": "West", "west_mod.subnet": "West",
        "west_port": "West",
    }  # fmt: skip
    east, west = world.admin.resources("East"), world.admin.resources("West")
    east_net_id = resources["east_mod.net"]["physical_resource_id"]
    assert [s["cidr"] for s in east["subnets"]] == ["10.5.0.0/24"]
    assert [s["cidr"] for s in west["subnets"]] == ["10.6.0.0/24"]
    west_nets = by_name(west["networks"], "id")
    west_net_id = resources["west_mod.net"]["physical_resource_id"]
    assert west_nets[west_net_id]["name"] == east_net_id  # a parameter read across regions
    [port] = west["ports"]
    assert port["network_id"] == west_net_id
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs == {"east_network": east_net_id}
    with world.service() as service:  # a nested stack of each template resource
        nested = {s["stack_name"]: s for s in service.list_stacks(nested=True)}
        assert set(nested) == {"nets", "nets-east_mod", "nets-west_mod"}
        assert nested["nets-west_mod"]["stack_status"] == "CREATE_COMPLETE"
        assert service.heat().find("nets-east_mod").parent_id == stack["id"]
        # the template resource's physical id is its nested stack's, as in Heat
        assert resources["east_mod"]["physical_resource_id"] == nested["nets-east_mod"]["id"]
        assert resources["east_mod"]["resource_type"] == "modules/net.yaml"

    before = max(e["id"] for e in world.events("nets"))
    stack = world.update("nets", existing=True, parameters={"west_cidr": "10.9.0.0/24"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert {e["resource_name"] for e in events_after(world, before)} == {"west_mod.subnet"}
    assert [s["cidr"] for s in world.admin.resources("West")["subnets"]] == ["10.9.0.0/24"]
    assert [s["cidr"] for s in world.admin.resources("East")["subnets"]] == ["10.5.0.0/24"]

    world.delete("nets")
    with world.service() as service:
        assert service.list_stacks(nested=True) == []
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}


# Three levels: the stack, its template resource ``mod``, and mod's template resource ``sub``.
SUB = """heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, properties: {name: deep}}
outputs:
  net_id: {value: {get_resource: net}}
"""
MOD = """heat_template_version: 2018-08-31
resources:
  sub: {type: sub.yaml}
  marker: {type: OS::Heat::Value, properties: {value: {get_attr: [sub, net_id]}}}
"""
DEEP = """heat_template_version: 2018-08-31
resources:
  mod: {type: mod.yaml, region: West}
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_template_resource_of_a_nested_template_is_a_nested_stack_at_every_level(
    world: World,
) -> None:
    start_emulator(world)
    for name, text in {"sub.yaml": SUB, "mod.yaml": MOD, "deep.yaml": DEEP}.items():
        (world.tmp / name).write_text(text)
    stack = world.create("deep", "deep.yaml")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]

    listed = by_name(world.json("stack", "list", "--nested"), "Stack Name")
    assert set(listed) == {"deep", "deep-mod", "deep-mod-sub"}
    assert listed["deep-mod-sub"]["Stack Status"] == "CREATE_COMPLETE"
    with world.service() as service:
        assert service.heat().find("deep-mod-sub").parent_id == listed["deep-mod"]["ID"]
    mod = by_name(world.json("stack", "resource", "list", "deep-mod"), "resource_name")
    assert {n: r["resource_type"] for n, r in mod.items()} == {
        "sub": "sub.yaml", "marker": "OS::Heat::Value",
    }  # fmt: skip
    assert mod["sub"]["physical_resource_id"] == listed["deep-mod-sub"]["ID"]
    [net] = world.json("stack", "resource", "list", "deep-mod-sub")
    assert (net["resource_name"], net["region"]) == ("net", "West")
    [made] = world.admin.resources("West")["networks"]
    assert net["physical_resource_id"] == made["id"]

    world.delete("deep")
    with world.service() as service:
        assert service.list_stacks(nested=True) == []
    assert world.leftovers("West") == {}
