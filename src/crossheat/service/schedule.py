"""Scheduled checks: ``stack check`` of every stack, every ``--check-interval`` seconds.

    schedule = CheckSchedule(default=300)          # crossheat serve/worker --check-interval 300
    schedule.interval_of(stack)                    # 300, or its tag's: check-interval=60
    schedule.due(stack, start, end)                # its turn comes in (start, end]
    started = start_due_checks(service, schedule, start, end, submit)   # the stacks' ids

A stack's turn comes every interval at a stable offset worked out from its id, so that
a thousand stacks checked every 5 minutes are spread over those 5 minutes instead of
reading their regions in the same second. Its own interval comes from a stack tag
``check-interval=N`` (seconds; ``0`` or ``off``: never), else from the default
(``--check-interval``; ``0``: only the stacks whose tag asks).

A scheduled check is an ordinary check operation, recorded as ``stack check``'s is (the
stack goes CHECK_IN_PROGRESS, then CHECK_COMPLETE, or CHECK_FAILED naming the drift): it
is started as Heat's check action is (``HeatOps.check``: the stack's lock, an event) and
run by the executor. At most one check runs per stack: a stack whose lock is held (an
operation, or its last check, still running) or that is IN_PROGRESS is skipped until its
next turn. Only stacks whose last operation completed, or whose last check failed, are
checked: a failed create or update (rolled back or not) keeps its status and reason.
Stacks whose regions act with the API caller's token (``credentials: caller``) are not
checked on a schedule: no caller's token is at hand.

Who ticks: with SQLite, ``crossheat serve`` (``CheckTicker``, a thread, every second);
with PostgreSQL, the workers, through a periodic task of the job queue (one worker runs
each tick, the checks it starts are queued as operations; ``service._worker``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crossheat.errors import ConfigError, CrossheatError, StackLocked
from crossheat.service._acting import acts_as_caller
from crossheat.store import Action, Status
from crossheat.store.records import StackSummary

if TYPE_CHECKING:
    from procrastinate import App

    from crossheat.service._service import Service
    from crossheat.service.executor import Started

log = logging.getLogger(__name__)

#: The stack tag that sets a stack's own interval: ``check-interval=60``, ``=off``.
INTERVAL_TAG = "check-interval"
#: Seconds between two ticks of a server's scheduler (SQLite).
TICK_S = 1.0
#: Seconds between two ticks of the workers' periodic task (PostgreSQL), and its cron
#: (procrastinate's croniter reads seconds from a sixth field, the last one).
QUEUE_TICK_S = 2
QUEUE_TICK_CRON = f"* * * * * */{QUEUE_TICK_S}"
#: The procrastinate task that starts the checks whose turn has come (PostgreSQL).
CHECK_TASK = "crossheat.scheduled_checks"
#: The procrastinate task that removes the queue's finished jobs (a check tick writes one
#: every ``QUEUE_TICK_S``: some 43,000 a day), hourly, once ``JOB_RETENTION_HOURS`` old.
PRUNE_TASK = "crossheat.remove_old_jobs"
PRUNE_CRON = "17 * * * *"
JOB_RETENTION_HOURS = 24


def parse_interval(text: str, what: str = "--check-interval") -> float:
    """Seconds from ``300``, ``0`` or ``off`` (0: never)."""
    given = text.strip().lower()
    if given in ("off", "0"):
        return 0.0
    try:
        seconds = float(given)
    except ValueError:
        raise ConfigError(f"{what} must be a number of seconds or off, not {text!r}") from None
    if seconds < 0 or not math.isfinite(seconds):
        raise ConfigError(f"{what} must be 0 (off) or more seconds, not {text!r}")
    return seconds


def offset_of(stack_id: str, interval: float) -> float:
    """Where in each interval the stack's turn falls: stable, from its id."""
    digest = hashlib.sha256(stack_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * interval


@dataclass(frozen=True)
class CheckSchedule:
    """Every stack's interval (``default``, or its tag's) and when its turns come."""

    default: float = 0.0

    def __str__(self) -> str:
        tagged = f"stacks tagged {INTERVAL_TAG}=N"
        return f"every {self.default:g} s, or as {tagged} say" if self.default else f"{tagged} only"

    def interval_of(self, stack: StackSummary) -> float:
        """The stack's interval in seconds (0: never checked on a schedule); a tag that
        is no number counts as the default (and is logged)."""
        for tag in stack.tags:
            key, _, value = tag.partition("=")
            if key.strip() == INTERVAL_TAG:
                try:
                    return parse_interval(value, f"tag {INTERVAL_TAG}")
                except ConfigError as exc:
                    log.warning("stack %s: %s; using the default interval", stack.name, exc)
        return self.default

    def due(self, stack: StackSummary, start: float, end: float) -> bool:
        """Whether one of the stack's turns falls in ``(start, end]`` (epoch seconds)."""
        interval = self.interval_of(stack)
        if interval <= 0:
            return False
        offset = offset_of(stack.id, interval)
        return math.floor((end - offset) / interval) > math.floor((start - offset) / interval)


def checkable(stack: StackSummary) -> bool:
    """Whether a scheduled check may run now: no operation holds or waits for the stack,
    and its last one completed (or was a check that found drift)."""
    if stack.lock.held or stack.status is Status.IN_PROGRESS:
        return False
    if stack.action in (Action.DELETE, Action.ROLLBACK):  # a rollback: an operation failed
        return False
    return stack.status is Status.COMPLETE or stack.action is Action.CHECK


#: Hands a started check to whoever runs it (``Service.submit``, or a queue's).
Submit = Callable[["Started"], object]


def start_due_checks(
    service: Service, schedule: CheckSchedule, start: float, end: float, submit: Submit
) -> list[str]:
    """Start the check of every stack whose turn falls in ``(start, end]``; the ids of
    those started (a busy stack, or one that cannot be checked now, is skipped)."""
    heat, store = service.heat(admin=True), service.store()
    started = []
    for summary in store.list_stack_summaries(None):  # cheap: no templates read
        if not schedule.due(summary, start, end) or not checkable(summary):
            continue
        try:
            stack = store.get_stack(summary.id)
            if acts_as_caller(stack):
                continue  # only a caller's token reaches its regions: nobody's here
            check = heat.check(stack)
        except StackLocked:
            log.info("stack %s is busy: its scheduled check waits for its next turn", summary.name)
            continue
        except CrossheatError as exc:  # gone meanwhile, or cannot be checked
            log.warning("stack %s: scheduled check not started: %s", summary.name, exc)
            continue
        try:
            submit(check)
        except Exception as exc:
            _not_started(service, check, exc)
            continue
        log.info("stack %s: scheduled check started", summary.name)
        started.append(summary.id)
    return started


def _not_started(service: Service, check: Started, exc: Exception) -> None:
    """A check marked CHECK_IN_PROGRESS that could not be handed over: CHECK_FAILED, saying
    why, and its lock freed (nothing else will run it)."""
    log.warning("stack %s: scheduled check not started: %s", check.stack.name, exc)
    store = service.store()
    reason = f"Stack CHECK not started: {exc}"
    store.update_stack_status(check.stack.id, Action.CHECK, Status.FAILED, reason, event=True)
    store.release_lock(check.stack.id, check.engine_id)


def register_checks(app: App, service: Service, schedule: CheckSchedule, queue: str) -> None:
    """Add to a worker's procrastinate ``app`` the periodic task ``CHECK_TASK``: every
    ``QUEUE_TICK_S`` seconds one worker (procrastinate defers each tick once, whichever
    worker defers it) starts the checks whose turn came since the tick before, each
    queued as an operation (the stack's lock handed to the queue)."""
    from crossheat.service.queue import QueueExecutor

    executor = QueueExecutor(service.store)

    def submit(started: Started) -> None:
        executor.submit(started.stack.id, started.action, started.engine_id)

    async def scheduled_checks(timestamp: int) -> str:
        start, end = timestamp - QUEUE_TICK_S, float(timestamp)
        ids = await asyncio.to_thread(start_due_checks, service, schedule, start, end, submit)
        return f"{len(ids)} scheduled checks started"

    task = app.task(name=CHECK_TASK, pass_context=False, queue=queue)(scheduled_checks)
    app.periodic(cron=QUEUE_TICK_CRON, periodic_id="checks")(task)


def register_pruning(app: App, queue: str) -> None:
    """Add to ``app`` the periodic task ``PRUNE_TASK``: procrastinate's own
    ``remove_old_jobs``, on the workers' ``queue`` (the builtin one runs on a queue of its
    own, which they do not listen to), for every job finished (succeeded, failed,
    cancelled or aborted) more than ``JOB_RETENTION_HOURS`` ago. Crossheat's record of
    an operation is the stack's status and events, not its job."""
    from procrastinate import JobContext, builtin_tasks

    async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
        await builtin_tasks.remove_old_jobs(
            context,
            max_hours=JOB_RETENTION_HOURS,
            remove_failed=True,
            remove_cancelled=True,
            remove_aborted=True,
        )

    task = app.task(name=PRUNE_TASK, pass_context=True, queue=queue)(remove_old_jobs)
    app.periodic(cron=PRUNE_CRON, periodic_id="prune")(task)


@dataclass
class CheckTicker:
    """A server's scheduler (SQLite: no queue): a thread that starts the checks whose
    turn has come, every ``TICK_S``, through the service's executor."""

    service: Service
    schedule: CheckSchedule
    tick: float = TICK_S
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="crossheat-checks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        last = time.time()
        while not self._stop.wait(self.tick):
            now = time.time()
            try:
                start_due_checks(self.service, self.schedule, last, now, self.service.submit)
            except Exception:  # a database hiccup: the next tick tries again
                log.exception("scheduled checks failed")
            last = now
