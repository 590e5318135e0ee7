"""RetryPolicy: full-jitter backoff, Retry-After, what is retried and what is raised."""

from __future__ import annotations

import asyncio
import random

import pytest

from crossheat.clouds.retry import RetryPolicy
from crossheat.errors import CloudConflict, CloudError, CloudTransientError


def transient(retry_after: float | None = None) -> CloudTransientError:
    return CloudTransientError("busy", status_code=503, retry_after=retry_after)


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert [policy.delay(n, transient()) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 8, 8]


def test_full_jitter_stays_between_zero_and_the_backoff() -> None:
    policy = RetryPolicy(random=random.Random(7).random)
    delays = [policy.delay(3, transient()) for _ in range(200)]
    assert all(0 <= d <= 2.0 for d in delays)
    assert min(delays) < 0.5 < 1.5 < max(delays)


def test_retry_after_wins_over_backoff() -> None:
    assert RetryPolicy(random=lambda: 1.0).delay(1, transient(retry_after=7)) == 7


@pytest.mark.parametrize(
    ("attempt", "error", "expected"),
    [
        (1, transient(), True),
        (7, transient(), True),
        (8, transient(), False),
        (1, CloudConflict("in use", status_code=409), False),
        (1, transient(retry_after=60), True),
        (1, transient(retry_after=61), False),
    ],
)
def test_should_retry(attempt: int, error: CloudError, expected: bool) -> None:
    assert RetryPolicy().should_retry(attempt, error) is expected


class Flaky:
    """Fails ``times`` times with ``exc``, then returns ``"ok"``."""

    def __init__(self, times: int, exc: Exception) -> None:
        self.times = times
        self.exc = exc
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.times:
            raise self.exc
        return "ok"


def as_transient(exc: Exception) -> CloudError | None:
    return transient() if isinstance(exc, OSError) else None


def test_run_retries_then_succeeds() -> None:
    sleeps: list[float] = []
    flaky = Flaky(2, OSError("reset"))
    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 1.0)
    assert policy.run(flaky, as_transient) == "ok"
    assert sleeps == [0.5, 1.0]


def test_run_raises_translated_error_from_the_original() -> None:
    original = OSError("reset")
    policy = RetryPolicy(attempts=3, sleep=lambda s: None)
    with pytest.raises(CloudTransientError) as info:
        policy.run(Flaky(10, original), as_transient)
    assert info.value.__cause__ is original


def test_untranslated_exceptions_are_raised_as_they_are() -> None:
    flaky = Flaky(1, KeyError("bug"))
    with pytest.raises(KeyError):
        RetryPolicy(sleep=lambda s: None).run(flaky, as_transient)
    assert flaky.calls == 1


def test_arun_sleeps_asynchronously() -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(async_sleep=fake_sleep, random=lambda: 1.0)
    assert asyncio.run(policy.arun(Flaky(3, OSError("reset")), as_transient)) == "ok"
    assert waits == [0.5, 1.0, 2.0]
