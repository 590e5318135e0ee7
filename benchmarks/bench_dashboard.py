"""The dashboard at size: the stacks list with 1,000 stacks, and a stack of 200 resources
(its page, ``topology.json``, one read of the live stream), and one read of the list's
stream.

Served in-process (``fastapi.testclient``, ``--auth none``) over SQLite; the stacks are
``OS::Heat::None`` in two regions, created through the service. Figures: the median of
``REPEAT`` requests after one warm-up.
Run: `.venv/bin/python -m benchmarks dashboard`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.common import median_ms, report
from crossheat.api.app import create_app
from crossheat.api.auth import NoAuth
from crossheat.service import Dashboard, Inputs, Service

STACKS = 1_000
RESOURCES = 200
REPEAT = 5
REGION_MAP = "regions:\n  East: {cloud: nowhere}\n  West: {cloud: nowhere}\ndefault_region: East\n"


def _template(size: int) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for i in range(size):
        body: dict[str, Any] = {"type": "OS::Heat::None", "region": "East" if i % 2 else "West"}
        if i:
            body["depends_on"] = [f"r{i // 2}"]
        resources[f"r{i}"] = body
    return {"heat_template_version": "2016-04-08", "resources": resources}


def _get(client: TestClient, url: str) -> Callable[[], Any]:
    def call() -> None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text[:300]

    return call


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "regions.yaml"
        path.write_text(REGION_MAP)
        os.environ["CROSSHEAT_REGION_MAP"] = str(path)
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[variable] = str(Path(tmp) / variable.lower())  # a key of its own
        rows = []
        with Service(database_url=f"sqlite:///{tmp}/bench.db") as service:
            scoped = service.scoped("default")
            start = time.perf_counter()
            for i in range(STACKS):
                template = _template(1 + i % 3)
                scoped.run_here(scoped.create(f"stack-{i:04d}", Inputs(template)))
            made = time.perf_counter() - start
            big = scoped.run_here(scoped.create("big", Inputs(_template(RESOURCES))))
            app = create_app(service, auth=NoAuth())
            with TestClient(app) as client:
                client.get("/dashboard/")
                pages = {
                    "list: first page (50)": "/dashboard/",
                    "list: last page": "/dashboard/?page=21",
                    "list: sorted by name": "/dashboard/?sort=name&dir=asc",
                    "list: name filter": "/dashboard/?name=stack-09",
                    "list: region filter": "/dashboard/?region=West&status=COMPLETE",
                    f"stack of {RESOURCES}: page": f"/dashboard/stacks/{big.id}",
                    f"stack of {RESOURCES}: topology.json": f"/dashboard/stacks/{big.id}"
                    "/topology.json",
                }
                for what, url in pages.items():
                    ms = median_ms(_get(client, url), REPEAT)
                    rows.append({"what": what, "stacks": STACKS + 1, "ms": ms})
            board = Dashboard(scoped)
            rows.append({"what": "list: one stream read", "stacks": STACKS + 1,
                         "ms": median_ms(board.watch_list().changes, REPEAT)})  # fmt: skip
            watch = board.watch(scoped.get(big.id))
            rows.append({"what": f"stack of {RESOURCES}: one stream read", "stacks": STACKS + 1,
                         "ms": median_ms(watch.changes, REPEAT)})  # fmt: skip
        print(f"{STACKS} stacks created and run in {made:.1f} s")
    report("dashboard", f"dashboard at {STACKS} stacks and a {RESOURCES}-resource stack "
                        f"(median of {REPEAT}, ms)", rows)  # fmt: skip


if __name__ == "__main__":
    main()
