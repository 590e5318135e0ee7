"""`--wait` on a terminal: the live Rich view of progress per region, with every event
printed above it (in a real pty)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: region, resources, complete, in progress, failed, now working on
ROW = re.compile(r"│ (East|West) +│ (\d+) +│ (\d+) +│ (\d+) +│ (\d+) +│ ([^│]*)│")


def _run_in_terminal(world: World, *args: str, timeout: float = 120) -> tuple[int, str]:
    """Run ``crossheat ARGS`` with a pseudo-terminal as stdin, stdout and stderr."""
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crossheat", *args], stdin=secondary, stdout=secondary,
        stderr=secondary, env={**world.env, "COLUMNS": "200", "LINES": "50"}, cwd=world.tmp,
    )  # fmt: skip
    os.close(secondary)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    text = ANSI.sub("", b"".join(chunks).decode(errors="replace"))
    world.logs.append(text)
    return code, text


def _event_line(event: dict[str, Any]) -> str:
    return (
        f"{event['event_time']} [{event['region'] or '-'}] {event['resource_name']} "
        f"{event['resource_status']} {event['resource_status_reason']}"
    ).rstrip()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_wait_on_a_terminal_shows_a_live_table_per_region(world: World) -> None:
    start_emulator(world, latency="default=0.02,server=2")
    code, text = _run_in_terminal(world, "stack", "create", "vpn", "-t", str(REFERENCE),
                                  "--parameter", f"vpn_psk={PSK}", "--wait")  # fmt: skip
    assert code == 0, text
    assert "vpn: CREATE_IN_PROGRESS" in text  # the table's title while it runs
    header = next(line for line in text.splitlines() if "now working on" in line)
    assert re.findall(r"\w[\w ]*\w", header) == [
        "region",
        "resources",
        "complete",
        "in progress",
        "failed",
        "now working on",
    ]
    rows = [ROW.search(line) for line in text.splitlines()]
    frames = [m.groups() for m in rows if m]
    assert {f[0] for f in frames} == {"East", "West"}
    assert {f[1] for f in frames} == {"9"}  # resources per region
    for region, server in (("East", "east_server"), ("West", "west_server")):
        mine = [f for f in frames if f[0] == region]
        assert max(int(f[2]) for f in mine) >= 8  # the count of complete ones goes up
        assert any(server in f[5] for f in mine)  # named while it boots (2 s)
    assert "CREATE_COMPLETE" in text  # the stack shown at the end
    assert PSK not in text
    # every event is printed above the table, in order, the last ones included
    position = 0
    for line in [_event_line(e) for e in world.json("stack", "event", "list", "vpn")]:
        found = text.find(line, position)
        assert found >= 0, f"{line!r} not printed (in order)\n{text}"
        position = found + len(line)
    assert "vpn CREATE_COMPLETE Stack CREATE completed successfully" in text
