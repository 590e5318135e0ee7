"""`crossheat split`, then the pieces deployed one by one as single-region stacks.

What a user without crossheat's multi-region engine would do with a region's
own Heat: run the pieces in the manifest's order, each in its region, and copy
the outputs the manifest names into the next pieces' parameters. The result
must match a direct deployment: the same resources in each region, and both
tunnels ACTIVE.
"""

from __future__ import annotations

import time
from collections import Counter
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

REGIONS = ("East", "West")


def _region_map(world: World, default: str) -> Path:
    """A region map for the emulator whose resources without ``region:`` go to ``default``."""
    path = world.tmp / f"regions-{default}.yaml"
    regions = {name: {"cloud": "emulator", "region_name": name} for name in REGIONS}
    path.write_text(yaml.safe_dump({"regions": regions, "default_region": default}))
    return path


def _deploy(
    world: World, piece: dict[str, Any], pieces: Path, outputs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Create the piece's stack with its user parameters and the outputs it takes as inputs.

    ``outputs`` caches, per earlier piece, what ``crossheat stack output show`` gave.
    """
    params = [f"vpn_psk={PSK}"] if "vpn_psk" in piece["user_parameters"] else []
    for wire in piece["inputs"]:
        if wire["from"] not in outputs:
            outputs[wire["from"]] = _outputs(world, wire["from"])
        params.append(f"{wire['parameter']}={outputs[wire['from']][wire['output']]}")
    args = [arg for p in params for arg in ("--parameter", p)]
    return world.json(  # type: ignore[no-any-return]
        "stack", "create", _stack(piece), "-t", str(pieces / piece["file"]), *args,
        "--region-map", str(_region_map(world, piece["region"])), "--wait",
    )  # fmt: skip


def _stack(piece: dict[str, Any] | str) -> str:
    """``piece-02`` for piece ``02-West``."""
    name = piece if isinstance(piece, str) else piece["name"]
    return f"piece-{name[:2]}"


def _outputs(world: World, piece: str) -> dict[str, Any]:
    """Every output of the stack of ``piece``, as ``crossheat stack output show`` gives it."""
    shown = world.json("stack", "output", "show", _stack(piece), "--all")
    return {key: o["output_value"] for key, o in shown.items()}


def _topology(world: World) -> dict[str, Counter[str]]:
    """Region -> how many of each kind of cloud resource exist there."""
    return {
        region: Counter({kind: len(names) for kind, names in world.leftovers(region).items()})
        for region in REGIONS
    }


def _tunnels(world: World, timeout: float = 10.0) -> dict[str, list[str]]:
    """Region -> its IPsec connections' statuses, once all are ACTIVE or ``timeout`` has passed.

    The last piece's connection counts as created as soon as it exists (its far
    end is in another stack), so its tunnel may take a moment to come up.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = {
            region: [c["status"] for c in world.admin.resources(region)["ipsec_site_connections"]]
            for region in REGIONS
        }
        done = all(s == "ACTIVE" for statuses in found.values() for s in statuses)
        if done or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _stacks_seen(world: World) -> dict[str, set[str]]:
    """Region -> the piece stacks that made the cloud objects there (named ``STACK-RESOURCE``)."""
    return {
        region: {
            name[: len("piece-NN")]
            for names in world.leftovers(region).values()
            for name in names
            if name.startswith("piece-")
        }
        for region in REGIONS
    }


def _split(world: World) -> tuple[Path, list[dict[str, Any]]]:
    out = world.tmp / "pieces"
    split = ["split", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "-o", str(out)]
    world.crossheat(*split, "--objective", "pieces")
    manifest = yaml.safe_load((out / "manifest.yaml").read_text())
    return out, manifest["pieces"]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_split_pieces_deployed_one_by_one_match_a_direct_deployment(world: World) -> None:
    start_emulator(world)
    out, pieces = _split(world)
    assert [(p["name"], p["after"]) for p in pieces] == [
        ("01-East", []),
        ("02-West", ["01-East"]),
        ("03-East", ["01-East", "02-West"]),
    ]

    outputs: dict[str, dict[str, Any]] = {}
    for piece in pieces:
        stack = _deploy(world, piece, out, outputs)
        assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
        assert stack["regions"] == [piece["region"]]  # not every region of its map

    assert _tunnels(world) == {"East": ["ACTIVE"], "West": ["ACTIVE"]}
    east, west = outputs["01-East"], outputs["02-West"]
    assert ip_address(east["east_server_ip"]) in ip_network("10.1.0.0/24")
    assert ip_address(west["west_server_ip"]) in ip_network("10.2.0.0/24")
    assert _stacks_seen(world) == {"East": {"piece-01", "piece-03"}, "West": {"piece-02"}}
    split_topology = _topology(world)

    for piece in reversed(pieces):
        world.crossheat("stack", "delete", _stack(piece), "--wait", "--yes")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}

    world.crossheat(
        "stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "--wait"
    )
    assert _topology(world) == split_topology
    world.crossheat("stack", "delete", "vpn", "--wait", "--yes")
