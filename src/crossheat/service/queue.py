"""Operations on a job queue in PostgreSQL (procrastinate), run by ``crossheat worker``.

    service = Service(database_url="postgresql://...")       # CROSSHEAT_EXECUTOR=queue
    service.executor = QueueExecutor(service.store)
    service.submit(service.create("vpn", inputs))   # queued; returns at once
    ...
    run_worker(concurrency=10)     # crossheat.service.worker: on any machine reaching
                                   # the database and the clouds

An operation is the procrastinate job ``crossheat.run_operation(stack_id, action,
operation_id)``, whose procrastinate ``lock`` is the stack's id: one stack's jobs never
run at once. crossheat's own stack lock stays the source of truth: queueing hands it
from the engine that recorded the operation to a *queued marker* (``operation_id``) in
the transaction that writes the job, so a stack is queued with its job or not at all;
the worker that takes the job takes the lock over from the marker (``Service.take_over``).
A stack recorded IN_PROGRESS whose command died before queueing it has a dead holder:
the sweep below finds it.

Workers heartbeat (procrastinate's own). Every worker sweeps every few seconds: jobs
of workers silent for the stall timeout go back to the queue, and stacks held by a dead
engine (by the database's clock), or left IN_PROGRESS with no job, are queued again as
a resume, which adopts what the dead engine had created. A worker stopped by SIGTERM
pauses its operations at a safe point (the resources being worked on finish, nothing new
starts) and queues them again for another worker. A cancel of an operation no worker has
begun takes its job out of the queue (``_cancel``).

Settings (environment): ``CROSSHEAT_STALL_TIMEOUT`` (seconds without a heartbeat after
which a worker counts as dead, default 60), ``CROSSHEAT_STOP_GRACE`` (seconds a stopping
worker waits for its operations to pause before it interrupts them, default 30),
``CROSSHEAT_QUEUE`` (the queue operations go to, default ``operations``),
``CROSSHEAT_LOCK_HEARTBEAT`` (seconds between two heartbeats of an operation's stack lock,
default 10; a holder silent for three of them and the stall timeout counts as dead).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from crossheat.errors import ConfigError
from crossheat.store import Action, StackRecord, Status, database_url
from crossheat.store.jobs import TASK
from crossheat.store.locks import heartbeat_seconds

if TYPE_CHECKING:
    from crossheat.clouds.credentials import Caller
    from crossheat.service._service import Service
    from crossheat.service.executor import ServerExecutor, View
    from crossheat.store import Store
    from crossheat.store.jobs import QueuedJob

log = logging.getLogger(__name__)

#: The queue an operation goes to unless ``CROSSHEAT_QUEUE`` says.
DEFAULT_QUEUE = "operations"
#: Commands that queue say so when no worker has sent a heartbeat for this long.
NOTICE_AFTER_S = 30.0
DEFAULT_STALL_TIMEOUT_S = 60.0
DEFAULT_STOP_GRACE_S = 30.0
#: An idle worker is woken by PostgreSQL's notification of a job queued, and looks for
#: jobs this often besides (a notification it missed costs at most this long).
DEFAULT_FETCH_EVERY_S = 2.0
#: Who started a worker (``crossheat serve --workers N``): it stops when that process is gone.
PARENT_VARIABLE = "CROSSHEAT_WORKER_PARENT"
#: A lock holder is judged dead after the stall timeout, and never sooner than this many
#: of its heartbeats (an operation renews its lock every 10 s unless
#: ``CROSSHEAT_LOCK_HEARTBEAT`` says, ``store.locks.heartbeat_seconds``).
MIN_LOCK_STALE_BEATS = 3
#: How often a server looks for a worker process of its own that died.
SUPERVISE_EVERY_S = 1.0


def is_postgresql(url: str | None = None) -> bool:
    """Whether the state database (``url``, else the configured one) is PostgreSQL."""
    return database_url(url).startswith("postgresql")


def _seconds(variable: str, default: float) -> float:
    given = os.environ.get(variable)
    if not given:
        return default
    try:
        value = float(given)
    except ValueError:
        raise ConfigError(f"{variable} must be a number of seconds, not {given!r}") from None
    if value <= 0:
        raise ConfigError(f"{variable} must be more than 0 seconds, not {given!r}")
    return value


@dataclass(frozen=True)
class QueueSettings:
    """How workers judge each other and stop; see the module's doc."""

    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S
    stop_grace: float = DEFAULT_STOP_GRACE_S
    queue: str = DEFAULT_QUEUE
    fetch_every: float = DEFAULT_FETCH_EVERY_S

    @classmethod
    def from_environment(cls) -> QueueSettings:
        return cls(
            stall_timeout=_seconds("CROSSHEAT_STALL_TIMEOUT", DEFAULT_STALL_TIMEOUT_S),
            stop_grace=_seconds("CROSSHEAT_STOP_GRACE", DEFAULT_STOP_GRACE_S),
            queue=os.environ.get("CROSSHEAT_QUEUE") or DEFAULT_QUEUE,
            fetch_every=_seconds("CROSSHEAT_QUEUE_POLL", DEFAULT_FETCH_EVERY_S),
        )

    @property
    def lock_stale_after(self) -> timedelta:
        """When a stack lock's holder counts as dead (by the database's clock)."""
        return timedelta(
            seconds=max(self.stall_timeout, MIN_LOCK_STALE_BEATS * heartbeat_seconds())
        )

    @property
    def sweep_every(self) -> float:
        """Seconds between two sweeps of a worker."""
        return max(1.0, min(10.0, self.stall_timeout / 4))

    @property
    def heartbeat_every(self) -> float:
        """Seconds between two heartbeats of a worker."""
        return max(0.5, min(10.0, self.stall_timeout / 5))


