"""``/metrics``: Prometheus' text format, from the database and from this process.

    body, content_type = metrics_exposition(service)     # what ``GET /metrics`` answers
    serve_metrics(9464)                                   # ``crossheat worker --metrics-port``

From the database, read at each scrape (``StateCollector``), so that every process's
operations count wherever they ran (the server, its workers, ``crossheat worker`` on other
machines, detached engines): stacks by status and region, operations by kind and outcome
with their durations, drift found, the job queue's depth and the live workers. Operations
and drift are counted from the stacks' events (``OperationTally``), which only grow: each
scrape reads only the events past those this process counted already, so that a scrape
costs as much on the thousandth day as on the first. From this
process (``prometheus_client``'s default registry): its cloud calls and retries
(``crossheat.clouds.metrics``); a worker process serves its own on ``--metrics-port``.
With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus-client's multiprocess mode), every
process of the host writes its values there and ``/metrics`` adds them up instead.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from crossheat.service.queue import QueueSettings
from crossheat.store.records import STACK_EVENT_TYPE

if TYPE_CHECKING:
    from crossheat.service._service import Service
    from crossheat.store import Store

#: Upper bounds (seconds) of the operation duration histogram's buckets.
OPERATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, math.inf)
ENDED = ("COMPLETE", "FAILED")


class StateCollector(Collector):
    """The deployment's state as metrics, read from the store at each collection."""

    def __init__(self, store: Store, settings: QueueSettings | None = None) -> None:
        self.store = store
        self.settings = settings or QueueSettings.from_environment()
        self.tally = tally_of(store)

    def collect(self) -> Iterator[Metric]:
        stacks = GaugeMetricFamily(
            "crossheat_stacks", "Live stacks by status and by region they have resources in.",
            labels=["stack_status", "region"],
        )  # fmt: skip
        for action, status, region, count in self.store.stacks_by_status():
            stacks.add_metric([f"{action}_{status}", region], count)
        yield stacks
        yield from self.tally.read(self.store)
        yield from self._queue()

    def _queue(self) -> Iterator[Metric]:
        depth = self.store.queue_depth()
        if depth is None:  # no job queue: operations run where they are started
            return
        jobs = GaugeMetricFamily(
            "crossheat_queue_jobs", "Operations in the job queue, waiting (todo) or running"
            " (doing).", labels=["state"],
        )  # fmt: skip
        for state, count in sorted(depth.items()):
            jobs.add_metric([state], count)
        yield jobs
        live = self.store.live_workers(self.settings.stall_timeout)
        yield GaugeMetricFamily(
            "crossheat_workers", "Workers that sent a heartbeat within the stall timeout.", live
        )


