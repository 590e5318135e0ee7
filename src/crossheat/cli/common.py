"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from crossheat.errors import CrossheatError, TemplateError

if TYPE_CHECKING:
    from crossheat.service import Door

#: Tables printed into a pipe or a file are not cut to 80 columns.
_PIPE_WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, soft_wrap=True, width=_PIPE_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    value = "value"


TemplateOpt = typer.Option(..., "-t", "--template", help="HOT template file.")
EnvOpt = typer.Option(
    [], "-e", "--environment", help="Environment file; repeat to merge several, in order."
)
ParamOpt = typer.Option([], "--parameter", "-P", help="KEY=VALUE; repeat for several parameters.")
RegionMapOpt = typer.Option(
    None,
    "--region-map",
    help="Region map file (default: $CROSSHEAT_REGION_MAP, then ~/.config/crossheat/regions.yaml).",
)


@dataclass
class Where:
    """Where the stack commands act: a crossheat server (``--url``/``CROSSHEAT_URL``, with
    a token of ``--os-cloud``/``OS_CLOUD``), else this host's engine and database."""

    url: str | None = None
    cloud: str | None = None


#: Set by the root command's options.
WHERE = Where()


def connect_service(tunnel_timeout: float | None = None) -> Door[Any]:
    """The service the stack commands use: the server ``WHERE`` names, else this host's
    (its engine waiting ``tunnel_timeout`` seconds for IPsec tunnels, when given)."""
    from crossheat.service import connect, remote_url

    if remote_url(WHERE.url) is not None or tunnel_timeout is None:
        return connect(WHERE.url, cloud=WHERE.cloud)
    from crossheat.service import EngineOptions

    return connect(options=EngineOptions(tunnel_timeout=tunnel_timeout))


def parse_parameters(items: Sequence[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a missing ``=`` is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--parameter")
        out[key] = value
    return out


def dump(data: Any, fmt: Format) -> None:
    """Print ``data`` as JSON or YAML on stdout (plain, for pipes)."""
    if fmt is Format.json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        import yaml

        typer.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@contextmanager
def handle_errors() -> Iterator[None]:
    """Print crossheat errors clearly (every diagnostic) and exit 1."""
    try:
        yield
    except TemplateError as exc:
        for diagnostic in exc.diagnostics:
            err_console.print(str(diagnostic), markup=False)
        raise typer.Exit(1) from None
    except CrossheatError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
