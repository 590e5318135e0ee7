"""This process's cloud calls as Prometheus metrics (``prometheus_client``'s default registry).

    crossheat_cloud_calls_total{region, service, code}        every HTTP answer of a cloud
    crossheat_cloud_call_duration_seconds{region, service}    how long the answers took
    crossheat_cloud_retries_total{region}                     calls tried again (``retry``)

openstacksdk reports every answer its service proxies get (``Proxy._report_stats``) to
the counter and histogram of the ``collector_registry`` its cloud region was given;
``count_calls`` hands it ``SdkMetrics``, which keeps only bounded labels: the region
(crossheat's name), the service type (``network``, ``compute``...) and the status
code, never the URL (which holds ids). ``crossheat serve`` shows these at ``/metrics``;
``crossheat worker --metrics-port`` serves its own.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

CLOUD_CALLS = Counter(
    "crossheat_cloud_calls",
    "HTTP answers of the clouds' APIs, by region, service type and status code.",
    ["region", "service", "code"],
)
CLOUD_CALL_SECONDS = Histogram(
    "crossheat_cloud_call_duration_seconds",
    "Time until a cloud API answered, by region and service type.",
    ["region", "service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CLOUD_RETRIES = Counter(
    "crossheat_cloud_retries",
    "Cloud calls tried again after a transient error, by region.",
    ["region"],
)


class _Labelled:
    """What openstacksdk calls ``labels(**its_labels)`` on: our metric, our labels."""

    def __init__(self, region: str, metric: Counter | Histogram, with_code: bool) -> None:
        self.region, self.metric, self.with_code = region, metric, with_code

    def labels(self, **sdk: Any) -> Any:
        service = str(sdk.get("service_type") or "unknown")
        if self.with_code:
            return self.metric.labels(self.region, service, str(sdk.get("status_code")))
        return self.metric.labels(self.region, service)


class SdkMetrics:
    """Stands for a ``CollectorRegistry`` in openstacksdk's eyes: the counter and the
    histogram it looks for on a registry, recording into ours for ``region``."""

    def __init__(self, region: str) -> None:
        self._openstacksdk_counter = _Labelled(region, CLOUD_CALLS, True)
        self._openstacksdk_histogram = _Labelled(region, CLOUD_CALL_SECONDS, False)


def count_calls(cloud_region: Any, region: str) -> Any:
    """``cloud_region`` (an openstacksdk ``CloudRegion``) reporting its calls as ``region``'s;
    openstacksdk takes the registry only when it builds a region, hence the attribute."""
    cloud_region._prometheus_config = {"collector_registry": SdkMetrics(region)}
    return cloud_region


def count_retry(region: str | None) -> None:
    CLOUD_RETRIES.labels(region or "unknown").inc()
