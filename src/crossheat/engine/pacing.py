"""When to poll a resource that is not ready yet: near when it should be, not on a blind backoff.

    learnt = Durations(history)          # ``history(type, region, action)``: earlier runs' seconds
    pacer = learnt.pacer("OS::Nova::Server", "East", Action.CREATE)
    pacer.delay()                        # seconds until the next poll (a step's ``Pending``)
    pacer.done()                         # ready: this run now knows how long it took

A type's *expected* duration in a region is the shortest of the last few seen, in this
run (a finished resource teaches the others of its type and region) and in the events
of earlier operations (``Store.recent_durations``). Each is when the resource was seen
ready, later than it was by up to a pause between polls: the shortest is the closest
to the truth, and each run that sees a resource ready at its first poll tightens it.
With an expected duration ``E`` the first poll is at ``E - c``, then every ``c`` (the
cadence, 5% of ``E``, 0.1 s at least) three times, then the pause grows: a cloud as
fast as lately is seen ready within about ``c``, in one to three reads.

Knowing nothing yet, the schedule is a cautious backoff: a first poll at 0.1 s (what
is quick is seen at once), the next at a tenth of the planner's estimate
(``resources/estimates.py``, only for creates, whose durations it estimates), then each pause
half the time elapsed so far (each read at about 1.5x the time of the previous one), at
most a quarter of the estimate and 2 s at least. Times count from the start of the
action (before its first cloud call), as the events do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from crossheat.errors import StoreError
from crossheat.resources.estimates import estimate
from crossheat.resources.lifecycle import MAX_POLL_DELAY
from crossheat.store.records import Action

log = logging.getLogger(__name__)

#: Durations kept per (type, region, action); the shortest of these is the expectation.
KEEP = 5
#: Shortest pause between two polls, and the cadence as a share of the expected duration.
MIN_DELAY = 0.1
CADENCE_SHARE = 0.05
#: Polls at the cadence after the expected time, before the pause grows.
CADENCE_POLLS = 3
#: Without an expectation: the first poll at this share of the estimate.
FIRST_SHARE = 0.1
#: Growth: each pause is this share of the time since the action (or since the first poll).
GROWTH = 0.5
# The pause never grows past max(MAX_POLL_DELAY, duration / 4) (resources.lifecycle).

#: A poll this close to its planned time counts as on time.
SLACK = 0.001

Key = tuple[str, str, str]
History = Callable[[str, str, str], list[float]]


def cadence(expected: float) -> float:
    """The pause between polls around the expected time."""
    return max(MIN_DELAY, CADENCE_SHARE * expected)


def next_delay(elapsed: float, expected: float | None, scale: float = 0.0) -> float:
    """Seconds until the next poll of an action started ``elapsed`` seconds ago.

    ``expected``: how long such actions took lately (None: unknown); ``scale``: the
    planner's estimate, used only when nothing was learnt (0 when it has none).
    """
    if expected is None:
        second = max(MIN_DELAY, FIRST_SHARE * scale)
        for at in (MIN_DELAY, second):
            if elapsed < at - SLACK:
                return at - elapsed
        return min(max(MAX_POLL_DELAY, scale / 4), max(MIN_DELAY, GROWTH * elapsed))
    step = cadence(expected)
    first = max(MIN_DELAY / 2, expected - step)
    if elapsed < first - SLACK:
        return first - elapsed
    if elapsed < first + CADENCE_POLLS * step - SLACK:
        return step
    longest = max(MAX_POLL_DELAY, expected / 4, scale / 4)
    return min(longest, max(step, GROWTH * (elapsed - first)))


@dataclass
class Pacer:
    """The poll schedule of one action of one resource."""

    learnt: Durations
    key: Key
    scale: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def delay(self) -> float:
        return next_delay(self.elapsed(), self.learnt.expected(*self.key), self.scale)

    def done(self) -> None:
        """The action finished now: how long it took is learnt for the next ones."""
        self.learnt.observe(*self.key, self.elapsed())


class Durations:
    """What this run learnt of how long each (type, region, action) takes.

    ``history(type, region, action)`` gives earlier operations' durations, oldest
    first; it is asked once per key, on the first poll that needs it.
    """

    def __init__(self, history: History | None = None, keep: int = KEEP) -> None:
        self._history = history
        self._keep = keep
        self._seen: dict[Key, deque[float]] = {}
        self._lock = threading.Lock()

    def _samples(self, key: Key) -> deque[float]:
        with self._lock:
            samples = self._seen.get(key)
        if samples is not None:
            return samples
        loaded = []
        try:
            loaded = self._history(*key) if self._history is not None else []
        except StoreError as exc:  # pacing is no reason to fail a resource
            log.warning("durations of %s not read: %s", key, exc)
        with self._lock:
            return self._seen.setdefault(key, deque(loaded, maxlen=self._keep))

    def expected(self, resource_type: str, region: str, action: str) -> float | None:
        """The shortest of the last durations seen; None when none was."""
        samples = self._samples((resource_type, region, action))
        with self._lock:
            return min(samples) if samples else None

    def observe(self, resource_type: str, region: str, action: str, seconds: float) -> None:
        samples = self._samples((resource_type, region, action))
        with self._lock:
            samples.append(seconds)

    def pacer(
        self,
        resource_type: str,
        region: str,
        action: Action,
        clock: Callable[[], float] = time.monotonic,
    ) -> Pacer:
        """The schedule of ``action`` on a resource starting now."""
        scale = estimate(resource_type) if action is Action.CREATE else 0.0
        return Pacer(self, (resource_type, region, action.value), scale, clock)
