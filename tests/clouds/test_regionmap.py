"""The region map: loading, line-numbered errors, lookups, clouds.yaml checks, dump."""

from __future__ import annotations

from pathlib import Path

import pytest
from openstack.config.loader import OpenStackConfig

from crossheat.clouds.regionmap import (
    RegionMap,
    RegionSpec,
    load_region_map,
    parse_region_map,
    region_map_path,
    resource_region,
)
from crossheat.errors import ConfigError

# openstacksdk warns about its own future removals (PendingDeprecationWarning)
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

EXAMPLE = """\
regions:
  East:
    cloud: onprem          # entry in clouds.yaml
    region_name: RegionOne # region inside that cloud
    images:  {cirros: cirros-0.6.2-x86_64}
    flavors: {m1.small: m1.small}
  West:
    cloud: provider
default_region: East
"""

CLOUDS_YAML = """\
clouds:
  onprem:
    auth: {auth_url: "http://127.0.0.1:1/v3", username: u, password: p,
           project_name: p, user_domain_name: Default, project_domain_name: Default}
    regions: [RegionOne, RegionTwo]
  provider:
    auth: {auth_url: "http://127.0.0.1:1/v3", username: u, password: p,
           project_name: p, user_domain_name: Default, project_domain_name: Default}
"""


def test_parse_example() -> None:
    rmap = parse_region_map(EXAMPLE, "regions.yaml")
    assert rmap.default_region == "East"
    east, west = rmap.regions["East"], rmap.regions["West"]
    assert (east.cloud, east.region_name) == ("onprem", "RegionOne")
    assert (west.cloud, west.region_name) == ("provider", "West")
    assert rmap.region_for(None) is east
    assert rmap.region_for("West") is west


def test_resolve_image_and_flavor_fall_back_to_logical_name() -> None:
    rmap = parse_region_map(EXAMPLE)
    assert rmap.resolve_image("East", "cirros") == "cirros-0.6.2-x86_64"
    assert rmap.resolve_image("West", "cirros") == "cirros"
    assert rmap.resolve_image(None, "cirros") == "cirros-0.6.2-x86_64"
    assert rmap.resolve_flavor("East", "m1.small") == "m1.small"
    assert rmap.resolve_flavor("West", "m1.tiny") == "m1.tiny"


def test_unknown_region_lists_known_ones() -> None:
    rmap = parse_region_map(EXAMPLE, "regions.yaml")
    with pytest.raises(ConfigError, match=r"unknown region 'North' \(known regions: East, West\)"):
        rmap.region_for("North")


def test_single_region_is_the_default() -> None:
    rmap = parse_region_map("regions: {Only: {cloud: c}}")
    assert rmap.region_for(None).name == "Only"


def test_no_default_with_two_regions() -> None:
    rmap = parse_region_map("regions: {A: {cloud: c}, B: {cloud: c}}", "r.yaml")
    with pytest.raises(ConfigError, match="no default_region"):
        rmap.region_for(None)


def test_names_are_read_as_written() -> None:
    """YAML 1.1 would read these as 16, True and 1.5; a cloud's names are text."""
    rmap = parse_region_map("regions:\n  East: {cloud: 0x10, region_name: yes, flavors: {s: 1.50}}")
    assert (rmap.regions["East"].cloud, rmap.regions["East"].region_name) == ("0x10", "yes")
    assert rmap.resolve_flavor("East", "s") == "1.50"


def test_a_resource_without_region_goes_to_the_default_region() -> None:
    two = parse_region_map(EXAMPLE, "regions.yaml")
    assert resource_region("West", two) == "West"
    assert resource_region(None, two) == "East"
    assert resource_region(None, parse_region_map("regions: {A: {cloud: c}, B: {cloud: c}}")) == (
        "default"
    )
    assert resource_region(None, None) == "default"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("regions:\n  East:\n    region_name: R\n", "r.yaml:3:5: regions.East: missing 'cloud'"),
        (
            "regions:\n  East:\n    cloud: c\n    flavours: {}\n",
            "r.yaml:4:5: regions.East: unknown key 'flavours'",
        ),
        ("regions: {}\nregoins: 1\n", "r.yaml:2:1: region map: unknown key 'regoins'"),
        ("regions:\n  East: [a]\n", "r.yaml:2:9: regions.East: expected a mapping"),
        ("regions:\n  East: {cloud: }\n", "r.yaml:2:17: regions.East.cloud: expected a string"),
        ("regions:\n  East: {cloud: c\n", "r.yaml:3:1: invalid YAML"),
        ("default_region: X\n", "r.yaml:1:1: missing 'regions'"),
        (
            "regions: {E: {cloud: c}}\ndefault_region: W\n",
            "r.yaml:2:17: default_region 'W' is not a region (E)",
        ),
        ("", "r.yaml: the file is empty"),
        ("regions:\n  E: {cloud: c, cloud: d}\n", "r.yaml:2:17: regions.E: duplicate key 'cloud'"),
        ("regions:\n  ? [a]\n  : {cloud: c}\n", "r.yaml:2:5: regions key: expected a string"),
        ("regions:\n  ~: {cloud: c}\n", "r.yaml:2:3: regions key: expected a string"),
    ],
)
def test_errors_name_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_region_map(text, "r.yaml")
    assert expected in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    text = "regions:\n  A: {region_name: x}\n  B: {cloud: c, colour: red}\n"
    with pytest.raises(ConfigError) as info:
        parse_region_map(text, "r.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("r.yaml:2:6: regions.A: missing 'cloud'")
    assert lines[1].startswith("r.yaml:3:17: regions.B: unknown key 'colour'")


def test_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CROSSHEAT_REGION_MAP", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert region_map_path() == tmp_path / "xdg" / "crossheat" / "regions.yaml"
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(tmp_path / "env.yaml"))
    assert region_map_path() == tmp_path / "env.yaml"
    assert region_map_path(tmp_path / "flag.yaml") == tmp_path / "flag.yaml"


