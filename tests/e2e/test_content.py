"""Inputs carry content: the stack is made from what was read when the command ran.

A create without ``--wait`` is finished by a worker from the stored content, even when
the template, its module, its file and its environment are gone; the same input given
to the service as content makes the same stack as given as files.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from crossheat.service import Inputs, Service, Source
from tests.e2e.conftest import World, start_emulator

pytestmark = pytest.mark.e2e

MODULE = """heat_template_version: 2018-08-31
parameters:
  cidr: {type: string}
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: {get_file: ../files/net-name.txt}}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: {get_param: cidr}}
outputs:
  network_id: {value: {get_resource: net}}
"""
TOP = """heat_template_version: 2018-08-31
parameters:
  west_cidr: {type: string}
resources:
  east_mod:
    type: modules/net.yaml
    region: East
    properties: {cidr: 10.5.0.0/24}
  west_mod:
    type: My::Net
    region: West
    properties: {cidr: {get_param: west_cidr}}
outputs:
  east_network: {value: {get_attr: [east_mod, network_id]}}
"""
ENV = """parameters: {west_cidr: 10.6.0.0/24}
resource_registry: {"My::Net": modules/net.yaml}
"""
FILES = {
    "modules/net.yaml": MODULE,
    "files/net-name.txt": "from-a-file",
}


def write_inputs(folder: Path) -> Path:
    for name, text in {**FILES, "top.yaml": TOP, "env.yaml": ENV}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def shape(resources: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (r["resource_name"], r["resource_type"], r["region"], r["resource_status"])
        for r in resources
    )


def test_a_create_returns_and_finishes_from_stored_content_when_the_files_are_gone(
    world: World,
) -> None:
    start_emulator(world)
    folder = write_inputs(world.tmp / "stack")
    created = world.json(
        "stack", "create", "nets", "-t", "stack/top.yaml", "-e", "stack/env.yaml"
    )  # fmt: skip
    shutil.rmtree(folder)  # the command has returned: the worker must not need them
    assert created["stack_status"] == "CREATE_IN_PROGRESS"
    deadline = time.monotonic() + 60
    while (shown := world.json("stack", "show", "nets"))["stack_status"] == "CREATE_IN_PROGRESS":
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
    assert shown["stack_status"] == "CREATE_COMPLETE", shown["stack_status_reason"]
    resources = world.json("stack", "resource", "list", "nets")
    assert {(r["resource_name"], r["region"]) for r in resources} == {
        ("east_mod", "East"), ("east_mod.net", "East"), ("east_mod.subnet", "East"),
        ("west_mod", "West"), ("west_mod.net", "West"), ("west_mod.subnet", "West"),
    }  # fmt: skip
    # the template resources are nested stacks of their own, as in Heat
    nested = {r["resource_name"]: r for r in resources if "." not in r["resource_name"]}
    assert {r["resource_type"] for r in nested.values()} == {"modules/net.yaml", "My::Net"}
    names = {n["name"] for n in world.admin.resources("West")["networks"]}
    assert "from-a-file" in names
    # An update keeping everything stored also runs without the files.
    updated = world.json(
        "stack", "update", "nets", "--existing", "--parameter", "west_cidr=10.7.0.0/24", "--wait"
    )  # fmt: skip
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated["stack_status_reason"]


def test_the_same_input_as_content_or_as_files_makes_the_same_stack(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_emulator(world)
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(world.tmp)
    write_inputs(world.tmp / "stack")
    as_files = Inputs.from_files("stack/top.yaml", ["stack/env.yaml"])
    as_content = Inputs(
        TOP, "top.yaml", FILES, [Source("env.yaml", ENV)], region_map=None
    )  # fmt: skip
    with Service() as service:
        by_file = service.run_here(service.create("by-file", as_files))
        by_content = service.run_here(service.create("by-content", as_content))
        assert by_file.stack_status == by_content.stack_status == "CREATE_COMPLETE"
        rows = [
            shape([_row(r) for r in service.resources(name)]) for name in ("by-file", "by-content")
        ]
        assert rows[0] == rows[1] and len(rows[0]) == 4
        assert service.get("by-content").spec.files == FILES
        assert [o["output_key"] for o in service.outputs("by-content")] == ["east_network"]


def _row(record: Any) -> dict[str, Any]:
    from crossheat.service import resource_dict

    return resource_dict(record)
