"""This process's cloud metrics: retries counted by region."""

from __future__ import annotations

from prometheus_client import REGISTRY

from crossheat.clouds.retry import RetryPolicy
from crossheat.errors import CloudError, CloudTransientError


def retries(region: str) -> float:
    return REGISTRY.get_sample_value("crossheat_cloud_retries_total", {"region": region}) or 0.0


def test_each_retry_counts_in_its_region() -> None:
    before = retries("Retried")
    answers = iter([CloudTransientError("busy", status_code=503, region="Retried")] * 2)

    def call() -> str:
        error = next(answers, None)
        if error is not None:
            raise error
        return "done"

    def translate(exc: Exception) -> CloudError | None:
        return exc if isinstance(exc, CloudError) else None

    assert RetryPolicy(sleep=lambda _: None).run(call, translate) == "done"
    assert retries("Retried") == before + 2
