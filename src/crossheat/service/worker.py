"""``crossheat worker``'s entry: a worker of the job queue in this process (see
``crossheat.service.queue``)."""

from __future__ import annotations

from crossheat.service.queue import QueueSettings


def run_worker(
    concurrency: int = 10, queues: list[str] | None = None, check_interval: str | None = None
) -> int:
    """Run a worker in this process until SIGTERM or SIGINT; its exit code.
    ``check_interval``: seconds (or ``off``) between scheduled checks of every stack
    (``crossheat.service.schedule``); None: the worker starts none."""
    from crossheat.service._worker import run
    from crossheat.service.schedule import CheckSchedule, parse_interval

    schedule = None if check_interval is None else CheckSchedule(parse_interval(check_interval))
    return run(concurrency, queues or None, QueueSettings.from_environment(), schedule)