def test_home_default_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CROSSHEAT_REGION_MAP", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert region_map_path() == tmp_path / ".config" / "crossheat" / "regions.yaml"


def test_load_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(EXAMPLE)
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))
    rmap = load_region_map()
    assert set(rmap.regions) == {"East", "West"}
    assert rmap.source == str(path)


def test_missing_file_says_where_to_put_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found \(pass --region-map FILE"):
        load_region_map(tmp_path / "nope.yaml")


def test_dump_round_trips_and_saves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CROSSHEAT_REGION_MAP", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    rmap = RegionMap(
        {
            "East": RegionSpec("East", "emu", "East", images={"cirros": "cirros-0.6"}),
            "West": RegionSpec("West", "emu", "West"),
        },
        default_region="East",
    )
    written = rmap.save()
    assert written == tmp_path / "crossheat" / "regions.yaml"
    again = load_region_map()
    assert again.regions == rmap.regions
    assert again.default_region == "East"


def sdk_config(tmp_path: Path) -> OpenStackConfig:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(CLOUDS_YAML)
    return OpenStackConfig(config_files=[str(clouds)], load_envvars=False)


def test_validate_clouds_accepts_known_clouds(tmp_path: Path) -> None:
    assert parse_region_map(EXAMPLE).validate_clouds(sdk_config(tmp_path)) == []


def test_validate_clouds_reports_unknown_cloud_and_region(tmp_path: Path) -> None:
    text = "regions:\n  A: {cloud: nowhere}\n  B: {cloud: onprem, region_name: RegionNine}\n"
    problems = parse_region_map(text).validate_clouds(sdk_config(tmp_path))
    assert len(problems) == 2
    assert problems[0].startswith("region A (cloud 'nowhere'): ")
    assert "nowhere" in problems[0]
    assert "RegionNine is not a valid region name" in problems[1]


def test_validate_clouds_reads_os_client_config_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(CLOUDS_YAML)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    assert parse_region_map(EXAMPLE).validate_clouds() == []
    problems = parse_region_map("regions: {A: {cloud: elsewhere}}").validate_clouds()
    assert problems == ["region A (cloud 'elsewhere'): Cloud elsewhere was not found."]


def test_the_stored_mapping_gives_the_same_map_without_yaml() -> None:
    rmap = parse_region_map(EXAMPLE, "regions.yaml")
    again = RegionMap.from_mapping(rmap.as_dict(), "stack vpn")
    assert again.regions == rmap.regions
    assert (again.default_region, again.source) == ("East", "stack vpn")
    lone = RegionMap.from_mapping({"regions": {"East": {"cloud": "c"}}})
    assert lone.default_region == "East"  # one region: the default, as in a file


def test_a_stored_mapping_is_checked_as_a_file_is() -> None:
    bad = {"regions": {"East": {"region_name": "R1"}, "West": {"cloud": "c", "zone": 1}}}
    with pytest.raises(ConfigError) as caught:
        RegionMap.from_mapping({**bad, "default_region": "North"}, "stack vpn")
    message = str(caught.value)
    assert "regions.East: missing 'cloud'" in message
    assert "unknown key 'zone'" in message
    assert message.startswith("stack vpn")
    with pytest.raises(ConfigError, match="expected a mapping"):
        RegionMap.from_mapping(["East"], "stack vpn")


def test_credentials_are_the_services_unless_a_region_or_the_map_says_caller() -> None:
    plain = parse_region_map(EXAMPLE)
    assert [s.credentials for s in plain.regions.values()] == ["service", "service"]
    text = (
        "credentials: caller\n"
        "regions:\n  East: {cloud: c}\n  West: {cloud: c, credentials: service}\n"
    )
    rmap = parse_region_map(text)
    assert rmap.regions["East"].as_caller
    assert not rmap.regions["West"].as_caller
    stored = rmap.as_dict()  # as a stack keeps it: each region's own
    assert stored["regions"]["East"]["credentials"] == "caller"
    assert "credentials" not in stored["regions"]["West"]
    assert RegionMap.from_mapping(stored).regions == rmap.regions


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "regions:\n  East: {cloud: c, credentials: user}\n",
            "r.yaml:2:33: regions.East.credentials",
        ),
        ("credentials: mine\nregions:\n  East: {cloud: c}\n", "r.yaml:1:14: credentials"),
    ],
)
def test_a_wrong_credentials_value_says_where_and_what_to_write(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_region_map(text, "r.yaml")
    message = str(info.value)
    assert message.startswith(where)
    assert "is not one of service, caller" in message
    assert "'caller' to act with the API caller's Keystone token" in message
