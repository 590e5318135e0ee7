"""The reference case through ``crossheat serve``: ``crossheat --url`` creates, reads,
updates and deletes it as the local engine does, and prints what the local commands print
of the same stack (the server and the local commands share the state database)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

READS = (
    ("stack", "list"),
    ("stack", "show", "vpn", "-f", "json"),
    ("stack", "output", "list", "vpn"),
    ("stack", "output", "show", "vpn", "tunnel_status", "-f", "json"),
    ("stack", "resource", "list", "vpn"),
    ("stack", "resource", "show", "vpn", "west_to_east", "-f", "json"),
    ("stack", "event", "list", "vpn"),
)


def _outputs(shown: dict[str, Any]) -> dict[str, Any]:
    return {o["output_key"]: o["output_value"] for o in shown["outputs"]}


def _same_reads(world: World, remote: dict[str, str]) -> None:
    for args in READS:
        local = world.crossheat(*args)
        through = world.run_with_env(remote, *args)
        assert (through.returncode, through.stdout) == (0, local.stdout), (args, through.stderr)


def _run(world: World, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = world.run_with_env(env, *args)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_the_reference_case_through_a_server(world: World) -> None:
    start_emulator(world)
    with serving(world, "--auth", "none") as server:
        remote = {**world.env, "CROSSHEAT_URL": server.url}
        created = _run(world, remote, "stack", "create", "vpn", "-t", str(REFERENCE),
                       "--parameter", f"vpn_psk={PSK}", "--wait", "-f", "json")  # fmt: skip
        shown = json.loads(created.stdout)
        assert shown["stack_status"] == "CREATE_COMPLETE", shown["stack_status_reason"]
        assert shown["regions"] == ["East", "West"]
        assert _outputs(shown)["tunnel_status"] == {
            "east_to_west": "ACTIVE",
            "west_to_east": "ACTIVE",
        }
        assert created.stdout == world.crossheat("stack", "show", "vpn", "-f", "json").stdout
        assert "vpn CREATE_COMPLETE Stack CREATE completed successfully" in created.stderr
        _same_reads(world, remote)

        updated = _run(world, remote, "stack", "update", "vpn", "--existing", "--parameter",
                       "west_cidr=10.3.0.0/24", "--wait", "-f", "json")  # fmt: skip
        shown = json.loads(updated.stdout)
        assert shown["stack_status"] == "UPDATE_COMPLETE", shown["stack_status_reason"]
        assert shown["parameters"]["west_cidr"] == "10.3.0.0/24"
        assert _outputs(shown)["tunnel_status"] == {
            "east_to_west": "ACTIVE",
            "west_to_east": "ACTIVE",
        }
        _same_reads(world, remote)

        deleted = _run(world, remote, "stack", "delete", "vpn", "--wait", "--yes")
        assert deleted.stdout == "stack vpn: DELETE_COMPLETE Stack DELETE completed successfully\n"
        missing = world.run_with_env(remote, "stack", "show", "vpn")
        assert (missing.returncode, missing.stderr) == (1, "error: stack 'vpn' not found\n")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
