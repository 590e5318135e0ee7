"""Heat's own types: RandomString, Value, None, TestResource."""

from __future__ import annotations

from typing import Any

from crossheat.resources.types.heat import NoneResource, RandomString, TestResource, Value
from crossheat.resources.types.resource_group import ResourceGroup
from crossheat.template.values import UNKNOWN

PATH = ("resources", "thing", "properties")


def problems(cls: Any, values: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return sorted(((d.path[len(PATH) :], d.code) for d in cls.validate(values, PATH)), key=str)


def test_random_string_defaults_and_ranges() -> None:
    out = RandomString.with_defaults({})
    assert out == {"length": 32, "character_classes": [{"class": "lettersdigits", "min": 1}]}
    assert problems(RandomString, {"length": 0}) == [(("length",), "constraint")]
    bad = {"character_classes": [{"class": "emoji"}], "character_sequences": [{"min": 2}]}
    assert problems(RandomString, bad) == [
        (("character_classes", 0, "class"), "constraint"),
        (("character_sequences", 0, "sequence"), "required"),
    ]


def test_random_string_value_is_secret_and_any_change_replaces() -> None:
    assert RandomString.attributes_schema["value"].secret
    assert RandomString.classify_update({"length": 8}, {"length": 8, "salt": "x"}) == (
        set(),
        {"salt"},
    )


def test_value_takes_anything_and_checks_its_type_name() -> None:
    assert problems(Value, {"value": {"a": [1, 2]}, "type": "json"}) == []
    assert problems(Value, {"value": UNKNOWN}) == []
    assert problems(Value, {}) == [(("value",), "required")]
    assert problems(Value, {"value": 1, "type": "integer"}) == [(("type",), "constraint")]
    assert Value.classify_update({"value": 1}, {"value": 2}) == ({"value"}, set())


def test_none_accepts_any_properties_and_never_changes_for_them() -> None:
    assert problems(NoneResource, {"anything": [1], "at": "all"}) == []
    assert NoneResource.classify_update({"a": 1}, {"a": 2, "b": 3}) == (set(), set())
    assert NoneResource.attribute("whatever") is not None


def test_heat_types_carry_heats_support_status() -> None:
    versions = {
        cls.type_name: (cls.support_status.status, cls.support_status.version)
        for cls in (RandomString, Value, NoneResource, TestResource, ResourceGroup)
    }
    assert versions == {
        "OS::Heat::RandomString": ("SUPPORTED", "2014.1"),
        "OS::Heat::Value": ("SUPPORTED", "7.0.0"),
        "OS::Heat::None": ("SUPPORTED", "5.0.0"),
        "OS::Heat::TestResource": ("SUPPORTED", "5.0.0"),
        "OS::Heat::ResourceGroup": ("SUPPORTED", "2014.1"),
    }
    assert RandomString.support_status.as_dict() == {
        "status": "SUPPORTED", "message": None, "version": "2014.1", "previous_status": None,
    }  # fmt: skip


def test_random_strings_sequence_is_hidden_but_still_works() -> None:
    assert RandomString.properties_schema["sequence"].hidden
    assert problems(RandomString, {"sequence": "digits"}) == []


def test_test_resource_schema() -> None:
    out = TestResource.with_defaults({})
    assert out["value"] == "test_string"
    assert out["fail"] is False and out["update_replace"] is False
    assert out["wait_secs"] == 0 and out["client_name"] == ""
    assert set(TestResource.attributes_schema) == {"output"}
    assert problems(TestResource, {"action_wait_secs": {"create": "2.5", "resume": 1}}) == [
        (("action_wait_secs", "resume"), "unknown_property")
    ]


def test_test_resource_update_replace() -> None:
    assert TestResource.classify_update({"value": "a"}, {"value": "b"}) == ({"value"}, set())
    new = {"value": "b", "update_replace": True}
    assert TestResource.classify_update({"value": "a"}, new) == ({"update_replace"}, {"value"})
    assert TestResource.classify_update({}, {"update_replace_value": "x"}) == (
        set(),
        {"update_replace_value"},
    )