def operation_job(
    stack_id: str,
    action: Action | str,
    operation_id: str,
    queue: str,
    delay: float = 0.0,
    *,
    resume: bool = False,
) -> QueuedJob:
    """The job running ``action`` on the stack, whose lock ``operation_id`` holds;
    ``resume``: the operation had begun (queued again), so that a cancel does not take it
    out of the queue as one that never started (``cancel_queued``)."""
    from crossheat.store.jobs import QueuedJob

    args: dict[str, Any] = {
        "stack_id": stack_id, "action": str(action), "operation_id": operation_id,
    }  # fmt: skip
    if resume:
        args["resume"] = True
    return QueuedJob(TASK, stack_id, args, queue=queue, queueing_lock=stack_id, delay=delay)


def no_worker_notice(store: Store) -> str | None:
    """What to tell a user whose operations wait while no worker has been alive for
    ``NOTICE_AFTER_S``; None when a worker is alive or nothing waits."""
    if store.live_workers(NOTICE_AFTER_S) > 0:
        return None
    waiting = store.queued_jobs(TASK)
    if not waiting:
        return None
    what = "1 operation is" if waiting == 1 else f"{waiting} operations are"
    return (
        f"{what} queued and no worker has been alive for {NOTICE_AFTER_S:g} s: start one with"
        " `crossheat worker` on a machine that reaches this database and the clouds"
    )


@dataclass
class QueueExecutor:
    """Queues the service's operations for ``crossheat worker`` processes (PostgreSQL).

    ``workers``: worker processes of its own, started by ``start`` and stopped by ``stop``
    (``crossheat serve --workers N``), each running ``concurrency`` operations at once."""

    store: Callable[[], Store]
    settings: QueueSettings = field(default_factory=QueueSettings.from_environment)
    workers: int = 0
    concurrency: int = 10
    #: ``--check-interval`` for its workers (scheduled checks); None: they start none.
    check_interval: str | None = None
    _children: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _watcher: threading.Thread | None = field(default=None, init=False, repr=False)
    #: Its workers never get the API caller's token (a job is stored in the database):
    #: ``credentials: caller`` regions are refused (``executor.reachable_caller``).
    runs_without_caller: ClassVar[bool] = True

    # ---- the Executor interface ----------------------------------------------------------

    def submit(
        self, stack_id: str, action: Action, engine_id: str, *, caller: Caller = None
    ) -> None:
        del caller  # never queued: the workers act as nobody in ``caller`` regions
        from crossheat.store.locks import queued_marker

        marker = queued_marker()
        job = operation_job(stack_id, action, marker, self.settings.queue)
        store = self.store()
        store.queue_operation(stack_id, engine_id, marker, job)
        notice = no_worker_notice(store)
        if notice is not None:
            log.warning("crossheat: %s", notice)

    def follow(self, service: Service, stack_id: str, view: View | None = None) -> StackRecord:
        """Wait, showing ``view`` beside, until the queued operation of the stack has
        ended (wherever a worker runs it); the stack then."""
        return asyncio.run(_follow(service, stack_id, view))

    # ---- worker processes of its own (a server's) ----------------------------------------

    def start(self) -> list[str]:
        """Start ``workers`` worker processes, and another whenever one dies; they stop
        when this process is gone. Nothing to resume here: the workers' sweep does it."""
        if self.workers and self._watcher is None:
            with self._guard:
                self._children = [self._spawn() for _ in range(self.workers)]
            self._stopping.clear()
            self._watcher = threading.Thread(
                target=self._supervise, name="crossheat-workers", daemon=True
            )
            self._watcher.start()
        return []

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, PARENT_VARIABLE: str(os.getpid())}
        command = [sys.executable, "-m", "crossheat", "worker", "--concurrency"]
        command.append(str(self.concurrency))
        if self.check_interval is not None:
            command += ["--check-interval", self.check_interval]
        return subprocess.Popen(command, env=env)

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_EVERY_S):
            with self._guard:
                for index, child in enumerate(self._children):
                    if child.poll() is not None and not self._stopping.is_set():
                        log.warning(
                            "worker process %s exited (%s): starting another",
                            child.pid, child.returncode,
                        )  # fmt: skip
                        self._children[index] = self._spawn()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the worker processes gracefully (their operations are queued again)."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        with self._guard:
            children, self._children = self._children, []
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        wait = timeout if timeout is not None else self.settings.stop_grace + 15
        for child in children:
            try:
                child.wait(wait)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def ended(stack: StackRecord) -> bool:
    """Whether no operation holds or waits for the stack."""
    return not stack.lock.held and stack.status is not Status.IN_PROGRESS


