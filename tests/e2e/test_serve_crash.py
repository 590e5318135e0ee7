"""A server killed (SIGKILL) in the middle of a create finishes it when started again:
nothing duplicated, nothing leaked."""

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


def test_a_killed_server_finishes_the_create_when_started_again(world: World) -> None:
    start_emulator(world)
    port = free_port()
    body = {
        "stack_name": "vpn",
        "template": REFERENCE.read_text(),
        "parameters": {"vpn_psk": PSK},
    }
    # The engine dies right after the cloud created West's router, before it recorded it.
    kill_at = {"CROSSHEAT_KILL_AT": "create:west_router:after-call"}
    with serving(world, "--auth", "none", port=port, env=kill_at) as server:
        answer = httpx.post(f"{server.url}/v1/{TENANT}/stacks", json=body)
        assert answer.status_code == 201, answer.text
        assert server.process.wait(timeout=120) == -9
    assert counts(world, "West")["routers"] == 1

    with serving(world, "--auth", "none", port=port) as server:
        stack = wait_status(server.url, "vpn", "CREATE_COMPLETE")
        assert stack["stack_status"] == "CREATE_COMPLETE", stack
        assert counts(world, "East") == ONE_EACH
        assert counts(world, "West") == ONE_EACH
        outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
        assert outputs["tunnel_status"] == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}

        # Heat's 302 keeps the verb (keystoneauth sends DELETE again); httpx would GET.
        found = httpx.delete(f"{server.url}/v1/{TENANT}/stacks/vpn")
        assert found.status_code == 302, found.text
        answer = httpx.delete(found.headers["Location"])
        assert answer.status_code == 204, answer.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            gone = httpx.get(f"{server.url}/v1/{TENANT}/stacks/vpn", follow_redirects=True)
            if gone.status_code == 404:
                break
            time.sleep(0.2)
        assert gone.status_code == 404
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
