"""Checking a 1,000-resource, 5-region stack for drift: the cloud calls and the time.

::

    .venv/bin/python -m benchmarks.bench_check

The stack of ``benchmarks.bench_update`` (``benchmarks.generate``: 1,000 resources over
5 regions) is created against the emulator (its own process, zero latency, quotas
raised), then checked ``RUNS`` times in this process as ``crossheat stack check`` (and a
scheduled check) does. A check reads each region with one list call per resource type
(``engine.batched``), not one GET per resource: the target is at most ``MOST_PER_REGION``
calls per region (``cloud_calls``, the emulator's ``/admin/counters``; version discovery
and name lookups included) and nothing found drifted. ``check_s`` is the wall time of
``Service.check`` (the reads, the comparisons, the CHECK statuses written); the round
with the median time is reported, every round's in ``check_runs``. Writes
``results/check.json``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_update import QUOTAS, RESOURCES, STACK, _write, create
from benchmarks.common import report
from benchmarks.deploy_env import World, emulator, private_world
from benchmarks.generate import generate, region_map
from crossheat.service import Service

REGIONS = 5
RUNS = 3
#: Most cloud calls one check may make in a region.
MOST_PER_REGION = 20


def check(world: World, service: Service) -> dict[str, Any]:
    world.admin.reset_counters()
    started = time.perf_counter()
    result = service.check(STACK)
    seconds = time.perf_counter() - started
    per_region = {r: sum(c.values()) for r, c in world.admin.counters().items()}
    return {"check_s": seconds, "ok": result.ok, "reason": result.reason, "calls": per_region}


def run(tmp: Path, resources: int = RESOURCES, count: int = REGIONS) -> dict[str, Any]:
    regions = [f"R{i:02d}" for i in range(count)]
    with private_world(tmp) as world, emulator(world, regions, "", QUOTAS):
        world.region_map_file.parent.mkdir(parents=True, exist_ok=True)
        world.region_map_file.write_text(yaml.safe_dump(region_map(count, "emulator")))
        template = _write(tmp / "stack.yaml", generate(resources, count))
        service = Service(database_url=world.database_url)
        try:
            _, create_s = create(service, template)
            print(f"created {resources} resources in {create_s:.1f} s", flush=True)
            runs = sorted((check(world, service) for _ in range(RUNS)), key=lambda r: r["check_s"])
        finally:
            service.close()
    got = runs[len(runs) // 2]
    most = max(max(r["calls"].values()) for r in runs)
    return {
        "resources": resources,
        "regions": count,
        "cloud_calls": sum(got["calls"].values()),
        "most_calls_in_a_region": most,
        "check_s": round(got["check_s"], 3),
        "check_runs": "/".join(f"{r['check_s']:.2f}" for r in runs),
        "in_sync": all(r["ok"] for r in runs),
        "target": f"<= {MOST_PER_REGION} calls per region, nothing drifted",
        "met": most <= MOST_PER_REGION and all(r["ok"] for r in runs),
        "load": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        row = run(Path(tmp))
    report("check", f"checking one {RESOURCES}-resource, {REGIONS}-region stack", [row])


if __name__ == "__main__":
    main()
