"""``crossheat serve``: Heat's orchestration API v1 over HTTP (``crossheat.api``).

::

    crossheat serve [--host 127.0.0.1] [--port 8004] [--max-operations 16]
                    [--auth keystone|none] [--keystone-url URL] [--workers 1]
                    [--webhook URL]... [--log-format text|json]
                    [--check-interval SECONDS|off]

Tokens are validated by the Keystone of the region map's default region (its cloud's
``auth_url`` in ``clouds.yaml``) unless ``--keystone-url`` names another; ``--auth none``
trusts every request and so listens only on a loopback address. State goes to SQLite,
or to ``$CROSSHEAT_DATABASE_URL``. SIGINT or SIGTERM stop it: requests in flight are
answered, running operations are left to resume at the next start.

With PostgreSQL, operations are queued (``crossheat.service.queue``) and run by
``--workers`` worker processes of the server's own, each running ``--max-operations``
at once, and by ``crossheat worker`` on other machines (``--workers 0``: only by those).

``--check-interval``: every stack is checked for drift (``stack check``) on a schedule
(``crossheat.service.schedule``): by the server itself with SQLite, by its workers (which
get the option) with PostgreSQL.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from crossheat.cli.common import handle_errors

if TYPE_CHECKING:
    from fastapi import FastAPI

    from crossheat.service.schedule import CheckTicker

CHECK_INTERVAL_HELP = (
    "Check every stack for drift (stack check) every SECONDS, each at its own offset in"
    " the interval; a stack tag check-interval=N (seconds, or off) overrides it for that"
    " stack; 0 or off: only the stacks whose tag asks. A stack busy with an operation is"
    " skipped until its next turn. Default: no scheduled checks."
)

#: Hosts ``--auth none`` may listen on: nobody else can reach them.
LOOPBACK_NAMES = ("localhost",)
#: How long an idle client connection is kept open. uvicorn's 5 s is the very period at
#: which heatclient polls a stack (``--wait``): a connection the server closes just as
#: the client reuses it fails the client's request (a read error), as busy clients whose
#: connections wait their turn in a pool also see.
KEEP_ALIVE_S = 75


class AuthMode(StrEnum):
    keystone = "keystone"
    none = "none"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable only from this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8004, min=0, max=65535, help="Port to listen on (Heat's: 8004)."),
    max_operations: int = typer.Option(
        16, min=1, help="Stack operations running at once; more wait, already IN_PROGRESS."
    ),
    auth: AuthMode = typer.Option(
        AuthMode.keystone,
        help="keystone: X-Auth-Token validated by Keystone; none: no authentication"
        " (loopback only, for local use).",
    ),
    keystone_url: str | None = typer.Option(
        None,
        help="Keystone to validate tokens with (default: the auth_url of the region map's"
        " default region's cloud in clouds.yaml).",
    ),
    workers: int = typer.Option(
        1,
        min=0,
        help="With PostgreSQL: worker processes of this server taking the queued operations"
        " (0: only `crossheat worker` processes, on any machine).",
    ),
    webhook: list[str] = typer.Option(
        [],
        "--webhook",
        help="URL told of every stack's operation ends and drift (repeatable;"
        " added to $CROSSHEAT_WEBHOOKS, for this server's workers too).",
    ),
    log_format: str | None = typer.Option(
        None,
        help="text or json (JSON lines, requests included); default:"
        " $CROSSHEAT_LOG_FORMAT, else uvicorn's text.",
    ),
    check_interval: str | None = typer.Option(
        None, metavar="SECONDS", envvar="CROSSHEAT_CHECK_INTERVAL", help=CHECK_INTERVAL_HELP
    ),
) -> None:
    """Serve Heat's orchestration API v1 (for `openstack stack ...`, heatclient, scripts)."""
    if auth is AuthMode.none and not is_loopback(host):
        raise typer.BadParameter(
            f"--auth none serves without authentication, so only on a loopback address"
            f" (127.0.0.1, ::1, localhost), not {host!r}",
            param_hint="--host",
        )
    with handle_errors():
        _settings(webhook, log_format)
        _run(host, port, max_operations, auth, keystone_url, workers, check_interval)


