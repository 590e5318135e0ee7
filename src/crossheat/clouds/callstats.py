"""Recent cloud calls per region, as the engine saw them: latency and errors.

    CALLS.timed("East", fn)()          # fn run, its duration and outcome recorded
    CALLS.summary("East")              # {"calls": 12, "latency_ms": 41.0, "error_rate": 0.0...}

Bounded and in-process: the last ``KEEP`` calls of each region of this process (the
server's own operations, the dashboard's probes), within the last ``WINDOW_S``. A call
that fails because the cloud could not answer (a timeout, a refused connection, a 5xx,
an authentication failure) is an error; a 404 or a 409 is an answer, not an error.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: Calls kept per region.
KEEP = 500
#: Calls older than this are no longer "recent".
WINDOW_S = 600.0
#: HTTP statuses that are answers of a healthy cloud (the caller's mistakes or races).
ANSWERS = frozenset({400, 404, 409, 413})


@dataclass(frozen=True)
class Call:
    at: float
    seconds: float
    ok: bool


class CallStats:
    def __init__(self, keep: int = KEEP, window: float = WINDOW_S) -> None:
        self.keep, self.window = keep, window
        self._calls: dict[str, deque[Call]] = {}
        self._lock = threading.Lock()

    def record(self, region: str, seconds: float, ok: bool) -> None:
        with self._lock:
            calls = self._calls.setdefault(region, deque(maxlen=self.keep))
            calls.append(Call(time.time(), seconds, ok))

    def timed(self, region: str, fn: Callable[[], T]) -> Callable[[], T]:
        """``fn`` recording each run's duration and whether the cloud answered."""

        def run() -> T:
            start = time.perf_counter()
            try:
                value = fn()
            except Exception as exc:
                self.record(region, time.perf_counter() - start, _answered(exc))
                raise
            self.record(region, time.perf_counter() - start, True)
            return value

        return run

    def summary(self, region: str) -> dict[str, Any]:
        """The region's recent calls: how many, their mean and 95th percentile latency
        (ms), the share that failed, and when the last one was (None: no call)."""
        since = time.time() - self.window
        with self._lock:
            calls = [c for c in self._calls.get(region, ()) if c.at >= since]
        if not calls:
            return {"calls": 0, "latency_ms": None, "p95_ms": None, "error_rate": None,
                    "last_at": None, "last_ok": None}  # fmt: skip
        times = sorted(c.seconds for c in calls)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        errors = sum(1 for c in calls if not c.ok)
        return {
            "calls": len(calls),
            "latency_ms": round(1000 * sum(times) / len(times), 1),
            "p95_ms": round(1000 * p95, 1),
            "error_rate": round(errors / len(calls), 3),
            "last_at": calls[-1].at,
            "last_ok": calls[-1].ok,
        }


def _answered(exc: BaseException) -> bool:
    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    return isinstance(status, int) and status in ANSWERS


#: This process's record.
CALLS = CallStats()
