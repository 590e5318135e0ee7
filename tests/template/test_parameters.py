"""Parameter types, conversion of --parameter strings, constraints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template.helpers import errors, hot, load, messages


def one(schema: dict[str, Any], value: str | None = None, version: str = "2021-04-16") -> Any:
    given = {"p": value} if value is not None else {}
    return load(hot(version, parameters={"p": schema}), parameters=given).parameters["p"].value


@pytest.mark.parametrize(
    ("kind", "given", "value"),
    [
        ("string", "abc", "abc"),
        ("number", "42", 42),
        ("number", "2.5", 2.5),
        ("json", '{"a": [1]}', {"a": [1]}),
        ("json", "[1, 2]", [1, 2]),
        ("comma_delimited_list", "a, b,c", ["a", "b", "c"]),
        ("comma_delimited_list", "", []),
        ("boolean", "true", True),
        ("boolean", "No", False),
        ("boolean", "1", True),
    ],
)
def test_types_convert_strings(kind: str, given: str, value: Any) -> None:
    assert one({"type": kind}, given) == value


@pytest.mark.parametrize(
    ("kind", "given", "words"),
    [
        ("number", "many", "'many' is not a number"),
        ("json", "{oops", "is not valid JSON"),
        ("json", "3", "is not a JSON map or list"),
        ("boolean", "perhaps", "'perhaps' is not a boolean"),
    ],
)
def test_bad_values(kind: str, given: str, words: str) -> None:
    found = errors(hot(parameters={"p": {"type": kind}}), parameters={"p": given})
    assert words in found[0].message
    assert found[0].path == ("parameters", "p")


def test_defaults_are_converted_too() -> None:
    assert one({"type": "comma_delimited_list", "default": ["a", 1]}) == ["a", "1"]
    assert one({"type": "number", "default": 3}) == 3


def test_missing_value_has_hint() -> None:
    found = errors(hot(parameters={"key": {"type": "string"}}))
    assert found[0].message == "parameter 'key' has no value and no default"
    assert found[0].hint == "--parameter key=VALUE"


def test_unknown_given_parameter() -> None:
    found = errors(
        hot(parameters={"size": {"type": "number", "default": 1}}), parameters={"sise": "2"}
    )
    assert "unknown parameter 'sise'" in found[0].message
    assert found[0].hint == "did you mean 'size'?"


# (schema, good value, bad value, error words)
CONSTRAINTS: list[tuple[dict[str, Any], str, str, str]] = [
    (
        {"type": "string", "constraints": [{"length": {"min": 3}}]},
        "abc",
        "ab",
        "length must be at least 3",
    ),
    (
        {"type": "string", "constraints": [{"length": {"max": 2}}]},
        "ab",
        "abc",
        "length must be no greater than 2",
    ),
    (
        {"type": "comma_delimited_list", "constraints": [{"length": {"min": 1, "max": 2}}]},
        "a",
        "a,b,c",
        "length must be in the range 1 to 2",
    ),
    (
        {"type": "number", "constraints": [{"range": {"min": 1, "max": 8}}]},
        "8",
        "9",
        "value must be in the range 1 to 8",
    ),
    (
        {"type": "number", "constraints": [{"range": {"min": 1}}]},
        "1",
        "0",
        "value must be at least 1",
    ),
    (
        {"type": "number", "constraints": [{"modulo": {"step": 2, "offset": 1}}]},
        "3",
        "4",
        "multiple of 2 with an offset of 1",
    ),
    (
        {"type": "string", "constraints": [{"allowed_values": ["a", "b"]}]},
        "b",
        "c",
        "'c' is not one of the allowed values: a, b",
    ),
    (
        {"type": "number", "constraints": [{"allowed_values": [1, 2]}]},
        "2",
        "3",
        "not one of the allowed values",
    ),
    (
        {"type": "comma_delimited_list", "constraints": [{"allowed_values": ["a", "b"]}]},
        "a,b",
        "a,z",
        "'z' is not one of",
    ),
    (
        {"type": "string", "constraints": [{"allowed_pattern": "[a-z]+"}]},
        "abc",
        "abc1",
        "does not match pattern '[a-z]+'",
    ),
    (
        {"type": "json", "constraints": [{"length": {"max": 1}}]},
        '{"a": 1}',
        "[1, 2]",
        "length must be no greater than 1",
    ),
]


@pytest.mark.parametrize(("schema", "good", "bad", "words"), CONSTRAINTS)
def test_constraints(schema: dict[str, Any], good: str, bad: str, words: str) -> None:
    assert one(schema, good) is not None
    found = errors(hot(parameters={"p": schema}), parameters={"p": bad})
    assert words in found[0].message
    assert found[0].code == "constraint"


def test_constraint_description_replaces_message() -> None:
    schema = {"type": "string", "constraints": [{"length": {"min": 9}, "description": "too short"}]}
    found = errors(hot(parameters={"p": schema}), parameters={"p": "x"})
    assert found[0].message == "parameter 'p': too short"


def test_hidden_value_is_not_shown_and_custom_constraint_is_kept() -> None:
    schema = {
        "type": "string",
        "hidden": True,
        "constraints": [{"allowed_pattern": "[0-9]+"}, {"custom_constraint": "nova.flavor"}],
    }
    shown = messages(hot(parameters={"p": schema}), parameters={"p": "Hidden-7f3a"})
    assert "Hidden-7f3a" not in shown  # (not "secret": it may be in the file path)
    template = load(hot(parameters={"p": schema}), parameters={"p": "12"})
    assert template.hidden_parameters() == {"p"}
    assert {"custom_constraint": "nova.flavor"} in template.parameters["p"].constraints


def test_modulo_and_tags_only_in_their_versions() -> None:
    modulo = {"type": "number", "constraints": [{"modulo": {"step": 2, "offset": 0}}]}
    assert "modulo needs heat_template_version 2017-02-24 (ocata)" in messages(
        hot("2016-10-14", parameters={"p": modulo}), parameters={"p": "2"}
    )
    tagged = {"type": "string", "default": "x", "tags": ["a"]}
    assert one(tagged, version="2018-03-02") == "x"
    assert "unknown key 'tags' in parameter" in messages(
        hot("2017-09-01", parameters={"p": tagged})
    )


def test_schema_errors() -> None:
    assert "parameter type must be one of" in messages(hot(parameters={"p": {"type": "int"}}))
    text = messages(hot(parameters={"p": {"type": "string", "defualt": 1}}))
    assert "unknown key 'defualt' in parameter" in text
    bad = {"type": "string", "constraints": [{"range": {"min": 1}}]}
    assert "range does not apply to a string parameter" in messages(hot(parameters={"p": bad}))


def test_parameter_fields_are_kept() -> None:
    schema = {"type": "string", "default": "d", "label": "L", "description": "D", "immutable": True}
    param = load(hot(parameters={"p": schema})).parameters["p"]
    assert (param.label, param.description, param.immutable, param.default) == ("L", "D", True, "d")


def test_hidden_value_not_shown_when_it_does_not_convert() -> None:
    schema = {"type": "number", "hidden": True}
    found = errors(hot(parameters={"p": schema}), parameters={"p": "s3cret"})
    assert found[0].message == "parameter 'p': the value is not a valid number"
