"""``-f table|json|yaml|value`` for list and show commands, as python-openstackclient has it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.table import Table

from crossheat.cli.common import Format, console, dump

FormatOpt = typer.Option(Format.table, "-f", "--format", help="table, json, yaml or value.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def show_list(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    """Rows (dicts with Heat's field names) as a table, JSON, YAML or bare values.

    JSON and YAML carry every field; the table and values show ``columns``.
    """
    selected = [{c: row.get(c) for c in columns} for row in rows]
    if fmt in (Format.json, Format.yaml):
        dump(list(rows), fmt)
    elif fmt is Format.value:
        for row in selected:
            typer.echo(" ".join(_cell(v) for v in row.values()))
    else:
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in selected:
            table.add_row(*(_cell(v) for v in row.values()), style=_style(row))
        console.print(table)


def show_one(item: dict[str, Any], fmt: Format) -> None:
    """One object as Field/Value rows, JSON, YAML or bare values."""
    if fmt in (Format.json, Format.yaml):
        dump(item, fmt)
    elif fmt is Format.value:
        for value in item.values():
            typer.echo(_cell(value))
    else:
        table = Table()
        table.add_column("Field")
        table.add_column("Value")
        for key, value in item.items():
            table.add_row(key, _cell(value))
        console.print(table)


def _style(row: dict[str, Any]) -> str | None:
    status = str(row.get("stack_status") or row.get("resource_status") or "")
    if status.endswith("FAILED"):
        return "red"
    if status.endswith("IN_PROGRESS"):
        return "yellow"
    return None
