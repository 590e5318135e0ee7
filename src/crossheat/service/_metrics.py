"""``/metrics``: Prometheus' text format, from the database and from this process.

    body, content_type = metrics_exposition(service)     # what ``GET /metrics`` answers
    serve_metrics(9464)                                   # ``crossheat worker --metrics-port``

From the database, read at each scrape (``StateCollector``), so that every process's
operations count wherever they ran (the server, its workers, ``crossheat worker`` on other
machines, detached engines): stacks by status and region, operations by kind and outcome
with their durations, drift found, the job queue's depth and the live workers. From this
process (``prometheus_client``'s default registry): its cloud calls and retries
(``crossheat.clouds.metrics``); a worker process serves its own on ``--metrics-port``.
With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus-client's multiprocess mode), every
process of the host writes its values there and ``/metrics`` adds them up instead.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Iterator
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

    def collect(self) -> Iterator[Metric]:
        stacks = GaugeMetricFamily(
            "crossheat_stacks", "Live stacks by status and by region they have resources in.",
            labels=["stack_status", "region"],
        )  # fmt: skip
        for action, status, region, count in self.store.stacks_by_status():
            stacks.add_metric([f"{action}_{status}", region], count)
        yield stacks
        yield from operation_metrics(self.store.stack_operation_events())
        drifted = CounterMetricFamily(
            "crossheat_drifted_resources",
            "Resources checks found changed or gone (CHECK_FAILED), by region.",
            labels=["region"],
        )
        for region, count in self.store.drifted_resources():
            drifted.add_metric([region], count)
        yield drifted
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


def operation_metrics(events: list[tuple[str, int, str, str, datetime]]) -> Iterator[Metric]:
    """Operations (their stacks' events, each stack's in order) by kind and outcome: how
    many ended, and how long those whose start is known took; checks that found drift."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    started: dict[str, tuple[str, float]] = {}
    for stack_id, _seq, action, status, at in events:
        if status == "IN_PROGRESS":
            started[stack_id] = (action, at.timestamp())
        elif status in ENDED:
            counts[action, status] += 1
            began = started.pop(stack_id, None)
            if began is not None and began[0] == action:
                durations[action, status].append(max(0.0, at.timestamp() - began[1]))
    total = CounterMetricFamily(
        "crossheat_operations", "Stack operations ended, by kind (action) and outcome.",
        labels=["kind", "outcome"],
    )  # fmt: skip
    timed = HistogramMetricFamily(
        "crossheat_operation_duration_seconds",
        "How long stack operations took, from their IN_PROGRESS event to their end.",
        labels=["kind", "outcome"],
    )
    for key in sorted(counts):
        total.add_metric(list(key), counts[key])
    for key in sorted(durations):
        values = durations[key]
        buckets = [(_bound(b), sum(1 for v in values if v <= b)) for b in OPERATION_BUCKETS]
        timed.add_metric(list(key), buckets, sum(values))
    yield total
    yield timed
    yield CounterMetricFamily(
        "crossheat_drift_found", "Checks that found drift (ended CHECK_FAILED).",
        counts["CHECK", "FAILED"],
    )  # fmt: skip


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
