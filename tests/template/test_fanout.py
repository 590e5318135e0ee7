"""One definition, many regions: ``region:`` a list gives a copy per region (template.fanout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.errors import Diagnostic
from crossheat.template import PlanContext, Template, parse_template, render, resolve
from crossheat.template.flatten import flatten_checked

HEAD = """heat_template_version: 2018-08-31
parameters:
  sites: {type: comma_delimited_list, default: "East,West,North"}
  cidrs:
    type: json
    default: {East: 10.1.0.0/24, West: 10.2.0.0/24, North: 10.3.0.0/24}
resources:
"""

SITE = """  net:
    type: OS::Neutron::Net
    region: {get_param: sites}
    properties: {name: net-%region%}
  subnet:
    type: OS::Neutron::Subnet
    region: {get_param: sites}
    depends_on: net
    properties:
      network: {get_resource: net}
      cidr: {get_param: [cidrs, "%region%"]}
  router:
    type: OS::Neutron::Router
    region: {get_param: sites}
"""

PAIRS = """  link:
    type: OS::Neutron::IPsecSiteConnection
    region: {get_param: sites}
    peer_region: {get_param: sites}
    properties:
      name: "%region%-to-%peer%"
      vpnservice_id: {get_resource: net}
      peer_address: {get_attr: ["router[%peer%]", external_gateway_info]}
      peer_cidrs: [{get_param: [cidrs, "%peer%"]}]
