"""Printing and saving benchmark results: a Rich table on stdout, JSON under results/."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def median_ms(call: Callable[[], Any], repeat: int = 5) -> float:
    """The median of ``repeat`` timed calls of ``call``, in ms (after one untimed warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def report(name: str, title: str, rows: list[dict[str, Any]]) -> Path:
    """Print ``rows`` as a table and save them to ``results/{name}.json``."""
    table = Table(title=title)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, justify="right" if _numeric(rows, column) else "left")
    for row in rows:
        table.add_row(*(_fmt(row[c]) for c in columns))
    Console(width=220).print(table)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "title": title,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "rows": rows,
    }
    target.write_text(json.dumps(payload, indent=2))
    return target


def _numeric(rows: list[dict[str, Any]], column: str) -> bool:
    return all(isinstance(r[column], int | float) for r in rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:.0f}"
    return str(value)


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
