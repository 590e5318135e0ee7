"""Regions and clouds: the region map, and the openstacksdk driver.

``crossheat.clouds.regionmap`` (no network, imports quickly) says which cloud and
region each template region is; ``crossheat.clouds.driver`` holds one openstacksdk
connection per region and translates openstacksdk errors into ``CloudError``s;
``crossheat.clouds.retry`` is the backoff policy the driver uses.
"""

from crossheat.clouds.regionmap import (
    IMPLICIT_REGION,
    RegionMap,
    RegionSpec,
    load_region_map,
    parse_region_map,
    resource_region,
)

__all__ = [
    "IMPLICIT_REGION",
    "RegionMap",
    "RegionSpec",
    "load_region_map",
    "parse_region_map",
    "resource_region",
]
