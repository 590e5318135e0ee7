"""``crossheat stack ...``: shaped like ``openstack stack ...``."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crossheat.cli.common import (
    EnvOpt,
    Format,
    ParamOpt,
    RegionMapOpt,
    TemplateOpt,
    connect_service,
    console,
    dump,
    err_console,
    handle_errors,
    parse_parameters,
)
from crossheat.cli.output import (
    DEFAULT,
    Output,
    emit_list,
    emit_one,
    list_command,
    log_list_command,
    show_command,
)
from crossheat.cli.takeover import import_command

# Each command imports the service (the engine, the store...) when it runs: `crossheat
# --help` and `crossheat stack list` start fast. The names here are for type checking.
# The commands act through ``connect_service``: this host's engine, or a crossheat server
# (``--url``), which answers with the same records, so they print the same.
if TYPE_CHECKING:
    from crossheat.service import Door, StackRecord, Started

app = typer.Typer(help="Create, inspect and delete multi-region stacks.", no_args_is_help=True)
resource_app = typer.Typer(help="The resources of a stack.", no_args_is_help=True)
event_app = typer.Typer(help="The events of a stack.", no_args_is_help=True)
output_app = typer.Typer(help="The outputs of a stack.", no_args_is_help=True)
app.add_typer(resource_app, name="resource")
app.add_typer(event_app, name="event")
app.add_typer(output_app, name="output")

TunnelTimeoutOpt = typer.Option(
    120.0,
    "--tunnel-timeout",
    help="Seconds to wait, once both ends exist, for IPsec tunnels to be ACTIVE.",
)
# Heat's columns (python-heatclient's), then crossheat's own (regions).
STACK_COLUMNS = (
    ("ID", "id"),
    ("Stack Name", "stack_name"),
    ("Stack Status", "stack_status"),
    ("Creation Time", "creation_time"),
    ("Updated Time", "updated_time"),
    ("Regions", "regions"),
)
RESOURCE_COLUMNS = (
    "resource_name",
    "physical_resource_id",
    "resource_type",
    "resource_status",
    "updated_time",
    "region",
)
EVENT_COLUMNS = (
    "resource_name",
    "id",
    "resource_status",
    "resource_status_reason",
    "event_time",
    "physical_resource_id",
    "logical_resource_id",
    "resource_type",
    "region",
)
#: ``stack show``'s first fields, in Heat's order; the others follow as they come.
STACK_FIELDS = (
    "id",
    "stack_name",
    "description",
    "creation_time",
    "updated_time",
    "stack_status",
    "stack_status_reason",
    "parameters",
    "outputs",
)


def _finish(service: Door[Any], started: Started, wait: bool) -> StackRecord:
    """Run the operation here with a view of its events, or hand it to the executor."""
    from crossheat.cli.progress import follow_events, live_view

    if not wait:
        return service.submit(started)
    stack, cursor = started.stack, started.cursor
    view = (
        live_view(service, stack, cursor)
        if sys.stdout.isatty()
        else follow_events(service, stack, cursor)
    )
    # What printing the outcome imports is imported while the operation waits for the
    # cloud, not after it has ended.
    warm = threading.Timer(WARM_AFTER, _warm_output)
    warm.daemon = True
    warm.start()
    try:
        return service.run_here(started, view)
    finally:
        warm.cancel()


#: Seconds into an operation run here when the outcome's printing is prepared (its first
#: calls are out by then; an operation that has ended sooner prepares nothing).
WARM_AFTER = 0.5


def _warm_output() -> None:
    """Draw a table once, beside an operation that waits: prettytable imports what it
    measures cells with (``wcwidth``, ~10 ms) only when it first draws one."""
    import prettytable

    table = prettytable.PrettyTable(["warm"])
    table.add_row(["up"])
    table.get_string()


def _heat_order(shown: dict[str, Any]) -> dict[str, Any]:
    """A stack's fields in the order ``openstack stack show`` has them."""
    first = {key: shown[key] for key in STACK_FIELDS if key in shown}
    return first | {key: value for key, value in shown.items() if key not in first}


def _show_outcome(stack: StackRecord, shown: dict[str, Any], out: Output) -> None:
    """Show the stack an operation left; exit 1 when it failed or was rolled back."""
    from crossheat.service import Action, Status

    emit_one(_heat_order(shown), out)
    if stack.status is Status.FAILED or stack.action is Action.ROLLBACK:
        raise typer.Exit(1)


