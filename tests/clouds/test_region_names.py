"""A region named by its cloud's region name (Heat's ``context: {region_name: ...}``)."""

from __future__ import annotations

from crossheat.clouds.regionmap import RegionMap, resource_region

MAP = RegionMap.from_mapping(
    {
        "regions": {
            "East": {"cloud": "onprem", "region_name": "RegionOne"},
            "West": {"cloud": "provider", "region_name": "us-west-1"},
            "Twin": {"cloud": "other", "region_name": "RegionOne"},
        },
        "default_region": "East",
    }
)


def test_a_cloud_region_name_maps_to_its_one_region_map_key() -> None:
    assert resource_region("us-west-1", MAP) == "West"
    assert resource_region("West", MAP) == "West"
    assert resource_region("RegionOne", MAP) == "RegionOne"  # two keys: not guessed
    assert resource_region(None, MAP) == "East"