def _settings(webhooks: list[str], log_format: str | None) -> None:
    """The deployment's webhooks and log format, in the environment its workers inherit."""
    from crossheat.service import check_webhook, deployment_webhooks, log_setup

    if webhooks:
        given = [*deployment_webhooks(), *(check_webhook(url) for url in webhooks)]
        os.environ["CROSSHEAT_WEBHOOKS"] = " ".join(given)
    if log_format is not None:
        os.environ["CROSSHEAT_LOG_FORMAT"] = log_format
    if os.environ.get("CROSSHEAT_LOG_FORMAT", "").lower() == "json":
        log_setup("json")


def _run(
    host: str,
    port: int,
    max_operations: int,
    mode: AuthMode,
    url: str | None,
    workers: int,
    check_interval: str | None = None,
) -> None:
    import uvicorn  # the server's libraries: only for this command
    from uvicorn.config import LOGGING_CONFIG

    from crossheat.api.app import create_app
    from crossheat.api.auth import KeystoneAuthenticator, NoAuth
    from crossheat.api.context import Authenticator
    from crossheat.service import Service
    from crossheat.service.identity import keystone_url

    authenticator: Authenticator
    if mode is AuthMode.none:
        authenticator, described = NoAuth(), "none (every request acts as an admin)"
    else:
        url = url or keystone_url()
        authenticator, described = KeystoneAuthenticator(url), f"Keystone at {url}"
    from crossheat.service.queue import server_executor
    from crossheat.service.schedule import CheckSchedule, CheckTicker, parse_interval

    schedule = None if check_interval is None else CheckSchedule(parse_interval(check_interval))
    with Service() as service:
        queue = server_executor(service, workers, max_operations, check_interval)
        app = create_app(service, auth=authenticator, max_operations=max_operations, executor=queue)
        typer.echo(f"crossheat serve: http://{_netloc(host, port)}  auth: {described}", err=True)
        if queue is not None:
            typer.echo(f"crossheat serve: operations queued; {workers} workers here", err=True)
        if schedule is not None and queue is None:
            _with_ticker(app, CheckTicker(service, schedule))
        if schedule is not None:
            where = "by this server" if queue is None else "by the workers"
            typer.echo(f"crossheat serve: scheduled checks {where}: {schedule}", err=True)
        # What is loaded now lives as long as the server: out of the collector's sight, a
        # full collection looks at the objects of requests only (not ~200,000 of the
        # libraries', a pause of tens of milliseconds for every request waiting).
        gc.collect()
        gc.freeze()
        # JSON lines: uvicorn's records go through the root logger's handler (``log_setup``).
        json_logs = os.environ.get("CROSSHEAT_LOG_FORMAT", "").lower() == "json"
        with _stopped_by_signals():
            uvicorn.run(
                app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30,
                timeout_keep_alive=KEEP_ALIVE_S, log_config=None if json_logs else LOGGING_CONFIG,
            )  # fmt: skip
    typer.echo("crossheat serve: stopped", err=True)


def _with_ticker(app: FastAPI, ticker: CheckTicker) -> None:
    """Run ``ticker`` while the application runs (after its executor has started)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            ticker.start()
            try:
                yield state
            finally:
                await asyncio.to_thread(ticker.stop)

    app.router.lifespan_context = lifespan


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end the server (uvicorn shuts it down gracefully, then raises
    the signal again); here that ends ``uvicorn.run`` quietly, so the service is closed
    and the command exits 0 instead of dying of the signal."""

    def stopped(sig: int, frame: FrameType | None) -> None:
        pass

    previous = {sig: signal.signal(sig, stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
