"""The update benchmark: its targets, and a small generated stack updated end to end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.bench_update import renamed, row, run
from benchmarks.generate import generate


def _round(engine_s: float, calls: int, updated: list[str]) -> dict[str, Any]:
    cloud = Counter({"PUT /network/v2.0/networks/{id}": calls}) if calls else Counter()
    return {"engine_s": engine_s, "total_s": engine_s + 0.2, "cloud": cloud,
            "http": Counter(), "updated": updated}  # fmt: skip


def test_renamed_changes_one_network_name_only() -> None:
    source = generate(25, 5)
    changed, name = renamed(source, "x")
    assert name == "c00000_net"
    assert changed["resources"][name]["properties"]["name"] == "c00000-net-x"
    others = {n: r for n, r in changed["resources"].items() if n != name}
    assert others == {n: r for n, r in source["resources"].items() if n != name}


def test_row_reports_the_median_round_and_fails_on_any_bad_round() -> None:
    rounds = [_round(0.3, 1, ["n"]), _round(0.9, 1, ["n"]), _round(0.5, 1, ["n"])]
    good = row("one property", rounds, ["n"])
    assert (good["engine_s"], good["engine_runs"], good["met"]) == (0.5, "0.30/0.50/0.90", True)
    assert row("one property", [*rounds[:2], _round(0.5, 2, ["n"])], ["n"])["met"] is False
    assert row("one property", [*rounds[:2], _round(0.5, 1, ["n", "m"])], ["n"])["met"] is False
    assert row("one property", [_round(1.2, 1, ["n"])], ["n"])["met"] is False
    assert row("no-op", [_round(3.0, 0, [])], [])["met"] is True


def test_small_generated_stack_updates_with_one_call_per_changed_resource(tmp_path: Path) -> None:
    """Counted by the emulator (``/admin/counters``): a no-op calls nothing; one changed
    property is one PUT, its answer the new state (no GET to read it back)."""
    noop, one = run(tmp_path, resources=25, count=5, runs=1)
    assert (noop["cloud_calls"], noop["updated"]) == (0, "-")
    assert one["updated"] == "c00000_net"
    assert (one["cloud_calls"], one["calls"]) == (1, "PUT /network/v2.0/networks/{id} x1")
