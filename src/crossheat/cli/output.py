"""openstackclient's output options for list and show commands, with cliff's semantics.

A command decorated with ``@list_command`` or ``@show_command`` takes the options
``openstack stack ...`` takes, and receives them as ``out: Output``::

    @resource_app.command("list")
    @list_command
    def resource_list(name: str, out: Output = DEFAULT) -> None:
        emit_list(RESOURCE_COLUMNS, rows, out)

``-f/--format``      list: table, csv, json, value, yaml; show: table, json, shell, value,
                     yaml (``stack event list`` also: log, its default, as Heat's)
``-c/--column``      the columns (a show's fields) to include, repeatable; compared
                     case-insensitively, ``_`` standing for a space, kept in their own order
``--sort-column``    list: sort by these columns (first has priority; unknown ignored)
``--sort-ascending/--sort-descending``
``--noindent``       JSON on one line
``--max-width N``    tables: wrap columns to fit N characters (``CLIFF_MAX_TERM_WIDTH``)
``--fit-width``      tables: fit the terminal (``CLIFF_FIT_WIDTH=1``; always on a terminal)
``--print-empty``    list tables: the header even when there is no row
``--quote``          csv: all, minimal, none, nonnumeric (default)
``--prefix``         shell: a prefix for every variable name

Tables are prettytable's, as cliff draws them. Maps and lists are YAML in a table and
JSON on one line in value, csv and shell output (a list of plain values in a table or
value output is comma-separated); JSON and YAML output keep them as they are.
"""

from __future__ import annotations

import csv
import functools
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeVar

import typer
import yaml

from crossheat.cli.common import Format

F = TypeVar("F", bound=Callable[..., Any])
#: A column: its title, or (title, key of the rows' dicts).
Column = str | tuple[str, str]
PANEL = "Output formatters"


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    value = "value"
    yaml = "yaml"


class ShowFormat(StrEnum):
    table = "table"
    json = "json"
    shell = "shell"
    value = "value"
    yaml = "yaml"


class Quote(StrEnum):
    all = "all"
    minimal = "minimal"
    none = "none"
    nonnumeric = "nonnumeric"


@dataclass(frozen=True)
class Output:
    """What the output options asked for."""

    format: str = "table"
    columns: tuple[str, ...] = ()
    sort_columns: tuple[str, ...] = ()
    descending: bool = False
    noindent: bool = False
    max_width: int = 0
    fit_width: bool = False
    print_empty: bool = False
    quote: str = "nonnumeric"
    prefix: str = ""

    @property
    def fmt(self) -> Format:
        """The format as the other helpers know it (table for the ones they do not)."""
        return Format(self.format) if self.format in Format.__members__ else Format.table


DEFAULT = Output()


# ---- the options -----------------------------------------------------------------------


def _common(formats: type[StrEnum], default: str) -> list[inspect.Parameter]:
    return [
        _option("out_format", formats, typer.Option(
            formats(default), "-f", "--format", rich_help_panel=PANEL, help="The output format.",
        )),
        _option("out_columns", list[str], typer.Option(
            [], "-c", "--column", metavar="COLUMN", rich_help_panel=PANEL,
            help="A column to include; repeat to show several.",
        )),
        _option("out_noindent", bool, typer.Option(
            False, "--noindent", rich_help_panel=PANEL, help="JSON without indentation.",
        )),
        _option("out_max_width", int | None, typer.Option(
            None, "--max-width", metavar="INTEGER", rich_help_panel=PANEL,
            help="Maximum table width, <1 to disable (default $CLIFF_MAX_TERM_WIDTH).",
        )),
        _option("out_fit_width", bool, typer.Option(
            False, "--fit-width", rich_help_panel=PANEL,
            help="Fit the table to the terminal; implied by --max-width >0 or CLIFF_FIT_WIDTH=1.",
        )),
        _option("out_print_empty", bool, typer.Option(
            False, "--print-empty", rich_help_panel=PANEL,
            help="Print an empty table when there is no data to show.",
        )),
    ]  # fmt: skip


def _list_options(default: str, formats: type[StrEnum]) -> list[inspect.Parameter]:
    return [
        *_common(formats, default),
        _option("out_sort_columns", list[str], typer.Option(
            [], "--sort-column", metavar="SORT_COLUMN", rich_help_panel=PANEL,
            help="A column to sort by (the first has priority; unknown ones are ignored).",
        )),
        _option("out_ascending", bool | None, typer.Option(
            None, "--sort-ascending/--sort-descending", rich_help_panel=PANEL,
            help="Sort ascending (default) or descending.",
        )),
        _option("out_quote", Quote, typer.Option(
            Quote.nonnumeric, "--quote", rich_help_panel=PANEL,
            help="CSV: when to quote values.",
        )),
    ]  # fmt: skip


