"""Watching an operation: a live per-region view on a terminal, event lines otherwise."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from rich.live import Live
from rich.table import Table

from crossheat.cli.common import console, err_console
from crossheat.stacks import Stacks, event_dict
from crossheat.store import EventCursor, ResourceRecord, StackRecord, Status

View = Callable[[], Coroutine[Any, Any, None]]
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


def live_view(stacks: Stacks, stack: StackRecord) -> View:
    """A Rich live table of resources per region, refreshed while the operation runs."""

    async def view() -> None:
        with Live(console=console, refresh_per_second=4) as live:
            while True:
                current = await asyncio.to_thread(
                    stacks.store.get_stack, stack.id, include_deleted=True
                )
                records = await asyncio.to_thread(stacks.resources, stack)
                live.update(_progress_table(current, records))
                await asyncio.sleep(INTERVAL)

    return view


def follow_events(stacks: Stacks, stack: StackRecord, until_done: bool = False) -> View:
    """Print each new event as a line, like ``openstack stack event list --follow``.

    While an operation runs (``until_done`` False) the lines go to stderr, so that
    ``-f json`` output on stdout stays machine-readable.
    """
    out = console if until_done else err_console

    async def view() -> None:
        cursor = EventCursor(stacks.store, stack.id)
        if not until_done:
            await asyncio.to_thread(cursor.read)  # only what happens from now on
        while True:
            events = await asyncio.to_thread(cursor.read)
            for event in events:
                row = event_dict(event)
                out.print(
                    f"{row['event_time']} [{row['region'] or '-'}] {row['resource_name']} "
                    f"{row['resource_status']} {row['resource_status_reason']}".rstrip(),
                    markup=False,
                )
            if until_done:
                current = await asyncio.to_thread(
                    stacks.store.get_stack, stack.id, include_deleted=True
                )
                if current.status is not Status.IN_PROGRESS and not current.lock.held:
                    return
            await asyncio.sleep(INTERVAL)

    return view
