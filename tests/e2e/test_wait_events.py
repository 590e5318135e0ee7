"""`--wait` with output not on a terminal: every event of the operation, in order, as lines.

The lines go to stderr (stdout stays for ``-f json``); they must match the events stored
for the stack (``stack event list``) one for one, the last ones included: the servers'
and the stack's CREATE_COMPLETE, and every resource's DELETE events.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator


def _line(event: dict[str, Any]) -> str:
    """The line ``--wait`` prints for a row of ``stack event list -f json``."""
    return (
        f"{event['event_time']} [{event['region'] or '-'}] {event['resource_name']} "
        f"{event['resource_status']} {event['resource_status_reason']}"
    ).rstrip()


def _printed(stderr: str) -> list[str]:
    return [line.rstrip() for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_wait_on_a_pipe_prints_every_event_in_order(world: World) -> None:
    start_emulator(world)
    created = world.crossheat(
        "stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}",
        "--wait", "-f", "json",
    )  # fmt: skip
    stack_id = world.json("stack", "show", "vpn")["id"]
    stored = [_line(e) for e in world.json("stack", "event", "list", "vpn")]
    assert _printed(created.stderr) == stored
    # the last ones, which a viewer cancelled too early misses
    assert stored[-1].endswith("vpn CREATE_COMPLETE Stack CREATE completed successfully")
    assert any(" east_server CREATE_COMPLETE" in line for line in stored)
    assert any(" west_server CREATE_COMPLETE" in line for line in stored)

    deleted = world.crossheat("stack", "delete", "vpn", "--wait", "--yes")
    after = [_line(e) for e in world.json("stack", "event", "list", stack_id)]
    assert after[: len(stored)] == stored
    delete_events = after[len(stored) :]
    assert _printed(deleted.stderr) == delete_events
    assert sum(" DELETE_COMPLETE " in line for line in delete_events) >= 18  # every resource
    assert delete_events[-1].split(" ", 1)[1].startswith("[-] vpn DELETE_COMPLETE")


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_event_list_follow_prints_every_event_until_the_operation_ends(world: World) -> None:
    start_emulator(world)
    world.crossheat("stack", "create", "vpn", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}")
    followed = world.crossheat("stack", "event", "list", "vpn", "--follow", timeout=120)
    stored = [_line(e) for e in world.json("stack", "event", "list", "vpn")]
    assert _printed(followed.stdout) == stored
    assert stored[-1].endswith("vpn CREATE_COMPLETE Stack CREATE completed successfully")