@app.command("create")
@show_command
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
    tunnel_timeout: float = TunnelTimeoutOpt,
    webhook: list[str] = typer.Option(
        [],
        "--webhook",
        help="URL told of each operation's end and of drift (repeatable;"
        " kept as the stack's tag webhook=URL).",
    ),
    out: Output = DEFAULT,
) -> None:
    """Create a stack from a multi-region template."""
    from crossheat.service import WEBHOOK_TAG, Inputs, check_webhook

    with handle_errors(), connect_service(tunnel_timeout) as service:
        inputs = Inputs.from_files(template, environment, parse_parameters(parameter), region_map)
        tags = [WEBHOOK_TAG + check_webhook(url) for url in webhook]
        started = service.create(
            name, inputs, disable_rollback=disable_rollback, timeout_mins=timeout, tags=tags
        )
        stack = _finish(service, started, wait)
        shown = service.show(stack, outputs=wait)
    _show_outcome(stack, shown, out)


@app.command("list")
@list_command
def list_stacks(
    nested: bool = typer.Option(False, "--nested", help="Nested stacks too."),
    out: Output = DEFAULT,
) -> None:
    """List the project's stacks."""
    from crossheat.cli.common import WHERE
    from crossheat.service import remote_url
    from crossheat.service.listing import LIST_COLUMNS, stack_rows

    with handle_errors():
        # Without SQLAlchemy when the quick reader has every column shown.
        quick = {key for _, key in STACK_COLUMNS} <= set(LIST_COLUMNS)
        quick = quick and not nested
        shown = stack_rows() if quick and remote_url(WHERE.url) is None else None
        if shown is None:
            with connect_service() as service:
                shown = service.list_stacks(nested=nested)
    emit_list(STACK_COLUMNS, shown, out)


@app.command("show")
@show_command
def show(name: str, out: Output = DEFAULT) -> None:
    """Show a stack, its status and its outputs."""
    with handle_errors(), connect_service() as service:
        shown = service.show(name)
    emit_one(_heat_order(shown), out)


