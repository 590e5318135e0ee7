"""Where a running emulator writes about itself, so that the next command just works.

- ``clouds.yaml`` (what openstacksdk reads: ``$OS_CLIENT_CONFIG_FILE``, else
  ``$XDG_CONFIG_HOME/openstack/clouds.yaml``, else ``~/.config/openstack/clouds.yaml``)
  gets two entries, merged with what is there::

      clouds:
        emulator:                     # admin / admin, project admin
          auth: {auth_url: http://127.0.0.1:PORT/identity, username: admin, ...}
          regions: [East, West]
        emulator-demo: {...}          # demo / demo, project demo
        emulator-alpha-alice: {...}   # --project alpha:alice:secret: alice in project alpha

- the region map (``$CROSSHEAT_REGION_MAP``, else
  ``$XDG_CONFIG_HOME/crossheat/regions.yaml``), only when none exists yet::

      regions:
        East: {cloud: emulator, region_name: East}
        West: {cloud: emulator, region_name: West}
      default_region: East

  (with ``--baremetal N``, each region also gets ``host_classes: {baremetal: {flavor:
  baremetal.general, availability_zone: baremetal}}``);

- announce files of running emulators in ``$CROSSHEAT_EMULATOR_DIR``, else
  ``$XDG_STATE_HOME/crossheat/emulators``, else ``~/.local/state/crossheat/emulators``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crossheat.errors import ConfigError


def _xdg(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / fallback)


@dataclass
class Settings:
    """Files an emulator writes; ``cloud`` is its clouds.yaml entry name (None: automatic)."""

    clouds_file: Path
    regions_file: Path
    run_dir: Path
    cloud: str | None = None

    @classmethod
    def from_environment(cls, cloud: str | None = None) -> Settings:
        config = _xdg("XDG_CONFIG_HOME", ".config")
        state = _xdg("XDG_STATE_HOME", ".local/state")
        clouds = os.environ.get("OS_CLIENT_CONFIG_FILE") or config / "openstack" / "clouds.yaml"
        regions = os.environ.get("CROSSHEAT_REGION_MAP") or config / "crossheat" / "regions.yaml"
        run_dir = os.environ.get("CROSSHEAT_EMULATOR_DIR") or state / "crossheat" / "emulators"
        return cls(Path(clouds), Path(regions), Path(run_dir), cloud)


def cloud_entry(
    url: str, regions: list[str], user: str, password: str | None = None,
    project: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A clouds.yaml entry for ``user`` in ``project`` (both default to the user's name,
    as for ``admin`` and ``demo``).

    ``regions`` lists every region (the first is the default), so that tools which
    check ``--os-region-name`` against clouds.yaml accept them all.
    """
    return {
        "auth": {
            "auth_url": f"{url}/identity",
            "username": user,
            "password": password or user,
            "project_name": project or user,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "regions": list(regions),
        "interface": "public",
        "identity_api_version": 3,
    }


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top")
    return data


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
    os.replace(tmp, path)


def seeded_cloud_name(cloud: str, project: str, user: str) -> str:
    """The clouds.yaml entry of a ``--project PROJECT:USER:...`` seed: ``cloud-PROJECT-USER``."""
    return f"{cloud}-{project}-{user}"


def write_clouds_yaml(
    path: Path, cloud: str, url: str, regions: list[str],
    members: Iterable[tuple[str, str, str]] = (),
) -> None:  # fmt: skip
    """Add or replace entries ``cloud`` (admin) and ``cloud-demo`` (demo) in ``path``, and
    ``cloud-PROJECT-USER`` for each ``(project, user, password)`` of ``members``."""
    data = _read_yaml(path)
    clouds = data.setdefault("clouds", {})
    if not isinstance(clouds, dict):
        raise ConfigError(f"{path}: 'clouds' is not a mapping")
    clouds[cloud] = cloud_entry(url, regions, "admin")
    clouds[f"{cloud}-demo"] = cloud_entry(url, regions, "demo")
    for project, user, password in members:
        entry = cloud_entry(url, regions, user, password, project)
        clouds[seeded_cloud_name(cloud, project, user)] = entry
    _write_yaml(path, data)


def write_region_map(path: Path, cloud: str, regions: list[str], baremetal: bool = False) -> bool:
    """Write a region map for ``regions`` of ``cloud`` unless ``path`` exists; whether written.
    With ``baremetal`` every region offers the host class ``baremetal`` (its bare-metal
    flavor, in zone ``baremetal``)."""
    if path.exists():
        return False
    entries: dict[str, dict[str, Any]] = {
        name: {"cloud": cloud, "region_name": name} for name in regions
    }
    if baremetal:
        for entry in entries.values():
            entry["host_classes"] = {
                "baremetal": {"flavor": "baremetal.general", "availability_zone": "baremetal"}
            }
    data = {"regions": entries, "default_region": regions[0]}
    _write_yaml(path, data)
    return True
