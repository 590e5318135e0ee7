"""``crossheat worker``'s entry: a worker of the job queue in this process (see
``crossheat.service.queue``)."""

from __future__ import annotations

from crossheat.service.queue import QueueSettings


def run_worker(concurrency: int = 10, queues: list[str] | None = None) -> int:
    """Run a worker in this process until SIGTERM or SIGINT; its exit code."""
    from crossheat.service._worker import run

    return run(concurrency, queues or None, QueueSettings.from_environment())
