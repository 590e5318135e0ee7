"""``crossheat worker`` and ``crossheat worker list``; ``CROSSHEAT_EXECUTOR``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import private_schema


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from private_schema("workercli")


def crossheat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossheat", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_worker_needs_postgresql(env: dict[str, str]) -> None:
    done = crossheat(env, "worker")
    assert done.returncode == 1
    assert "crossheat worker needs PostgreSQL" in done.stderr
    listed = crossheat(env, "worker", "list")
    assert listed.returncode == 0
    assert "the job queue needs PostgreSQL" in listed.stderr


def test_an_unknown_executor_is_refused(env: dict[str, str]) -> None:
    done = crossheat({**env, "CROSSHEAT_EXECUTOR": "celery"}, "stack", "show", "x")
    assert done.returncode == 1
    assert "CROSSHEAT_EXECUTOR must be local or queue, not 'celery'" in done.stderr


@pytest.mark.postgres
def test_a_running_worker_is_listed_and_stops_on_sigterm(
    env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    env = {**env, "CROSSHEAT_DATABASE_URL": pg_url}
    # Its log goes to a file: a pipe nobody reads would stop a worker that logs a lot.
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "crossheat", "worker", "--concurrency", "3", "-q", "a,b"],
            env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip
    try:
        rows: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while not rows and time.monotonic() < deadline:
            time.sleep(0.2)
            rows = json.loads(crossheat(env, "worker", "list", "-f", "json").stdout or "[]")
        assert len(rows) == 1, (rows, (tmp_path / "worker.log").read_text())
        row = rows[0]
        assert (row["PID"], row["Concurrency"], row["Queues"]) == (worker.pid, 3, "a,b")
        assert row["Alive"] is True and row["Operations Running"] == 0
        assert row["Heartbeat"].endswith("s ago")  # type: ignore[union-attr]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert json.loads(crossheat(env, "worker", "list", "-f", "json").stdout) == []
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
