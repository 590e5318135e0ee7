"""The output options print what openstackclient prints: compared with cliff's own code.

For the same columns and rows, each format and option is run through crossheat's
``emit_list``/``emit_one`` and through cliff's ``Lister``/``ShowOne`` with cliff's
formatters (cliff comes with python-openstackclient, a test dependency), and the
outputs must be identical.
"""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stdout
from types import SimpleNamespace
from typing import Any

import pytest
import typer

from crossheat.cli.output import Output, emit_list, emit_one

cliff_lister = pytest.importorskip("cliff.lister")
cliff_show = pytest.importorskip("cliff.show")
from cliff.formatters import commaseparated, json_format, shell, table, value, yaml_format  # noqa: E402

COLUMNS = ["ID", "Stack Name", "Stack Status", "Creation Time", "Updated Time"]
ROWS = [
    ["5c0e", "web", "CREATE_COMPLETE", "2026-01-02T10:00:00Z", None],
    ["1a9f", "vpn", "UPDATE_FAILED", "2026-01-01T09:00:00Z", "2026-01-03T08:00:00Z"],
    ["77b2", "db", "CREATE_COMPLETE", "2026-01-03T11:00:00Z", None],
    ["0d41", "a-long-stack-name-that-needs-wrapping-in-narrow-tables", "CREATE_COMPLETE",
     "2026-01-04T12:00:00Z", None],
]  # fmt: skip
ONE = {
    "id": "5c0e",
    "stack_name": "web",
    "description": "A stack\r\nwith two lines",
    "stack_status": "CREATE_COMPLETE",
    "timeout_mins": 60,
    "disable_rollback": True,
    "updated_time": None,
    "parameters": {"flavor": "m1.small", "psk": "******"},
}
LIST_FORMATTERS = {
    "table": table.TableFormatter,
    "csv": commaseparated.CSVLister,
    "json": json_format.JSONFormatter,
    "value": value.ValueFormatter,
    "yaml": yaml_format.YAMLFormatter,
}
SHOW_FORMATTERS = {
    "table": table.TableFormatter,
    "json": json_format.JSONFormatter,
    "shell": shell.ShellFormatter,
    "value": value.ValueFormatter,
    "yaml": yaml_format.YAMLFormatter,
}


def _args(out: Output) -> argparse.Namespace:
    direction = "desc" if out.descending else ("asc" if out.sort_columns else None)
    return argparse.Namespace(
        columns=list(out.columns), sort_columns=list(out.sort_columns), sort_direction=direction,
        noindent=out.noindent, max_width=out.max_width, fit_width=out.fit_width,
        print_empty=out.print_empty, quote_mode=out.quote, prefix=out.prefix, variables=[],
    )  # fmt: skip


def _captured(fn: Any, *args: Any) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        fn(*args)
    return buffer.getvalue()


class _Lister(cliff_lister.Lister):  # type: ignore[misc,name-defined]
    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        raise NotImplementedError


class _ShowOne(cliff_show.ShowOne):  # type: ignore[misc,name-defined]
    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        raise NotImplementedError


def cliff_list(out: Output, columns: list[str], rows: list[list[Any]]) -> str:
    command = _Lister.__new__(_Lister)
    command.formatter = LIST_FORMATTERS[out.format]()
    command.app = SimpleNamespace(stdout=io.StringIO())
    command.produce_output(_args(out), columns, [list(r) for r in rows])
    return str(command.app.stdout.getvalue())


def cliff_one(out: Output, item: dict[str, Any]) -> str:
    command = _ShowOne.__new__(_ShowOne)
    command.formatter = SHOW_FORMATTERS[out.format]()
    command.app = SimpleNamespace(stdout=io.StringIO())
    command.produce_output(_args(out), list(item), list(item.values()))
    return str(command.app.stdout.getvalue())


def ours_list(out: Output, columns: list[str], rows: list[list[Any]]) -> str:
    dicts = [dict(zip(columns, row, strict=True)) for row in rows]
    return _captured(emit_list, columns, dicts, out)


LIST_CASES = [
    Output(format=f) for f in LIST_FORMATTERS
] + [
    Output(format="value", columns=("Stack Name", "stack_status")),  # cliff's normalised names
    Output(format="json", columns=("stack_name",), noindent=True),
    Output(format="table", sort_columns=("Stack Name",)),
    Output(format="value", sort_columns=("stack_status", "Stack Name"), descending=True),
    Output(format="csv", sort_columns=("Updated Time", "nonexistent"), quote="all"),
    Output(format="csv", quote="minimal", columns=("ID", "Updated Time")),
    Output(format="yaml", columns=("Updated Time", "ID")),  # the columns' own order is kept
    Output(format="table", max_width=60),
    Output(format="table", max_width=30),
    Output(format="table", fit_width=True),  # not a terminal: nothing to fit to
]  # fmt: skip


@pytest.mark.parametrize("out", LIST_CASES, ids=repr)
def test_list_output_is_openstackclients(out: Output) -> None:
    assert ours_list(out, COLUMNS, ROWS) == cliff_list(out, COLUMNS, ROWS)


@pytest.mark.parametrize("print_empty", [False, True])
def test_an_empty_list_prints_a_table_only_when_asked(print_empty: bool) -> None:
    out = Output(format="table", print_empty=print_empty)
    ours = ours_list(out, COLUMNS, [])
    assert ours == cliff_list(out, COLUMNS, [])
    assert ("Stack Name" in ours) is print_empty


SHOW_CASES = [
    Output(format=f) for f in SHOW_FORMATTERS if f != "value"
] + [
    Output(format="value", columns=("stack_status", "id", "timeout_mins")),
    Output(format="shell", prefix="heat_", columns=("stack_name", "description")),
    Output(format="json", noindent=True, columns=("id",)),
    Output(format="table", max_width=40, columns=("id", "description", "stack_status")),
]  # fmt: skip


def _scalars(item: dict[str, Any]) -> dict[str, Any]:
    """cliff prints a map as Python does; crossheat as JSON (value, shell) or YAML (table)."""
    return {k: v for k, v in item.items() if not isinstance(v, dict)}


@pytest.mark.parametrize("out", SHOW_CASES, ids=repr)
def test_show_output_is_openstackclients(out: Output) -> None:
    item = ONE if out.format in ("json", "yaml") else _scalars(ONE)  # json, yaml: maps as is
    assert _captured(emit_one, item, out) == cliff_one(out, item)


def test_maps_are_yaml_in_a_table_and_json_in_value_output() -> None:
    table_text = _captured(emit_one, ONE, Output(format="table", columns=("parameters",)))
    assert "| parameters | flavor: m1.small |" in table_text
    assert "|            | psk: '******'    |" in table_text
    value_text = _captured(emit_one, ONE, Output(format="value", columns=("parameters",)))
    assert value_text == '{"flavor": "m1.small", "psk": "******"}\n'


def test_an_unknown_column_is_refused_as_cliff_refuses_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as caught:
        emit_list(COLUMNS, [], Output(columns=("nope",)))
    assert caught.value.exit_code == 1
    assert capsys.readouterr().err == (
        f"No recognized column names in ['nope']. Recognized columns are {COLUMNS}.\n"
    )
