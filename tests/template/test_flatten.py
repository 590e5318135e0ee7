"""Template resources expanded into their parent (``template.flatten``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from crossheat.engine.context import walk_path
from crossheat.engine.spec import load_spec, make_spec, recording
from crossheat.errors import TemplateError
from crossheat.plan.pipeline import analyse, analyse_parsed
from crossheat.resources.registry import default_registry
from crossheat.template import PlanContext, Template, load_template, parse_content, render, resolve
from crossheat.template.flatten import flatten
from crossheat.template.values import UNKNOWN

NET = """heat_template_version: 2018-08-31
parameters:
  cidr: {type: string}
  ip_version: {type: number, default: 4}
resources:
  net:
    type: OS::Neutron::Net
    properties: {admin_state_up: true}
  subnet:
    type: OS::Neutron::Subnet
    depends_on: net
    properties:
      network: {get_resource: net}
      cidr: {get_param: cidr}
      ip_version: {get_param: ip_version}
outputs:
  network_id: {value: {get_resource: net}}
  details: {value: {get_attr: [subnet, show]}}
  cidr: {value: {get_param: cidr}}
"""


class Deployed:
    """A ResolveContext where every resource exists: ``<name>-id``, attributes made up."""

    def get_resource(self, name: str) -> Any:
        return f"{name}-id"

    def get_attr(self, name: str, path: Sequence[Any]) -> Any:
        if list(path[:1]) == ["show"]:
            return walk_path({"pools": [{"start": f"{name}-start"}]}, path[1:], name)
        return f"{name}.{'.'.join(str(p) for p in path)}"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "top.yaml"


def top(resources: str, outputs: str = "") -> str:
    text = f"heat_template_version: 2018-08-31\nresources:\n{resources}"
    return text + (f"outputs:\n{outputs}" if outputs else "")


def flat(path: Path) -> Template:
    template, found = flatten(load_template(path))
    assert found == []
    return template


def test_resources_are_named_after_the_template_resource_and_inherit_its_region(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        {
            "net.yaml": NET,
            "top.yaml": top(
                "  east_mod: {type: net.yaml, region: East, properties: {cidr: 10.5.0.0/24}}\n"
                "  plain_mod: {type: net.yaml, properties: {cidr: 10.6.0.0/24}}\n"
            ),
        },
    )
    template = flat(path)
    assert sorted(template.resources) == [
        "east_mod.net", "east_mod.subnet", "plain_mod.net", "plain_mod.subnet",
    ]  # fmt: skip
    regions = {name: r.region for name, r in template.resources.items()}
    assert regions == {
        "east_mod.net": "East", "east_mod.subnet": "East",
        "plain_mod.net": None, "plain_mod.subnet": None,
    }  # fmt: skip
    subnet = template.resources["east_mod.subnet"]
    assert subnet.type == "OS::Neutron::Subnet"
    assert subnet.depends_on == ["east_mod.net"]
    assert subnet.dependencies() == {"east_mod.net"}
    assert resolve(subnet.properties, Deployed()) == {
        "network": "east_mod.net-id", "cidr": "10.5.0.0/24", "ip_version": 4,
    }  # fmt: skip
    assert set(template.expanded) == {"east_mod", "plain_mod"}


def test_a_resource_of_a_registry_type_mapped_to_a_file_is_expanded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "lib/net.yaml": NET,
            "env.yaml": 'resource_registry:\n  "My::Net": lib/net.yaml\n',
            "top.yaml": top("  mod: {type: My::Net, properties: {cidr: 10.0.0.0/24}}\n"),
        },
    )
    template, found = flatten(load_template(path, [tmp_path / "env.yaml"]))
    assert found == []
    assert sorted(template.resources) == ["mod.net", "mod.subnet"]


def test_the_parent_reads_outputs_resources_and_depends_on_the_whole_module(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        {
            "net.yaml": NET,
            "top.yaml": top(
                "  mod: {type: net.yaml, properties: {cidr: 10.5.0.0/24}}\n"
                "  port:\n    type: OS::Neutron::Port\n"
                "    properties: {network: {get_attr: [mod, network_id]}}\n"
                "  after: {type: OS::Heat::None, depends_on: mod}\n",
                "  net: {value: {get_attr: [mod, network_id]}}\n"
                "  start: {value: {get_attr: [mod, details, pools, 0, start]}}\n"
                "  cidr: {value: {get_attr: [mod, cidr]}}\n"
                "  dotted: {value: {get_attr: [mod, resource.subnet.name]}}\n"
                "  split: {value: {get_attr: [mod, resource.net, status]}}\n"
                "  stack: {value: {get_resource: mod}}\n",
            ),
        },
    )
    template = flat(path)
    assert template.resources["port"].dependencies() == {"mod.net"}
    assert template.resources["after"].depends_on == ["mod.net", "mod.subnet"]
    outputs = {n: resolve(o.value, Deployed()) for n, o in template.outputs.items()}
    assert outputs == {
        "net": "mod.net-id",
        "start": "mod.subnet-start",
        "cidr": "10.5.0.0/24",
        "dotted": "mod.subnet.name",
        "split": "mod.net.status",
        "stack": "mod",
    }
    stack_refs = {r.resource for r in template.references() if r.path[:2] == ("outputs", "stack")}
    assert stack_refs == {"mod.net", "mod.subnet"}


def test_a_parameter_given_as_a_get_attr_of_a_parent_resource_stays_live(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        {
            "net.yaml": NET,
            "top.yaml": top(
                "  sizes: {type: OS::Heat::None}\n"
                "  base: {type: OS::Neutron::Net, region: West}\n"
                "  mod:\n    type: net.yaml\n    region: East\n    properties:\n"
                "      cidr: {get_attr: [base, cidr]}\n"
                "      ip_version: {get_attr: [sizes, version]}\n"
            ),
        },
    )
    template = flat(path)
    subnet, net = template.resources["mod.subnet"], template.resources["mod.net"]
    assert subnet.dependencies() == {"mod.net", "base", "sizes"}
    assert net.dependencies() == set()
    assert resolve(subnet.properties, PlanContext())["cidr"] is UNKNOWN
    assert resolve(subnet.properties["cidr"], Deployed()) == "base.cidr"

    class Sizes(Deployed):
        def get_attr(self, name: str, path: Sequence[Any]) -> Any:
            return "6" if name == "sizes" else super().get_attr(name, path)

    assert resolve(subnet.properties, Sizes())["ip_version"] == 6  # converted to a number
    with pytest.raises(TemplateError) as caught:  # not a number: named in the nested file
        resolve(subnet.properties, Deployed())
    assert str(caught.value).startswith(f"{tmp_path / 'net.yaml'}:15:")
    assert "parameter 'ip_version': 'sizes.version' is not a number" in str(caught.value)
    east_to_west = [r for r in subnet.references() if r.resource == "base"]
    assert [(r.kind, r.attribute) for r in east_to_west] == [("get_attr", ("cidr",))]


def test_template_resources_nest_recursively(tmp_path: Path) -> None:
    outer = """heat_template_version: 2018-08-31
