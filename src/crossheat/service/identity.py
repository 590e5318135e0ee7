"""Which Keystone a server trusts by default: the one of the region map's default region.

    from crossheat.service.identity import keystone_url
    keystone_url()          # "http://127.0.0.1:5000/identity": that cloud's auth_url

``crossheat serve`` validates tokens there unless ``--keystone-url`` names another.
"""

from __future__ import annotations

from pathlib import Path

from crossheat.errors import ConfigError


def keystone_url(region_map: str | Path | None = None) -> str:
    """The ``auth_url`` in ``clouds.yaml`` of the cloud of the region map's default
    region (the map found as ``crossheat.clouds.regionmap.load_region_map`` finds it).

    ``ConfigError`` when there is no region map, no default region, no such cloud, or
    the cloud authenticates without an ``auth_url``.
    """
    from keystoneauth1.exceptions import ClientException
    from openstack.config.loader import OpenStackConfig
    from openstack.exceptions import ConfigException

    from crossheat.clouds.regionmap import load_region_map

    spec = load_region_map(region_map).region_for(None)
    try:
        cloud = OpenStackConfig().get_one(cloud=spec.cloud, region_name=spec.region_name)
    except (ConfigException, ClientException, OSError) as exc:
        raise ConfigError(f"clouds.yaml: cloud {spec.cloud!r}: {exc}") from exc
    url = (cloud.config.get("auth") or {}).get("auth_url")
    if not url:
        raise ConfigError(
            f"clouds.yaml: cloud {spec.cloud!r} (region {spec.name}) has no auth_url: "
            "pass --keystone-url"
        )
    return str(url)
