"""``crossheat worker``: run stack operations from the job queue (PostgreSQL), on any machine.

::

    crossheat worker [--concurrency 10] [--queues NAME[,NAME]...]   # until SIGTERM / Ctrl-C
                     [--check-interval SECONDS|off]
    crossheat worker list [-f table|json|yaml|value|csv]

A worker takes the operations that ``crossheat serve`` (or the CLI with
``CROSSHEAT_EXECUTOR=queue``) queued in the database ``CROSSHEAT_DATABASE_URL`` names,
at most ``--concurrency`` at once. SIGTERM stops it gracefully: its operations pause at a
safe point and go back to the queue for another worker. When a worker dies, another
finishes its operations once it has been silent for ``CROSSHEAT_STALL_TIMEOUT`` seconds.
With ``--check-interval``, the workers take turns at starting the scheduled checks of every
stack (a periodic task of the queue: each turn is taken by one worker only), queued as
operations like the others.
"""

from __future__ import annotations

import logging
import os

import typer

from crossheat.cli.common import err_console, handle_errors
from crossheat.cli.output import DEFAULT, Output, emit_list, list_command

app = typer.Typer(
    help="Run stack operations from the job queue (PostgreSQL): `crossheat worker` on as many"
    " machines as needed; `crossheat worker list` shows them.",
)

WORKER_COLUMNS = (
    ("ID", "id"),
    ("Host", "host"),
    ("PID", "pid"),
    ("Started", "started"),
    ("Heartbeat", "heartbeat"),
    ("Alive", "alive"),
    ("Operations Running", "running"),
    ("Concurrency", "concurrency"),
    ("Queues", "queues"),
)


@app.callback(invoke_without_command=True)
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(10, min=1, help="Operations this worker runs at once."),
    queues: list[str] = typer.Option(
        [], "--queues", "-q", help="Queues to take operations from (default: all)."
    ),
    log_format: str | None = typer.Option(
        None, help="text or json (JSON lines); default: $CROSSHEAT_LOG_FORMAT, else text."
    ),
    metrics_port: int | None = typer.Option(
        None,
        min=0,
        max=65535,
        help="Serve this worker's own metrics (its cloud calls and retries) in Prometheus'"
        " text format on this port of --metrics-host.",
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address of --metrics-port."),
    check_interval: str | None = typer.Option(
        None,
        metavar="SECONDS",
        envvar="CROSSHEAT_CHECK_INTERVAL",
        help="Check every stack for drift (stack check) every SECONDS, each at its own"
        " offset in the interval; a stack tag check-interval=N (seconds, or off) overrides"
        " it; 0 or off: only the stacks whose tag asks. Give every worker the same value."
        " Default: this worker starts no scheduled check.",
    ),
) -> None:
    """Run a worker: take queued stack operations and run them, until SIGTERM or Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    names = [name.strip() for given in queues for name in given.split(",") if name.strip()]
    with handle_errors():
        _logging(log_format)
        from crossheat.service import serve_metrics
        from crossheat.service.worker import run_worker

        if metrics_port is not None:
            serve_metrics(metrics_port, metrics_host)
        code = run_worker(concurrency, names, check_interval)
    raise typer.Exit(code)


@app.command("list")
@list_command
def list_workers(out: Output = DEFAULT) -> None:
    """The workers of this database: host, pid, started, last heartbeat, operations running."""
    from crossheat.service import Service
    from crossheat.service.queue import is_postgresql
    from crossheat.service.queue import list_workers as workers_of

    if not is_postgresql():
        err_console.print(
            "no workers: the job queue needs PostgreSQL (CROSSHEAT_DATABASE_URL);"
            " with SQLite, operations run on the host that starts them"
        )
    with handle_errors(), Service() as service:
        rows = [row.as_dict() for row in workers_of(service)]
    emit_list(WORKER_COLUMNS, rows, out)


def _logging(form: str | None) -> None:
    """A worker is a service: it says what it does (unless ``CROSSHEAT_LOG_LEVEL`` says),
    as text or JSON lines."""
    from crossheat.service import log_setup

    if logging.getLogger().handlers and form is None:
        return
    log_setup(form, os.environ.get("CROSSHEAT_LOG_LEVEL") or "INFO")
