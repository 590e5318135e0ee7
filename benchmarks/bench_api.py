"""The API under read load: 50 clients list and show stacks for 30 s, 200 stacks stored.

::

    .venv/bin/python -m benchmarks.bench_api            # SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.bench_api sqlite     # one of them

``crossheat serve --auth none`` runs as its own process on a free port, on a fresh
SQLite file or a fresh PostgreSQL schema (127.0.0.1:5432, skipped when it does not
answer). 200 stacks are created through the API (``POST /v1/{tenant}/stacks``, Heat-only
resources: no cloud calls) and waited for; then ``CLIENTS`` clients, each a loop with
no pause, alternate ``GET /stacks`` (the 200 stacks) and ``GET /stacks/{name}/{id}`` of a
random stack for ``SECONDS``. Reported per database: requests/s, p50, p99 and max latency
in ms, errors (any status other than 200 or a transport error), the 1-minute load.
Goal: p99 under 100 ms, zero errors. Writes ``results/api.json``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import report
from benchmarks.deploy_env import private_world
from benchmarks.local import free_port, pg_schema, pg_unreachable, wait_healthy

STACKS = 200
CLIENTS = 50
SECONDS = 30.0
TENANT = "bench"
GOAL_P99_MS = 100.0

TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "parameters": {"label": {"type": "string", "default": "x"}},
    "resources": {
        "first": {"type": "OS::Heat::None"},
        "second": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "label"}}},
    },
    "outputs": {"label": {"value": {"get_attr": ["second", "value"]}}},
}


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """``crossheat serve --auth none`` on a free port; its base URL."""
    port = free_port()
    env = {**os.environ, "CROSSHEAT_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "serve", "--auth", "none", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def populate(url: str) -> list[tuple[str, str]]:
    """Create ``STACKS`` stacks through the API and wait until all are CREATE_COMPLETE."""
    stacks: list[tuple[str, str]] = []
    with httpx.Client(base_url=f"{url}/v1/{TENANT}", timeout=60) as client:
        for index in range(STACKS):
            name = f"bench-{index:03d}"
            body = {"stack_name": name, "template": TEMPLATE, "parameters": {"label": name}}
            answer = client.post("/stacks", json=body)
            answer.raise_for_status()
            stacks.append((name, answer.json()["stack"]["id"]))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            listed = client.get("/stacks").json()["stacks"]
            statuses = [s["stack_status"] for s in listed]
            if len(statuses) == STACKS and all(s == "CREATE_COMPLETE" for s in statuses):
                return stacks
            if any(s.endswith("FAILED") for s in statuses):
                raise RuntimeError(f"a stack failed: {statuses}")
            time.sleep(0.5)
    raise RuntimeError("the stacks were not all created within 600 s")


async def load(url: str, stacks: list[tuple[str, str]]) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        turn = 0
        while time.monotonic() < stop_at:
            if turn % 2 == 0:
                path = "/stacks"
            else:
                name, stack_id = random.choice(stacks)
                path = f"/stacks/{name}/{stack_id}"
            turn += 1
            started = time.perf_counter()
            try:
                answer = await client.get(path)
                ok = answer.status_code == 200
            except httpx.TransportError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    async with httpx.AsyncClient(
        base_url=f"{url}/v1/{TENANT}", timeout=30, limits=limits
    ) as client:
        began = time.monotonic()
        await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))
        elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "req_per_s": len(ordered) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
        "max_ms": 1000 * ordered[-1],
        "errors": errors,
    }


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A fresh schema on the local PostgreSQL; None when it does not answer."""
    if pg_unreachable() is not None:
        yield None
        return
    with pg_schema("bench") as url:
        yield url


def measure(database: str, database_url: str) -> dict[str, Any]:
    with server(database_url) as url:
        stacks = populate(url)
        figures = asyncio.run(load(url, stacks))
    return {
        "database": database,
        "stacks": STACKS,
        "clients": CLIENTS,
        "seconds": SECONDS,
        **figures,
        "goal_p99_met": figures["p99_ms"] < GOAL_P99_MS and figures["errors"] == 0,
        "load": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    databases = {"sqlite", "postgresql"}
    wanted = databases & set(argv if argv is not None else sys.argv[1:]) or databases
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="crossheat-bench-api-") as tmp,
        private_world(Path(tmp)) as world,
    ):
        world.region_map_file.parent.mkdir(parents=True, exist_ok=True)
        world.region_map_file.write_text(
            "regions:\n  East: {cloud: nowhere}\ndefault_region: East\n"
        )
        if "sqlite" in wanted:
            rows.append(measure("sqlite", world.database_url))
        if "postgresql" in wanted:
            with postgres_schema() as pg_url:
                if pg_url is None:
                    print("PostgreSQL at 127.0.0.1:5432 does not answer: skipped")
                else:
                    rows.append(measure("postgresql", pg_url))
    report(
        "api", f"API reads: {CLIENTS} clients, list + show, {STACKS} stacks, {SECONDS:.0f} s", rows
    )


if __name__ == "__main__":
    main()
