"""Diagnostics point at the right file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.errors import Location, TemplateError
from crossheat.template import load_template, load_template_text, parse_template
from tests.template.helpers import FIXTURES

MARKS = FIXTURES / "marks.yaml"


def where(line: int, column: int) -> Location:
    return Location(str(MARKS), line, column)


def test_every_problem_at_once_with_line_and_column() -> None:
    _, found = parse_template(MARKS)
    got = {(d.message, d.location) for d in found}
    assert got == {
        ("unknown resource 'nett'", where(12, 17)),
        ("depends_on unknown resource 'rooter'", where(15, 23)),
        ("unknown key 'propertes' in resource", where(18, 5)),
        ("unknown parameter 'cidrs'", where(21, 13)),
    }
    hints = {d.message: d.hint for d in found}
    assert hints["unknown resource 'nett'"] == "did you mean 'net'?"
    assert hints["depends_on unknown resource 'rooter'"] == "did you mean 'router'?"
    assert hints["unknown parameter 'cidrs'"] == "did you mean 'cidr'?"
    assert str(hints["unknown key 'propertes' in resource"]).startswith("did you mean 'propert")


def test_load_template_raises_with_all_diagnostics() -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(MARKS)
    assert len(caught.value.diagnostics) == 4
    assert f"{MARKS}:12:17: error: resources.subnet.properties.network:" in str(caught.value)


def test_locate_returns_deepest_known_node() -> None:
    text = MARKS.read_text().replace("nett", "net").replace(", rooter", "")
    text = text.replace("propertes", "properties").replace("cidrs", "cidr")
    template = load_template_text(text, str(MARKS))
    assert template.locate(("resources", "subnet", "properties", "cidr")) == where(13, 7)
    assert template.locate(("resources", "subnet", "properties", "nope", 3)) == where(11, 5)
    assert template.locate(("resources", "net", "properties")) == where(7, 3)


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("heat_template_version: 2021-04-16\nresources:\n  a: [1, 2\n")
    template, found = parse_template(path)
    assert template is None
    assert found[0].code == "yaml-syntax"
    assert found[0].location == Location(str(path), 4, 1)


def test_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "heat_template_version: 2021-04-16\nresources:\n  a: {type: X}\n  a: {type: Y}\n"
    )
    _, found = parse_template(path)
    assert found[0].message == "duplicate key 'a'"
    assert found[0].location == Location(str(path), 4, 3)
    assert found[0].hint == f"first defined at {path}:3:3"


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    template, found = parse_template(tmp_path / "none.yaml")
    assert template is None and "cannot read template" in found[0].message
    (tmp_path / "empty.yaml").write_text("")
    assert parse_template(tmp_path / "empty.yaml")[1][0].message == "the template is empty"