"""


def load(
    tmp_path: Path, body: str, parameters: dict[str, str] | None = None, outputs: str = ""
) -> tuple[Template, list[Diagnostic]]:
    path = tmp_path / "fan.yaml"
    path.write_text(HEAD + body + (f"outputs:\n{outputs}" if outputs else ""))
    template, found = parse_template(path, parameters=parameters)
    assert template is not None
    return template, found


def test_a_resource_in_a_list_of_regions_is_one_copy_per_region_named_by_it(
    tmp_path: Path,
) -> None:
    template, found = load(tmp_path, SITE)
    assert found == []
    assert list(template.resources) == [
        "net[East]", "net[West]", "net[North]",
        "subnet[East]", "subnet[West]", "subnet[North]",
        "router[East]", "router[West]", "router[North]",
    ]  # fmt: skip
    west = template.resources["subnet[West]"]
    assert west.region == "West"
    assert render(west.properties) == {"network": {"get_resource": "net[West]"},
                                       "cidr": {"get_param": ["cidrs", "West"]}}  # fmt: skip
    assert west.depends_on == ["net[West]"]
    assert west.dependencies() == {"net[West]"}
    assert render(template.resources["net[North]"].properties) == {"name": "net-North"}


def test_pairs_of_regions_are_written_once_and_reach_the_peers_copy(tmp_path: Path) -> None:
    template, found = load(tmp_path, SITE + PAIRS)
    assert found == []
    links = [n for n in template.resources if n.startswith("link")]
    assert links == [
        "link[East->West]", "link[East->North]", "link[West->East]",
        "link[West->North]", "link[North->East]", "link[North->West]",
    ]  # fmt: skip
    link = template.resources["link[North->West]"]
    assert link.region == "North"
    assert render(link.properties) == {
        "name": "North-to-West",
        "vpnservice_id": {"get_resource": "net[North]"},  # the local region's copy
        "peer_address": {"get_attr": ["router[West]", "external_gateway_info"]},
        "peer_cidrs": [{"get_param": ["cidrs", "West"]}],
    }


def test_outside_a_copy_a_fanned_out_resource_reads_as_a_map_by_copy_name(
    tmp_path: Path,
) -> None:
    outputs = "  status: {value: {get_attr: [link, status]}}\n"
    outputs += "  nets: {value: {get_resource: net}}\n"
    template, found = load(tmp_path, SITE + PAIRS, {"sites": "East,West"}, outputs)
    assert found == []
    assert render(template.outputs["status"].value) == {
        "link[East->West]": {"get_attr": ["link[East->West]", "status"]},
        "link[West->East]": {"get_attr": ["link[West->East]", "status"]},
    }
    assert render(template.outputs["nets"].value) == {
        "net[East]": {"get_resource": "net[East]"},
        "net[West]": {"get_resource": "net[West]"},
    }


def test_adding_a_region_adds_copies_and_leaves_the_others_as_they_were(
    tmp_path: Path,
) -> None:
    three, _ = load(tmp_path, SITE + PAIRS)
    four, found = load(tmp_path, SITE + PAIRS, {"sites": "East,West,North,South"})
    assert found == []
    added = set(four.resources) - set(three.resources)
    site = {"net[South]", "subnet[South]", "router[South]"}
    assert {n for n in added if not n.startswith("link")} == site
    assert {n for n in added if n.startswith("link")} == {
        f"link[{a}->{b}]" for a, b in
        [("South", "East"), ("South", "West"), ("South", "North"),
         ("East", "South"), ("West", "South"), ("North", "South")]
    }  # fmt: skip
    for name, definition in three.resources.items():
        assert render(four.resources[name].properties) == render(definition.properties)


def test_a_copy_reading_a_resource_with_no_copy_in_its_region_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    body = SITE.replace(
        "    region: {get_param: sites}\n    properties: {name: net-%region%}",
        "    region: [East, West]\n    properties: {name: net-%region%}",
    )
    _, found = load(tmp_path, body)
    messages = [(d.message, d.path, d.location.line if d.location else None) for d in found]
    network = ("resources", "subnet[North]", "properties", "network", "get_resource")
    assert ("net has no copy for North (its regions: East, West)", network, 17) in messages
    assert any(d.path == ("resources", "subnet[North]", "depends_on") for d in found)
    assert all(str(tmp_path / "fan.yaml") == d.location.file for d in found if d.location)


@pytest.mark.parametrize(
    ("region", "message", "line"),
    [
        ("{get_param: cidrs}", "region must be a region name or a list of them", 10),
        ("[East, West, East]", "region names East more than once", 10),
        ("[East, 7]", "region must be a region name or a list of them", 10),
    ],
)
def test_a_region_that_is_not_a_list_of_names_is_an_error(
    tmp_path: Path, region: str, message: str, line: int
) -> None:
    body = f"  net:\n    type: OS::Neutron::Net\n    region: {region}\n"
    _, found = load(tmp_path, body)
    [problem] = found
    assert message in problem.message
    assert problem.path == ("resources", "net", "region")
    assert problem.location is not None and problem.location.line == line


def test_peer_outside_a_pair_copy_and_a_copy_clashing_with_a_resource_are_errors(
    tmp_path: Path,
) -> None:
    body = SITE + "  other:\n    type: OS::Neutron::Net\n    properties: {name: to-%peer%}\n"
    body += "  net[West]:\n    type: OS::Neutron::Net\n"
    _, found = load(tmp_path, body)
    by_message = {d.message: d for d in found}
    peer = by_message["%peer% is only known in a copy for a pair of regions"]
    assert peer.path == ("resources", "other", "properties", "name")
    assert peer.location is not None and peer.location.line == 24
    clash = by_message["copy 'net[West]' of net clashes with a resource of that name"]
    assert clash.path == ("resources", "net", "region")


def test_a_bad_value_in_a_copy_names_the_copy_and_the_definitions_line(tmp_path: Path) -> None:
    body = SITE.replace('cidr: {get_param: [cidrs, "%region%"]}', "cidr: {get_param: nope}")
    _, found = load(tmp_path, body)
    paths = {d.path for d in found}
    assert {("resources", f"subnet[{r}]", "properties", "cidr")
            for r in ("East", "West", "North")} == paths  # fmt: skip
    assert {d.location.line for d in found if d.location} == {18}


def test_one_peer_region_makes_a_hub_and_spoke_and_a_site_reads_its_pair_copies_as_a_map(
    tmp_path: Path,
) -> None:
    body = SITE + PAIRS.replace("peer_region: {get_param: sites}", "peer_region: East")
    body += """  report:
    type: OS::Heat::Value
    region: {get_param: sites}
    properties: {value: {get_attr: [link, status]}}
