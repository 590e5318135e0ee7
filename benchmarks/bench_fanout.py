"""Validate + plan + split of examples/mesh.yaml over 4, 10 and 20 sites (copies per region).

N sites give 8 N site resources and N (N - 1) IPsec connections, all from one definition.
Run: `make bench` or `.venv/bin/python -m benchmarks fanout`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.common import median_ms, report
from crossheat.plan.pipeline import analyse
from crossheat.plan.plan import make_plan
from crossheat.plan.split.templates import split_analysis
from crossheat.resources.registry import default_registry

MESH = Path(__file__).resolve().parents[1] / "examples" / "mesh.yaml"
SITES = (4, 10, 20)


def run_one(count: int) -> dict[str, Any]:
    sites = [f"R{i}" for i in range(count)]
    parameters = {
        "psk": "bench-pre-shared-key-0123",
        "sites": ",".join(sites),
        "site_cidrs": json.dumps({s: f"10.{i}.0.0/24" for i, s in enumerate(sites)}),
    }
    registry = default_registry()

    def validate_and_plan() -> Any:
        analysis = analyse(MESH, parameters=parameters, registry=registry)
        assert analysis.ok, analysis.errors[:3]
        return analysis, make_plan(analysis)

    analysis, plan = validate_and_plan()
    _, pieces = split_analysis(analysis)
    return {
        "sites": count,
        "resources": len(plan.resources),
        "tunnels": count * (count - 1) // 2,
        "validate_plan_ms": median_ms(validate_and_plan, repeat=3),
        "split_ms": median_ms(lambda: split_analysis(analysis), repeat=3),
        "pieces": len(pieces),
    }


def main() -> None:
    rows = [run_one(count) for count in SITES]
    report("fanout", "examples/mesh.yaml per number of sites (median of 3)", rows)


if __name__ == "__main__":
    main()
