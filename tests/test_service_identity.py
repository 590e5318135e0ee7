"""The Keystone ``crossheat serve`` trusts by default: the default region's cloud's."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.errors import ConfigError
from crossheat.service.identity import keystone_url

CLOUDS = """
clouds:
  onprem:
    auth: {auth_url: "https://keystone.onprem.example:5000/v3", username: u, password: p,
           project_name: p}
    region_name: RegionOne
  provider:
    auth: {auth_url: "https://identity.provider.example", username: u, password: p,
           project_name: p}
  tokenless:
    auth_type: none
    auth: {endpoint: "http://127.0.0.1:1"}
"""


@pytest.fixture(autouse=True)
def clouds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OS_CLOUD", "OS_AUTH_URL", "CROSSHEAT_REGION_MAP"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "clouds.yaml").write_text(CLOUDS)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def region_map(tmp_path: Path, default: str, cloud: str) -> Path:
    path = tmp_path / "regions.yaml"
    path.write_text(
        "regions:\n"
        "  East: {cloud: onprem, region_name: RegionOne}\n"
        f"  West: {{cloud: {cloud}}}\n"
        f"default_region: {default}\n"
    )
    return path


def test_the_default_regions_cloud_names_the_keystone(tmp_path: Path) -> None:
    east = region_map(tmp_path, "East", "provider")
    assert keystone_url(east) == "https://keystone.onprem.example:5000/v3"
    west = region_map(tmp_path, "West", "provider")
    assert keystone_url(west) == "https://identity.provider.example"


def test_a_cloud_without_keystone_asks_for_keystone_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no auth_url: pass --keystone-url"):
        keystone_url(region_map(tmp_path, "West", "tokenless"))


def test_an_unknown_cloud_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'nowhere'"):
        keystone_url(region_map(tmp_path, "West", "nowhere"))


def test_no_region_map_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"region map .* not found"):
        keystone_url(tmp_path / "missing.yaml")