def _show_options() -> list[inspect.Parameter]:
    return [
        *_common(ShowFormat, "table"),
        _option("out_prefix", str, typer.Option(
            "", "--prefix", rich_help_panel=PANEL, help="Shell: a prefix for every variable name.",
        )),
    ]  # fmt: skip


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)  # fmt: skip


def _with_options(fn: F, options: list[inspect.Parameter]) -> F:
    """``fn(..., out: Output)`` as a command taking ``options`` instead of ``out``."""
    signature = inspect.signature(fn, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "out"]

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {p.name.removeprefix("out_"): kwargs.pop(p.name) for p in options}
        return fn(*args, out=_output(given), **kwargs)

    params = [*own, *options]
    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command  # type: ignore[return-value]


def _output(given: dict[str, Any]) -> Output:
    max_width = given.pop("max_width")
    if max_width is None:
        max_width = _int(os.environ.get("CLIFF_MAX_TERM_WIDTH"))
    ascending = given.pop("ascending", None)
    return Output(
        format=str(given.pop("format")),
        columns=tuple(given.pop("columns")),
        sort_columns=tuple(given.pop("sort_columns", ())),
        descending=ascending is False,
        max_width=max_width,
        fit_width=given.pop("fit_width") or bool(_int(os.environ.get("CLIFF_FIT_WIDTH"))),
        quote=str(given.pop("quote", Quote.nonnumeric)),
        **given,
    )


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def list_command(fn: F) -> F:
    """A list command: openstackclient's list output options, given as ``out``."""
    return _with_options(fn, _list_options("table", ListFormat))


def log_list_command(fn: F) -> F:
    """A list command whose default format is Heat's event ``log``."""
    return _with_options(fn, _list_options("log", EventListFormat))


def show_command(fn: F) -> F:
    """A show command: openstackclient's show output options, given as ``out``."""
    return _with_options(fn, _show_options())


class EventListFormat(StrEnum):
    log = "log"
    table = "table"
    csv = "csv"
    json = "json"
    value = "value"
    yaml = "yaml"


# ---- selecting and sorting -------------------------------------------------------------


def _normal(name: str) -> str:
    return name.lower().strip().replace(" ", "_")


def _selected(names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indexes of the ``names`` that ``-c`` asked for, in their own order; all without."""
    if not wanted:
        return list(range(len(names)))
    asked = {_normal(w) for w in wanted}
    found = [i for i, name in enumerate(names) if _normal(name) in asked]
    if not found:
        typer.echo(
            f"No recognized column names in {list(wanted)}. Recognized columns are {list(names)}.",
            err=True,
        )
        raise typer.Exit(1)
    return found


def _sorted(names: Sequence[str], rows: list[list[Any]], out: Output) -> list[list[Any]]:
    """cliff's sort: by each ``--sort-column`` (the first has priority), ``None`` last."""
    normal = [_normal(n) for n in names]
    indexes = [
        list(names).index(c) if c in names else normal.index(_normal(c))
        for c in out.sort_columns
        if c in names or _normal(c) in normal
    ]
    for index in reversed(indexes):
        try:
            rows = sorted(
                rows, key=lambda row: (row[index] is None, row[index]), reverse=out.descending
            )
        except TypeError:
            typer.echo(f"Could not sort on field '{names[index]}'; unsortable types", err=True)
    return rows


# ---- emitting ----------------------------------------------------------------------------


def emit_list(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], out: Output) -> None:
    """Rows (dicts) under ``columns``: sorted, the ``-c`` columns kept, in ``out.format``."""
    titles = [c if isinstance(c, str) else c[0] for c in columns]
    keys = [c if isinstance(c, str) else c[1] for c in columns]
    data = _sorted(titles, [[row.get(k) for k in keys] for row in rows], out)
    keep = _selected(titles, out.columns)
    titles = [titles[i] for i in keep]
    data = [[row[i] for i in keep] for row in data]
    _LISTERS[out.format](titles, data, out)


def emit_one(item: Mapping[str, Any], out: Output) -> None:
    """One object's fields (the ``-c`` ones) in ``out.format``."""
    names = list(item)
    keep = _selected(names, out.columns)
    values = list(item.values())
    _SHOWERS[out.format]([names[i] for i in keep], [values[i] for i in keep], out)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _readable(value: Any, table: bool) -> Any:
    """A map or list as a table (YAML) or a line (JSON) shows it; others as they are."""
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join("" if v is None else str(v) for v in value)
    if isinstance(value, dict | list):
        return yaml.safe_dump(value, default_flow_style=False) if table else _json_text(value)
    if table and isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", " ")
    return value


