"""Lookups made ahead of time, so that their answers are at hand when a create needs them.

When a create operation starts, every resource type with lookups to make
(``ResourceType.prefetch``: a server's flavor and image ids) makes them at once, in
worker threads, from the properties already known, while the resources before it
are being created. The same call later in the operation (the server's create asking
for the same flavor in the same region) gets that answer instead of calling again,
waiting for it when it is still on its way; a lookup that failed is simply made again
by the step that needs it, which then meets the error itself.

    lookups = Lookups()
    lookups.ahead(key, call)     # in a worker thread: call now, keep the answer
    lookups.keep(key, answer)    # an answer got otherwise (a list call answering GETs)
    lookups.answer(key)          # the kept answer's future, or None
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future
from threading import Lock
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def call_key(region: str, fn: Callable[..., Any], args: tuple[Any, ...],
             kwargs: Mapping[str, Any]) -> Hashable | None:  # fmt: skip
    """What makes two calls the same: region, function and arguments; None when an
    argument cannot be compared that way (such a call is never answered ahead)."""
    key = (region, fn, args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class Lookups:
    """The answers of the calls made ahead in one operation, by ``call_key``."""

    def __init__(self) -> None:
        self._answers: dict[Hashable, Future[Any]] = {}
        self._lock = Lock()

    def ahead(self, key: Hashable, call: Callable[[], T]) -> T:
        """``call()`` now and keep its answer (or error) for ``key``; a call already
        made or on its way for ``key`` is not made twice."""
        mine: Future[Any] = Future()
        with self._lock:
            kept = self._answers.setdefault(key, mine)
        if kept is not mine:
            return kept.result()  # type: ignore[no-any-return]
        try:
            answer = call()
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        mine.set_result(answer)
        return answer

    def keep(self, key: Hashable, answer: Any) -> None:
        """Keep ``answer`` for ``key`` as if the call had been made (a batched read's: one
        list call answers the GETs of many resources, ``engine.check``)."""
        kept: Future[Any] = Future()
        kept.set_result(answer)
        with self._lock:
            self._answers.setdefault(key, kept)

    def answer(self, key: Hashable | None) -> Future[Any] | None:
        """The future answer kept for ``key``, if a call was made ahead for it."""
        if key is None:
            return None
        with self._lock:
            return self._answers.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)


def answered(found: Future[Any] | None) -> tuple[bool, Any]:
    """``(True, answer)`` once the call made ahead succeeded (waiting for it if it is on
    its way); ``(False, None)`` when there was none or it failed."""
    if found is None:
        return False, None
    try:
        return True, found.result()
    except Exception as exc:  # the step makes the call again and meets the error itself
        log.debug("lookup made ahead failed: %s", exc)
        return False, None
