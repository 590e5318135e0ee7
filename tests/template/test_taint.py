"""Where a hidden parameter's value goes: taint through the intrinsic functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from crossheat.template import load_template
from crossheat.template.taint import resolve_tainted
from tests.template.helpers import FakeCloud, hot, load

KEY = "k3y-Hidden-value"
PARAMETERS = {
    "key": {"type": "string", "hidden": True},
    "blob": {"type": "json", "hidden": True, "default": {"user": "admin", "pass": "pw-0a1b"}},
    "plain": {"type": "string", "default": "visible"},
}


def tainted(properties: dict[str, Any], texts: Sequence[str] = ()) -> tuple[Any, list[Any]]:
    """Resolve ``properties`` of a resource in a template with the parameters above."""
    text = hot(
        parameters=PARAMETERS,
        resources={"r": {"type": "OS::Heat::None", "properties": properties}, "s": {"type": "X"}},
    )
    template = load(text, parameters={"key": KEY})
    return resolve_tainted(template.resources["r"].properties, FakeCloud(), set(texts))


def test_get_param_of_a_hidden_parameter_taints_its_property_only() -> None:
    value, paths = tainted({"a": {"get_param": "key"}, "b": {"get_param": "plain"}, "c": 1})
    assert value == {"a": KEY, "b": "visible", "c": 1}
    assert paths == [("a",)]


@pytest.mark.parametrize(
    "expression",
    [
        {"str_replace": {"template": "vm-$k", "params": {"$k": {"get_param": "key"}}}},
        {"list_join": ["-", ["x", {"get_param": "key"}]]},
        {"str_split": ["-", {"get_param": "key"}, 1]},  # a piece: not the value as a whole
        {"digest": ["sha256", {"get_param": "key"}]},
        {"if": [True, {"get_param": "key"}, "other"]},
        {"map_merge": [{"a": 1}, {"b": {"get_param": "key"}}]},
        {"repeat": {"for_each": {"%x%": ["a", "b"]}, "template": {"get_param": "key"}}},
        {"get_param": ["blob", "pass"]},
    ],
)
def test_a_function_fed_by_a_hidden_parameter_is_secret_as_a_whole(expression: Any) -> None:
    _, paths = tainted({"a": "plain", "deep": {"list": ["x", expression]}})
    assert paths == [("deep", "list", 1)]


def test_the_branch_not_taken_and_other_parameters_taint_nothing() -> None:
    _, paths = tainted(
        {
            "a": {"if": [False, {"get_param": "key"}, "other"]},
            "b": {"str_replace": {"template": "$p", "params": {"$p": {"get_param": "plain"}}}},
            "c": {"get_resource": "s"},
        }
    )
    assert paths == []


def test_omitted_items_do_not_shift_the_paths() -> None:
    value, paths = tainted({"l": [{"if": [False, "gone"]}, "kept", {"get_param": "key"}]})
    assert value == {"l": ["kept", KEY]}
    assert paths == [("l", 1)]


def test_a_get_attr_answering_a_secret_text_taints_what_uses_it() -> None:
    """FakeCloud answers {"resource": ..., "path": [...]}: the attribute name is in it."""
    _, paths = tainted(
        {
            "a": {"list_join": [",", [{"get_attr": ["s", "admin-pass-attr"]}]]},
            "b": {"get_attr": ["s", "name"]},
        },
        texts=["admin-pass-attr"],
    )
    assert paths == [("a",)]


def test_a_literal_holding_a_secret_text_is_found_by_its_text() -> None:
    """A nested template's hidden parameter arrives already bound, as a literal."""
    _, paths = tainted({"a": f"prefix {KEY} suffix", "b": ["x", KEY], "c": "k3y"}, [KEY, "k3y"])
    assert paths == [("a",), ("b", 1), ("c",)]


def test_a_short_secret_text_counts_only_as_a_whole_value() -> None:
    _, paths = tainted({"a": "10.1.0.1", "b": "1"}, ["1"])
    assert paths == [("b",)]


def test_encrypted_param_names_makes_a_parameter_hidden(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        hot(
            parameters={"db": {"type": "string"}},
            resources={"r": {"type": "X", "properties": {"p": {"get_param": "db"}}}},
        )
    )
    env = tmp_path / "env.yaml"
    env.write_text("encrypted_param_names: [db]\nparameters: {db: from-env-8e1f}\n")
    loaded = load_template(template, [env])
    assert loaded.hidden_parameters() == {"db"}
    assert loaded.hidden_values() == ["from-env-8e1f"]
    _, paths = resolve_tainted(loaded.resources["r"].properties, FakeCloud())
    assert paths == [("p",)]
