"""`crossheat validate` and `crossheat plan` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "east-west-vpn.yaml"
PSK = "vpn_psk=0123456789abcdef-psk"


def crossheat(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("CROSSHEAT_REGION_MAP", None)
    return subprocess.run(
        [sys.executable, "-m", "crossheat", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_version_and_help(tmp_path: Path) -> None:
    assert crossheat("--version", home=tmp_path).stdout.startswith("crossheat ")
    for command in (
        ["validate"],
        ["plan"],
        ["stack"],
        ["stack", "create"],
        ["emulator"],
        ["emulator", "serve"],
        ["stack", "event", "list"],
    ):
        done = crossheat(*command, "--help", home=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Usage" in done.stdout


def test_validate_reference_reports_regions_and_cross_region_references(tmp_path: Path) -> None:
    done = crossheat("validate", "-t", str(REFERENCE), "--parameter", PSK, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    summary = json.loads(
        crossheat(
            "validate", "-t", str(REFERENCE), "--parameter", PSK, "--format", "json", home=tmp_path
        ).stdout
    )
    assert summary["valid"] is True
    assert summary["resources"] == {"East": 9, "West": 9}
    refs = {(r["from"], r["to"]) for r in summary["cross_region_references"]}
    assert refs == {("east_to_west", "west_router"), ("west_to_east", "east_router")}


def test_validate_overlap_exits_1_with_file_line_and_path(tmp_path: Path) -> None:
    done = crossheat(
        "validate",
        "-t",
        str(REFERENCE),
        "--parameter",
        PSK,
        "--parameter",
        "west_cidr=10.1.0.0/24",
        home=tmp_path,
    )
    assert done.returncode == 1
    assert f"{REFERENCE}:112:7: error: resources.west_subnet.properties.cidr:" in done.stderr
    assert "east_subnet" in done.stderr and "west_subnet" in done.stderr


def test_validate_missing_parameter_says_what_to_do(tmp_path: Path) -> None:
    done = crossheat("validate", "-t", str(REFERENCE), home=tmp_path)
    assert done.returncode == 1
    assert "vpn_psk" in done.stderr and "--parameter" in done.stderr


def test_wrong_function_for_version_names_the_version(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "heat_template_version: 2016-10-14\nresources:\n  v:\n"
        "    type: OS::Heat::Value\n"
        "    properties: {value: {list_concat: [[1], [2]]}}\n"
    )
    done = crossheat("validate", "-t", str(template), home=tmp_path)
    assert done.returncode == 1
    assert f"{template}:5:26" in done.stderr
    assert "2017-09-01" in done.stderr


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_plan_machine_readable(tmp_path: Path, fmt: str) -> None:
    done = crossheat(
        "plan", "-t", str(REFERENCE), "--parameter", PSK, "--format", fmt, home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "critical_path" in done.stdout and "pieces" in done.stdout


def test_plan_table_shows_regions_and_critical_path(tmp_path: Path) -> None:
    done = crossheat("plan", "-t", str(REFERENCE), "--parameter", PSK, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "region East: 9 resources" in done.stdout
    assert "critical path" in done.stdout


def test_plan_json_lists_the_pieces_in_their_waves(tmp_path: Path) -> None:
    done = crossheat("plan", "-t", str(REFERENCE), "--parameter", PSK, "-f", "json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    pieces = json.loads(done.stdout)["pieces"]
    assert [(p["name"], p["wave"], p["start_with"]) for p in pieces] == [
        ("01-East", 1, []), ("02-West", 1, []),
        ("03-East", 2, ["04-West"]), ("04-West", 2, ["03-East"]),
    ]  # fmt: skip
