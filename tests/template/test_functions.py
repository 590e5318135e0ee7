"""Every intrinsic function, in every version that has it, and rejected before."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from crossheat.template.versions import VERSIONS, at_least, describe
from tests.template.helpers import evaluate, hot, messages

PARAMS = {
    "name": {"type": "string", "default": "web"},
    "cfg": {"type": "json", "default": {"a": [1, 2]}},
}

# (function, expression, expected result, first version)
CASES: list[tuple[str, Any, Any, str]] = [
    ("get_param", {"get_param": "name"}, "web", "2013-05-23"),
    ("get_resource", {"get_resource": "r"}, "r-id", "2013-05-23"),
    ("get_attr", {"get_attr": ["r", "ip", 0]}, {"resource": "r", "path": ["ip", 0]}, "2013-05-23"),
    ("get_file", {"get_file": "data.txt"}, "hello\n", "2013-05-23"),
    ("list_join", {"list_join": [",", ["a", "b"]]}, "a,b", "2013-05-23"),
    (
        "str_replace",
        {"str_replace": {"template": "$a-$ab", "params": {"$a": "x", "$ab": 1}}},
        "x-1",
        "2013-05-23",
    ),
    ("digest", {"digest": ["sha256", "abc"]}, hashlib.sha256(b"abc").hexdigest(), "2015-04-30"),
    (
        "repeat",
        {"repeat": {"template": "p%x%-%y%", "for_each": {"%x%": ["1", "2"], "%y%": ["a"]}}},
        ["p1-a", "p2-a"],
        "2015-04-30",
    ),
    ("str_split", {"str_split": [",", "a,b,c", 1]}, "b", "2015-10-15"),
    ("map_merge", {"map_merge": [{"a": 1}, {"a": 2, "b": 3}]}, {"a": 2, "b": 3}, "2016-04-08"),
    (
        "map_replace",
        {"map_replace": [{"k": "v", "x": "y"}, {"keys": {"k": "K"}, "values": {"y": "Y"}}]},
        {"K": "v", "x": "Y"},
        "2016-10-14",
    ),
    ("if", {"if": [True, "yes", "no"]}, "yes", "2016-10-14"),
    ("filter", {"filter": [[3], [1, 2, 3]]}, [1, 2], "2017-02-24"),
    (
        "str_replace_strict",
        {"str_replace_strict": {"template": "a=$a", "params": {"$a": "1"}}},
        "a=1",
        "2017-02-24",
    ),
    (
        "make_url",
        {
            "make_url": {
                "scheme": "https",
                "host": "example.org",
                "port": 8443,
                "path": "/a b",
                "query": {"q": "1"},
            }
        },
        "https://example.org:8443/a%20b?q=1",
        "2017-09-01",
    ),
    ("list_concat", {"list_concat": [[1], [2, 1]]}, [1, 2, 1], "2017-09-01"),
    ("list_concat_unique", {"list_concat_unique": [[1], [2, 1]]}, [1, 2], "2017-09-01"),
    (
        "str_replace_vstrict",
        {"str_replace_vstrict": {"template": "a=$a", "params": {"$a": "1"}}},
        "a=1",
        "2017-09-01",
    ),
    ("contains", {"contains": ["a", ["a", "b"]]}, True, "2017-09-01"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "expr", "expected", "since"), CASES, ids=[c[0] for c in CASES])
def test_function_in_every_version(
    name: str, expr: Any, expected: Any, since: str, version: str
) -> None:
    if at_least(version, since):
        assert evaluate(expr, version, parameters=PARAMS) == expected
    else:
        text = messages_for(expr, version)
        assert f"{name} is not available in heat_template_version {version};" in text
        assert f"it was added in {describe(since)}" in text


def messages_for(expr: Any, version: str) -> str:
    return messages(hot(version, parameters=PARAMS, outputs={"o": {"value": expr}}))


def test_message_names_alias_of_the_version_that_has_it() -> None:
    text = messages_for({"list_concat": [[1]]}, "2016-10-14")
    assert (
        "list_concat is not available in heat_template_version 2016-10-14; "
        "it was added in 2017-09-01 (pike)"
    ) in text


# (expression, first version, words of the error before it)
VARIANTS: list[tuple[Any, Any, str, str]] = [
    (
        {"list_join": [",", ["a"], ["b", {"k": 1}]]},
        'a,b,{"k": 1}',
        "2015-10-15",
        "several lists need heat_template_version 2015-10-15",
    ),
    (
        {"str_replace": {"template": "v=$v", "params": {"$v": [1, 2]}}},
        "v=[1, 2]",
        "2015-10-15",
        "param '$v' must be a string or number",
    ),
    (
        {"get_attr": ["r"]},
        {"resource": "r", "path": []},
        "2015-10-15",
        "get_attr with only a resource name needs heat_template_version 2015-10-15",
    ),
    (
        {"repeat": {"template": "<%k%>", "for_each": {"%k%": {"a": 1, "b": 2}}}},
        ["<a>", "<b>"],
        "2016-10-14",
        "repeat for_each values must be lists, not map",
    ),
    (
        {
            "repeat": {
                "template": "%a%%b%",
                "for_each": {"%a%": ["1", "2"], "%b%": ["x", "y"]},
                "permutations": False,
            }
        },
        ["1x", "2y"],
        "2017-09-01",
        "permutations needs heat_template_version 2017-09-01",
    ),
    (
        {"list_concat": [["a"], [{"if": [False, "b"]}, "c"]]},
        ["a", "c"],
        "2021-04-16",
        "if with two arguments needs heat_template_version 2021-04-16 (wallaby)",
    ),
]


def _variant_cases() -> list[tuple[Any, Any, str, str, str]]:
    """Each variant in each version that has the function itself."""
    cases = []
    for expr, expected, since, error in VARIANTS:
        oldest = "2017-09-01" if "list_concat" in expr else "2015-04-30"
        for version in VERSIONS:
            if at_least(version, oldest):
                cases.append((expr, expected, since, error, version))
    return cases


@pytest.mark.parametrize(("expr", "expected", "since", "error", "version"), _variant_cases())
def test_version_specific_forms(
    expr: Any, expected: Any, since: str, error: str, version: str
) -> None:
    if at_least(version, since):
        assert evaluate(expr, version) == expected
    else:
        assert error in messages_for(expr, version)


def test_repeat_permutations_by_default() -> None:
    expr = {"repeat": {"template": "%a%%b%", "for_each": {"%a%": ["1", "2"], "%b%": ["x", "y"]}}}
    assert evaluate(expr) == ["1x", "1y", "2x", "2y"]


def test_get_param_paths_into_json_and_lists() -> None:
    params = {
        "cfg": {"type": "json", "default": {"a": [1, {"b": "deep"}]}},
        "names": {"type": "comma_delimited_list", "default": "x,y"},
    }
    assert evaluate({"get_param": ["cfg", "a", 1, "b"]}, parameters=params) == "deep"
    assert evaluate({"get_param": ["names", "1"]}, parameters=params) == "y"
    assert evaluate({"get_param": ["cfg", "missing"]}, parameters=params) == ""


def test_str_replace_prefers_longer_keys() -> None:
    expr = {"str_replace": {"template": "$var $var2", "params": {"$var": "a", "$var2": "b"}}}
    assert evaluate(expr) == "a b"


def test_digest_algorithms() -> None:
    assert evaluate({"digest": ["md5", "x"]}) == hashlib.md5(b"x").hexdigest()
    assert evaluate({"digest": ["SHA512", "x"]}) == hashlib.sha512(b"x").hexdigest()
    assert "unknown digest algorithm 'nope'" in messages_for(
        {"digest": ["nope", "x"]}, "2021-04-16"
    )


def test_make_url_ipv6_and_credentials() -> None:
    expr = {"make_url": {"scheme": "http", "username": "u", "password": "p w", "host": "::1"}}
    assert evaluate(expr) == "http://u:p%20w@[::1]"


def test_str_split_without_index_and_if_false_branch() -> None:
    assert evaluate({"str_split": ["-", "a-b"]}) == ["a", "b"]
    assert evaluate({"if": [False, "yes", "no"]}) == "no"
