"""validate's passes: every problem at once, each with file, line, column and template path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crossheat.clouds.regionmap import parse_region_map
from crossheat.plan.analysis import Analysis
from crossheat.plan.pipeline import analyse
from crossheat.plan.plan import make_plan
from crossheat.resources.registry import Registry, default_registry

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "east-west-vpn.yaml"
PSK = {"vpn_psk": "0123456789abcdef-psk"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def run(
    tmp_path: Path,
    text: str,
    registry: Registry,
    regions: str | None = None,
    params: dict[str, str] | None = None,
) -> Analysis:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    region_map = parse_region_map(regions, "regions.yaml") if regions else None
    return analyse(path, parameters=params, region_map=region_map, registry=registry)


def test_reference_is_valid_with_nine_resources_per_region(registry: Registry) -> None:
    analysis = analyse(REFERENCE, parameters=PSK, registry=registry)
    assert analysis.ok, analysis.errors
    assert len(analysis.resources_in("East")) == 9
    assert len(analysis.resources_in("West")) == 9
    pairs = {(r.consumer, r.producer) for r in analysis.cross_region}
    assert pairs == {("east_to_west", "west_router"), ("west_to_east", "east_router")}


def test_overlapping_subnets_name_both(registry: Registry) -> None:
    analysis = analyse(REFERENCE, parameters={**PSK, "west_cidr": "10.1.0.0/24"}, registry=registry)
    [error] = analysis.errors
    assert "east_subnet" in error.message and "west_subnet" in error.message
    assert error.code == "vpn-overlap"
    assert error.location is not None and error.location.line == 112


def test_unknown_type_and_property_and_attribute_reported_together(
    tmp_path: Path, registry: Registry
) -> None:
    analysis = run(
        tmp_path,
        """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Nett
  subnet:
    type: OS::Neutron::Subnet
    properties:
      network: {get_resource: net}
      cidr: 10.0.0.0/24
      colour: blue
  value:
    type: OS::Heat::Value
    properties:
      value: {get_attr: [subnet, cidrr]}
""",
        registry,
    )
    by_code = {d.code: d for d in analysis.errors}
    assert set(by_code) == {"unknown-type", "unknown_property", "unknown-attribute"}
    assert by_code["unknown-type"].hint == "did you mean OS::Neutron::Net?"
    assert by_code["unknown-type"].location is not None
    assert by_code["unknown-type"].location.line == 4
    assert by_code["unknown_property"].path == ("resources", "subnet", "properties", "colour")
    assert by_code["unknown-attribute"].location is not None
    assert by_code["unknown-attribute"].location.line == 14


def test_cycle_names_every_resource_on_it(tmp_path: Path, registry: Registry) -> None:
    analysis = run(
        tmp_path,
        """\
heat_template_version: 2018-08-31
resources:
  a: {type: OS::Heat::Value, properties: {value: {get_attr: [b, value]}}}
  b: {type: OS::Heat::Value, depends_on: c, properties: {value: 1}}
  c: {type: OS::Heat::Value, properties: {value: {get_resource: a}}}
  d: {type: OS::Heat::Value, properties: {value: {get_resource: a}}}
""",
        registry,
    )
    [error] = analysis.errors
    assert error.code == "cycle"
    assert "a -> b -> c -> a" in error.message
    assert "d" not in error.message.split(":")[1]


REGIONS = """\
regions:
  East: {cloud: onprem, images: {cirros: cirros-0.6.2}, flavors: {m1.small: small}}
  West: {cloud: provider, region_name: us-west-1}
default_region: East
"""


def test_unknown_region_and_unresolvable_image(tmp_path: Path, registry: Registry) -> None:
    analysis = run(
        tmp_path,
        """\
heat_template_version: 2018-08-31
resources:
  server:
    type: OS::Nova::Server
    region: East
    properties: {image: ubuntu, flavor: m1.small}
  other:
    type: OS::Heat::None
    region: Sourth
""",
        registry,
        REGIONS,
    )
    by_code = {d.code: d for d in analysis.errors}
    assert set(by_code) == {"unknown-region", "unknown-image"}
    assert "Sourth" in by_code["unknown-region"].message
    assert by_code["unknown-image"].path == ("resources", "server", "properties", "image")
    assert "regions.East.images" in (by_code["unknown-image"].hint or "")


def test_resources_without_region_go_to_the_default_region(
    tmp_path: Path, registry: Registry
) -> None:
    analysis = run(
        tmp_path,
        """\
heat_template_version: 2018-08-31
resources:
  a: {type: OS::Heat::None}
  b: {type: OS::Heat::None, region: West}
""",
        registry,
        REGIONS,
    )
    assert analysis.ok
    assert analysis.regions == {"a": "East", "b": "West"}


def test_plan_orders_and_finds_the_critical_path(registry: Registry) -> None:
    analysis = analyse(REFERENCE, parameters=PSK, registry=registry)
    plan = make_plan(analysis)
    order = plan.order
    assert order.index("east_net") < order.index("east_subnet") < order.index("east_server")
    assert order.index("west_router") < order.index("east_to_west")
    assert plan.critical_path[-1] in {"east_server", "west_server"}
    assert plan.estimated_time == pytest.approx(13.0)  # net 1 + subnet 1 + iface 1 + server 10
    data = plan.as_dict()
    assert set(data["regions"]) == {"East", "West"}
    assert data["pieces"] == []
    assert len(data["cross_region_references"]) == 4


def test_plan_json_round_trips(registry: Registry) -> None:
    plan = make_plan(analyse(REFERENCE, parameters=PSK, registry=registry))
    assert yaml.safe_load(yaml.safe_dump(plan.as_dict())) == plan.as_dict()


def test_a_cloud_missing_from_clouds_yaml_is_a_warning_naming_the_region(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds:\n  onprem:\n    auth: {auth_url: 'http://127.0.0.1:1/v3'}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    analysis = run(
        tmp_path,
        """\
heat_template_version: 2018-08-31
resources:
  a: {type: OS::Heat::None, region: East}
  b: {type: OS::Heat::None, region: West}
""",
        registry,
        REGIONS,
    )
    assert analysis.ok
    [warning] = analysis.warnings
    assert warning.code == "unknown-cloud"
    assert "region West" in warning.message and "provider" in warning.message
    assert warning.location is not None and warning.location.file == "regions.yaml"
