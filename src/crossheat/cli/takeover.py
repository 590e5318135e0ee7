"""``crossheat stack import``: a stack that takes over resources that already exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from crossheat.cli.common import (
    EnvOpt,
    ParamOpt,
    RegionMapOpt,
    TemplateOpt,
    connect_service,
    err_console,
    handle_errors,
    parse_parameters,
)
from crossheat.cli.output import DEFAULT, Output, emit_one, show_command


@show_command
def import_command(
    name: str = typer.Argument(..., help="Stack name (unique in the project)."),
    template: Path = TemplateOpt,
    resource: list[str] = typer.Option(
        [], "--resource", "-r", help="LOGICAL=PHYSICAL_ID: take over what exists (repeatable)."
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="A YAML or JSON file mapping logical names to physical ids."
    ),
    update_differing: bool = typer.Option(
        False,
        "--update-differing",
        help="When a resource differs from the template, import it and then update it.",
    ),
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    region_map: Path | None = RegionMapOpt,
    out: Output = DEFAULT,
) -> None:
    """Create a stack whose named resources already exist: each is read from its region,
    checked against the template, tagged and recorded as the stack's own; the rest is
    created. A property that differs refuses the import (nothing changes) unless
    --update-differing. Waits until the stack is complete."""
    from crossheat.service import Inputs, Service, Status, Takeover

    with handle_errors():
        named = _named(resource, mapping)
        with connect_service() as service:
            if not isinstance(service, Service):
                raise typer.BadParameter("stack import runs on this host: unset CROSSHEAT_URL")
            inputs = Inputs.from_files(
                template, environment, parse_parameters(parameter), region_map
            )
            takeover = Takeover(service)
            started = takeover.import_stack(name, inputs, named, update_differing=update_differing)
            stack = service.run_here(started)
            differing = takeover.differing(started) if stack.status is Status.COMPLETE else []
            if differing:
                err_console.print(
                    f"updating what differs from the template: {', '.join(differing)}"
                )
                prepared = service.prepare_update(name, None, existing=True)
                stack = service.run_here(service.update(prepared))
            shown = service.show(stack)
    emit_one(shown, out)
    if stack.status is Status.FAILED:
        raise typer.Exit(1)


def _named(items: list[str], mapping: Path | None) -> dict[str, str]:
    named: dict[str, str] = {}
    if mapping is not None:
        data: Any = yaml.safe_load(mapping.read_text())
        if not isinstance(data, dict):
            raise typer.BadParameter("a map of LOGICAL: PHYSICAL_ID", param_hint="--mapping")
        named.update({str(k): str(v) for k, v in data.items()})
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise typer.BadParameter(
                f"expected LOGICAL=PHYSICAL_ID, got {item!r}", param_hint="--resource"
            )
        named[key] = value
    return named
