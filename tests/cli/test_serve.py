"""``crossheat serve``: where it listens, what it refuses, how it stops."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from benchmarks.local import free_port, wait_healthy

from crossheat.cli.serve import is_loopback


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI tests' environment, with a clouds.yaml path that holds no cloud."""
    return {**env, "OS_CLIENT_CONFIG_FILE": str(tmp_path / "config" / "clouds.yaml")}


def crossheat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossheat", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("127.0.0.2", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False),
     ("example.com", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_auth_refuses_a_host_others_can_reach(env: dict[str, str]) -> None:
    done = crossheat(env, "serve", "--auth", "none", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert "--auth none" in done.stderr
    assert "loopback" in done.stderr


def test_keystone_auth_without_a_region_map_or_url_says_what_to_do(env: dict[str, str]) -> None:
    done = crossheat(env, "serve", "--port", str(free_port()))
    assert done.returncode == 1
    assert "region map" in done.stderr
    assert "not found" in done.stderr


def test_serves_until_sigterm_then_stops_cleanly(env: dict[str, str]) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "serve", "--auth", "none", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_healthy(server, f"http://127.0.0.1:{port}")
        answer = httpx.get(f"http://127.0.0.1:{port}/healthcheck")
        assert (answer.status_code, answer.text) == (200, "OK")
        listed = httpx.get(f"http://127.0.0.1:{port}/")
        assert listed.status_code == 300
        assert listed.json()["versions"][0]["links"][0]["href"] == f"http://127.0.0.1:{port}/v1/"
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, out
    assert "Application shutdown complete" in out
    assert out.rstrip().endswith("crossheat serve: stopped")
