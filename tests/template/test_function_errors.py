"""Wrong arguments: each function says what it takes, at the function's path."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template.helpers import errors, hot

# (expression, words of the error)
BAD: list[tuple[Any, str]] = [
    ({"get_param": ["x", "a"]}, "unknown parameter 'x'"),
    ({"get_param": []}, "get_param takes a parameter name"),
    ({"get_resource": ["r"]}, "get_resource needs a resource name"),
    ({"get_attr": "r"}, "get_attr takes [resource] or [resource, attribute, path...]"),
    ({"get_file": "no-such-file.txt"}, "get_file cannot read 'no-such-file.txt'"),
    ({"get_file": ["x"]}, "get_file takes a file path"),
    (
        {"resource_facade": "metadata"},
        "resource_facade only works in the template of a template resource",
    ),
    ({"resource_facade": "nope"}, "resource_facade takes metadata, deletion_policy, update_policy"),
    ({"list_join": ","}, "list_join takes [delimiter, [strings], ...]"),
    ({"list_join": [1, ["a"]]}, "list_join delimiter must be a string"),
    ({"list_join": [",", "ab"]}, "list_join joins lists, not a string"),
    ({"list_join": [",", [None, 3]]}, "list_join items must be strings, not number"),
    ({"str_replace": {"template": "x"}}, "str_replace takes {template: 'Hello $name'"),
    ({"str_replace": {"template": 1, "params": {}}}, "str_replace template must be a string"),
    ({"str_replace": {"template": "x", "params": [1]}}, "str_replace params must be a map"),
    (
        {"str_replace_strict": {"template": "x", "params": {"$a": "1"}}},
        "str_replace_strict: params not found in the template: $a",
    ),
    (
        {"str_replace_vstrict": {"template": "$a", "params": {"$a": ""}}},
        "str_replace_vstrict param '$a' is empty",
    ),
    ({"digest": ["sha256"]}, "digest takes [algorithm, value]"),
    ({"digest": ["sha256", 5]}, "digest takes two strings"),
    ({"repeat": {"template": "x"}}, "repeat takes {template: ..., for_each: {var: list}}"),
    (
        {"repeat": {"template": "x", "for_each": {"%x%": "ab"}}},
        "for_each values must be lists or maps",
    ),
    ({"repeat": {"template": "x", "for_each": [1]}}, "for_each must be a map"),
    (
        {"repeat": {"template": "x", "for_each": {"a": [1], "b": [1, 2]}, "permutations": False}},
        "lists of equal length",
    ),
    ({"repeat": {"template": "x", "for_each": {"a": [1]}, "permutations": "no"}}, "true or false"),
    ({"str_split": [","]}, "str_split takes [delimiter, string]"),
    ({"str_split": [",", "a,b", 5]}, "str_split index must be between 0 and 1"),
    ({"str_split": [",", "a,b", "x"]}, "str_split index must be an integer"),
    ({"map_merge": {"a": 1}}, "map_merge takes a list of maps"),
    ({"map_merge": [{"a": 1}, [1]]}, "map_merge merges maps, not a list"),
    ({"map_replace": [{"a": 1}]}, "map_replace takes [map, {keys: ..., values: ...}]"),
    ({"map_replace": [{"a": 1}, {"other": {}}]}, "replacements take only keys and values"),
    (
        {"map_replace": [{"a": 1, "b": 2}, {"keys": {"a": "b"}}]},
        "map_replace: key 'b' collides with another key",
    ),
    ({"if": [True, "a", "b", "c"]}, "if takes [condition, value_if_true, value_if_false]"),
    ({"if": ["nope", "a", "b"]}, "unknown condition 'nope'"),
    ({"filter": [1]}, "filter takes [values, list]"),
    ({"filter": [[1], "abc"]}, "filter works on a list, not a string"),
    ({"make_url": {"host": "h", "hots": "x"}}, "make_url: unknown key(s) hots"),
    ({"make_url": {"host": "h", "port": 70000}}, "invalid URL port 70000"),
    ({"make_url": {"host": "h", "query": "a=b"}}, "make_url query must be a map"),
    ({"make_url": {"scheme": "http:", "host": "h"}}, "scheme must not contain ':'"),
    ({"list_concat": [[1], "x"]}, "list_concat concatenates lists, not a string"),
    ({"list_concat_unique": "x"}, "list_concat_unique takes a list of lists"),
    ({"contains": ["a"]}, "contains takes [value, list]"),
    ({"contains": ["a", {"a": 1}]}, "contains needs a list, not a map"),
]


@pytest.mark.parametrize(("expr", "words"), BAD, ids=[str(b[0])[:40] for b in BAD])
def test_bad_arguments(expr: Any, words: str) -> None:
    found = errors(hot("2021-04-16", outputs={"o": {"value": {"k": expr}}}))
    assert any(words in d.message for d in found), found
    ours = next(d for d in found if words in d.message)
    assert ours.path[:3] == ("outputs", "o", "value")
    assert ours.location is not None and ours.location.line is not None


def test_functions_inside_functions_are_checked_too() -> None:
    expr = {"list_join": [",", [{"get_param": "nope"}]]}
    found = errors(hot(outputs={"o": {"value": expr}}))
    assert [d.message for d in found] == ["unknown parameter 'nope'"]
    assert found[0].path == ("outputs", "o", "value", "list_join", 1, 0)


def test_condition_function_outside_conditions() -> None:
    found = errors(hot(outputs={"o": {"value": {"equals": [1, 1]}}}))
    assert "equals is a condition function" in found[0].message


@pytest.mark.parametrize(
    "expr", [{"yaql": {"expression": "1"}}, {"Fn::Join": ["", []]}, {"Ref": "r"}]
)
def test_yaql_and_cfn_functions_not_supported(expr: Any) -> None:
    found = errors(hot(outputs={"o": {"value": expr}}))
    assert found[0].code == "not-supported"
    assert "is not supported by crossheat" in found[0].message