def _list_json(names: list[str], rows: list[list[Any]], out: Output) -> None:
    items = [dict(zip(names, row, strict=True)) for row in rows]
    _write(json.dumps(items, indent=None if out.noindent else 2, default=str) + "\n")


def _one_json(names: list[str], values: list[Any], out: Output) -> None:
    one = dict(zip(names, values, strict=True))
    _write(json.dumps(one, indent=None if out.noindent else 2, default=str) + "\n")


def _list_yaml(names: list[str], rows: list[list[Any]], out: Output) -> None:
    items = [dict(zip(names, row, strict=True)) for row in rows]
    _write(yaml.safe_dump(items, default_flow_style=False))


def _one_yaml(names: list[str], values: list[Any], out: Output) -> None:
    pairs = zip(names, values, strict=True)
    _write("".join(yaml.safe_dump({n: v}, default_flow_style=False) for n, v in pairs))


def _list_value(names: list[str], rows: list[list[Any]], out: Output) -> None:
    _write("".join(" ".join(str(_readable(c, False)) for c in row) + "\n" for row in rows))


def _one_value(names: list[str], values: list[Any], out: Output) -> None:
    _write("".join(f"{_readable(v, False)}\n" for v in values))


def _list_csv(names: list[str], rows: list[list[Any]], out: Output) -> None:
    modes: dict[str, Literal[0, 1, 2, 3]] = {
        "all": csv.QUOTE_ALL, "minimal": csv.QUOTE_MINIMAL, "none": csv.QUOTE_NONE,
    }  # fmt: skip
    writer = csv.writer(
        sys.stdout, quoting=modes.get(out.quote, csv.QUOTE_NONNUMERIC),
        lineterminator=os.linesep, escapechar="\\",
    )  # fmt: skip
    writer.writerow(names)
    for row in rows:
        writer.writerow([_json_text(c) if isinstance(c, dict | list) else c for c in row])
    sys.stdout.flush()


def _one_shell(names: list[str], values: list[Any], out: Output) -> None:
    lines = []
    for name, value in zip(names, values, strict=True):
        shown = _json_text(value) if isinstance(value, dict | list) else value
        if isinstance(shown, str):
            shown = shown.replace('"', '\\"')
        variable = name.lower().replace(" ", "_").replace(":", "_").replace("-", "_")
        lines.append(f'{out.prefix}{variable}="{shown}"\n')
    _write("".join(lines))


def _list_log(names: list[str], rows: list[list[Any]], out: Output) -> None:
    """Heat's event log lines: ``time id [resource]: STATUS  reason`` (needs those columns)."""
    wanted = ("event_time", "id", "resource_name", "resource_status", "resource_status_reason")
    at = {name: names.index(name) if name in names else None for name in wanted}

    def get(row: list[Any], name: str) -> Any:
        index = at[name]
        return "" if index is None or row[index] is None else row[index]

    lines = [
        f"{str(get(row, 'event_time')).replace('T', ' ')} {get(row, 'id')} "
        f"[{get(row, 'resource_name')}]: {get(row, 'resource_status')}  "
        f"{get(row, 'resource_status_reason')}"
        for row in rows
    ]
    _write("\n".join(lines) + "\n")


def _list_table(names: list[str], rows: list[list[Any]], out: Output) -> None:
    from crossheat.cli.tables import list_table

    _write(list_table(names, [[_readable(c, True) for c in row] for row in rows], out) + "\n")


def _one_table(names: list[str], values: list[Any], out: Output) -> None:
    from crossheat.cli.tables import show_table

    _write(show_table(names, [_readable(v, True) for v in values], out) + "\n")


_LISTERS: dict[str, Callable[[list[str], list[list[Any]], Output], None]] = {
    "table": _list_table,
    "csv": _list_csv,
    "json": _list_json,
    "value": _list_value,
    "yaml": _list_yaml,
    "log": _list_log,
}
_SHOWERS: dict[str, Callable[[list[str], list[Any], Output], None]] = {
    "table": _one_table,
    "json": _one_json,
    "shell": _one_shell,
    "value": _one_value,
    "yaml": _one_yaml,
}


# ---- what the other commands still use ---------------------------------------------------

FormatOpt = typer.Option(Format.table, "-f", "--format", help="table, json, yaml or value.")


def show_list(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    """Rows under ``columns`` in ``fmt`` (no other output option)."""
    emit_list(columns, rows, Output(format=fmt.value))


def show_one(item: dict[str, Any], fmt: Format) -> None:
    """One object in ``fmt`` (no other output option)."""
    emit_one(item, Output(format=fmt.value))
