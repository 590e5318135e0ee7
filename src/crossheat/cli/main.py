"""The ``crossheat`` command: a Typer app whose sub-commands live in sibling modules."""

from __future__ import annotations

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
) -> None:
    """Multi-region orchestration for hybrid OpenStack clouds."""


def _register() -> None:
    # Sub-command modules are imported here, once, so that `crossheat --help` lists them all.
    from crossheat.cli import emulator as emulator_cli
    from crossheat.cli import inspect, stack

    app.command()(inspect.validate)
    app.command()(inspect.plan)
    app.command("split")(inspect.split_command)
    app.add_typer(stack.app, name="stack")
    app.add_typer(emulator_cli.app, name="emulator")


def main() -> None:
    _register()
    app()
