"""The ``crossheat`` command: a Typer app whose sub-commands live in sibling modules.

Start-up is kept short: the sub-command modules import the engine, the store and the
cloud SDK only inside the commands that use them, and the garbage collector is tuned
for a command that imports a lot and then exits (see ``main``).
"""

from __future__ import annotations

import gc
import logging
import os

import typer

app = typer.Typer(
    name="crossheat",
    help="Multi-region orchestration for hybrid OpenStack clouds: one HOT template, one stack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from crossheat import __version__

        typer.echo(f"crossheat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        envvar="CROSSHEAT_URL",
        help="Work through the crossheat server at URL (`crossheat serve`) instead of "
        "this host's engine and database: the stack commands and `plan --stack`.",
    ),
    os_cloud: str | None = typer.Option(
        None,
        "--os-cloud",
        envvar="OS_CLOUD",
        help="With --url: the clouds.yaml entry whose Keystone token is sent (none: no "
        "token, project $CROSSHEAT_PROJECT or default, for a server run with --auth none).",
    ),
) -> None:
    """Multi-region orchestration for hybrid OpenStack clouds."""
    from crossheat.cli.common import WHERE

    WHERE.url, WHERE.cloud = url or None, os_cloud or None


def _register() -> None:
    # Sub-command modules are imported here, once, so that `crossheat --help` lists them all.
    from crossheat.cli import emulator as emulator_cli
    from crossheat.cli import inspect, secrets, serve, stack, takeover
    from crossheat.cli import worker as worker_cli

    app.command()(inspect.validate)
    app.command()(inspect.plan)
    app.command("split")(inspect.split_command)
    app.command("serve")(serve.serve)
    stack.app.command("import")(takeover.import_command)
    app.add_typer(stack.app, name="stack")
    app.add_typer(emulator_cli.app, name="emulator")
    app.add_typer(secrets.app, name="secrets")
    app.add_typer(worker_cli.app, name="worker")


#: Allocations between two collections of the youngest generation (Python's default
#: is 700): importing openstacksdk and SQLAlchemy makes about a million objects and no
#: garbage, and collecting every 700 of them costs a command ~10% of its imports.
GC_THRESHOLD = 50_000


def _logging() -> None:
    """``CROSSHEAT_LOG_LEVEL=debug``: log to stderr (openstacksdk's requests included);
    ``CROSSHEAT_LOG_FORMAT=json``: crossheat's records as JSON lines (``log_setup``);
    secrets are scrubbed from every record (``crossheat.redact``)."""
    level = logging.getLevelName(os.environ.get("CROSSHEAT_LOG_LEVEL", "").upper())
    if os.environ.get("CROSSHEAT_LOG_FORMAT", "").lower() == "json":
        from crossheat.service import log_setup

        log_setup("json")
    elif isinstance(level, int):
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    gc.set_threshold(GC_THRESHOLD)
    _logging()
    _register()
    try:
        app()
    finally:
        # Everything still alive is left to the process exit: without this, the last
        # collection walks every object (~0.15 s after importing the engine).
        gc.freeze()
