"""When to poll a resource that is not ready yet: near when it should be, not on a blind backoff.

    learnt = Durations(history, readiness)  # earlier runs' seconds, and their readiness bounds
    pacer = learnt.pacer("OS::Nova::Server", "East", Action.CREATE)
    pacer.delay()                        # seconds until the next poll (a step's ``Pending``)
    pacer.polled(at, ready)              # a poll sent ``at`` seconds in found it ready, or not
    pacer.done()                         # ready: this run now knows when it became so

Times count from the start of the action (before its first cloud call), as the events do.
Each action that polled leaves *bounds* on when its resource became ready
(``Readiness``): after the last poll that found it not ready was sent (0: none did), by
the time the one that found it ready was; the store keeps them with the action's end.
The last ``SPAN`` of a type's in a region (this run's, and earlier operations' from
``Store.recent_readiness``) are read oldest first, each narrowing what those before it
agree on, ``(low, high]``; one that disagrees (the cloud got slower) starts it afresh
from its own bounds. A cloud as fast as lately is ready within that interval: it is cut
evenly into as few parts as make each ``tight`` at most (1% of ``high``, 20 ms at least:
about what the engine's own steps before the cloud call vary by, so finer bounds are
noise), three at most, and read at each cut and at ``high``. Each run narrows it to the
part the resource was seen in; once it is tight, one read at ``high`` sees the resource
at most that late. A read at ``high`` that misses is followed by three every ``tight``
(a cloud slower by its own noise), then by pauses half the time past ``high``; the
bounds that run leaves start the interval afresh. A steady cloud read once each time
leaves no new not-ready reads: once the last one is older than the last ``SPAN``, the
interval opens down to 0 and is cut again, which is when a cloud that got faster is
noticed. A jittery cloud, whose last ``KEEP`` bounds disagreed twice with those before
them, is paced as when none are known. Deletes and updates are paced by their own
bounds the same way (their cuts stand for the probe below).

Without bounds, a type's *expected* duration in a region is the shortest of the last
``KEEP`` seen, in this run and in the events of earlier operations
(``Store.recent_durations``): when the resource was seen ready, later than it was by
up to a pause between polls, its reads and the store's writes after it. With an expected
duration ``E`` the first poll is at ``E - c``, then every ``c`` (the cadence, 5% of
``E``, 0.1 s at least) three times, then the pause grows: a cloud as fast as lately is
seen ready within about ``c``, in one to three reads. A delete or an update reads once
more first, at 0.8 ``E``: a first one seen late (its type never deleted there before)
is then unlearnt in a few operations, not a cadence at a time.

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
creates take a second, a server that boots in three is seen in three reads. A resumed
action's polls (its first one not paced) leave no bounds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from crossheat.errors import StoreError
from crossheat.resources.estimates import calls_cloud, estimate
from crossheat.resources.lifecycle import MAX_POLL_DELAY
from crossheat.store.records import Action, Readiness

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

#: Readiness bounds read and kept per (type, region, action).
SPAN = 20
#: An interval of readiness this narrow (this share of its end, and at least the minimum)
#: is read once, at its end; it is also the pause between reads after a miss there.
TIGHT_SHARE = 0.01
TIGHT_MIN = 0.02
#: Reads planned in an interval of readiness, its end included.
MOST_READS = 3
#: Bounds that disagreed with those before them, among the last ``KEEP``, that make a
#: cloud jittery (paced as if no bounds were known).
JITTERY = 2

Key = tuple[str, str, str]
S = TypeVar("S")
History = Callable[[str, str, str], list[float]]
ReadinessHistory = Callable[[str, str, str], list[Readiness]]


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


def tight(high: float) -> float:
    """How narrow an interval ending at ``high`` is read once, at its end."""
    return max(TIGHT_MIN, TIGHT_SHARE * high)


def planned_reads(low: float, high: float) -> list[float]:
    """When to read a resource ready in ``(low, high]``: the interval cut evenly into as
    few parts as make each ``tight`` at most (``MOST_READS`` at most), read at each cut
    and at ``high``."""
    parts = min(MOST_READS, max(1, math.ceil((high - low) / tight(high) - 1e-9)))
    step = (high - low) / parts
    return [*(low + step * i for i in range(1, parts)), high]


def bounded_delay(elapsed: float, low: float, high: float) -> float:
    """Seconds until the next poll of an action started ``elapsed`` seconds ago, whose
    resource should be ready in ``(low, high]`` (``Durations.window``): the planned reads,
    then ``CADENCE_POLLS`` every ``tight``, then pauses growing with the time past ``high``."""
    for at in planned_reads(low, high):
        if elapsed < at - SLACK:
            return at - elapsed
    step = tight(high)
    if elapsed < high + CADENCE_POLLS * step - SLACK:
        return step
    longest = max(MAX_POLL_DELAY, high / 4)
    return min(longest, max(step, GROWTH * (elapsed - high)))


def agreed(samples: Iterable[Readiness], keep: int = KEEP) -> tuple[float, float] | None:
    """What ``samples`` (oldest first) agree on: ``(low, high)``, the readiness time being
    in ``(low, high]``. Each narrows what those before it agree on; one that disagrees
    starts it afresh from its own bounds. None without samples, and for a jittery cloud
    (``JITTERY`` of the last ``keep`` disagreed)."""
    low, high = 0.0, math.inf
    breaks: list[int] = []
    count = 0
    for sample in samples:
        if not 0 <= sample.not_ready_at < sample.ready_by:
            continue  # not bounds (a clock gone back)
        narrowed = max(low, sample.not_ready_at), min(high, sample.ready_by)
        if narrowed[0] < narrowed[1]:
            low, high = narrowed
        else:
            low, high = sample.not_ready_at, sample.ready_by
            breaks.append(count)
        count += 1
    if not count or sum(1 for at in breaks if at >= count - keep) >= JITTERY:
        return None
    return low, high


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
    #: When the last poll that found the resource not ready was sent (0: none did yet).
    not_ready_at: float = field(default=0.0)
    #: When the poll that found it ready was sent (None: none did yet).
    ready_by: float | None = field(default=None)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def delay(self) -> float:
        window = self.learnt.window(*self.key)
        if window is not None:
            return bounded_delay(self.elapsed(), *window)
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

    def polled(self, at: float, ready: bool) -> None:
        """A poll sent ``at`` seconds into the action (``elapsed`` then) found the resource
        ``ready``, or not."""
        if ready:
            self.ready_by = at if self.ready_by is None else min(self.ready_by, at)
        else:
            self.not_ready_at = max(self.not_ready_at, at)

    def readiness(self) -> Readiness | None:
        """The bounds the polls put on when the resource became ready; None when no poll
        found it ready."""
        if self.ready_by is None or self.not_ready_at >= self.ready_by:
            return None
        return Readiness(self.not_ready_at, self.ready_by)

    def done(self) -> None:
        """The action finished now: how long it took, and the bounds its polls put on when
        the resource became ready, are learnt for the next ones."""
        self.learnt.observe(*self.key, self.elapsed())
        bounds = self.readiness()
        if bounds is not None:
            self.learnt.observe_readiness(*self.key, bounds)


class Durations:
    """What this run learnt of how long each (type, region, action) takes.

    ``history(type, region, action)`` gives earlier operations' durations, oldest
    first, and ``readiness(type, region, action)`` their readiness bounds, oldest first;
    each is asked once per key, on the first poll that needs it.
    """

    def __init__(
        self,
        history: History | None = None,
        readiness: ReadinessHistory | None = None,
        keep: int = KEEP,
        span: int = SPAN,
    ) -> None:
        self._history = history
        self._readiness_history = readiness
        self._keep = keep
        self._span = span
        self._seen: dict[Key, deque[float]] = {}
        self._bounds: dict[Key, deque[Readiness]] = {}
        self._lock = threading.Lock()

    def _samples(self, key: Key) -> deque[float]:
        return self._kept(self._seen, key, self._history, self._keep, "durations")

    def _bounds_of(self, key: Key) -> deque[Readiness]:
        return self._kept(self._bounds, key, self._readiness_history, self._span, "readiness")

    def _kept(
        self,
        kept: dict[Key, deque[S]],
        key: Key,
        history: Callable[[str, str, str], list[S]] | None,
        size: int,
        what: str,
    ) -> deque[S]:
        """``kept[key]``, read from ``history`` the first time it is asked for."""
        with self._lock:
            samples = kept.get(key)
        if samples is not None:
            return samples
        loaded: list[S] = []
        try:
            loaded = history(*key) if history is not None else []
        except StoreError as exc:  # pacing is no reason to fail a resource
            log.warning("%s of %s not read: %s", what, key, exc)
        with self._lock:
            return kept.setdefault(key, deque(loaded, maxlen=size))

    def load(self, keys: Iterable[Key]) -> None:
        """Read the history of ``keys`` now (in a worker thread, before the first polls need
        it: a resource that finished then learns without waiting for the store)."""
        for key in keys:
            self._samples(key)
            self._bounds_of(key)

    def window(self, resource_type: str, region: str, action: str) -> tuple[float, float] | None:
        """``(low, high)``: the readiness time lately was in ``(low, high]`` (``agreed``);
        None when no bounds are known or they disagree too often."""
        samples = self._bounds_of((resource_type, region, action))
        with self._lock:
            recent = list(samples)
        return agreed(recent, self._keep)

    def observe_readiness(
        self, resource_type: str, region: str, action: str, bounds: Readiness
    ) -> None:
        samples = self._bounds_of((resource_type, region, action))
        with self._lock:
            samples.append(bounds)

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
