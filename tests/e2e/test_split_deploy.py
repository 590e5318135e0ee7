"""`crossheat split`, then the pieces deployed wave by wave as single-region stacks.

What a user without crossheat's multi-region engine would do with each
region's own Heat: deploy the manifest's waves in order, starting the pieces
of a wave at the same time, each in its region, and copy the outputs the
manifest names into the next pieces' parameters. Each piece is a crossheat
stack of one region, which creates an IPsec connection whose peer is outside
the stack as Heat does: complete only once ACTIVE, failed when it reads DOWN.
So a piece completes only if its tunnels come up, as with stock Heat.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_address, ip_network
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest
import yaml

from crossheat.plan.pipeline import analyse
from crossheat.plan.split import SplitProblem, check_split, split
from crossheat.plan.split.templates import build_pieces, problem_of, write
from crossheat.resources.registry import default_registry
from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.plan.split_cases import mesh_template

#: The emulator gives a connection this long to see its peer; the two processes that
#: start the pieces of a wave begin within a second or two of each other.
PEER_TIMEOUT = "vpn_peer_timeout=20"
MESH = {"East": "10.1.0.0/24", "North": "10.3.0.0/24", "West": "10.2.0.0/24"}


def _region_map(world: World, regions: list[str], default: str) -> Path:
    """A region map for the emulator whose resources without ``region:`` go to ``default``."""
    path = world.tmp / f"regions-{default}.yaml"
    entries = {name: {"cloud": "emulator", "region_name": name} for name in regions}
    path.write_text(yaml.safe_dump({"regions": entries, "default_region": default}))
    return path


def _stack(piece: dict[str, Any] | str) -> str:
    """``piece-02`` for piece ``02-West``."""
    name = piece if isinstance(piece, str) else piece["name"]
    return f"piece-{name[:2]}"


def _create(
    world: World, piece: dict[str, Any], pieces: Path, regions: list[str], *extra: str
) -> dict[str, Any]:
    """Create the piece's stack with its user parameters and the outputs it takes as
    inputs; the stack as ``crossheat stack show`` gives it then."""
    params = [f"vpn_psk={PSK}"] if "vpn_psk" in piece["user_parameters"] else []
    for wire in piece["inputs"]:
        outputs = _outputs(world, wire["from"])
        params.append(f"{wire['parameter']}={outputs[wire['output']]}")
    args = [arg for p in params for arg in ("--parameter", p)]
    region_map = _region_map(world, regions, piece["region"])
    world.crossheat(
        "stack", "create", _stack(piece), "-t", str(pieces / piece["file"]), *args,
        "--region-map", str(region_map), "--wait", *extra, check=not extra,
    )  # fmt: skip
    return world.json("stack", "show", _stack(piece))  # type: ignore[no-any-return]


def _outputs(world: World, piece: str) -> dict[str, Any]:
    """Every output of the stack of ``piece``, as ``crossheat stack output show`` gives it."""
    shown = world.json("stack", "output", "show", _stack(piece), "--all")
    return {key: o["output_value"] for key, o in shown.items()}


def _deploy_by_waves(
    world: World, pieces: list[dict[str, Any]], out: Path, regions: list[str]
) -> list[dict[str, Any]]:
    """Each wave's pieces created at the same time (one process each), wave after wave."""
    stacks = []
    for _, wave in groupby(pieces, key=lambda p: p["wave"]):
        members = list(wave)
        with ThreadPoolExecutor(max_workers=len(members)) as pool:
            stacks += list(pool.map(lambda p: _create(world, p, out, regions), members))
    return stacks


def _tunnels(world: World, regions: list[str]) -> dict[str, list[str]]:
    """Region -> its IPsec connections' statuses, as they are now."""
    return {
        region: sorted(c["status"] for c in world.admin.resources(region)["ipsec_site_connections"])
        for region in regions
    }


def _topology(world: World, regions: list[str]) -> dict[str, Counter[str]]:
    """Region -> how many of each kind of cloud resource exist there."""
    return {
        region: Counter({kind: len(names) for kind, names in world.leftovers(region).items()})
        for region in regions
    }


def _split(world: World, template: Path, *args: str) -> tuple[Path, list[dict[str, Any]]]:
    out = world.tmp / "pieces"
    command = ["split", "-t", str(template), "--parameter", f"vpn_psk={PSK}", "-o", str(out)]
    world.crossheat(*command, *args)
    manifest = yaml.safe_load((out / "manifest.yaml").read_text())
    return out, manifest["pieces"]


