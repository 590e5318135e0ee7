"""A server killed (SIGKILL) in the middle of a create finishes it when started again:
nothing duplicated, nothing leaked. With PostgreSQL the engine is one of the server's
worker processes (the job queue): killed, it is replaced, and the create is finished
without a restart."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import free_port, serving
from tests.e2e.test_update import KINDS, counts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ONE_EACH = dict.fromkeys(KINDS, 1)
TENANT = "default"


def wait_status(url: str, name: str, wanted: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    stack: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = httpx.get(f"{url}/v1/{TENANT}/stacks/{name}", follow_redirects=True)
        if answer.status_code == 200:
            stack = answer.json()["stack"]
            if stack["stack_status"] == wanted or stack["stack_status"].endswith("FAILED"):
                return stack
        time.sleep(0.2)
    raise AssertionError(f"{name} did not reach {wanted}: {stack}")


BODY = {"stack_name": "vpn", "parameters": {"vpn_psk": PSK}}
# The engine dies right after the cloud created West's router, before it recorded it.
KILL_AT = {"CROSSHEAT_KILL_AT": "create:west_router:after-call"}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_killed_server_finishes_the_create_when_started_again(world: World) -> None:
    start_emulator(world)
    port = free_port()
    body = {**BODY, "template": REFERENCE.read_text()}
    with serving(world, "--auth", "none", port=port, env=KILL_AT) as server:
        answer = httpx.post(f"{server.url}/v1/{TENANT}/stacks", json=body)
        assert answer.status_code == 201, answer.text
        assert server.process.wait(timeout=120) == -9
    assert counts(world, "West")["routers"] == 1

    with serving(world, "--auth", "none", port=port) as server:
        finished_and_deleted(server.url, world)


@pytest.mark.parametrize("world", ["postgresql"], indirect=True)
def test_a_killed_worker_of_the_server_is_replaced_and_finishes_the_create(world: World) -> None:
    start_emulator(world)
    body = {**BODY, "template": REFERENCE.read_text()}
    log = world.tmp / "serve.log"
    env = {**KILL_AT, "CROSSHEAT_STALL_TIMEOUT": "5"}
    with serving(world, "--auth", "none", "--workers", "1", env=env, log=log) as server:
        answer = httpx.post(f"{server.url}/v1/{TENANT}/stacks", json=body)
        assert answer.status_code == 201, answer.text
        finished_and_deleted(server.url, world)
        assert server.process.poll() is None  # the server lived on
    assert "exited (-9): starting another" in log.read_text()


def finished_and_deleted(url: str, world: World) -> None:
    """The stack ends CREATE_COMPLETE with one of each resource; deleted, nothing is left."""
    stack = wait_status(url, "vpn", "CREATE_COMPLETE")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    assert counts(world, "East") == ONE_EACH
    assert counts(world, "West") == ONE_EACH
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}

    # Heat's 302 keeps the verb (keystoneauth sends DELETE again); httpx would GET.
    found = httpx.delete(f"{url}/v1/{TENANT}/stacks/vpn")
    assert found.status_code == 302, found.text
    answer = httpx.delete(found.headers["Location"])
    assert answer.status_code == 204, answer.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        gone = httpx.get(f"{url}/v1/{TENANT}/stacks/vpn", follow_redirects=True)
        if gone.status_code == 404:
            break
        time.sleep(0.2)
    assert gone.status_code == 404
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
