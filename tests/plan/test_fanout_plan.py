"""Plan, split and the tunnel checks of validate on a template written once for many regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossheat.plan.pipeline import analyse
from crossheat.plan.split.templates import problem_of, split_analysis
from crossheat.resources.registry import Registry, default_registry

MESH = Path(__file__).resolve().parents[2] / "examples" / "mesh.yaml"
PSK = "0123456789abcdef-psk"
CIDRS = {"OnPrem": "10.1.0.0/24", "East": "10.2.0.0/24", "West": "10.3.0.0/24"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def test_every_pair_of_sites_is_one_tunnel_and_splits_into_two_waves(registry: Registry) -> None:
    analysis = analyse(MESH, parameters={"psk": PSK, "sites": "OnPrem,East,West,North"},
                       registry=registry)  # fmt: skip
    assert analysis.ok, [str(d) for d in analysis.errors]
    assert analysis.warnings == []
    pairs = sorted(problem_of(analysis).pairs)
    assert len(pairs) == 6
    assert ("tunnel[East->West]", "tunnel[West->East]") in pairs
    assert all(b == f"tunnel[{a[7:-1].split('->')[1]}->{a[7:-1].split('->')[0]}]"
               for a, b in pairs)  # fmt: skip
    assert analysis.regions["tunnel[North->OnPrem]"] == "North"
    assert analysis.properties["subnet[North]"]["cidr"] == "10.4.0.0/24"
    assert analysis.properties["tunnel[North->OnPrem]"]["peer_cidrs"] == ["10.1.0.0/24"]
    result, pieces = split_analysis(analysis)
    assert result.optimal and len(pieces) == 8
    assert sorted((p.region, p.wave) for p in pieces) == sorted(
        (region, wave) for region in ("OnPrem", "East", "West", "North") for wave in (1, 2)
    )
    second = {r for p in pieces if p.wave == 2 for r in p.resources}
    assert second == {f"tunnel[{a}->{b}]" for a, b in (pair.split("->") for pair in [
        "OnPrem->East", "OnPrem->West", "OnPrem->North", "East->OnPrem", "East->West",
        "East->North", "West->OnPrem", "West->East", "West->North", "North->OnPrem",
        "North->East", "North->West"])}  # fmt: skip


def test_overlapping_site_cidrs_are_named_by_copy_at_the_definitions_line(
    registry: Registry,
) -> None:
    cidrs = {**CIDRS, "West": "10.2.0.128/25"}
    analysis = analyse(MESH, parameters={"psk": PSK, "site_cidrs": json.dumps(cidrs)},
                       registry=registry)  # fmt: skip
    [error] = analysis.errors
    assert error.code == "vpn-overlap"
    assert "subnet[East] (10.2.0.0/24, region East)" in error.message
    assert "subnet[West] (10.2.0.128/25, region West)" in error.message
    assert "tunnel[East->West] and tunnel[West->East]" in error.message
    assert error.location is not None and error.location.file == str(MESH)
    lines = MESH.read_text().splitlines()
    assert lines[error.location.line - 1].strip().startswith("cidr:")


def test_a_site_missing_from_the_cidr_map_is_an_error_of_its_copy(registry: Registry) -> None:
    analysis = analyse(MESH, parameters={"psk": PSK, "sites": "OnPrem,East,Atlantis"},
                       registry=registry)  # fmt: skip
    paths = {e.path[:2] for e in analysis.errors}
    assert ("resources", "subnet[Atlantis]") in paths
    assert all("Atlantis" in e.path[1] for e in analysis.errors)
