"""Validate + plan generated templates of 1,000 and 10,000 resources over 10 regions.

Target (foundation issue): 10,000 resources under 2 s, 1,000 under 0.3 s.
Run: `make bench` or `.venv/bin/python -m benchmarks.bench_validate`.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import report
from benchmarks.generate import region_map, write
from crossheat.clouds.regionmap import parse_region_map
from crossheat.plan.pipeline import analyse
from crossheat.plan.plan import make_plan
from crossheat.resources.registry import default_registry

SIZES = (1_000, 10_000)
REGIONS = 10


def run_one(size: int, directory: Path) -> dict[str, Any]:
    template = write(directory / f"gen-{size}.yaml", size, REGIONS)
    regions = parse_region_map(yaml.safe_dump(region_map(REGIONS)), "bench-regions.yaml")
    registry = default_registry()
    best, peak = float("inf"), 0
    for attempt in range(3):
        tracemalloc.start() if attempt == 0 else None
        start = time.perf_counter()
        analysis = analyse(template, region_map=regions, registry=registry)
        assert analysis.ok, analysis.errors[:3]
        plan = make_plan(analysis)
        elapsed = time.perf_counter() - start
        if attempt == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            best = min(best, elapsed)
    return {
        "resources": len(plan.resources),
        "regions": len(plan.regions),
        "cross_region_refs": len(plan.cross_region),
        "seconds": round(best, 3),
        "target_s": 0.3 if size <= 1_000 else 2.0,
        "peak_MiB": round(peak / 2**20, 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_one(size, Path(tmp)) for size in SIZES]
    report("validate", "validate + plan (best of 2 timed runs; memory from a traced run)", rows)


if __name__ == "__main__":
    main()