class OperationTally:
    """Operations (top-level stacks' own events) by kind and outcome, how long those whose
    start is known took, checks that found drift, and resources found drifted (their
    CHECK_FAILED events) by region: counted from the events as they come.

    ``read(store)`` counts each stack's events numbered past those counted already, up to
    its last number (``store.event_marks``: all of those have committed), then gives the
    metrics. A process's first scrape reads every event once; a stack purged from the
    database is forgotten, what it counted stays counted (counters do not go down)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Each stack's last event number counted, and its operation in progress.
        self._counted: dict[str, int] = {}
        self._started: dict[str, tuple[str, float]] = {}
        self._ended: dict[tuple[str, str], int] = defaultdict(int)
        #: Per (kind, outcome): each bucket's count (``OPERATION_BUCKETS``), and the sum.
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._seconds: dict[tuple[str, str], float] = defaultdict(float)
        self._drifted: dict[str, int] = defaultdict(int)

    def read(self, store: Store) -> list[Metric]:
        """Count ``store``'s new events; the metrics as they stand."""
        with self._lock:
            marks = store.event_marks()
            behind = {
                stack_id: self._counted.get(stack_id, 0)
                for stack_id, (last, _) in marks.items()
                if last > self._counted.get(stack_id, 0)
            }
            for stack_id, seq, kind, action, status, region, at in store.counted_events(behind):
                if seq > marks[stack_id][0]:
                    continue  # numbered after the marks were read: counted next time
                if kind != STACK_EVENT_TYPE:
                    self._drifted[region or ""] += 1  # a resource's CHECK_FAILED
                elif marks[stack_id][1]:  # a top-level stack's
                    self.add(stack_id, action, status, at)
            self._counted.update((stack_id, marks[stack_id][0]) for stack_id in behind)
            for gone in self._counted.keys() - marks.keys():  # purged
                del self._counted[gone]
                self._started.pop(gone, None)
            return list(self.metrics())

    def add(self, stack_id: str, action: str, status: str, at: datetime) -> None:
        """A top-level stack's own event (each stack's in order)."""
        if status == "IN_PROGRESS":
            self._started[stack_id] = (action, at.timestamp())
        elif status in ENDED:
            key = (action, status)
            self._ended[key] += 1
            began = self._started.pop(stack_id, None)
            if began is not None and began[0] == action:
                took = max(0.0, at.timestamp() - began[1])
                counts = self._buckets.setdefault(key, [0] * len(OPERATION_BUCKETS))
                for i, bound in enumerate(OPERATION_BUCKETS):
                    counts[i] += took <= bound
                self._seconds[key] += took

    def metrics(self) -> Iterator[Metric]:
        total = CounterMetricFamily(
            "crossheat_operations", "Stack operations ended, by kind (action) and outcome.",
            labels=["kind", "outcome"],
        )  # fmt: skip
        timed = HistogramMetricFamily(
            "crossheat_operation_duration_seconds",
            "How long stack operations took, from their IN_PROGRESS event to their end.",
            labels=["kind", "outcome"],
        )
        for key in sorted(self._ended):
            total.add_metric(list(key), self._ended[key])
        for key in sorted(self._buckets):
            counts = self._buckets[key]
            buckets = [(_bound(b), n) for b, n in zip(OPERATION_BUCKETS, counts, strict=True)]
            timed.add_metric(list(key), buckets, self._seconds[key])
        yield total
        yield timed
        yield CounterMetricFamily(
            "crossheat_drift_found", "Checks that found drift (ended CHECK_FAILED).",
            self._ended.get(("CHECK", "FAILED"), 0),
        )  # fmt: skip
        drifted = CounterMetricFamily(
            "crossheat_drifted_resources",
            "Resources checks found changed or gone (CHECK_FAILED), by region.",
            labels=["region"],
        )
        for region in sorted(self._drifted):
            drifted.add_metric([region], self._drifted[region])
        yield drifted


#: Each open store's tally, kept between scrapes (and dropped with the store).
_TALLIES: weakref.WeakKeyDictionary[Store, OperationTally] = weakref.WeakKeyDictionary()
_TALLIES_LOCK = threading.Lock()


def tally_of(store: Store) -> OperationTally:
    with _TALLIES_LOCK:
        tally = _TALLIES.get(store)
        if tally is None:
            tally = _TALLIES[store] = OperationTally()
        return tally


def operation_metrics(events: Iterable[tuple[str, int, str, str, datetime]]) -> Iterator[Metric]:
    """The operation metrics of top-level stacks' own ``events`` (each stack's in order)."""
    tally = OperationTally()
    for stack_id, _seq, action, status, at in events:
        tally.add(stack_id, action, status, at)
    return tally.metrics()


def _bound(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else str(bound)


def metrics_exposition(service: Service) -> tuple[bytes, str]:
    """``GET /metrics``'s body and content type: the deployment's state and this process's
    (every process's of the host, in prometheus-client's multiprocess mode)."""
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(service.store()))
    return _process_metrics() + generate_latest(state), CONTENT_TYPE_LATEST


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
    return generate_latest(REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics (its cloud calls, its retries) on ``host:port`` in a
    thread of its own: what ``crossheat worker --metrics-port`` starts."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)
