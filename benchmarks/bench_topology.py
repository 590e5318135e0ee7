"""The dashboard's topology view (``static/topology.js``) in Debian's Chromium, headless:
how long a stack of 50, 200 and 500 resources takes to draw, and to show a burst of
events (every resource completes at once), on the stand-in page (ui_standin.py).

Target (issue 14: "holds up at 200 resources"): 200 drawn within a few seconds, a burst
of 200 events shown within a second. Needs /usr/bin/chromium (``make test`` installs it).
Run: `make bench` or `.venv/bin/python -m benchmarks.bench_topology`.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

from benchmarks.common import report
from benchmarks.ui_standin import CHROMIUM, CHROMIUM_ARGS, large_topology, standin_server

SIZES = (50, 200, 500)
RUNS = 3


def _once(page: Page, url: str, standin: Any, size: int) -> dict[str, float]:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#topology[data-state=ready]", timeout=120_000)
    drawn = time.perf_counter() - started
    layout_ms = page.evaluate(
        "() => document.getElementById('topology').crossheatTopology.layoutMs"
    )
    events = [("resource", {"name": f"r{i:03d}", "status": "CREATE_COMPLETE"}) for i in range(size)]
    started = time.perf_counter()
    standin.push_all(events)
    page.wait_for_function(
        "(n) => document.querySelectorAll("
        "'#topology-summary li[data-status=\"CREATE_COMPLETE\"]').length === n",
        arg=size,
        timeout=60_000,
    )
    shown = time.perf_counter() - started
    return {"drawn_s": drawn, "layout_s": layout_ms / 1000, "burst_s": shown}


def main() -> None:
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is missing (`make test` installs Debian's chromium)")
        return
    topologies = {f"s{size}": large_topology(size) for size in SIZES}
    rows: list[dict[str, Any]] = []
    with standin_server(topologies) as standin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for size in SIZES:
                runs = []
                for _ in range(RUNS):
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    runs.append(_once(page, standin.page_url(f"s{size}"), standin, size))
                    page.close()
                best = {key: min(run[key] for run in runs) for key in runs[0]}
                rows.append({
                    "resources": size, "regions": 4,
                    "drawn_s": round(best["drawn_s"], 2),
                    "of_which_layout_s": round(best["layout_s"], 2),
                    "burst_of_events_s": round(best["burst_s"], 2),
                })  # fmt: skip
        finally:
            browser.close()
    report(
        "topology",
        f"topology view in Chromium: page load to drawn, and a burst of one event per resource "
        f"shown (best of {RUNS})",
        rows,
    )


if __name__ == "__main__":
    main()
