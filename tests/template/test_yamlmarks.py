"""load_yaml: the data PyYAML's safe loader gives, with a mark for every path."""

from __future__ import annotations

import pytest
import yaml

from crossheat.errors import Location
from crossheat.yamlmarks import load_yaml

SAME_AS_PYYAML = [
    "a: 1\nb: [1, 2.5, -3, 0x1F, 1_000, .inf]\nc: {d: null, e: ~, f: ''}\n",
    "a: yes\nb: off\nc: True\nd: 'true'\ne: \"1\"\nf: !!str 12\ng: !!int '7'\nh: ! 5\n",
    'a: |\n  block\n  text\nb: >\n  folded\n  text\nc: "tab\\there"\n',
    "a: &x {b: 1, c: [1, {d: &y 2}]}\ne: *x\nf: [*x, *y]\n",
    "- - - 1\n- [a, {b: c}]\n- !!binary aGVsbG8=\n",
    "1: one\n2.5: two\nnull: four\n",
    "!!int 3\n",
]


@pytest.mark.parametrize("text", SAME_AS_PYYAML)
def test_data_is_what_the_safe_loader_gives(text: str) -> None:
    data, _, found = load_yaml(text, "t.yaml")
    assert found == []
    assert data == yaml.load(text, Loader=yaml.CSafeLoader)


def test_timestamps_stay_strings() -> None:
    data, _, _ = load_yaml("v: 2018-08-31\nw: 2018-08-31 10:00:00\n", "t.yaml")
    assert data == {"v": "2018-08-31", "w": "2018-08-31 10:00:00"}


def test_entries_are_located_at_their_key_and_items_at_the_item() -> None:
    text = "a:\n  b: [1, {c: 2}]\n  d:\n    - x\n    -   y\n"
    _, source, _ = load_yaml(text, "t.yaml")
    assert source.locate(()) == Location("t.yaml", 1, 1)
    assert source.locate(("a", "b")) == Location("t.yaml", 2, 3)
    assert source.locate(("a", "b", 1)) == Location("t.yaml", 2, 10)
    assert source.locate(("a", "b", 1, "c")) == Location("t.yaml", 2, 11)
    assert source.locate(("a", "d", 1)) == Location("t.yaml", 5, 9)
    assert source.locate(("a", "d", 7, "deeper")) == Location("t.yaml", 3, 3)
    assert source.locate(("nope",)) == Location("t.yaml", 1, 1)


def test_an_alias_is_a_fresh_copy_located_where_its_anchor_is() -> None:
    text = "a: &x\n  b: [1, 2]\nc: [0, *x]\n"
    data, source, _ = load_yaml(text, "t.yaml")
    assert data["c"][1] == {"b": [1, 2]}
    data["c"][1]["b"].append(3)
    assert data["a"] == {"b": [1, 2]}
    assert source.locate(("c", 1)) == Location("t.yaml", 1, 4)
    assert source.locate(("c", 1, "b", 1)) == Location("t.yaml", 2, 10)


def test_duplicate_key_keeps_the_first_and_skips_the_second() -> None:
    text = "a: {b: 1}\na: {b: 2, b: 3, c: &z !!int 4}\nd: *z\n"
    data, source, found = load_yaml(text, "t.yaml")
    assert data == {"a": {"b": 1}, "d": 4}
    assert [(d.message, d.location, d.hint) for d in found] == [
        ("duplicate key 'a'", Location("t.yaml", 2, 1), "first defined at t.yaml:1:1")
    ]
    assert source.locate(("a", "b")) == Location("t.yaml", 1, 5)


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("a: [1, 2\n", "did not find expected ',' or ']'", 2, 1),
        ("a: *nope\n", "found undefined alias", 1, 4),
        ("a: &x [1, *x]\n", "found recursive alias", 1, 11),
        ("a: &x 1\nb: &x 2\n", "second occurrence", 2, 4),
        ("a: 1\n---\nb: 2\n", "but found another document", 2, 1),
        ("a: !foo x\n", "could not determine a constructor for the tag '!foo'", 1, 4),
        ("a: !foo x\nb: [1\n", "did not find expected ',' or ']'", 3, 1),
    ],
)
def test_unreadable_yaml_is_one_diagnostic_at_its_position(
    text: str, message: str, line: int, column: int
) -> None:
    data, _, found = load_yaml(text, "t.yaml")
    assert data is None
    assert [(d.message, d.location, d.code) for d in found] == [
        (f"invalid YAML: {message}", Location("t.yaml", line, column), "yaml-syntax")
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_stream_and_empty_document_are_none_without_diagnostics(text: str) -> None:
    data, _, found = load_yaml(text, "t.yaml")
    assert data is None and found == []


def test_a_scalar_its_tag_cannot_read_is_a_diagnostic_not_a_crash() -> None:
    data, _, diagnostics = load_yaml("a: 1\nb: !!int x\n", "t.yaml")
    assert data is None
    [diagnostic] = diagnostics
    assert "cannot read 'x' as int" in diagnostic.message
    assert diagnostic.location == Location("t.yaml", 2, 4)