@app.command("delete")
def delete(
    name: str,
    wait: bool = typer.Option(False, "--wait", help="Wait until everything is deleted."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a stack and everything it created, in every region."""
    from crossheat.service import Status

    with handle_errors(), connect_service() as service:
        stack = service.deletable(name)
        if not yes and sys.stdin.isatty():
            typer.confirm(f"Delete stack {stack.name} and all its resources?", abort=True)
        stack = _finish(service, service.delete(stack), wait)
    console.print(f"stack {stack.name}: {stack.stack_status} {stack.status_reason}".rstrip())
    if stack.status is Status.FAILED:
        raise typer.Exit(1)


@resource_app.command("list")
@list_command
def resource_list(name: str, out: Output = DEFAULT) -> None:
    """The stack's resources, with their region."""
    from crossheat.service import resource_dict

    with handle_errors(), connect_service() as service:
        rows = [resource_dict(r) for r in service.resources(name, nested=True)]
    emit_list(RESOURCE_COLUMNS, rows, out)


@resource_app.command("show")
@show_command
def resource_show(
    name: str,
    resource: str = typer.Argument(..., help="Resource name (or physical id)."),
    out: Output = DEFAULT,
) -> None:
    """One resource: status, region, resolved properties and attributes (secrets masked)."""
    with handle_errors(), connect_service() as service:
        shown = service.resource(name, resource)
    emit_one(shown, out)


@event_app.command("list")
@log_list_command
def event_list(
    name: str,
    follow: bool = typer.Option(False, "--follow", help="Keep printing new events."),
    out: Output = DEFAULT,
) -> None:
    """The stack's events: every status change, with time, region and reason (a deleted
    stack's too, given its id)."""
    from crossheat.cli.progress import follow_events
    from crossheat.service import event_dict

    with handle_errors(), connect_service() as service:
        stack = service.get(name, include_deleted=True)
        if follow:
            asyncio.run(follow_events(service, stack, until_done=True)(asyncio.Event()))
            return
        rows = [event_dict(e) for e in service.events(stack)]
    emit_list(EVENT_COLUMNS, rows, out)


@event_app.command("show")
@show_command
def event_show(
    name: str,
    resource: str = typer.Argument(..., help="The resource (or the stack) the event is about."),
    event: int = typer.Argument(..., help="The event's id."),
    out: Output = DEFAULT,
) -> None:
    """One event of the stack."""
    from crossheat.service import event_dict

    with handle_errors(), connect_service() as service:
        stack = service.get(name)
        found = [e for e in service.events(stack) if e.id == event and e.resource_name == resource]
    if not found:
        err_console.print(f"error: stack {name} has no event {event} of {resource}", markup=False)
        raise typer.Exit(1)
    emit_one(event_dict(found[0]), out)


@output_app.command("list")
@list_command
def output_list(name: str, out: Output = DEFAULT) -> None:
    """The stack's outputs: name and description."""
    with handle_errors(), connect_service() as service:
        outputs = service.outputs(name)
    emit_list(("output_key", "description"), outputs, out)


@output_app.command("show")
@show_command
def output_show(
    name: str,
    key: str | None = typer.Argument(None, help="Output name."),
    all_outputs: bool = typer.Option(False, "--all", help="Show every output."),
    out: Output = DEFAULT,
) -> None:
    """Show one output of the stack, or (``--all``, or no name) every output by name."""
    with handle_errors(), connect_service() as service:
        outputs = service.outputs(name)
    if all_outputs or key is None:
        emit_one({o["output_key"]: o for o in outputs}, out)
        return
    match = [o for o in outputs if o["output_key"] == key]
    if not match:
        err_console.print(
            f"error: stack {name} has no output {key!r}; it has: "
            + ", ".join(o["output_key"] for o in outputs),
            markup=False,
        )
        raise typer.Exit(1)
    emit_one(match[0], out)


@app.command("update")
@show_command
def update(
    name: str,
    template: Path | None = typer.Option(None, "-t", "--template", help="New HOT template."),
    environment: list[Path] = EnvOpt,
    parameter: list[str] = ParamOpt,
    existing: bool = typer.Option(
        False,
        "--existing",
        help="Keep the stored template and parameters; change only what is given.",
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait until the update is complete."),
    disable_rollback: bool | None = typer.Option(
        None,
        "--disable-rollback/--enable-rollback",
        help="Keep what an update failing half-way did.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only show what would change, per region."
    ),
    tunnel_timeout: float = TunnelTimeoutOpt,
    out: Output = DEFAULT,
) -> None:
    """Update a stack: only what changed is touched, in the regions where it changed."""
    from crossheat.service import Inputs

    with handle_errors(), connect_service(tunnel_timeout) as service:
        inputs = (
            Inputs.from_files(template, environment, parse_parameters(parameter))
            if template is not None
            else None
        )
        prepared = service.prepare_update(
            name,
            inputs,
            existing=existing,
            parameters=parse_parameters(parameter),
            disable_rollback=disable_rollback,
        )
        if dry_run:
            show_preview(service.preview_update(prepared).preview(), out.fmt)
            return
        stack = _finish(service, service.update(prepared), wait)
        shown = service.show(stack, outputs=wait)
    _show_outcome(stack, shown, out)


def show_preview(preview: dict[str, object], fmt: Format) -> None:
    """Heat's update preview (added, updated, replaced, deleted, unchanged), per region."""
    if fmt in (Format.json, Format.yaml):
        dump(preview, fmt)
        return
    kinds = ("added", "updated", "replaced", "deleted", "unchanged")
    regions = preview["regions"]
    assert isinstance(regions, dict)
    for region, by_kind in regions.items():
        console.print(f"region {region}:", markup=False)
        for kind in kinds:
            if by_kind[kind]:
                console.print(f"  {kind}: {', '.join(by_kind[kind])}", markup=False)
    for kind in kinds[:4]:
        items = preview[kind]
        assert isinstance(items, list)
        for item in items:
            changes = "; ".join(
                f"{c['property']}: {c['old']!r} -> "
                f"{'(new value)' if c['new'] is None else repr(c['new'])}"
                for c in item["changes"]
            )
            console.print(
                f"{kind} {item['region']}/{item['resource_name']}: {item['reason']}"
                + (f" [{changes}]" if changes else ""),
                markup=False,
            )


@app.command("check")
@list_command
def check(name: str, out: Output = DEFAULT) -> None:
    """Read every resource from its cloud and report drift: what was deleted or changed
    outside crossheat, property by property. Exits 1 when drift was found.

    ``crossheat stack update NAME --existing`` repairs what this reports.
    """
    with handle_errors(), connect_service() as service:
        result = service.check(name)
    rows = [report.as_dict() for report in result.reports]
    if out.format not in (Format.json, Format.yaml):
        for row in rows:
            row["differences"] = "; ".join(
                f"{d['property']}: {d['expected']!r} -> {d['actual']!r}" for d in row["differences"]
            ) or ("" if row["status"] == "IN_SYNC" else row["reason"])
    columns = ("resource_name", "region", "physical_resource_id", "status", "differences")
    emit_list(columns, rows, out)
    if out.format == Format.table:
        console.print(f"stack {name}: CHECK_{result.status} {result.reason}", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("resume")
@show_command
def resume(
    name: str,
    wait: bool = typer.Option(False, "--wait", help="Wait until the operation is finished."),
    out: Output = DEFAULT,
) -> None:
    """Finish the operation a dead engine left in progress (after a crash or kill -9).

    Resources whose creation had started are found again by their tags, not
    created twice. Refused while the engine holding the stack is alive.
    """
    with handle_errors(), connect_service() as service:
        started = service.resume(name)
        if started is None:
            stack = service.get(name)
            console.print(f"stack {stack.name} is {stack.stack_status}: nothing to resume")
            return
        stack = _finish(service, started, wait)
        shown = service.show(stack, outputs=False)
    _show_outcome(stack, shown, out)


@app.command("cancel")
def cancel(name: str) -> None:
    """Stop the update in progress; it then rolls back to the previous template."""
    with handle_errors(), connect_service() as service:
        console.print(service.cancel(name))


app.command("import")(import_command)
