"""``crossheat serve`` as a process of its own, for end-to-end tests of the API.

with serving(world, "--auth", "none") as server:
    httpx.post(f"{server.url}/v1/default/stacks", json={...})
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.local import free_port, wait_healthy

from tests.e2e.conftest import World

__all__ = ["Server", "free_port", "serving"]


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str


@contextmanager
def serving(
    world: World,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[Server]:
    """Start ``crossheat serve ARGS`` on ``port`` (a free one by default) in ``world``;
    stop it (SIGTERM) on exit unless it has died already. ``log``: a file for what it
    prints (its requests), else nothing is kept."""
    port = port or free_port()
    with log.open("w") if log else open(os.devnull, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "crossheat", "serve", "--port", str(port), *args],
            env={**world.env, **(env or {})}, cwd=world.tmp, text=True,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(process, server.url)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
