"""The reference case through ``crossheat serve``: ``crossheat --url`` creates, reads,
updates and deletes it as the local engine does, and prints what the local commands print
of the same stack (the server and the local commands share the state database)."""

from __future__ import annotations

import difflib
import json
import subprocess
from typing import Any

import pytest

from tests.cli.test_remote import aligned
from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

READS = (
    ("stack", "list", "-f", "json"),
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
        through = world.run_with_env(remote, *args)
        local, printed = aligned(world.crossheat(*args).stdout, through.stdout)
        assert through.returncode == 0, (args, through.stderr)
        assert printed == local, "\n".join(
            difflib.unified_diff(local.splitlines(), printed.splitlines(), lineterm="")
        )


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
        local = world.crossheat("stack", "show", "vpn", "-f", "json").stdout
        local, printed = aligned(local, created.stdout)
        assert printed == local
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
        assert deleted.stdout.startswith("stack vpn: DELETE_COMPLETE Stack DELETE completed")
        missing = world.run_with_env(remote, "stack", "show", "vpn")
        assert (missing.returncode, missing.stderr) == (1, "error: stack 'vpn' not found\n")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}


VALUES = """\
heat_template_version: 2018-08-31
resources:
  word: {type: OS::Heat::RandomString, region: West}
  sentence:
    type: OS::Heat::Value
    region: East
    properties: {value: {get_attr: [word, value]}}
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_with_a_token_of_a_cloud_the_stacks_are_its_projects(world: World) -> None:
    start_emulator(world)
    (world.tmp / "values.yaml").write_text(VALUES)
    with serving(world) as server:  # tokens checked by the emulator's Keystone
        remote = {**world.env, "CROSSHEAT_URL": server.url}
        token = ("--os-cloud", "emulator-demo")
        created = _run(world, remote, *token, "stack", "create", "small", "-t", "values.yaml",
                       "--wait", "-f", "json")  # fmt: skip
        shown = json.loads(created.stdout)
        assert shown["stack_status"] == "CREATE_COMPLETE", shown["stack_status_reason"]
        project = shown["project"]
        assert project not in ("", "default")
        # on this host, the stack is in the token's project
        mine = {**world.env, "CROSSHEAT_PROJECT": project}
        for args in (("stack", "show", "small", "-f", "json"), ("stack", "event", "list", "small")):
            through = _run(world, remote, *token, *args)
            local, printed = aligned(_run(world, mine, *args).stdout, through.stdout)
            assert printed == local
        # OS_CLOUD names the cloud as well; without a token the server answers 401
        by_env = {**remote, "OS_CLOUD": "emulator-demo"}
        listed = _run(world, by_env, "stack", "list", "-f", "value", "-c", "Stack Name")
        assert listed.stdout == "small\n"
        refused = world.run_with_env(remote, "stack", "list")
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: the server refused the request (401")
        deleted = _run(world, remote, *token, "stack", "delete", "small", "--wait", "--yes")
        assert (
            deleted.stdout == "stack small: DELETE_COMPLETE Stack DELETE completed successfully\n"
        )
