"""``crossheat emulator serve|start|stop|status``: processes, config files, persistent state."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
import yaml
from typer.testing import CliRunner

from crossheat.cli.emulator import app
from crossheat.emulator.config_files import Settings, write_clouds_yaml, write_region_map
from crossheat.errors import ConfigError

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config and state directories of their own; every emulator started is stopped.

    openstacksdk reads ``XDG_CONFIG_HOME`` once, at import, so clouds.yaml is named.
    """
    for name in ("CROSSHEAT_REGION_MAP", "CROSSHEAT_EMULATOR_DIR"):
        monkeypatch.delenv(name, raising=False)
    clouds_file = tmp_path / "config/openstack/clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_file))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    yield tmp_path
    runner.invoke(app, ["stop"])


def clouds(home: Path) -> dict[str, Any]:
    data = yaml.safe_load((home / "config/openstack/clouds.yaml").read_text())
    entries: dict[str, Any] = data["clouds"]
    return entries


def public_cidr(cloud: str) -> str:
    conn = openstack.connect(cloud=cloud, region_name="East")
    [subnet] = conn.network.subnets(name="public-subnet")
    return str(subnet.cidr)


def test_start_status_stop_and_state_survives_restart(home: Path) -> None:
    clouds_file = home / "config/openstack/clouds.yaml"
    write_clouds_yaml(clouds_file, "onprem", "http://192.0.2.1:5000", ["RegionOne"])
    state = str(home / "cloud.sqlite")
    started = runner.invoke(app, ["start", "--state", state, "--regions", "East,West"])
    assert started.exit_code == 0, started.output
    assert "http://127.0.0.1:" in started.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "East, West" in status.output
    assert set(clouds(home)) == {"onprem", "onprem-demo", "emulator", "emulator-demo"}
    region_map = yaml.safe_load((home / "config/crossheat/regions.yaml").read_text())
    assert region_map["regions"]["West"] == {"cloud": "emulator", "region_name": "West"}
    conn = openstack.connect(cloud="emulator", region_name="West")
    conn.network.create_network(name="kept")
    assert runner.invoke(app, ["stop"]).exit_code == 0
    assert runner.invoke(app, ["status"]).exit_code == 1
    assert runner.invoke(app, ["start", "--state", state]).exit_code == 0
    conn = openstack.connect(cloud="emulator", region_name="West")
    assert {n.name for n in conn.network.networks()} == {"public", "kept"}


def test_two_emulators_are_two_clouds(home: Path) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["start", "--state", ":memory:"])
        assert result.exit_code == 0, result.output
    entries = clouds(home)
    assert entries["emulator"]["auth"]["auth_url"] != entries["emulator1"]["auth"]["auth_url"]
    assert public_cidr("emulator") != public_cidr("emulator1")
    assert runner.invoke(app, ["stop"]).output.count("stopped") == 2


def test_serve_in_the_foreground_on_a_free_port(home: Path) -> None:
    cmd = [sys.executable, "-m", "crossheat.cli.emulator", "serve", "--state", ":memory:"]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split("listening on ")[1].split()[0]
        assert int(url.rsplit(":", 1)[1]) > 0
        assert httpx.get(f"{url}/identity/v3").status_code == 200
        assert len(list((home / "state/crossheat/emulators").glob("*.json"))) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert list((home / "state/crossheat/emulators").glob("*.json")) == []


def test_start_on_a_busy_port_fails_clearly(home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["start", "--port", str(port), "--state", ":memory:"])
    assert result.exit_code == 1
    assert "exited" in result.output


def test_bad_options_are_refused(home: Path) -> None:
    assert runner.invoke(app, ["serve", "--latency", "server"]).exit_code == 2
    assert runner.invoke(app, ["serve", "--faults", "meteor=1"]).exit_code == 2
    assert runner.invoke(app, ["stop"]).exit_code == 1


def test_settings_follow_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE")
    settings = Settings.from_environment()
    assert settings.clouds_file == home / "config/openstack/clouds.yaml"
    assert settings.regions_file == home / "config/crossheat/regions.yaml"
    assert settings.run_dir == home / "state/crossheat/emulators"


def test_an_existing_region_map_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text("regions: {East: {cloud: mine}}\n")
    assert write_region_map(path, "emulator", ["East", "West"]) is False
    assert path.read_text() == "regions: {East: {cloud: mine}}\n"


def test_a_broken_clouds_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        write_clouds_yaml(path, "emulator", "http://127.0.0.1:1", ["East"])
    assert os.path.getsize(path) > 0
