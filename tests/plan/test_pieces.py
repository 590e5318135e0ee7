"""`crossheat split`: pieces stock Heat accepts, a manifest, and the counts the issue asks for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crossheat.plan.pipeline import analyse
from crossheat.plan.split.templates import problem_of, split_analysis, write
from crossheat.resources.registry import Registry, default_registry
from tests.plan.split_cases import mesh_template

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "east-west-vpn.yaml"
PSK = "0123456789abcdef-psk"
HOT_SECTIONS = {
    "heat_template_version",
    "description",
    "parameter_groups",
    "parameters",
    "resources",
    "outputs",
    "conditions",
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


@pytest.mark.parametrize("objective", ["pieces", "time"])
def test_reference_splits_into_4_valid_single_region_pieces_in_2_waves(
    tmp_path: Path, registry: Registry, objective: str
) -> None:
    analysis = analyse(REFERENCE, parameters={"vpn_psk": PSK}, registry=registry)
    result, pieces = split_analysis(analysis, objective)  # type: ignore[arg-type]
    assert len(pieces) == 4
    assert result.optimal and result.lower_bound == 4
    assert [(p.name, p.wave, p.start_with) for p in pieces] == [
        ("01-East", 1, []), ("02-West", 1, []),
        ("03-East", 2, ["04-West"]), ("04-West", 2, ["03-East"]),
    ]  # fmt: skip
    assert {"east_to_west", "west_to_east"} == {
        r for p in pieces[2:] for r in p.resources if r.endswith(("_to_west", "_to_east"))
    }
    manifest_path = write(tmp_path, result, pieces, str(REFERENCE))
    manifest = yaml.safe_load(manifest_path.read_text())
    assert [p["name"] for p in manifest["pieces"]] == [p.name for p in pieces]
    assert manifest["waves"] == 2
    assert [(p["wave"], p["start_with"]) for p in manifest["pieces"]] == [
        (1, []), (1, []), (2, ["04-West"]), (2, ["03-East"]),
    ]  # fmt: skip
    seen: set[str] = set()
    for entry in manifest["pieces"]:
        assert set(entry["after"]) <= seen  # pieces come in an order that can be deployed
        seen.add(entry["name"])
        text = (tmp_path / entry["file"]).read_text()
        data = yaml.safe_load(text)
        assert set(data) <= HOT_SECTIONS
        assert all("region" not in r for r in data["resources"].values())
        for wire in entry["inputs"]:
            assert wire["from"] in entry["after"]
            source = yaml.safe_load((tmp_path / f"{wire['from']}.yaml").read_text())
            assert wire["output"] in source["outputs"]
        given = {"vpn_psk": PSK} if "vpn_psk" in entry["user_parameters"] else {}
        given |= {
            w["parameter"]: ("203.0.113.7" if w["type"] == "string" else "{}")
            for w in entry["inputs"]
        }
        piece = analyse(tmp_path / entry["file"], parameters=given, registry=registry)
        assert piece.ok, piece.errors
        assert piece.region_names == ["default"]  # single region: no region keys left


def test_three_region_mesh_template_is_valid_and_splits_into_two_waves(
    tmp_path: Path, registry: Registry
) -> None:
    """Each router carries two connections: each pairs with the one that points back."""
    cidrs = {"East": "10.1.0.0/24", "North": "10.3.0.0/24", "West": "10.2.0.0/24"}
    template = tmp_path / "mesh.yaml"
    template.write_text(yaml.safe_dump(mesh_template(cidrs)))
    analysis = analyse(template, parameters={"vpn_psk": PSK}, registry=registry)
    assert analysis.ok, [d.message for d in analysis.errors]
    assert sorted(problem_of(analysis).pairs) == [
        ("east_to_north", "north_to_east"),
        ("east_to_west", "west_to_east"),
        ("north_to_west", "west_to_north"),
    ]
    result, pieces = split_analysis(analysis)
    assert result.optimal and len(pieces) == 6
    assert [(p.region, p.wave, len(p.start_with)) for p in pieces] == [
        ("East", 1, 0), ("North", 1, 0), ("West", 1, 0),
        ("East", 2, 2), ("North", 2, 2), ("West", 2, 2),
    ]  # fmt: skip
