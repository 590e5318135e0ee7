"""Heat's local types (no cloud calls) and the resource group's refusal, without a cloud."""

from __future__ import annotations

import string
import time
from typing import Any

import pytest

from crossheat.errors import CloudError, ResourceFailed, TemplateError
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, looks_like_id
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


def test_none_resource_has_a_uuid_physical_id_and_nothing_else() -> None:
    c = ctx()
    assert NoneResource().create(c, {"anything": 1}) == Done()
    assert c.physical_id is not None and looks_like_id(c.physical_id)
    assert (NoneResource().read(c), NoneResource().find(c)) == ({}, None)
    other = ctx()
    NoneResource().create(other, {})
    assert other.physical_id != c.physical_id
    assert NoneResource().delete(c) == Done()


def test_test_resource_waits_then_outputs() -> None:
    c = ctx()
    step = TestResource().create(c, TestResource.with_defaults({"value": "v", "wait_secs": 0.2}))
    assert isinstance(step, Pending) and step.delay <= 0.2
    assert (c.physical_id, c.attributes) == ("stack-thing", {"output": "v"})
    time.sleep(0.25)
    assert TestResource().check_create(c) == Done()


def test_a_failing_test_resource_fails_after_its_wait_without_an_id_or_output() -> None:
    c = ctx()
    props = TestResource.with_defaults({"fail": True, "action_wait_secs": {"create": 0.2}})
    assert isinstance(TestResource().create(c, props), Pending)
    assert (c.physical_id, c.attributes) == (None, {"output": None})
    time.sleep(0.25)
    with pytest.raises(ResourceFailed, match=r"^Test Resource failed thing$"):
        TestResource().check_create(c)


def test_test_resource_update_waits_only_when_the_value_changes() -> None:
    c = ctx()
    waits = {"value": "a", "action_wait_secs": {"update": 30}, "wait_secs": 0}
    assert create(TestResource(), c, waits) == 0
    same = TestResource.with_defaults({**waits, "client_name": "x"})
    assert TestResource().update(c, same, same, {"client_name"}) == Done()
    new = TestResource.with_defaults({**waits, "value": "b"})
    assert isinstance(TestResource().update(c, same, new, {"value"}), Pending)
    assert c.attributes == {"output": "b"}


def test_test_resource_update_with_fail_fails_and_keeps_the_old_output() -> None:
    c = ctx()
    create(TestResource(), c, {"value": "a"})
    new = TestResource.with_defaults({"value": "b", "fail": True})
    with pytest.raises(ResourceFailed, match="Test Resource failed thing"):
        TestResource().update(c, TestResource.with_defaults({"value": "a"}), new, {"value"})
    assert c.attributes == {"output": "a"}


def test_test_resource_delete_waits_its_delete_time_and_never_fails() -> None:
    c = ctx()
    c.properties = TestResource.with_defaults(
        {"fail": True, "wait_secs": 30, "action_wait_secs": {"delete": 0.2}}
    )
    step = TestResource().delete(c)
    assert isinstance(step, Pending) and step.delay <= 0.2
    time.sleep(0.25)
    assert TestResource().check_delete(c) == Done()
    c.properties = {}
    assert TestResource().delete(c) == Done()
