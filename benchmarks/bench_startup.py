"""How long the ``crossheat`` command takes to start, for commands that do little.

::

    .venv/bin/python -m benchmarks.bench_startup

Runs ``crossheat --help``, ``crossheat --version`` and ``crossheat stack list`` (on an
empty state database already at the latest schema) ``RUNS`` times each as processes,
the console script a user types, in a private world (``benchmarks.deploy_env``), with
crossheat's modules compiled to bytecode first (as an installed package has them), and
reports the median, fastest and slowest wall time, and the median CPU time (user +
system: on a busy machine the wall time waits for a CPU, this does not much). Target:
a median wall time under 0.3 s.
``heavy_imports`` names the big libraries the command loaded (read once from
``python -X importtime``): none of them is needed to list stacks or print help.
``load`` is the 1-minute load average when the row was measured. Writes
``results/startup.json``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import report
from benchmarks.deploy_env import compile_crossheat, private_world

RUNS = 15
TARGET_S = 0.3
COMMANDS = (("--help",), ("--version",), ("stack", "list"))
#: Libraries whose import alone costs a command a tenth of a second or more.
HEAVY = ("sqlalchemy", "openstack", "alembic", "ortools", "fastapi", "uvicorn", "netaddr",
         "keystoneauth1", "cryptography", "pydantic")  # fmt: skip


def command() -> list[str]:
    """The ``crossheat`` console script beside this interpreter, else ``python -m crossheat``."""
    script = Path(sys.executable).with_name("crossheat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crossheat"]


def run(args: tuple[str, ...], *python_options: str) -> tuple[float, float, str]:
    """Run ``crossheat ARGS`` once: its wall-clock and CPU seconds, and its stderr."""
    argv = [*command(), *args]
    if python_options:
        argv = [sys.executable, *python_options, "-m", "crossheat", *args]
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"crossheat {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return elapsed, _children_cpu() - cpu, done.stderr


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def heavy_imports(args: tuple[str, ...]) -> list[str]:
    """The ``HEAVY`` libraries ``crossheat ARGS`` imports."""
    _, _, stderr = run(args, "-X", "importtime")
    loaded = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line}
    return [name for name in HEAVY if name in loaded]


def measure(args: tuple[str, ...], runs: int = RUNS) -> dict[str, Any]:
    runs_done = [run(args) for _ in range(runs)]
    times = sorted(wall for wall, _, _ in runs_done)
    median = statistics.median(times)
    return {
        "command": "crossheat " + " ".join(args),
        "runs": runs,
        "median_s": round(median, 3),
        "min_s": round(times[0], 3),
        "max_s": round(times[-1], 3),
        "cpu_s": round(statistics.median(cpu for _, cpu, _ in runs_done), 3),
        "target": f"median < {TARGET_S:g} s",
        "met": median < TARGET_S,
        "heavy_imports": ", ".join(heavy_imports(args)) or "none",
        "load": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    rows = []
    compile_crossheat()
    with tempfile.TemporaryDirectory() as tmp, private_world(Path(tmp)):
        run(("stack", "list"))  # creates the database: the runs measured find it up to date
        for args in COMMANDS:
            rows.append(measure(args))
    report("startup", f"crossheat start-up, median of {RUNS} runs", rows)


if __name__ == "__main__":
    main()
