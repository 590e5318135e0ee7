"""The API under read load: 50 clients list and show stacks for 30 s, 200 stacks stored.

::

    .venv/bin/python -m benchmarks.bench_api            # SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.bench_api sqlite     # one of them
    .venv/bin/python -m benchmarks.bench_api httpx      # the clients on httpx

``crossheat serve --auth none`` runs as its own process on a free port, on a fresh
SQLite file or a fresh PostgreSQL schema (127.0.0.1:5432, skipped when it does not
answer). 200 stacks are created through the API (``POST /v1/{tenant}/stacks``, Heat-only
resources: no cloud calls) and waited for; then ``CLIENTS`` clients, each a loop with
no pause on its own keep-alive connection, alternate ``GET /stacks`` (the 200 stacks)
and ``GET /stacks/{name}/{id}`` of a random stack for ``SECONDS``. The clients speak
plain HTTP/1.1 on asyncio streams (~0.1 ms of CPU a request); ``httpx``: through one
``httpx.AsyncClient`` (~5 ms a request: on a small machine the clients then take as much
CPU as the server, and the latencies are theirs as much as its). Reported per database:
requests/s, p50, p99 and max latency in ms, errors (any status other than 200 or a
transport error), the CPU time the server process and the clients (this process) spent
per request in ms (on a shared machine, steadier than the latencies, which also count
the time each waited for a core), the 1-minute load. Goal: p99 under 100 ms, zero
errors. Writes ``results/api.json``.

Nothing changes the stacks while the clients read: after the first request for each
(about 200 answers made), the server gives kept answers (``crossheat.api.cache``),
each after checking that the database did not change (SQLite's ``data_version``,
PostgreSQL's change counters).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import report
from benchmarks.deploy_env import private_world
from benchmarks.local import pg_schema, pg_unreachable, serving

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
def server(database_url: str) -> Iterator[tuple[str, int]]:
    """``crossheat serve --auth none`` on a free port with ``database_url``."""
    with serving({**os.environ, "CROSSHEAT_DATABASE_URL": database_url}) as started:
        yield started


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


class Connection:
    """One client's keep-alive HTTP/1.1 connection on asyncio streams: a GET, its status.
    (httpx's client spends ~5 ms of CPU on a request, as much as the server does, on the
    same two cores: the figures would be the client's as much as the server's.)"""

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """The status of ``GET path`` (its body read); OSError, ValueError or
        IncompleteReadError (the connection then closed) when the exchange fails."""
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = re.search(r"\r\ncontent-length: *(\d+)", head)
            if length is None:
                raise ValueError(f"an answer without a Content-Length: {head!r}")
            await reader.readexactly(int(length.group(1)))
            return int(head.split(" ", 2)[1])
        except (OSError, ValueError, asyncio.IncompleteReadError):
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def load(
    url: str, stacks: list[tuple[str, str]], *, use_httpx: bool = False
) -> dict[str, Any]:
    """``CLIENTS`` loops of GETs for ``SECONDS``, each on its ``Connection`` (``use_httpx``:
    sharing one ``httpx.AsyncClient``, as this benchmark first did)."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + SECONDS
    base = f"/v1/{TENANT}"

    async def client_loop(get: Callable[[str], Awaitable[int]]) -> None:
        nonlocal errors
        turn = 0
        while time.monotonic() < stop_at:
            if turn % 2 == 0:
                path = f"{base}/stacks"
            else:
                name, stack_id = random.choice(stacks)
                path = f"{base}/stacks/{name}/{stack_id}"
            turn += 1
            started = time.perf_counter()
            try:
                ok = await asyncio.wait_for(get(path), 30) == 200
            except (OSError, ValueError, asyncio.IncompleteReadError, httpx.TransportError):
                ok = False  # TimeoutError is an OSError
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    began = time.monotonic()
    if use_httpx:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

            async def get(path: str) -> int:
                return (await client.get(path)).status_code

            await asyncio.gather(*(client_loop(get) for _ in range(CLIENTS)))
    else:
        connections = [Connection(url) for _ in range(CLIENTS)]
        await asyncio.gather(*(client_loop(c.get) for c in connections))
        for connection in connections:
            connection.close()
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux's ``/proc``; else None)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(database: str, database_url: str, *, use_httpx: bool = False) -> dict[str, Any]:
    with server(database_url) as (url, pid):
        stacks = populate(url)
        server_before, client_before = cpu_seconds(pid), time.process_time()
        figures = asyncio.run(load(url, stacks, use_httpx=use_httpx))
        server_after, client_after = cpu_seconds(pid), time.process_time()
    requests = max(figures["requests"], 1)
    if server_before is not None and server_after is not None:
        figures["server_cpu_ms"] = 1000 * (server_after - server_before) / requests
    figures["client_cpu_ms"] = 1000 * (client_after - client_before) / requests
    return {
        "database": database,
        "client": "httpx" if use_httpx else "streams",
        "stacks": STACKS,
        "clients": CLIENTS,
        "seconds": SECONDS,
        **figures,
        "goal_p99_met": figures["p99_ms"] < GOAL_P99_MS and figures["errors"] == 0,
        "load": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    databases = {"sqlite", "postgresql"}
    words = set(argv if argv is not None else sys.argv[1:])
    wanted = databases & words or databases
    use_httpx = "httpx" in words
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
            rows.append(measure("sqlite", world.database_url, use_httpx=use_httpx))
        if "postgresql" in wanted:
            with postgres_schema() as pg_url:
                if pg_url is None:
                    print("PostgreSQL at 127.0.0.1:5432 does not answer: skipped")
                else:
                    rows.append(measure("postgresql", pg_url, use_httpx=use_httpx))
    report(
        "api", f"API reads: {CLIENTS} clients, list + show, {STACKS} stacks, {SECONDS:.0f} s", rows
    )


if __name__ == "__main__":
    main()
