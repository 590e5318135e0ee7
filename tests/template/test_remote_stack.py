"""Heat's ``OS::Heat::Stack`` (with ``context: {region_name: ...}``): its inline template
read like a template resource's and expanded into the parent, in the context's region."""

from __future__ import annotations

from pathlib import Path

from crossheat.engine.context import LiveResource, RuntimeContext
from crossheat.template import parse_template, resolve
from crossheat.template.flatten import flatten

REMOTE = """heat_template_version: 2015-04-30
parameters:
  name: {type: string}
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: {get_param: name}}
outputs:
  net_id: {value: {get_resource: net}}
  net_name: {value: {get_attr: [net, name]}}
"""

PARENT = """heat_template_version: 2015-04-30
resources:
  here:
    type: OS::Neutron::Net
    properties: {name: here}
  remote:
    type: OS::Heat::Stack
    properties:
      context: {region_name: West}
      template: {get_file: remote.yaml}
      parameters: {name: {get_attr: [here, name]}}
      timeout: 5
outputs:
  one: {value: {get_attr: [remote, outputs, net_id]}}
  every: {value: {get_attr: [remote, outputs]}}
  name: {value: {get_attr: [remote, stack_name]}}
"""


def load(tmp_path: Path, parent: str = PARENT) -> tuple[object, list[str]]:
    (tmp_path / "remote.yaml").write_text(REMOTE)
    (tmp_path / "parent.yaml").write_text(parent)
    template, found = parse_template(tmp_path / "parent.yaml")
    assert template is not None
    flat, more = flatten(template)
    return flat, [d.message for d in [*found, *more]]


def test_the_remote_template_is_expanded_into_the_context_region(tmp_path: Path) -> None:
    flat, problems = load(tmp_path)
    assert problems == []
    resources = flat.resources  # type: ignore[attr-defined]
    assert {n: r.region for n, r in resources.items()} == {"here": None, "remote.net": "West"}
    assert resources["remote.net"].dependencies() == {"here"}  # the parameter stays live
    assert list(flat.expanded) == ["remote"]  # type: ignore[attr-defined]


def test_outputs_and_stack_name_resolve_from_the_remote_resources(tmp_path: Path) -> None:
    flat, _ = load(tmp_path)
    live = {
        "here": LiveResource("here", "East", "h-1", {"name": "here"}),
        "remote.net": LiveResource("remote.net", "West", "n-1", {"name": "here"}),
    }
    ctx = RuntimeContext(live, "vpn")
    outputs = {n: resolve(o.value, ctx) for n, o in flat.outputs.items()}  # type: ignore[attr-defined]
    assert outputs == {
        "one": "n-1",
        "every": {"net_id": "n-1", "net_name": "here"},
        "name": "vpn-remote",
    }


def test_problems_of_the_remote_stack_are_reported(tmp_path: Path) -> None:
    bad = (
        PARENT.replace("timeout: 5", "timeout: 0\n      colour: blue")
        .replace("context: {region_name: West}", "context: {region_name: West, insecure: true}")
        .replace("[remote, stack_name]", "[remote, stack_nam]")
    )
    _, problems = load(tmp_path, bad)
    assert "OS::Heat::Stack has no property 'colour'" in problems
    assert "timeout must be a whole number of minutes, at least 1" in problems
    assert "context key 'insecure' is not supported by crossheat" in problems
    assert "remote (OS::Heat::Stack) has no attribute 'stack_nam'" in problems


def test_a_remote_stack_needs_its_template(tmp_path: Path) -> None:
    bad = PARENT.replace("      template: {get_file: remote.yaml}\n", "")
    _, problems = load(tmp_path, bad)
    assert "OS::Heat::Stack needs its template (e.g. {get_file: remote.yaml})" in problems


def test_get_resource_and_stack_id_give_the_nested_stacks_id_once_it_has_one(
    tmp_path: Path,
) -> None:
    parent = PARENT.replace(
        "outputs:\n", "outputs:\n  id: {value: {get_resource: remote}}\n"
        "  stack_id: {value: {get_attr: [remote, OS::stack_id]}}\n",
    )  # fmt: skip
    flat, problems = load(tmp_path, parent)
    assert problems == []
    live = {"remote.net": LiveResource("remote.net", "West", "n-1", {"name": "here"})}
    outputs = flat.outputs  # type: ignore[attr-defined]
    ctx = RuntimeContext(live, "vpn", {"remote": "stack-1"})
    assert [resolve(outputs[k].value, ctx) for k in ("id", "stack_id")] == ["stack-1"] * 2
    before = RuntimeContext(live, "vpn")  # no nested stack row yet (a plan): the name
    assert resolve(outputs["id"].value, before) == "remote"


def test_a_template_resource_of_the_nested_template_is_a_nested_stack_too(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub.yaml").write_text(
        "heat_template_version: 2015-04-30\nresources:\n  port: {type: OS::Neutron::Port,"
        " properties: {network: x}}\n"
    )
    remote = REMOTE.replace("resources:\n", "resources:\n  sub: {type: sub.yaml}\n")
    remote += "  sub_id: {value: {get_resource: sub}}\n"
    parent = PARENT + "  sub: {value: {get_attr: [remote, outputs, sub_id]}}\n"
    (tmp_path / "parent.yaml").write_text(parent)
    (tmp_path / "remote.yaml").write_text(remote)
    template, found = parse_template(tmp_path / "parent.yaml")
    assert template is not None and found == []
    flat, problems = flatten(template)
    assert problems == [] and list(flat.nested_templates()) == ["remote", "remote.sub"]
    live = {"remote.sub.port": LiveResource("remote.sub.port", "West", "p-1", {})}
    ctx = RuntimeContext(live, "vpn", {"remote": "s-1", "remote.sub": "s-2"})
    assert resolve(flat.outputs["sub"].value, ctx) == "s-2"  # its nested stack's id
