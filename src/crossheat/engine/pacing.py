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
fast as lately is seen ready within about ``c``, in one to three reads. A delete or an
update reads once more first, at 0.8 ``E``: a first one seen late (its type never
deleted there before) is then unlearnt in a few operations, not a cadence at a time.

A type never seen in a region is paced by what is known of the cloud there: its
*latency*, the shortest expected duration of the same action of any type that calls
the cloud (a network's create, say). Nothing is ready before the cloud answers, so the
first poll is at that latency (0.1 s when none is known yet: what is quick is seen at
once); the next one no sooner than a tenth of the planner's estimate
(``resources/estimates.py``, only for creates, whose durations it estimates; a delete
or an update takes the type's expected create duration there instead, when one is
known: a server that boots in 3 s is not deleted in 0.3); then each
poll at 1.8 times the time of the previous (three polls cover 3.2 times the first),
the pause at most a quarter of the estimate and 2 s at least. (A first delete seen
late would otherwise teach every later one to wait as long: a warm schedule's first
poll moves only a cadence earlier per operation.) On a cloud whose
creates take a second, a server that boots in three is seen in three reads. Times
count from the start of the action (before its first cloud call), as the events do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from crossheat.errors import StoreError
from crossheat.resources.estimates import calls_cloud, estimate
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
#: Without an expectation: the second poll at this share of the estimate, then each pause
#: this share of the time since the action (each poll at 1.8 times the previous one's time).
FIRST_SHARE = 0.1
COLD_GROWTH = 0.8
#: Past the cadence polls: each pause is this share of the time since the first poll.
GROWTH = 0.5
# The pause never grows past max(MAX_POLL_DELAY, duration / 4) (resources.lifecycle).

#: Deletes and updates (no read budget of their own) read once first at this share of
#: the expected time: a resource ready then teaches the next ones a fifth sooner at once,
#: where the cadence alone moves the first read one cadence (5%) per operation.
PROBE_SHARE = 0.8

#: A poll this close to its planned time counts as on time.
SLACK = 0.001

Key = tuple[str, str, str]
History = Callable[[str, str, str], list[float]]


def cadence(expected: float) -> float:
    """The pause between polls around the expected time."""
    return max(MIN_DELAY, CADENCE_SHARE * expected)


def next_delay(
    elapsed: float,
    expected: float | None,
    scale: float = 0.0,
    latency: float | None = None,
    probe: bool = False,
) -> float:
    """Seconds until the next poll of an action started ``elapsed`` seconds ago.

    ``expected``: how long such actions took lately (None: unknown); ``scale``: the
    planner's estimate and ``latency`` the cloud's (``Durations.latency``), used only
    when nothing was learnt (0 and None when there is none). ``probe``: one read first
    at ``PROBE_SHARE`` of the expected time (see ``PROBE_SHARE``).
    """
    if expected is None:
        return _first_time(elapsed, scale, latency)
    step = cadence(expected)
    first = max(MIN_DELAY / 2, expected - step)
    early = PROBE_SHARE * expected
    if probe and early < first and elapsed < early - SLACK:
        return early - elapsed
    if elapsed < first - SLACK:
        return first - elapsed
    if elapsed < first + CADENCE_POLLS * step - SLACK:
        return step
    longest = max(MAX_POLL_DELAY, expected / 4, scale / 4)
    return min(longest, max(step, GROWTH * (elapsed - first)))


def _first_time(elapsed: float, scale: float, latency: float | None) -> float:
    """``next_delay`` for a type never seen: first at the cloud's latency (nothing is ready
    before the cloud answers; 0.1 s when it is not known), then no sooner than a tenth of
    the estimate, then at 1.8 times the time so far each."""
    first = max(MIN_DELAY, latency or 0.0)
    for at in (first, max(first, FIRST_SHARE * scale)):
        if elapsed < at - SLACK:
            return at - elapsed
    return min(max(MAX_POLL_DELAY, scale / 4), max(MIN_DELAY, COLD_GROWTH * elapsed))


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
        expected = self.learnt.expected(*self.key)
        if expected is not None:
            probe = self.key[2] != Action.CREATE.value
            return next_delay(self.elapsed(), expected, self.scale, probe=probe)
        resource_type, region, action = self.key
        scale = self.scale
        if action != Action.CREATE.value:
            # A delete never seen: paced by how long a create of the type took there.
            scale = self.learnt.expected(resource_type, region, Action.CREATE.value) or scale
        return next_delay(self.elapsed(), None, scale, self.learnt.latency(region, action))

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

    def load(self, keys: Iterable[Key]) -> None:
        """Read the history of ``keys`` now (in a worker thread, before the first polls need
        it: a resource that finished then learns without waiting for the store)."""
        for key in keys:
            self._samples(key)

    def expected(self, resource_type: str, region: str, action: str) -> float | None:
        """The shortest of the last durations seen; None when none was."""
        samples = self._samples((resource_type, region, action))
        with self._lock:
            return min(samples) if samples else None

    def latency(self, region: str, action: str) -> float | None:
        """The cloud's latency for ``action`` in ``region``: the shortest expected duration
        of the types known so far whose actions call it (``calls_cloud``: not
        ``OS::Heat::*``); None when there is none yet."""
        with self._lock:
            known = [
                min(samples)
                for (resource_type, where, what), samples in self._seen.items()
                if where == region and what == action and samples and calls_cloud(resource_type)
            ]
        return min(known) if known else None

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
