"""An executor hosted by a long-lived process (``crossheat serve``): operations run on an
event loop thread of the server's own, at most ``max_operations`` at once.

    service = Service(database_url=url)
    hosted = HostedExecutor(service, max_operations=16)
    service.executor = hosted
    hosted.start()            # resumes what a stopped or killed server left in progress
    ...
    service.submit(service.create("vpn", inputs))   # returns at once; runs on the loop
    ...
    hosted.stop()             # running operations are interrupted and left to resume

A request thread records the stack IN_PROGRESS and takes its lock (the service does);
``submit`` schedules the run, which takes the lock over and awaits
``Service.run_operation``. Stopping cancels the running operations and frees their
locks: the stacks stay IN_PROGRESS, and the next ``start`` (of this server or another
sharing the database) resumes them, adopting what they had created.

An operation acting with the API caller's token (``credentials: caller`` regions) has
it in memory only, for its run: a stopped server has lost it, so the next start fails
such a stack (FAILED, the reason saying to update or delete it with a token) instead
of resuming it as someone else, as Heat fails the stacks a dead engine left. With a
job queue (PostgreSQL), ``CallersHere`` runs those operations here and queues the rest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crossheat.clouds.credentials import Caller, CallerToken, NoCallerToken, resumed_without_token
from crossheat.errors import CrossheatError, StackLocked
from crossheat.store import Action, Status
from crossheat.store.locks import heartbeat_seconds

if TYPE_CHECKING:
    from crossheat.service._service import Service
    from crossheat.service.executor import ServerExecutor
    from crossheat.store import Store

log = logging.getLogger(__name__)

DEFAULT_MAX_OPERATIONS = 16


@dataclass
class _Running:
    stack_id: str
    future: concurrent.futures.Future[None]
    engine_id: str | None = None


@dataclass
class HostedExecutor:
    """Runs the service's operations in this process, ``max_operations`` at a time; the
    rest wait their turn (their stacks are already IN_PROGRESS, as Heat's are)."""

    service: Service
    max_operations: int = DEFAULT_MAX_OPERATIONS
    #: Seconds between two renewals of the lock of an operation waiting for a slot.
    renew_every: float = field(default_factory=heartbeat_seconds)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _running: dict[str, _Running] = field(default_factory=dict, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # ---- life cycle ----------------------------------------------------------------------

    def start(self, *, resume: bool = True) -> list[str]:
        """Start the loop thread and (``resume``) resume the stacks left in progress;
        their ids."""
        if self._loop is not None:
            return []
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=loop.run_forever, name="crossheat-operations", daemon=True
        )
        self._thread.start()
        self._loop = loop

        async def slots() -> asyncio.Semaphore:
            return asyncio.Semaphore(self.max_operations)

        self._slots = asyncio.run_coroutine_threadsafe(slots(), loop).result()
        return self.resume_left() if resume else []

    def stop(self, timeout: float = 30.0) -> None:
        """Interrupt the running operations (their stacks stay IN_PROGRESS, their locks
        are freed for the next start to resume them) and stop the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self._guard:
            running = list(self._running.values())
        for item in running:
            item.future.cancel()
        concurrent.futures.wait([r.future for r in running], timeout=timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
        self._loop = self._thread = self._slots = None

    @property
    def running(self) -> int:
        """Operations submitted and not ended (running or waiting for a slot)."""
        with self._guard:
            return len(self._running)

    # ---- the Executor interface ----------------------------------------------------------

    def submit(
        self, stack_id: str, action: Action, engine_id: str, *, caller: Caller = None
    ) -> None:
        if self._loop is None:
            raise CrossheatError("the server's executor is not started")
        if caller is None:  # in a server, ``caller`` regions never act as the server
            caller = NoCallerToken("the operation was handed over without the caller's token")
        future = asyncio.run_coroutine_threadsafe(
            self._run(stack_id, action, engine_id, caller), self._loop
        )
        with self._guard:
            self._running[stack_id] = _Running(stack_id, future)
        future.add_done_callback(lambda _: self._forget(stack_id, future))

    def wait(self, stack_id: str, timeout: float | None = None) -> None:
        """Block until the stack's operation ends (tests, the benchmark)."""
        with self._guard:
            item = self._running.get(stack_id)
        if item is not None:
            with contextlib.suppress(concurrent.futures.CancelledError):
                item.future.result(timeout)

    def _forget(self, stack_id: str, future: concurrent.futures.Future[None]) -> None:
        with self._guard:
            item = self._running.get(stack_id)
            if item is not None and item.future is future:
                del self._running[stack_id]

    async def _run(self, stack_id: str, action: Action, handed_by: str, caller: Caller) -> None:
        slots = self._slots
        assert slots is not None
        # While it waits for a slot, the lock ``handed_by`` holds is renewed: a stack whose
        # holder is silent for the stall timeout is taken as a dead engine's (a worker's
        # sweep, another server's start) and resumed elsewhere, without the caller's token.
        store = self.service.store()
        renew = asyncio.ensure_future(_renew(store, stack_id, handed_by, self.renew_every))
        try:
            await slots.acquire()
        finally:
            renew.cancel()
        try:
            try:
                engine_id = await asyncio.to_thread(self.service.take_over, stack_id, handed_by)
            except StackLocked as exc:  # cancelled or taken while it waited
                log.warning("operation %s on stack %s not run: %s", action, stack_id, exc)
                return
            with self._guard:
                if stack_id in self._running:
                    self._running[stack_id].engine_id = engine_id
            try:
                await self.service.run_operation(stack_id, action, engine_id, caller=caller)
            except asyncio.CancelledError:
                # The server is stopping: free the lock, leave the stack IN_PROGRESS.
                await asyncio.to_thread(store.release_lock, stack_id, engine_id)
                raise
            except Exception:  # recorded on the stack by the engine; keep serving
                log.exception("operation %s on stack %s ended with an error", action, stack_id)
        finally:
            slots.release()

    # ---- resuming ------------------------------------------------------------------------

    def resume_left(self) -> list[str]:
        """Resume every stack left IN_PROGRESS whose engine is gone (a stopped or killed
        server, a dead worker); stacks whose engine is alive are left alone."""
        resumed: list[str] = []
        for stack in self.service.store().list_stacks(None):
            if stack.status is not Status.IN_PROGRESS:
                continue
            scoped = self.service.scoped(stack.project)
            try:
                started = scoped.resume(stack.id)
            except StackLocked:
                continue
            except CrossheatError:
                log.exception("cannot resume stack %s", stack.id)
                continue
            if started is not None:
                caller = resumed_without_token(started.action.value)
                self.submit(started.stack.id, started.action, started.engine_id, caller=caller)
                resumed.append(stack.id)
        return resumed


async def _renew(store: Store, stack_id: str, holder: str, every: float) -> None:
    """Renew ``holder``'s lock of the stack every ``every`` seconds, until cancelled or
    the lock is no longer its own."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(store.heartbeat_lock, stack_id, holder)
        except StackLocked:
            return
        except CrossheatError:  # a database hiccup: the next renewal tries again
            log.warning("cannot renew the lock of stack %s", stack_id, exc_info=True)


@dataclass
class CallersHere:
    """A server's executor with a job queue: the operations acting with an API caller's
    token (stacks with ``credentials: caller`` regions) run in this process, where the
    token is, on ``hosted``; the others go to the ``queue``'s workers, which never get a
    token. Resuming what a dead engine left is the queue's workers' job (their sweep)."""

    queue: ServerExecutor
    hosted: HostedExecutor

    def submit(
        self, stack_id: str, action: Action, engine_id: str, *, caller: Caller = None
    ) -> None:
        if isinstance(caller, CallerToken):
            self.hosted.submit(stack_id, action, engine_id, caller=caller)
        else:
            self.queue.submit(stack_id, action, engine_id)

    def start(self) -> list[str]:
        self.hosted.start(resume=False)
        return self.queue.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.queue.stop(timeout)
        self.hosted.stop(timeout)

    def wait(self, stack_id: str, timeout: float | None = None) -> None:
        """Block until the stack's operation running here ends (tests)."""
        self.hosted.wait(stack_id, timeout)
