"""Host classes in the region map: a logical class is a flavor (and zone) per region."""

from __future__ import annotations

import pytest

from crossheat.clouds.regionmap import HostClass, RegionMap, parse_region_map
from crossheat.errors import ConfigError

MAP = """\
regions:
  East:
    cloud: emulator
    flavors: {small: m1.small}
    host_classes:
      baremetal: {flavor: baremetal.general, availability_zone: baremetal}
      gpu: m1.large
  West:
    cloud: emulator
    host_classes:
      baremetal: {flavor: m1.large}
default_region: East
"""


def test_a_class_is_a_bare_metal_flavor_in_one_region_and_a_vm_flavor_in_another() -> None:
    region_map = parse_region_map(MAP, "regions.yaml")
    assert region_map.resolve_flavor("East", "baremetal") == "baremetal.general"
    assert region_map.resolve_flavor("West", "baremetal") == "m1.large"
    assert region_map.host_zone("East", "baremetal") == "baremetal"
    assert region_map.host_zone("West", "baremetal") is None
    assert region_map.resolve_flavor("East", "gpu") == "m1.large"
    assert region_map.resolve_flavor("East", "small") == "m1.small"  # flavors as before
    assert region_map.host_zone("East", "small") is None
    assert region_map.host_classes == {"baremetal": ["East", "West"], "gpu": ["East"]}


def test_host_classes_survive_the_stored_mapping() -> None:
    region_map = parse_region_map(MAP, "regions.yaml")
    again = RegionMap.from_mapping(region_map.as_dict())
    assert again.regions["East"].host_classes == {
        "baremetal": HostClass("baremetal.general", "baremetal"),
        "gpu": HostClass("m1.large"),
    }
    assert parse_region_map(region_map.dump()).regions == region_map.regions


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{baremetal: {availability_zone: bm}}", "regions.yaml:4:31: regions.East.host_classes"
         ".baremetal: missing 'flavor'"),
        ("{baremetal: {flavor: x, zone: bm}}", "unknown key 'zone' (known: flavor, "
         "availability_zone)"),
        ("[baremetal]", "regions.East.host_classes: expected a mapping"),
    ],
)  # fmt: skip
def test_a_wrong_host_class_says_where(entry: str, expected: str) -> None:
    text = f"regions:\n  East:\n    cloud: emulator\n    host_classes: {entry}\n"
    with pytest.raises(ConfigError) as caught:
        parse_region_map(text, "regions.yaml")
    assert expected in str(caught.value)
