"""``crossheat worker``: a procrastinate worker running crossheat's operations (see
``crossheat.service.queue``, private to the service).

    run(concurrency=10, queues=None, settings=QueueSettings())   # until SIGTERM / SIGINT

One process, one event loop: procrastinate fetches jobs (``concurrency`` at once) and
heartbeats; beside it the sweep (every few seconds) and, for a server's own workers,
a watch on the parent process. SIGTERM or SIGINT: no new job is fetched, running
operations pause at a safe point (``crossheat.engine.walker.pausing``) and are queued
again; those still running after ``stop_grace`` are interrupted, their locks freed and
queued again a moment later (so that a cloud call in flight lands first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crossheat.clouds.credentials import resumed_without_token
from crossheat.engine.walker import WalkPaused, pausing
from crossheat.errors import ConfigError, CrossheatError, LockLost, StackLocked, StackNotFound
from crossheat.service._service import Service
from crossheat.service.queue import PARENT_VARIABLE, QueueSettings, is_postgresql
from crossheat.service.queue import operation_job as job_for
from crossheat.service.schedule import CheckSchedule, register_checks, register_pruning
from crossheat.store import Action, Status
from crossheat.store.jobs import TASK
from crossheat.store.locks import QUEUED_PREFIX, holder_is_dead, new_engine_id, queued_marker

if TYPE_CHECKING:
    from procrastinate import App
    from procrastinate.worker import Worker

    from crossheat.store import Store
    from crossheat.store.jobs import Candidate

log = logging.getLogger(__name__)

#: An interrupted operation is queued again this many seconds later (calls in flight land).
INTERRUPTED_DELAY_S = 3.0
#: A stack whose jobs failed this many times in a row is left alone (its reason is logged).
MAX_FAILURES = 3


@dataclass
class Runner:
    """What the jobs of one worker process share: the service, the pause of SIGTERM."""

    service: Service
    settings: QueueSettings
    pause: asyncio.Event = field(default_factory=asyncio.Event)

    # ---- the job -------------------------------------------------------------------------

    async def run_operation(self, stack_id: str, action: str, operation_id: str) -> str:
        """Take the stack over from ``operation_id`` (or from a dead engine, for a job
        queued again) and run its operation; what happened, for procrastinate's log."""
        claimed = await asyncio.to_thread(self.claim, stack_id, operation_id)
        if claimed is None:
            return f"stack {stack_id}: nothing to run (done, or another engine has it)"
        engine_id, operation = claimed
        try:
            with pausing(self.pause):
                # Never a token here: an operation acting as an API caller runs in the
                # server; one found here is what a stopped server left.
                caller = resumed_without_token(operation.value)
                stack = await self.service.run_operation(
                    stack_id, operation, engine_id, caller=caller
                )
        except WalkPaused:
            await asyncio.to_thread(self.hand_back, stack_id, operation, 0.0)
            return f"stack {stack_id}: {operation} paused, queued again"
        except asyncio.CancelledError:
            self.hand_back(stack_id, operation, INTERRUPTED_DELAY_S)
            raise
        except LockLost as exc:
            return f"stack {stack_id}: {exc}"
        return f"stack {stack.name}: {stack.stack_status}"

    def claim(self, stack_id: str, operation_id: str) -> tuple[str, Action] | None:
        """Take the stack's lock: from the job's marker, from a dead holder (a job queued
        again after its worker died), or free and left IN_PROGRESS; the new holder and
        the operation to run, or None when there is nothing for this job to do."""
        store = self.service.store()
        try:
            lock = store.get_lock(stack_id)
            if lock.engine_id == operation_id:
                action = Action(lock.operation or stack_action(store, stack_id))
                return self.service.take_over(stack_id, operation_id), action
            engine_id = new_engine_id()
            if lock.held:
                if (lock.engine_id or "").startswith(QUEUED_PREFIX):
                    return None  # another job's, which will run it
                stale = self.settings.lock_stale_after
                previous = store.take_over_lock(stack_id, engine_id, stale_after=stale)
                return engine_id, Action(previous.operation or stack_action(store, stack_id))
            stack = store.get_stack(stack_id)
            if stack.status is not Status.IN_PROGRESS or stack.action is Action.ROLLBACK:
                return None
            store.acquire_lock(stack_id, stack.action, engine_id)
            return engine_id, stack.action
        except (StackLocked, StackNotFound):
            return None

    def hand_back(self, stack_id: str, operation: Action, delay: float) -> None:
        """Queue the stopped operation again (its lock is free, its stack IN_PROGRESS)."""
        marker = queued_marker()
        job = job_for(stack_id, operation, marker, self.settings.queue, delay, resume=True)
        try:
            self.service.store().requeue(stack_id, None, marker, operation.value, job)
        except CrossheatError:  # the sweep will find it
            log.exception("cannot queue stack %s again", stack_id)

    # ---- the sweep -----------------------------------------------------------------------

    def sweep(self) -> list[str]:
        """Queue again what no live worker will finish; the stacks queued."""
        store = self.service.store()
        stall = self.settings.stall_timeout
        retried = store.retry_stalled_jobs(TASK, stall)
        if retried:
            log.warning("jobs %s of workers silent for %g s queued again", retried, stall)
        store.prune_workers(stall)
        queued = []
        for found in store.stacks_without_job(TASK):
            operation = self._orphaned(found)
            if operation is None:
                continue
            marker = queued_marker()
            job = job_for(found.stack_id, operation, marker, self.settings.queue, resume=True)
            holder = found.lock.engine_id
            try:
                if store.requeue(found.stack_id, holder, marker, operation, job) is not None:
                    queued.append(found.stack_id)
            except CrossheatError as exc:  # its row is busy: the next sweep tries again
                log.warning("cannot queue stack %s again yet: %s", found.stack_id, exc)
        if queued:
            log.warning("stacks %s left by a dead engine queued again (resume)", queued)
        return queued

    def _orphaned(self, found: Candidate) -> str | None:
        """The operation to resume on a stack no job will finish, or None to leave it."""
        if found.failures >= MAX_FAILURES:
            return None
        lock = found.lock
        if lock.engine_id is None:
            if found.action == Action.ROLLBACK.value or None in (found.updated_at, lock.read_at):
                return None
            quiet = lock.read_at - found.updated_at  # type: ignore[operator]
            return found.action if quiet > self.settings.lock_stale_after else None
        if lock.engine_id.startswith(QUEUED_PREFIX):
            return str(lock.operation)  # its job is gone (failed, deleted)
        if holder_is_dead(lock, self.settings.lock_stale_after):
            return str(lock.operation)
        return None

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_every)
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:  # a database hiccup: the next sweep tries again
                log.exception("the sweep failed")


