"""What a ``/metrics`` scrape costs as the events pile up.

::

    .venv/bin/python -m benchmarks.bench_metrics

A SQLite state database with ``STACKS`` stacks of ``EVENTS`` events each (an operation
every ten events: IN_PROGRESS, resources, then COMPLETE; a check that found a drifted
resource now and then), written through the store as the engine writes them. Then the
scrapes of one process (``metrics_exposition`` of one ``Service``): the first, which
reads every event once; one after a single new event; one with nothing new. Each later
scrape reads only the events past those counted (``service._metrics.OperationTally``),
so it should cost about the same however many events there are. Times are the median of
``SCRAPES``. Writes ``results/metrics.json``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import report
from crossheat.service import Service, metrics_exposition
from crossheat.store import Action, StackSpec, Status, Store

SIZES = ((50, 40), (200, 60))
SCRAPES = 9


def populate(store: Store, stacks: int, events: int) -> str:
    """``stacks`` stacks of ``events`` events each; the id of the last stack."""
    stack_id = ""
    for s in range(stacks):
        stack_id = store.create_stack(f"s{s}", "default", StackSpec(template={})).id
        for e in range(events):
            step = e % 10
            if step == 0:
                store.add_event(stack_id, f"s{s}", Action.CREATE, Status.IN_PROGRESS)
            elif step == 9:
                store.add_event(stack_id, f"s{s}", Action.CREATE, Status.COMPLETE)
            else:
                status = Status.FAILED if step == 5 and s % 7 == 0 else Status.COMPLETE
                store.add_event(stack_id, f"r{step}", Action.CHECK, status,
                                resource_type="OS::Neutron::Net", region="East")  # fmt: skip
    return stack_id


def scrape_ms(service: Service) -> float:
    started = time.perf_counter()
    metrics_exposition(service)
    return (time.perf_counter() - started) * 1000


def measure(tmp: Path, stacks: int, events: int) -> dict[str, Any]:
    url = f"sqlite:///{tmp / f'metrics-{stacks}.db'}"
    with Store.open(url) as store:
        last = populate(store, stacks, events)
        with Service(database_url=url) as service:
            first = scrape_ms(service)
            after_one = []
            for _ in range(SCRAPES):
                store.add_event(last, "r1", Action.CHECK, Status.COMPLETE,
                                resource_type="OS::Neutron::Net", region="East")  # fmt: skip
                after_one.append(scrape_ms(service))
            idle = [scrape_ms(service) for _ in range(SCRAPES)]
    return {
        "stacks": stacks,
        "events": stacks * events,
        "first_scrape_ms": round(first, 1),
        "scrape_after_one_event_ms": round(statistics.median(after_one), 1),
        "scrape_nothing_new_ms": round(statistics.median(idle), 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(Path(tmp), stacks, events) for stacks, events in SIZES]
    report("metrics", "a /metrics scrape as the events pile up (SQLite)", rows)


if __name__ == "__main__":
    main()
