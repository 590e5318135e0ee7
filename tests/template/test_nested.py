"""Template resources: a resource whose type is a template file."""

from __future__ import annotations

from pathlib import Path

from crossheat.template import PlanContext, load_template, parse_template, resolve
from tests.template.helpers import FakeCloud

SERVER = """heat_template_version: 2018-08-31
parameters:
  flavor: {type: string}
  count: {type: number, default: 1}
resources:
  vm:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      user_data: {get_file: ../data.txt}
      metadata: {resource_facade: metadata}
outputs:
  ip: {value: {get_attr: [vm, first_address]}}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "main.yaml"


def main(resources: str) -> str:
    return f"heat_template_version: 2018-08-31\nresources:\n{resources}"


def test_properties_become_parameters_and_files_are_read(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        {
            "data.txt": "boot",
            "lib/server.yaml": SERVER,
            "main.yaml": main(
                "  web:\n    type: lib/server.yaml\n    metadata: {role: web}\n"
                "    properties: {flavor: m1.small, count: 2}\n"
            ),
        },
    )
    template = load_template(top)
    web = template.resources["web"]
    assert web.type == "lib/server.yaml"
    assert web.nested is not None
    assert web.nested.parameter_values() == {"flavor": "m1.small", "count": 2}
    props = resolve(web.nested.resources["vm"].properties, FakeCloud())
    assert props == {"flavor": "m1.small", "user_data": "boot", "metadata": {"role": "web"}}
    assert web.nested.files == {"../data.txt": "boot"}
    assert template.files == {"lib/server.yaml": SERVER}
    assert list(web.nested.outputs) == ["ip"]


def test_registry_maps_a_type_to_a_template(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        {
            "data.txt": "",
            "lib/server.yaml": SERVER,
            "env/e.yaml": 'resource_registry:\n  "My::Server": ../lib/server.yaml\n',
            "main.yaml": main("  web:\n    type: My::Server\n    properties: {flavor: f}\n"),
        },
    )
    template = load_template(top, [tmp_path / "env/e.yaml"])
    web = template.resources["web"]
    assert web.type == "My::Server"  # the name given, as Heat lists it
    assert web.nested is not None and web.nested.parameters["flavor"].value == "f"


def test_unknown_property_and_missing_parameter_on_parent_path(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        {
            "data.txt": "",
            "lib/server.yaml": SERVER,
            "main.yaml": main("  web:\n    type: lib/server.yaml\n    properties: {flavour: x}\n"),
        },
    )
    _, found = parse_template(top)
    by_code = {d.code: d for d in found}
    unknown = by_code["unknown-parameter"]
    assert unknown.path == ("resources", "web", "properties", "flavour")
    assert unknown.hint == "did you mean 'flavor'?"
    assert unknown.location is not None and unknown.location.file == str(top)
    assert (unknown.location.line, unknown.location.column) == (5, 18)
    missing = by_code["missing-parameter"]
    assert missing.path == ("resources", "web", "properties")
    assert "missing property 'flavor'" in missing.message


def test_unknown_values_pass_through_to_nested_parameters(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        {
            "data.txt": "",
            "lib/server.yaml": SERVER,
            "main.yaml": main(
                "  other: {type: OS::Heat::None}\n"
                "  web:\n    type: lib/server.yaml\n"
                "    properties: {flavor: {get_attr: [other, name]}}\n"
            ),
        },
    )
    web = load_template(top).resources["web"]
    assert web.dependencies() == {"other"}
    assert web.nested is not None
    assert resolve(web.nested.resources["vm"].properties["flavor"], PlanContext()) is not None


def test_loops_of_template_files_are_errors(tmp_path: Path) -> None:
    loop = "heat_template_version: 2018-08-31\nresources:\n  x: {type: b.yaml}\n"
    back = "heat_template_version: 2018-08-31\nresources:\n  y: {type: a.yaml}\n"
    write(tmp_path, {"a.yaml": loop, "b.yaml": back})
    _, found = parse_template(tmp_path / "a.yaml")
    assert [d.code for d in found] == ["loop"]
    assert "a.yaml -> b.yaml -> a.yaml" in found[0].message
    assert found[0].path == ("resources", "y", "type")


def test_missing_template_file(tmp_path: Path) -> None:
    top = write(tmp_path, {"main.yaml": main("  x: {type: nowhere.yaml}\n")})
    _, found = parse_template(top)
    assert "cannot read template 'nowhere.yaml'" in found[0].message


def test_get_attr_of_template_resource_names_an_output(tmp_path: Path) -> None:
    top = write(
        tmp_path,
        {
            "data.txt": "",
            "lib/server.yaml": SERVER,
            "main.yaml": main("  web:\n    type: lib/server.yaml\n    properties: {flavor: f}\n")
            + "outputs:\n  a: {value: {get_attr: [web, ip]}}\n"
            + "  b: {value: {get_attr: [web, ipp]}}\n",
        },
    )
    _, found = parse_template(top)
    assert [d.message for d in found] == ["web (lib/server.yaml) has no attribute 'ipp'"]
    assert found[0].hint == "did you mean 'ip'?"