parameters:
  prefix: {type: string}
resources:
  inner: {type: lib/net.yaml, properties: {cidr: {get_param: prefix}}}
  router:
    type: OS::Neutron::Router
    depends_on: inner
outputs:
  net: {value: {get_attr: [inner, network_id]}}
"""
    path = write(
        tmp_path,
        {
            "lib/net.yaml": NET,
            "outer.yaml": outer,
            "top.yaml": top(
                "  base: {type: OS::Neutron::Net}\n"
                "  m:\n    type: outer.yaml\n    region: West\n"
                "    properties: {prefix: {get_attr: [base, x]}}\n",
                "  net: {value: {get_attr: [m, net]}}\n",
            ),
        },
    )
    template = flat(path)
    assert sorted(template.resources) == ["base", "m.inner.net", "m.inner.subnet", "m.router"]
    assert {r.region for n, r in template.resources.items() if n != "base"} == {"West"}
    assert template.resources["m.router"].depends_on == ["m.inner.net", "m.inner.subnet"]
    assert template.resources["m.inner.subnet"].dependencies() == {"m.inner.net", "base"}
    subnet = resolve(template.resources["m.inner.subnet"].properties, Deployed())
    assert subnet == {"network": "m.inner.net-id", "cidr": "base.x", "ip_version": 4}
    assert resolve(template.outputs["net"].value, Deployed()) == "m.inner.net-id"
    where = template.locate(("resources", "m.inner.subnet", "properties", "cidr"))
    assert where is not None
    assert (where.file, where.line) == (str(tmp_path / "lib/net.yaml"), 14)


def test_a_problem_inside_the_nested_template_names_its_file_and_line(tmp_path: Path) -> None:
    broken = NET.replace("admin_state_up: true", "admin_state_upp: true")
    path = write(
        tmp_path,
        {
            "net.yaml": broken,
            "top.yaml": top("  mod: {type: net.yaml, properties: {cidr: 10.5.0.0/24}}\n"),
        },
    )
    analysis = analyse(path, registry=default_registry())
    [problem] = analysis.errors
    assert "admin_state_upp" in problem.message
    assert problem.path == ("resources", "mod.net", "properties", "admin_state_upp")
    assert problem.location is not None
    assert problem.location.file == str(tmp_path / "net.yaml")
    assert problem.location.line == 8


def test_the_stored_spec_keeps_the_files_and_loads_flattened_again(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "lib/net.yaml": NET,
            "outer.yaml": "heat_template_version: 2018-08-31\nresources:\n"
            "  inner: {type: lib/net.yaml, properties: {cidr: 10.1.0.0/24}}\n",
            "top.yaml": top("  m: {type: outer.yaml}\n"),
        },
    )
    files: dict[str, str] = {}
    text = path.read_text()
    read = recording(Path.read_text, files)
    template, found = parse_content(text, str(path), read=read)
    analysis = analyse_parsed(template, found, registry=default_registry())
    assert analysis.ok, analysis.diagnostics
    assert analysis.template is not None
    spec = make_spec(
        analysis.template, text, files, [], {},
        region_map=None, disable_rollback=False, timeout_mins=None,
    )  # fmt: skip
    assert set(spec.files) == {f"{tmp_path}/outer.yaml", f"{tmp_path}/lib/net.yaml"}
    again = load_spec(spec)
    assert sorted(again.resources) == ["m.inner.net", "m.inner.subnet"]
    props = resolve(again.resources["m.inner.subnet"].properties, Deployed())
    assert props == {"network": "m.inner.net-id", "cidr": "10.1.0.0/24", "ip_version": 4}


def test_a_parent_parameter_passed_on_stays_a_get_param_of_the_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "net.yaml": NET,
            "top.yaml": "heat_template_version: 2018-08-31\n"
            "parameters:\n  west_cidr: {type: string, default: 10.6.0.0/24}\n"
            + "resources:\n  mod: {type: net.yaml, properties: {cidr: {get_param: west_cidr}}}\n",
        },
    )
    subnet = flat(path).resources["mod.subnet"]
    assert render(subnet.properties)["cidr"] == {"get_param": "west_cidr"}  # split keeps it
    assert render(subnet.properties)["ip_version"] == 4  # the nested default
    assert resolve(subnet.properties, PlanContext())["cidr"] == "10.6.0.0/24"


def test_hidden_parameters_of_nested_templates_are_known_as_secrets(tmp_path: Path) -> None:
    """Their values must be masked in events and logs like the top level's."""
    secret_net = NET.replace(
        "  ip_version: {type: number, default: 4}\n",
        "  ip_version: {type: number, default: 4}\n"
        "  token: {type: string, hidden: true, default: nested-s3cret}\n",
    )
    path = write(
        tmp_path,
        {
            "net.yaml": secret_net,
            "outer.yaml": "heat_template_version: 2018-08-31\nresources:\n"
            "  inner: {type: net.yaml, properties: {cidr: 10.0.0.0/24}}\n",
            "top.yaml": "heat_template_version: 2018-08-31\nparameters:\n"
            "  key: {type: string, hidden: true}\nresources:\n"
            "  m: {type: outer.yaml}\n",
        },
    )
    template, found = flatten(load_template(path, parameters={"key": "top-s3cret"}))
    assert found == []
    assert sorted(template.hidden_values()) == ["nested-s3cret", "top-s3cret"]


