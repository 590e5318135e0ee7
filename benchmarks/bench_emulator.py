"""Benchmark: openstacksdk creates then deletes N networks against the emulator (zero latency).

::

    python -m benchmarks.bench_emulator [--count 1000] [--workers 2] [--output FILE]

``--workers`` client processes (each its own openstacksdk connection) share the
work: one openstacksdk client spends more CPU per call than the emulator does,
so a single client measures openstacksdk more than the emulator. The emulator
runs in its own process (``python -m crossheat.cli.emulator serve --state :memory:``)
with throwaway config files; requests are counted by the emulator itself
(``/admin/counters``). Prints a table and writes the numbers as JSON. The target
is more than 300 requests per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import openstack
from rich.console import Console
from rich.table import Table

from crossheat.emulator.client import AdminClient

TARGET_RPS = 300.0
DEFAULT_OUTPUT = Path(__file__).parent / "results" / "emulator.json"


@contextmanager
def emulator_process(workdir: Path) -> Iterator[str]:
    """A background emulator with its config files in ``workdir``; yields its URL."""
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "XDG_STATE_HOME": str(workdir / "state"),
        "OS_CLIENT_CONFIG_FILE": str(workdir / "clouds.yaml"),
    }
    cmd = [sys.executable, "-m", "crossheat.cli.emulator", "serve", "--state", ":memory:"]
    cmd += ["--faults", "quota.networks=1000000"]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"emulator did not start: {line!r}")
        yield line.split("listening on", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _churn(count: int, prefix: str, ready: Barrier, go: Barrier) -> None:
    """One client: authenticate, wait for the start, create then delete ``count`` networks."""
    warnings.simplefilter("ignore")
    conn = openstack.connect(cloud="emulator", region_name="East")
    list(conn.network.networks(name="warm-up"))
    ready.wait()
    go.wait()
    ids = [conn.network.create_network(name=f"{prefix}-{i}").id for i in range(count)]
    for id_ in ids:
        conn.network.delete_network(id_)


def run(count: int, workers: int) -> dict[str, Any]:
    """``workers`` client processes create then delete ``count`` networks in all."""
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(workers + 1), context.Barrier(workers + 1)
    with tempfile.TemporaryDirectory() as tmp, emulator_process(Path(tmp)) as url:
        os.environ["OS_CLIENT_CONFIG_FILE"] = str(Path(tmp) / "clouds.yaml")
        shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
        clients = [
            context.Process(target=_churn, args=(share, f"bench{i}", ready, go))
            for i, share in enumerate(shares)
        ]
        for client in clients:
            client.start()
        ready.wait()
        admin = AdminClient(url)
        admin.reset_counters()
        go.wait()
        started = time.perf_counter()
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        requests = sum(admin.counters()["East"].values())
        left = len(admin.resources("East").get("networks", []))
    if any(client.exitcode for client in clients) or left:
        raise RuntimeError(f"a client failed ({left} networks left)")
    return {
        "networks": count,
        "client_processes": workers,
        "requests": requests,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(requests / elapsed, 1),
        "target_requests_per_second": TARGET_RPS,
    }


def report(result: dict[str, Any]) -> None:
    table = Table(title="emulator: openstacksdk creates and deletes networks")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv or [])
    result = run(args.count, args.workers)
    report(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["requests_per_second"] > TARGET_RPS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
