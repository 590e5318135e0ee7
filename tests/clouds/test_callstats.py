"""The recent cloud calls per region: latency, error rate, what counts as an error."""

from __future__ import annotations

import time

import pytest

from crossheat.clouds.callstats import CallStats


class Answered(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status


def test_a_region_without_calls_has_no_figures() -> None:
    assert CallStats().summary("East") == {
        "calls": 0, "latency_ms": None, "p95_ms": None, "error_rate": None,
        "last_at": None, "last_ok": None,
    }  # fmt: skip


def test_latency_and_error_rate_of_the_recent_calls() -> None:
    stats = CallStats()
    for seconds in (0.010, 0.020, 0.030, 0.040):
        stats.record("East", seconds, True)
    stats.record("East", 0.100, False)
    stats.record("West", 0.5, True)
    east = stats.summary("East")
    assert east["calls"] == 5
    assert east["latency_ms"] == pytest.approx(40.0)
    assert east["p95_ms"] == pytest.approx(100.0)
    assert east["error_rate"] == pytest.approx(0.2)
    assert east["last_ok"] is False
    assert stats.summary("West")["calls"] == 1


def test_a_404_is_an_answer_a_timeout_or_a_500_an_error() -> None:
    stats = CallStats()

    def raising(exc: Exception) -> None:
        raise exc

    assert stats.timed("East", lambda: 7)() == 7
    for exc in (Answered(404), Answered(409), Answered(503), TimeoutError("no answer")):
        with pytest.raises(type(exc)):
            stats.timed("East", lambda exc=exc: raising(exc))()  # type: ignore[misc]
    summary = stats.summary("East")
    assert summary["calls"] == 5
    assert summary["error_rate"] == pytest.approx(0.4)


def test_only_the_last_calls_within_the_window_count() -> None:
    stats = CallStats(keep=3, window=0.2)
    for _ in range(5):
        stats.record("East", 0.01, False)
    stats.record("East", 0.01, True)
    assert stats.summary("East")["calls"] == 3
    assert stats.summary("East")["error_rate"] == 0.667  # rounded to 3 places
    time.sleep(0.25)
    assert stats.summary("East")["calls"] == 0
