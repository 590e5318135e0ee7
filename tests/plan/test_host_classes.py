"""validate and host classes: a class a server's region does not offer is an error naming
the class and the region, at the flavor's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.clouds.regionmap import parse_region_map
from crossheat.plan.analysis import Analysis
from crossheat.plan.pipeline import analyse
from crossheat.resources.registry import Registry, default_registry

REGIONS = """\
regions:
  East:
    cloud: emulator
    flavors: {small: m1.small}
    host_classes:
      baremetal: {flavor: baremetal.general, availability_zone: baremetal}
  West:
    cloud: emulator
    flavors: {small: m1.small}
  North:
    cloud: emulator
    host_classes: {baremetal: m1.large}
default_region: East
"""

TEMPLATE = """\
heat_template_version: 2018-08-31
parameters:
  kind: {type: string, default: baremetal}
resources:
  east_metal:
    type: OS::Nova::Server
    region: East
    properties: {image: cirros, flavor: baremetal}
  north_metal:
    type: OS::Nova::Server
    region: North
    properties: {image: cirros, flavor: {get_param: kind}}
  west_metal:
    type: OS::Nova::Server
    region: West
    properties:
      image: cirros
      flavor: {get_param: kind}
"""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def run(tmp_path: Path, registry: Registry, template: str = TEMPLATE) -> Analysis:
    path = tmp_path / "t.yaml"
    path.write_text(template)
    region_map = parse_region_map(REGIONS, "regions.yaml")
    return analyse(path, region_map=region_map, registry=registry)


def test_a_class_the_region_does_not_offer_names_class_region_file_and_line(
    tmp_path: Path, registry: Registry
) -> None:
    analysis = run(tmp_path, registry)
    [error] = analysis.errors  # East and North offer it; the flavors table is not asked
    assert error.code == "unknown-host-class"
    assert "region West" in error.message and "'baremetal'" in error.message
    assert "East, North" in error.message
    assert error.path == ("resources", "west_metal", "properties", "flavor")
    assert error.location is not None
    assert (Path(error.location.file).name, error.location.line) == ("t.yaml", 18)
    assert "regions.West.host_classes" in (error.hint or "")
    assert "t.yaml:18" in str(error) and "resources.west_metal.properties.flavor" in str(error)


def test_offered_everywhere_is_valid(tmp_path: Path, registry: Registry) -> None:
    template = TEMPLATE.replace("region: West", "region: North")
    assert run(tmp_path, registry, template).ok


def test_a_plain_flavor_is_still_checked_against_the_flavors_table(
    tmp_path: Path, registry: Registry
) -> None:
    template = TEMPLATE.replace("flavor: {get_param: kind}\n", "flavor: tiny\n")
    codes = [e.code for e in run(tmp_path, registry, template).errors]
    assert codes == ["unknown-flavor"]
