"""kill -9 of the engine at chosen points, then `stack resume`: right end state, nothing leaked.

The kill points are named, not timed: ``CROSSHEAT_KILL_AT=create:west_router:after-call``
makes the engine SIGKILL itself right after that cloud call returned, before it could
record the result — the worst moment to die.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.test_update import KINDS, counts

ONE_EACH = dict.fromkeys(KINDS, 1)


def killed(world: World, point: str, *args: str) -> None:
    env = {**world.env, "CROSSHEAT_KILL_AT": point}
    done = world.run_with_env(env, *args)
    assert done.returncode == -9, (done.returncode, done.stderr)
    stack = world.json("stack", "show", "vpn")
    assert stack["stack_status"].endswith("_IN_PROGRESS")
    assert stack["operation_in_progress"]["engine_alive"] is False
    assert "stack resume vpn" in stack["stack_status_reason"]


def resume(world: World) -> dict[str, object]:
    stack: dict[str, object] = world.json("stack", "resume", "vpn", "--wait")
    return stack


CREATE = ("stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}", "--wait")


@pytest.mark.parametrize(
    "point",
    [
        "create:west_router:after-call",  # created in the cloud, id never recorded
        "create:east_server:before-call",  # intent recorded, nothing created
        "create:west_to_east:after-call",  # a connection: found again by its name
    ],
)
def test_create_killed_then_resumed(world: World, point: str) -> None:
    start_emulator(world)
    killed(world, point, *CREATE)
    stack = resume(world)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    assert counts(world, "East") == ONE_EACH
    assert counts(world, "West") == ONE_EACH
    outputs = {
        o["output_key"]: o["output_value"] for o in world.json("stack", "show", "vpn")["outputs"]
    }
    assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}


@pytest.mark.parametrize(
    "point",
    [
        "create:west_subnet:after-call",
        # The replacement's intent is recorded, nothing created: the old connection has the
        # same name and tags, and must not be taken for the new one (then deleted as old).
        "create:east_to_west:before-call",
    ],
)
def test_update_killed_then_resumed(world: World, point: str) -> None:
    start_emulator(world)
    world.crossheat(*CREATE)
    old = {c["id"] for c in world.admin.resources("East")["ipsec_site_connections"]}
    killed(
        world,
        point,
        "stack",
        "update",
        "vpn",
        "--existing",
        "--parameter",
        "west_cidr=10.3.0.0/24",
        "--wait",
    )
    stack = resume(world)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack
    assert counts(world, "West") == ONE_EACH
    assert counts(world, "East") == ONE_EACH
    subnet = world.admin.resources("West")["subnets"][0]
    assert subnet["cidr"] == "10.3.0.0/24"
    (east_to_west,) = world.admin.resources("East")["ipsec_site_connections"]
    assert east_to_west["id"] not in old
    assert east_to_west["peer_cidrs"] == ["10.3.0.0/24"]


def test_delete_killed_then_resumed(world: World) -> None:
    start_emulator(world)
    world.crossheat(*CREATE)
    killed(world, "delete:west_vpn:after-call", "stack", "delete", "vpn", "--wait", "--yes")
    world.crossheat("stack", "resume", "vpn", "--wait")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
    assert world.json("stack", "list") == []


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_resume_is_refused_while_the_engine_lives(world: World) -> None:
    start_emulator(world)
    world.crossheat(*CREATE)
    done = world.crossheat("stack", "resume", "vpn", check=False)
    assert done.returncode == 0
    assert "nothing to resume" in done.stdout
