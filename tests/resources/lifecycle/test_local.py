"""Heat's local types (no cloud calls) and the resource group's refusal, without a cloud."""

from __future__ import annotations

import string
import time
from typing import Any

import pytest

from crossheat.errors import CloudError, ResourceFailed, TemplateError
from crossheat.resources.lifecycle import Done, Pending, ResourceContext
from crossheat.resources.types.heat import NoneResource, RandomString, TestResource, Value
from tests.resources.lifecycle.helpers import create


def no_cloud(fn: Any, *args: Any, **kwargs: Any) -> Any:
    raise CloudError("no cloud call expected")


def ctx(name: str = "thing") -> ResourceContext:
    return ResourceContext("s-id", "stack", name, "East", no_cloud, same, same)


def same(logical: str) -> str:
    return logical


@pytest.mark.parametrize(
    ("props", "alphabet"),
    [
        ({}, string.ascii_letters + string.digits),
        ({"sequence": "octdigits"}, string.octdigits),
        ({"character_classes": [{"class": "hexdigits"}]}, string.digits + "ABCDEF"),
    ],
)
def test_random_string_draws_from_its_classes(props: dict[str, Any], alphabet: str) -> None:
    c = ctx("password")
    create(RandomString(), c, props)
    value = c.attributes["value"]
    assert len(value) == 32 and set(value) <= set(alphabet)
    assert c.physical_id == "stack-password" and RandomString().read(c) == c.attributes
    assert "value" not in str(c.progress)


def test_random_string_honours_minimums_of_sequences_and_classes() -> None:
    props = {
        "length": 8,
        "character_classes": [{"class": "digits", "min": 3}],
        "character_sequences": [{"sequence": "!@", "min": 5}],
    }
    c = ctx()
    create(RandomString(), c, props)
    value = c.attributes["value"]
    assert sum(ch.isdigit() for ch in value) == 3 and sum(ch in "!@" for ch in value) == 5
    others = [ctx() for _ in range(3)]
    for other in others:
        create(RandomString(), other, {})
    assert len({o.attributes["value"] for o in others}) == 3
    with pytest.raises(TemplateError, match="shorter"):
        RandomString().create(ctx(), RandomString.with_defaults(props | {"length": 7}))


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("42", "number", 42),
        ("4.5", "number", 4.5),
        ("a, b,c", "comma_delimited_list", ["a", "b", "c"]),
        ('{"k": [1]}', "json", {"k": [1]}),
        ("true", "boolean", True),
        ({"k": 1}, "string", '{"k": 1}'),
        ([1, 2], None, [1, 2]),
    ],
)
def test_value_types_its_value(value: Any, kind: str | None, expected: Any) -> None:
    c = ctx()
    create(Value(), c, {"value": value, "type": kind})
    assert c.attributes == {"value": expected}
    Value().update(c, {}, {"value": "changed"}, {"value"})
    assert Value().read(c) == {"value": "changed"}


def test_none_resource_has_a_physical_id_and_nothing_else() -> None:
    c = ctx()
    assert NoneResource().create(c, {"anything": 1}) == Done()
    assert (c.physical_id, NoneResource().read(c), NoneResource().find(c)) == (
        "stack-thing",
        {},
        None,
    )
    assert NoneResource().delete(c) == Done()


def test_test_resource_waits_then_outputs_or_fails() -> None:
    c = ctx()
    step = TestResource().create(c, TestResource.with_defaults({"value": "v", "wait_secs": 0.2}))
    assert isinstance(step, Pending) and step.delay <= 0.2
    assert c.attributes == {"output": "v"}
    time.sleep(0.25)
    assert TestResource().check_create(c) == Done()
    with pytest.raises(ResourceFailed, match="Test Resource failed"):
        TestResource().create(ctx(), TestResource.with_defaults({"fail": True}))
    waits = {"action_wait_secs": {"update": 30}, "wait_secs": 0}
    assert create(TestResource(), c, waits) == 0
    assert isinstance(
        TestResource().update(c, {}, TestResource.with_defaults(waits), set()), Pending
    )
