"""Tables drawn as openstackclient draws them: prettytable, fitted to a width as cliff does.

    list_table(["ID", "Stack Name"], [["1", "vpn"]], out)   # +----+------------+ ...
    show_table(["id", "stack_name"], ["1", "vpn"], out)      # Field | Value rows

A list table aligns numbers right and text left (as its first row has them); with
``--max-width N`` (or ``--fit-width``, or on a terminal) the widest columns are
wrapped so the table fits, never narrower than 8 characters (16 for a show).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from typing import Any, Literal

import prettytable

from crossheat.cli.output import Output

_ALIGN: dict[type, Literal["l", "c", "r"]] = {int: "r", float: "r", str: "l"}


def list_table(names: Sequence[str], rows: Sequence[Sequence[Any]], out: Output) -> str:
    table = prettytable.PrettyTable(list(names), print_empty=out.print_empty)
    table.padding_width = 1
    if rows:
        for value, name in zip(rows[0], names, strict=True):
            table.align[name] = _ALIGN.get(type(value), "l")
        for row in rows:
            table.add_row(list(row))
    _fit(table, out, min_width=8)
    return str(table.get_string())


def show_table(names: Sequence[str], values: Sequence[Any], out: Output) -> str:
    table = prettytable.PrettyTable(field_names=("Field", "Value"), print_empty=False)
    table.padding_width = 1
    table.align["Field"] = "l"
    table.align["Value"] = "l"
    for name, value in zip(names, values, strict=True):
        table.add_row([name, value])
    _fit(table, out, min_width=16)
    return str(table.get_string())


def _terminal_width() -> int | None:
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def _fit(table: prettytable.PrettyTable, out: Output, min_width: int) -> None:
    """cliff's ``_assign_max_widths``: shrink the columns wider than an equal share, the
    last of them taking what is left."""
    if out.max_width > 0:
        width = out.max_width
    elif not (sys.stdout.isatty() or out.fit_width):
        return
    else:
        found = _terminal_width()
        if not found:
            return
        width = found
    lines = table.get_string().splitlines()
    if not lines or len(lines[0]) <= width:
        return
    names = list(table.field_names)
    usable = max(0, width - 1 - 3 * len(names))
    share = max(0, usable // len(names)) if names else 0
    widths = dict(zip(names, (max(0, len(c) - 2) for c in lines[0].split("+")[1:-1]), strict=True))
    shrink = [name for name in names if widths[name] > share]
    remaining = usable - sum(widths[name] for name in names if widths[name] <= share)
    each = remaining // len(shrink)
    for name in shrink[:-1]:
        table.max_width[name] = max(min_width, each)
        remaining -= each
    table.max_width[shrink[-1]] = max(min_width, remaining)
