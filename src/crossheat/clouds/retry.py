"""Retrying transient cloud errors: exponential backoff with full jitter.

    policy = RetryPolicy()                                   # 8 attempts, 0.5 s base, 8 s cap
    value = policy.run(lambda: sdk_call(), translate)        # sync
    value = await policy.arun(lambda: sdk_call(), translate) # the call runs in a thread

Before retry ``n`` (1-based) it waits ``uniform(0, min(cap, base * 2**(n-1)))``,
or the server's ``Retry-After`` when the error carries one. Only
``CloudTransientError`` is retried; a ``Retry-After`` longer than
``max_retry_after`` is not waited for. The last error is raised ``from`` the
original exception. ``sleep``, ``async_sleep`` and ``random`` are injectable
so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TypeVar

from crossheat.clouds.metrics import count_retry
from crossheat.errors import CloudError, CloudTransientError

T = TypeVar("T")

#: ``translate(exc)``: the crossheat error for ``exc``, or ``None`` to let ``exc`` through.
Translator = Callable[[Exception], CloudError | None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (see module doc)."""

    attempts: int = 8
    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    #: False for calls that must not be repeated blindly (creates): an error after
    #: which the call may have been carried out is raised at once.
    repeat_maybe_done: bool = True

    def delay(self, retry: int, error: CloudError) -> float:
        """Seconds to wait before retry number ``retry`` (1-based) after ``error``."""
        if error.retry_after is not None:
            return error.retry_after
        return self.random() * min(self.cap, self.base * 2.0 ** (retry - 1))

    def should_retry(self, attempt: int, error: CloudError) -> bool:
        """True when ``error`` on attempt ``attempt`` (1-based) is worth another try."""
        if attempt >= self.attempts or not isinstance(error, CloudTransientError):
            return False
        if error.maybe_done and not self.repeat_maybe_done:
            return False
        return error.retry_after is None or error.retry_after <= self.max_retry_after

    def _next_delay(self, attempt: int, exc: Exception, translate: Translator) -> float:
        """The wait before the next attempt, or raise the translated error."""
        error = translate(exc)
        if error is None:
            raise exc
        if not self.should_retry(attempt, error):
            raise error from exc
        wait = self.delay(attempt, error)
        count_retry(error.region)
        log.info(
            "retrying after %s (attempt %d of %d, in %.2fs)", error, attempt, self.attempts, wait
        )
        return wait

    def run(self, fn: Callable[[], T], translate: Translator) -> T:
        """Call ``fn`` until it succeeds or the error is not worth retrying."""
        attempt = 1
        while True:
            try:
                return fn()
            except Exception as exc:
                self.sleep(self._next_delay(attempt, exc, translate))
            attempt += 1

    async def arun(
        self, fn: Callable[[], T], translate: Translator, executor: Executor | None = None
    ) -> T:
        """Like ``run``, calling the blocking ``fn`` in ``executor`` (default: the loop's)."""
        loop = asyncio.get_running_loop()
        attempt = 1
        while True:
            try:
                return await loop.run_in_executor(executor, fn)
            except Exception as exc:
                await self.async_sleep(self._next_delay(attempt, exc, translate))
            attempt += 1