def test_each_nested_stacks_outputs_are_recorded_as_the_parent_reads_them(
    tmp_path: Path,
) -> None:
    outer = """heat_template_version: 2018-08-31
parameters:
  prefix: {type: string}
  again: {type: string, default: ""}
resources:
  inner: {type: lib/net.yaml, properties: {cidr: {get_param: prefix}}}
outputs:
  prefix: {value: {get_param: prefix}}
  net: {value: {get_attr: [inner, network_id]}}
  again: {value: {get_param: again}}
"""
    path = write(
        tmp_path,
        {
            "lib/net.yaml": NET,
            "outer.yaml": outer,
            "top.yaml": top(
                "  base: {type: OS::Neutron::Net}\n"
                "  m:\n    type: outer.yaml\n"
                "    properties: {prefix: {get_attr: [base, x]}, again: {get_attr: [m, again]}}\n"
            ),
        },
    )
    template = flat(path)  # m's again reads itself: no error, as nothing deployed reads it
    assert sorted(template.nested_outputs) == ["m", "m.inner"]
    values = {
        (path, name): resolve(output.value, Deployed())
        for path, outputs in template.nested_outputs.items()
        for name, output in outputs.items()
    }
    assert values == {
        ("m", "prefix"): "base.x",
        ("m", "net"): "m.inner.net-id",
        ("m", "again"): None,
        ("m.inner", "network_id"): "m.inner.net-id",
        ("m.inner", "details"): {"pools": [{"start": "m.inner.subnet-start"}]},
        ("m.inner", "cidr"): "base.x",
    }