#: How often a command following a queued operation reads its stack.
FOLLOW_POLL_S = 0.5


async def _follow(service: Service, stack_id: str, view: View | None) -> StackRecord:
    done = asyncio.Event()
    viewer = asyncio.ensure_future(view(done)) if view is not None else None
    try:
        while True:
            stack = await asyncio.to_thread(service.get_by_id, stack_id)
            if ended(stack):
                return stack
            await asyncio.sleep(FOLLOW_POLL_S)
    finally:
        done.set()
        if viewer is not None:
            try:
                await asyncio.wait_for(viewer, 30)
            except (Exception, asyncio.CancelledError):
                viewer.cancel()


def executor_from_environment(service: Service) -> QueueExecutor | None:
    """``CROSSHEAT_EXECUTOR``: ``queue`` queues the operations when the database is
    PostgreSQL (with SQLite, or ``local``, the default, they run on this host)."""
    chosen = (os.environ.get("CROSSHEAT_EXECUTOR") or "local").lower()
    if chosen not in ("local", "queue"):
        raise ConfigError(f"CROSSHEAT_EXECUTOR must be local or queue, not {chosen!r}")
    if chosen == "queue" and is_postgresql(service.database_url):
        return QueueExecutor(service.store)
    return None


def server_executor(
    service: Service, workers: int, concurrency: int, check_interval: str | None = None
) -> ServerExecutor | None:
    """A server's executor with PostgreSQL: a queue, with ``workers`` worker processes of
    its own running ``concurrency`` operations each (and scheduling checks every
    ``check_interval``), and the operations acting with an API caller's token run in the
    server (``CallersHere``); None with SQLite (the server runs its operations itself)."""
    from crossheat.service.hosted import CallersHere, HostedExecutor

    if not is_postgresql(service.database_url):
        return None
    queue = QueueExecutor(
        service.store, workers=workers, concurrency=concurrency, check_interval=check_interval
    )
    return CallersHere(queue, HostedExecutor(service, concurrency))


@dataclass(frozen=True)
class WorkerRow:
    """A worker as ``crossheat worker list`` shows it."""

    id: int
    host: str
    pid: int
    started: str
    heartbeat: str
    alive: bool
    running: int
    concurrency: int
    queues: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_workers(service: Service, settings: QueueSettings | None = None) -> list[WorkerRow]:
    """The workers of the service's database (none with SQLite)."""
    if not is_postgresql(service.database_url):
        return []
    settings = settings or QueueSettings.from_environment()
    rows = []
    for info in service.store().list_workers(TASK):
        silent = None if info.heartbeat_at is None else info.read_at - info.heartbeat_at
        beat = "none" if silent is None else f"{silent.total_seconds():.0f} s ago"
        alive = silent is not None and silent.total_seconds() < settings.stall_timeout
        started = f"{info.started_at:%Y-%m-%d %H:%M:%S} UTC"
        row = WorkerRow(
            info.id, info.host, info.pid, started, beat, alive, info.running,
            info.concurrency, info.queues,
        )  # fmt: skip
        rows.append(row)
    return rows
