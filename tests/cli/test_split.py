"""`crossheat split` as a user runs it: the summary, the files, and pieces that validate alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "east-west-vpn.yaml"
PSK = "vpn_psk=0123456789abcdef-psk"
#: A stand-in for a value another piece's stack would output.
GATEWAY = "203.0.113.7"


def crossheat(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``crossheat ARGS`` as a process, with private config and data directories."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "PYTHONWARNINGS": "ignore"}  # fmt: skip
    env.pop("CROSSHEAT_REGION_MAP", None)
    return subprocess.run([sys.executable, "-m", "crossheat", *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip


Split = tuple[subprocess.CompletedProcess[str], Path]


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Split]:
    """``crossheat split`` of the reference, once per objective: its result and directory."""
    done: dict[str, Split] = {}

    def run(objective: str) -> Split:
        if objective not in done:
            home = tmp_path_factory.mktemp(f"split-{objective}")
            out = home / "pieces"
            done[objective] = crossheat("split", "-t", str(REFERENCE), "--parameter", PSK,
                                        "-o", str(out), "--objective", objective,
                                        home=home), out  # fmt: skip
        return done[objective]

    return run


def _region_map(tmp_path: Path, default: str) -> Path:
    """A region map whose resources without ``region:`` go to ``default``; no cloud is reached."""
    path = tmp_path / f"regions-{default}.yaml"
    regions = {name: {"cloud": "onprem", "region_name": name} for name in ("East", "West")}
    path.write_text(yaml.safe_dump({"regions": regions, "default_region": default}))
    return path


def _validate(tmp_path: Path, out: Path, piece: dict[str, Any], wired: bool = True,
              ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``crossheat validate`` on one piece, with its inputs given as parameters when ``wired``."""
    args = ["--parameter", PSK] if "vpn_psk" in piece["user_parameters"] else []
    for wire in piece["inputs"] if wired else []:
        value = GATEWAY if wire["type"] == "string" else "{}"
        args += ["--parameter", f"{wire['parameter']}={value}"]
    args += ["--region-map", str(_region_map(tmp_path, piece["region"]))]
    return crossheat("validate", "-t", str(out / piece["file"]), *args, "--format", "json",
                     home=tmp_path)  # fmt: skip


@pytest.mark.parametrize(("objective", "sizes"), [("pieces", (8, 8, 1, 1)), ("time", (5, 5, 4, 4))])
def test_split_writes_pieces_that_validate_as_single_region_templates(
    tmp_path: Path, split: Callable[[str], Split], objective: str, sizes: tuple[int, ...]
) -> None:
    done, out = split(objective)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.match(rf"4 pieces in 2 waves \(lower bound 4, proven optimal; objective "
                    rf"{objective},", lines[0]), lines[0]  # fmt: skip
    east, west = f"{out / '03-East.yaml'}", f"{out / '04-West.yaml'}"
    assert lines[1:5] == [
        f"  wave 1: {out / '01-East.yaml'}: {sizes[0]} resources in East",
        f"  wave 1: {out / '02-West.yaml'}: {sizes[1]} resources in West",
        f"  wave 2: {east}: {_resources(sizes[2])} in East after 01-East, 02-West; "
        "start with 04-West",
        f"  wave 2: {west}: {_resources(sizes[3])} in West after 01-East, 02-West; "
        "start with 03-East",
    ]
    assert lines[5] == f"  {out / 'manifest.yaml'}"
    assert lines[6].startswith("Deploy wave by wave; start the pieces of a wave together")

    manifest = yaml.safe_load((out / "manifest.yaml").read_text())
    pieces = manifest["pieces"]
    assert [p["file"] for p in pieces] == sorted(p.name for p in out.glob("0*.yaml"))
    assert pieces[0]["file"].startswith("01-")
    assert sorted(n for p in pieces for n in p["resources"]) == sorted(_reference()["resources"])
    carried = {name: p["file"] for p in pieces for name in p["outputs"]}
    assert set(carried) == set(_reference()["outputs"]) - {"tunnel_status"}  # spans pieces
    for name, file in carried.items():
        assert name in yaml.safe_load((out / file).read_text())["outputs"]
    secret = PSK.partition("=")[2]
    assert not [f.name for f in out.iterdir() if secret in f.read_text()]  # hidden stays out

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: _validate(tmp_path, out, p), pieces))
    for piece, checked in zip(pieces, results, strict=True):
        assert checked.returncode == 0, checked.stderr
        report = json.loads(checked.stdout)
        assert report["resources"] == {piece["region"]: len(piece["resources"])}
        assert report["cross_region_references"] == []


def test_a_piece_without_its_wired_inputs_names_the_missing_parameters(
    tmp_path: Path, split: Callable[[str], Split]
) -> None:
    _, out = split("pieces")
    pieces = yaml.safe_load((out / "manifest.yaml").read_text())["pieces"]
    consumer = pieces[-1]
    assert consumer["inputs"]
    checked = _validate(tmp_path, out, consumer, wired=False)
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert report["valid"] is False
    missing = {d["path"] for d in report["diagnostics"] if "no value" in d["message"]}
    assert missing == {f"parameters.{w['parameter']}" for w in consumer["inputs"]}


def test_split_without_a_required_parameter_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "pieces"
    done = crossheat("split", "-t", str(REFERENCE), "-o", str(out), home=tmp_path)
    assert done.returncode == 1
    assert "vpn_psk" in done.stderr and "--parameter" in done.stderr
    assert not out.exists()


def _resources(count: int) -> str:
    return "1 resource" if count == 1 else f"{count} resources"


def _reference() -> dict[str, Any]:
    return yaml.safe_load(REFERENCE.read_text())  # type: ignore[no-any-return]
