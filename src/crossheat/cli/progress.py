"""Watching an operation: a live per-region view on a terminal, event lines otherwise."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from rich.live import Live
from rich.table import Table

from crossheat.cli.common import console, err_console
from crossheat.service import Status, event_dict

if TYPE_CHECKING:
    from crossheat.service import Door, EventReader, ResourceRecord, StackRecord

#: Runs beside an operation until the event it is given is set (the operation has ended).
View = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
INTERVAL = 0.5


def _progress_table(stack: StackRecord, records: list[ResourceRecord]) -> Table:
    table = Table(title=f"{stack.name}: {stack.stack_status}")
    for column in ("region", "resources", "complete", "in progress", "failed", "now working on"):
        table.add_column(column)
    by_region: dict[str, list[ResourceRecord]] = {}
    for record in records:
        by_region.setdefault(record.region or "-", []).append(record)
    for region, items in sorted(by_region.items()):
        counts = Counter(r.status for r in items if r.action.value != "INIT")
        working = [r.name for r in items if r.status is Status.IN_PROGRESS]
        table.add_row(
            region,
            str(len(items)),
            str(counts[Status.COMPLETE]),
            str(counts[Status.IN_PROGRESS]),
            str(counts[Status.FAILED]),
            ", ".join(working[:4]) + (" ..." if len(working) > 4 else ""),
        )
    return table


def live_view(service: Door[Any], stack: StackRecord, cursor: EventReader) -> View:
    """A Rich live table of resources per region, refreshed while the operation runs, with
    each new event printed above it as a line; after ``done`` is set, a last read prints the
    operation's final events and the table's final state."""

    async def view(done: asyncio.Event) -> None:
        with Live(console=console, refresh_per_second=4) as live:
            while True:
                finished = done.is_set()
                for line in await asyncio.to_thread(_event_lines, cursor):
                    live.console.print(line, markup=False)
                current = await asyncio.to_thread(service.get_by_id, stack.id)
                records = await asyncio.to_thread(service.resources, stack)
                live.update(_progress_table(current, records))
                if finished:
                    return
                await _pause(done)

    return view


def follow_events(
    service: Door[Any],
    stack: StackRecord,
    cursor: EventReader | None = None,
    until_done: bool = False,
) -> View:
    """Print each new event as a line, like ``openstack stack event list --follow``:
    those ``cursor`` has not returned yet (all of the stack's without one).

    While an operation runs (``until_done`` False) the lines go to stderr, so that
    ``-f json`` output on stdout stays machine-readable; once ``done`` is set, one
    last read prints the operation's final events.
    """
    out = console if until_done else err_console
    cursor = cursor or service.event_cursor(stack)

    async def view(done: asyncio.Event) -> None:
        while True:
            finished = done.is_set()
            for line in await asyncio.to_thread(_event_lines, cursor):
                out.print(line, markup=False)
            if finished:
                return
            if until_done:
                current = await asyncio.to_thread(service.get_by_id, stack.id)
                if current.status is not Status.IN_PROGRESS and not current.lock.held:
                    done.set()  # one more read: what was written before the lock's release
                    continue
            await _pause(done)

    return view


def _event_lines(cursor: EventReader) -> list[str]:
    lines = []
    for event in cursor.read():
        row = event_dict(event)
        lines.append(
            f"{row['event_time']} [{row['region'] or '-'}] {row['resource_name']} "
            f"{row['resource_status']} {row['resource_status_reason']}".rstrip()
        )
    return lines


async def _pause(done: asyncio.Event) -> None:
    """Wait ``INTERVAL`` seconds, or less if ``done`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), INTERVAL)
