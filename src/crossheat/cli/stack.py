"""``crossheat stack ...``: shaped like ``openstack stack ...``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from crossheat.cli.common import (
    EnvOpt,
    Format,
    ParamOpt,
    RegionMapOpt,
    TemplateOpt,
    console,
    err_console,
    handle_errors,
    parse_parameters,
)
from crossheat.cli.output import FormatOpt, show_list, show_one
from crossheat.cli.progress import follow_events, live_view
from crossheat.service import Inputs, Service
from crossheat.stacks import event_dict, resource_dict, stack_dict
from crossheat.store import Action, StackRecord, Status

app = typer.Typer(help="Create, inspect and delete multi-region stacks.", no_args_is_help=True)
resource_app = typer.Typer(help="The resources of a stack.", no_args_is_help=True)
event_app = typer.Typer(help="The events of a stack.", no_args_is_help=True)
output_app = typer.Typer(help="The outputs of a stack.", no_args_is_help=True)
app.add_typer(resource_app, name="resource")
app.add_typer(event_app, name="event")
app.add_typer(output_app, name="output")

STACK_COLUMNS = ("id", "stack_name", "stack_status", "creation_time", "updated_time", "regions")
RESOURCE_COLUMNS = (
    "resource_name",
    "physical_resource_id",
    "resource_type",
    "resource_status",
    "region",
    "updated_time",
)
EVENT_COLUMNS = (
    "event_time",
    "region",
    "resource_name",
    "physical_resource_id",
    "resource_status",
    "resource_status_reason",
)


def _finish(service: Service, stack: StackRecord, wait: bool, action: Action) -> StackRecord:
    stacks = service.stacks()
    if not wait:
        stacks.spawn(stack, action)
        return stacks.store.get_stack(stack.id, include_deleted=True)
    view = live_view(stacks, stack) if sys.stdout.isatty() else follow_events(stacks, stack)
    return stacks.run(stack, action, view)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Stack name (unique in the project)."),
    template: Path = TemplateOpt,
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    region_map: Path | None = RegionMapOpt,
    wait: bool = typer.Option(False, "--wait", help="Wait until the stack is complete."),
    disable_rollback: bool = typer.Option(
        False, "--disable-rollback", help="Keep what was created when creation fails."
    ),
    timeout: int | None = typer.Option(None, "--timeout", help="Stack timeout in minutes."),
    fmt: Format = FormatOpt,
) -> None:
    """Create a stack from a multi-region template."""
    service = Service()
    with handle_errors():
        inputs = Inputs(template, environment, parse_parameters(parameter), region_map)
        stack = service.create_stack(
            name, inputs, disable_rollback=disable_rollback, timeout_mins=timeout
        )
        stack = _finish(service, stack, wait, Action.CREATE)
        outputs = service.stacks().outputs(stack) if wait else None
    show_one(stack_dict(stack, outputs), fmt)
    if stack.status is Status.FAILED or stack.action is Action.ROLLBACK:
        raise typer.Exit(1)


@app.command("list")
def list_stacks(fmt: Format = FormatOpt) -> None:
    """List the project's stacks."""
    with handle_errors():
        stacks = Service().stacks().all()
    show_list([stack_dict(s) for s in stacks], STACK_COLUMNS, fmt)


@app.command("show")
def show(name: str, fmt: Format = FormatOpt) -> None:
    """Show a stack, its status and its outputs."""
    with handle_errors():
        stacks = Service().stacks()
        stack = stacks.get(name)
        outputs = stacks.outputs(stack)
    show_one(stack_dict(stack, outputs), fmt)


@app.command("delete")
def delete(
    name: str,
    wait: bool = typer.Option(False, "--wait", help="Wait until everything is deleted."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a stack and everything it created, in every region."""
    service = Service()
    with handle_errors():
        stack = service.stacks().begin_delete(name)
        if not yes and sys.stdin.isatty():
            typer.confirm(f"Delete stack {stack.name} and all its resources?", abort=True)
        stack = _finish(service, stack, wait, Action.DELETE)
    console.print(f"stack {stack.name}: {stack.stack_status} {stack.status_reason}".rstrip())
    if stack.status is Status.FAILED:
        raise typer.Exit(1)


@resource_app.command("list")
def resource_list(name: str, fmt: Format = FormatOpt) -> None:
    """The stack's resources, with their region."""
    with handle_errors():
        stacks = Service().stacks()
        rows = [resource_dict(r) for r in stacks.resources(stacks.get(name))]
    show_list(rows, RESOURCE_COLUMNS, fmt)


@event_app.command("list")
def event_list(
    name: str,
    follow: bool = typer.Option(False, "--follow", help="Keep printing new events."),
    fmt: Format = FormatOpt,
) -> None:
    """The stack's events: every status change, with time, region and reason."""
    with handle_errors():
        stacks = Service().stacks()
        stack = stacks.get(name)
        if follow:
            asyncio.run(follow_events(stacks, stack, until_done=True)())
            return
        rows = [event_dict(e) for e in stacks.events(stack)]
    show_list(rows, EVENT_COLUMNS, fmt)


@output_app.command("show")
def output_show(
    name: str,
    key: str | None = typer.Argument(None, help="Output name."),
    all_outputs: bool = typer.Option(False, "--all", help="Show every output."),
    fmt: Format = FormatOpt,
) -> None:
    """Show one output of the stack, or all of them."""
    with handle_errors():
        stacks = Service().stacks()
        outputs = stacks.outputs(stacks.get(name))
    if all_outputs or key is None:
        show_list(outputs, ("output_key", "output_value", "description"), fmt)
        return
    match = [o for o in outputs if o["output_key"] == key]
    if not match:
        err_console.print(
            f"error: stack {name} has no output {key!r}; it has: "
            + ", ".join(o["output_key"] for o in outputs)
        )
        raise typer.Exit(1)
    show_one(match[0], fmt)
