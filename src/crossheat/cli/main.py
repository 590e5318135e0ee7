"""The ``crossheat`` command: a Typer app whose sub-commands live in sibling modules.

Start-up is kept short: the sub-command modules import the engine, the store and the
cloud SDK only inside the commands that use them, and the garbage collector is tuned
for a command that imports a lot and then exits (see ``main``).
"""

from __future__ import annotations

import gc
import logging
import os
import sys

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


#: The sub-commands: each name, the module holding it, and how it joins the app.
COMMANDS = {
    "validate": ("crossheat.cli.inspect", "validate"),
    "plan": ("crossheat.cli.inspect", "plan"),
    "split": ("crossheat.cli.inspect", "split_command"),
    "serve": ("crossheat.cli.serve", "serve"),
    "stack": ("crossheat.cli.stack", "app"),
    "emulator": ("crossheat.cli.emulator", "app"),
    "secrets": ("crossheat.cli.secrets", "app"),
    "worker": ("crossheat.cli.worker", "app"),
}
#: The root options that take a value (``--url URL``): the word after one is no command.
VALUED_OPTIONS = ("--url", "--os-cloud")


def _command_named(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names (``stack`` in ``--url U stack list``); None when it
    names none (``--help``, a typo: typer lists them all then)."""
    words = iter(argv)
    for word in words:
        if word in VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _register(argv: list[str] | None = None) -> None:
    """Join the sub-commands to the app: only the one ``argv`` names when it names one
    (a command starts without importing the others' modules), else all of them, so that
    ``crossheat --help`` lists them all."""
    import importlib

    wanted = _command_named(argv) if argv is not None else None
    for name, (module, attr) in COMMANDS.items():
        if wanted is not None and name != wanted:
            continue
        target = getattr(importlib.import_module(module), attr)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)


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
    # ``import httpx`` (the client of ``--url`` commands) also imports httpx's own
    # command-line client, click, rich.progress and pygments, ~0.03 s, whenever click is
    # installed (uvicorn brings it); crossheat never runs it. None in sys.modules makes
    # that import fail, which httpx expects (it then offers no ``httpx`` command).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    _logging()
    _register(sys.argv[1:])
    try:
        app()
    finally:
        # Everything still alive is left to the process exit: without this, the last
        # collection walks every object (~0.15 s after importing the engine).
        gc.freeze()
