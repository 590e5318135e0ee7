"""Where an operation runs: the executor interface, and the process entry point's loop.

``Service.submit`` hands a recorded, locked operation to an ``Executor``;
``run_in_process`` is what a process entry point (the CLI with ``--wait``,
``crossheat.worker``) does: it owns ``asyncio.run`` and SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from crossheat.errors import ConfigError
from crossheat.store import Action, EventRecord, StackRecord

if TYPE_CHECKING:
    from crossheat.clouds.credentials import Caller
    from crossheat.plan.analysis import Analysis
    from crossheat.service import Service

#: A view of a running operation: runs beside it until the event it is given is set.
View = Callable[[asyncio.Event], Awaitable[None]]


class EventReader(Protocol):
    """Reads a stack's events as they come, each once: the store's ``EventCursor``, or a
    ``RemoteService``'s (``crossheat.service.remote``) following a server's events."""

    def read(self) -> list[EventRecord]: ...


@dataclass(frozen=True)
class Started:
    """An operation recorded and locked, not run yet: hand it to ``Service.submit`` (the
    executor) or run it here (``Service.run_here``). ``cursor`` returns the operation's
    events from the first one it wrote (for a create, every event of the stack)."""

    stack: StackRecord
    action: Action
    engine_id: str
    cursor: EventReader
    #: The command's analysis of the template the operation deploys (create, update), so
    #: that the engine does not parse it again when it runs here; None: read from the store.
    analysis: Analysis | None = field(default=None, compare=False, repr=False)


class Executor(Protocol):
    """Runs operations the service has recorded and locked, somewhere else than the caller.

    ``submit`` returns at once; whatever runs the operation takes the lock over from
    ``engine_id`` (``Service.take_over``) and awaits ``Service.run_operation``. Today's
    implementation is ``LocalExecutor`` (a detached worker process on this host); a
    server-hosted or a distributed one (a task queue) fits behind the same method.

    ``caller``: who the operation acts as in the regions whose region map says
    ``credentials: caller`` (a server request's ``CallerToken``): kept in memory for the
    run, never stored, logged or sent anywhere but to the clouds' Keystone.
    """

    def submit(
        self, stack_id: str, action: Action, engine_id: str, *, caller: Caller = None
    ) -> None: ...


def reachable_caller(executor: Executor, caller: Caller) -> Caller:
    """Who ``caller`` regions can act as in the operations ``executor`` runs: ``caller``,
    or nobody when it runs them in processes that never get a token (a queue's workers,
    whose class says ``runs_without_caller``)."""
    if getattr(executor, "runs_without_caller", False):
        from crossheat.clouds.credentials import QUEUED, NoCallerToken

        return NoCallerToken(QUEUED)
    return caller


class LocalExecutor:
    """A detached ``python -m crossheat.worker`` process per operation, on this host: the
    local engine, acting with ``clouds.yaml``'s credentials in every region."""

    def submit(
        self, stack_id: str, action: Action, engine_id: str, *, caller: Caller = None
    ) -> None:
        if caller is not None:  # a token is not handed to another process
            raise ConfigError(
                "an operation acting as an API caller runs in the server, not in a worker "
                "process (LocalExecutor)"
            )
        subprocess.Popen(
            [sys.executable, "-m", "crossheat.worker", action.value, stack_id, engine_id],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=dict(os.environ),
        )  # fmt: skip


def run_in_process(
    service: Service,
    stack_id: str,
    action: Action,
    engine_id: str,
    view: View | None = None,
    analysis: Analysis | None = None,
) -> StackRecord:
    """``asyncio.run`` of ``run_operation``, SIGTERM setting its stop event: what a process
    entry point (the CLI with ``--wait``, ``crossheat.worker``) does; ``analysis``: the
    command's own of the template, when it has just analysed it."""

    async def main() -> StackRecord:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        try:
            return await service.run_operation(
                stack_id, action, engine_id, stop=stop, view=view, analysis=analysis
            )
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(main())


class ServerExecutor(Executor, Protocol):
    """An executor a long-lived process (``crossheat serve``) starts and stops with itself:
    ``HostedExecutor`` (operations in the server), ``QueueExecutor`` (a job queue, with
    worker processes of the server's own)."""

    def start(self) -> list[str]:
        """Start; the stacks resumed at once, if any."""
        ...

    def stop(self, timeout: float = 30.0) -> None: ...