def stack_action(store: Store, stack_id: str) -> str:
    return store.get_stack(stack_id).action.value


def make_app(runner: Runner, url: str, schedule: CheckSchedule | None = None) -> App:
    """procrastinate's app over the database at ``url`` (a SQLAlchemy URL), with the task
    and the hourly pruning of finished jobs; with a ``schedule``, the periodic task of
    scheduled checks (``service.schedule``)."""
    from procrastinate import App, PsycopgConnector
    from sqlalchemy import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    app = App(connector=PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4))

    async def run_operation(
        stack_id: str, action: str, operation_id: str, resume: bool = False
    ) -> str:
        del resume  # the lock says what to do; the flag is for a cancel (``cancel_queued``)
        return await runner.run_operation(stack_id, action, operation_id)

    app.task(name=TASK, pass_context=False)(run_operation)
    register_pruning(app, runner.settings.queue)  # every operation leaves a job behind
    if schedule is not None:
        register_checks(app, runner.service, schedule, runner.settings.queue)
    return app


def run(
    concurrency: int,
    queues: list[str] | None,
    settings: QueueSettings,
    schedule: CheckSchedule | None = None,
) -> int:
    """Run a worker until SIGTERM or SIGINT (or its parent, a server, is gone); with a
    ``schedule``, it takes its turn at starting the scheduled checks."""
    if not is_postgresql():
        raise ConfigError(
            "crossheat worker needs PostgreSQL: set CROSSHEAT_DATABASE_URL"
            " (postgresql://...); with SQLite, operations run on the host that starts them"
        )
    with Service(operations=concurrency) as service:
        service.store()  # migrated: procrastinate's schema is there
        asyncio.run(_serve(service, concurrency, queues, settings, schedule))
    return 0


async def _serve(
    service: Service,
    concurrency: int,
    queues: list[str] | None,
    settings: QueueSettings,
    schedule: CheckSchedule | None,
) -> None:
    from procrastinate.worker import Worker

    runner = Runner(service, settings)
    app = make_app(runner, service.database_url, schedule)
    async with app.open_async():
        worker = Worker(
            app, queues=queues, name="crossheat", concurrency=concurrency,
            install_signal_handlers=False, shutdown_graceful_timeout=settings.stop_grace,
            update_heartbeat_interval=settings.heartbeat_every,
            stalled_worker_timeout=settings.stall_timeout,
            fetch_job_polling_interval=settings.fetch_every,
        )  # fmt: skip

        def stop() -> None:
            runner.pause.set()
            worker.stop()  # type: ignore[no-untyped-call]

        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_lost_jobs)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        helpers = [
            asyncio.ensure_future(_register(service, worker, concurrency, queues)),
            asyncio.ensure_future(runner.sweep_forever()),
            asyncio.ensure_future(_watch_parent(stop)),
        ]
        try:
            await worker.run()  # type: ignore[no-untyped-call]
        finally:
            for helper in helpers:
                helper.cancel()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)


def _quiet_lost_jobs(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A job this worker ran while the others thought it dead (it was frozen) was given to
    another meanwhile: procrastinate cannot record its end, which is no error of ours."""
    task = context.get("future")
    error = context.get("exception")
    name = task.get_name() if isinstance(task, asyncio.Task) else ""
    cause = str(getattr(error, "__cause__", ""))
    if name.startswith("process job") and 'not in "doing"' in cause:
        log.warning("%s had been given to another worker meanwhile", name.removeprefix("process "))
        return
    loop.default_exception_handler(context)


async def _register(
    service: Service, worker: Worker, concurrency: int, queues: list[str] | None
) -> None:
    """Say who this worker is once procrastinate has registered it (its id)."""
    while worker.worker_id is None:
        await asyncio.sleep(0.05)
    worker_id = worker.worker_id
    store = service.store()
    names = ",".join(queues or []) or "all"
    host, pid = socket.gethostname(), os.getpid()
    await asyncio.to_thread(store.register_worker, worker_id, host, pid, concurrency, names)
    log.info("crossheat worker %s (%s:%s) takes operations from %s", worker_id, host, pid, names)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            store.unregister_worker(worker_id)


async def _watch_parent(stop: Any) -> None:
    """A server's worker stops when the server is gone (killed, it could not stop it)."""
    parent = os.environ.get(PARENT_VARIABLE)
    if not parent:
        return
    while os.getppid() == int(parent):
        await asyncio.sleep(1.0)
    log.warning("the server that started this worker is gone: stopping")
    stop()