"""
    template, found = load(tmp_path, body)
    assert found == []
    assert [n for n in template.resources if n.startswith("link")] == [
        "link[West->East]",
        "link[North->East]",
    ]
    assert render(template.resources["report[West]"].properties) == {
        "value": {"link[West->East]": {"get_attr": ["link[West->East]", "status"]}}
    }
    assert render(template.resources["report[East]"].properties) == {"value": {}}


def test_an_empty_list_of_regions_gives_no_copy(tmp_path: Path) -> None:
    outputs = "  nets: {value: {get_resource: net}}\n"
    template, found = load(tmp_path, SITE, {"sites": ""}, outputs)
    assert found == []
    assert template.resources == {}
    assert render(template.outputs["nets"].value) == {}


def test_a_template_resource_in_a_list_of_regions_is_a_copy_of_its_template_per_region(
    tmp_path: Path,
) -> None:
    (tmp_path / "site.yaml").write_text(
        "heat_template_version: 2018-08-31\nparameters:\n  cidr: {type: string}\n"
        "resources:\n  net: {type: OS::Neutron::Net}\n  subnet:\n"
        "    type: OS::Neutron::Subnet\n"
        "    properties: {network: {get_resource: net}, cidr: {get_param: cidr}}\n"
        "outputs:\n  net: {value: {get_resource: net}}\n"
    )
    body = """  site:
    type: site.yaml
    region: {get_param: sites}
    properties: {cidr: {get_param: [cidrs, "%region%"]}}
  port:
    type: OS::Neutron::Port
    region: {get_param: sites}
    properties: {network: {get_attr: [site, net]}}
"""
    template, found = load(tmp_path, body, {"sites": "East,West"})
    assert found == []
    flat = flatten_checked(template)
    assert {n: r.region for n, r in flat.resources.items()} == {
        "port[East]": "East", "port[West]": "West",
        "site[East].net": "East", "site[East].subnet": "East",
        "site[West].net": "West", "site[West].subnet": "West",
    }  # fmt: skip
    assert render(flat.resources["port[West]"].properties) == {
        "network": {"get_resource": "site[West].net"}
    }
    assert resolve(flat.resources["site[West].subnet"].properties["cidr"], PlanContext()) == (
        "10.2.0.0/24"
    )


def test_the_environments_entries_for_a_resource_apply_to_its_copies(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text(
        "resource_registry:\n  resources:\n    net: {OS::Neutron::Net: OS::Neutron::ProviderNet}\n"
        '    "net[West]": {OS::Neutron::Net: OS::Neutron::Net}\n'
    )
    path = tmp_path / "fan.yaml"
    path.write_text(HEAD + SITE)
    template, found = parse_template(path, [env])
    assert found == [] and template is not None
    types = {n: r.type for n, r in template.resources.items() if n.startswith("net")}
    assert types == {
        "net[East]": "OS::Neutron::ProviderNet",
        "net[West]": "OS::Neutron::Net",
        "net[North]": "OS::Neutron::ProviderNet",
    }


def test_peer_region_without_region_and_a_region_list_without_value_are_errors(
    tmp_path: Path,
) -> None:
    body = "  link:\n    type: OS::Heat::Value\n    peer_region: [East, West]\n"
    _, found = load(tmp_path, body)
    assert [(d.message, d.path) for d in found] == [
        ("peer_region needs a region: (a name or a list)", ("resources", "link", "peer_region"))
    ]
    path = tmp_path / "later.yaml"
    path.write_text(
        "heat_template_version: 2018-08-31\nparameters:\n  sites: {type: comma_delimited_list}\n"
        "resources:\n  net: {type: OS::Neutron::Net, region: {get_param: sites}}\n"
    )
    template, found = parse_template(path)
    assert template is not None and found != []
    assert "net" in template.resources  # not silently zero copies: the missing value is reported