def _delete(world: World, pieces: list[dict[str, Any]], regions: list[str]) -> None:
    for piece in reversed(pieces):
        world.crossheat("stack", "delete", _stack(piece), "--wait", "--yes")
    for region in regions:
        assert world.leftovers(region) == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_reference_split_deployed_wave_by_wave_matches_a_direct_deployment(world: World) -> None:
    regions = ["East", "West"]
    start_emulator(world, latency=f"default=0.02,server=0.1,{PEER_TIMEOUT}")
    out, pieces = _split(world, REFERENCE)
    assert [(p["name"], p["wave"], p["start_with"], p["after"]) for p in pieces] == [
        ("01-East", 1, [], []),
        ("02-West", 1, [], []),
        ("03-East", 2, ["04-West"], ["01-East", "02-West"]),
        ("04-West", 2, ["03-East"], ["01-East", "02-West"]),
    ]

    stacks = _deploy_by_waves(world, pieces, out, regions)
    for piece, stack in zip(pieces, stacks, strict=True):
        assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
        assert stack["regions"] == [piece["region"]]
    # complete means ACTIVE: no waiting here
    assert _tunnels(world, regions) == {"East": ["ACTIVE"], "West": ["ACTIVE"]}
    east, west = _outputs(world, "01-East"), _outputs(world, "02-West")
    assert ip_address(east["east_server_ip"]) in ip_network("10.1.0.0/24")
    assert ip_address(west["west_server_ip"]) in ip_network("10.2.0.0/24")
    split_topology = _topology(world, regions)
    _delete(world, pieces, regions)

    world.crossheat(
        "stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "--wait"
    )
    assert _topology(world, regions) == split_topology
    world.crossheat("stack", "delete", "vpn", "--wait", "--yes")


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_three_region_mesh_split_deployed_wave_by_wave_brings_every_tunnel_up(
    world: World,
) -> None:
    regions = sorted(MESH)
    start_emulator(world, latency=f"default=0.02,{PEER_TIMEOUT}", regions=",".join(regions))
    template = world.tmp / "mesh.yaml"
    template.write_text(yaml.safe_dump(mesh_template(MESH), sort_keys=False))
    out, pieces = _split(world, template)
    assert [(p["region"], p["wave"], len(p["start_with"])) for p in pieces] == [
        ("East", 1, 0), ("North", 1, 0), ("West", 1, 0),
        ("East", 2, 2), ("North", 2, 2), ("West", 2, 2),
    ]  # fmt: skip

    stacks = _deploy_by_waves(world, pieces, out, regions)
    assert [s["stack_status"] for s in stacks] == ["CREATE_COMPLETE"] * 6, [
        s["stack_status_reason"] for s in stacks
    ]
    assert _tunnels(world, regions) == {region: ["ACTIVE", "ACTIVE"] for region in regions}
    _delete(world, pieces, regions)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_split_that_breaks_heats_rule_is_refused_and_fails_like_heat(world: World) -> None:
    """The old 3-piece split: West's connection is created before its peer exists, so it
    reads DOWN, and the piece fails as stock Heat's would (``Unknown status DOWN``)."""
    start_emulator(world, latency="default=0.02,server=0.1,vpn_peer_timeout=1")
    analysis = analyse(REFERENCE, parameters={"vpn_psk": PSK}, registry=default_registry())
    problem = problem_of(analysis)
    relaxed = split(SplitProblem(problem.nodes, problem.edges, problem.durations))
    assert len(relaxed.pieces) == 3
    (refused,) = check_split(problem, relaxed)
    assert "are not started together" in refused
    out = world.tmp / "old-pieces"
    write(out, relaxed, build_pieces(analysis, relaxed), str(REFERENCE))
    pieces = yaml.safe_load((out / "manifest.yaml").read_text())["pieces"]
    lone = [p for p in pieces[:2] if any("_to_" in r for r in p["resources"])]
    first = [p for p in pieces[:2] if p not in lone]
    assert len(lone) == 1 and len(first) == 1

    assert _create(world, first[0], out, ["East", "West"])["stack_status"] == "CREATE_COMPLETE"
    failed = _create(world, lone[0], out, ["East", "West"], "--disable-rollback")
    assert failed["stack_status"] == "CREATE_FAILED"
    reason = failed["stack_status_reason"]
    assert "IPsecSiteConnection creation failed - Unknown status DOWN" in reason, reason
    _delete(world, [first[0], lone[0]], ["East", "West"])
