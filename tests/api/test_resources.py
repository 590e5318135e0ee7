"""Resource routes, written from Heat's API reference (and heat-tempest-plugin's
``resources.yaml``): list with Heat's filters, show with attributes, metadata, mark
unhealthy, signal; the stack addressed by its canonical URL only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossheat.service import Inputs
from tests.api.deployed import deploy, hot, service_of, update, use_region_map

BASE = "http://127.0.0.1:8004/v1/alpha"
NO_BODY = (
    "The server could not comply with the request since it is either malformed or "
    "otherwise incorrect."
)

TEST_STACK = hot(
    {
        "test": {
            "type": "OS::Heat::TestResource",
            "properties": {"value": {"get_param": "test_val"}},
        }
    },
    parameters={"test_val": {"type": "string", "default": "test"}},
)


@pytest.fixture(autouse=True)
def _regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_region_map(tmp_path, monkeypatch)


def url(stack_id: str, *parts: str, name: str = "rsrcstack") -> str:
    return "/".join(["/v1/alpha/stacks", name, stack_id, *parts])


def test_list_show_and_filter_a_test_resource(client: TestClient) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    answer = client.get(url(sid, "resources"))
    assert answer.status_code == 200
    [resource] = answer.json()["resources"]
    assert resource["logical_resource_id"] == resource["resource_name"] == "test"
    assert resource["resource_status"] == "CREATE_COMPLETE"
    assert resource["resource_type"] == "OS::Heat::TestResource"
    assert resource["physical_resource_id"] == "rsrcstack-test"
    assert resource["region"] == "East" and resource["required_by"] == []
    assert resource["links"] == [
        {"href": f"{BASE}/stacks/rsrcstack/{sid}/resources/test", "rel": "self"},
        {"href": f"{BASE}/stacks/rsrcstack/{sid}", "rel": "stack"},
    ]
    assert "attributes" not in resource and "metadata" not in resource
    filtered = client.get(url(sid, "resources"), params={"type": "OS::Nova::Server"})
    assert filtered.json() == {"resources": []}
    partly = client.get(url(sid, "resources"), params={"type": "TestRes"})
    assert [r["resource_name"] for r in partly.json()["resources"]] == ["test"]
    shown = client.get(url(sid, "resources", "test")).json()["resource"]
    assert shown["attributes"] == {"output": "test"}
    assert shown["region"] == "East" and shown["resource_status"] == "CREATE_COMPLETE"


TWO = hot(
    {
        "a": {"type": "OS::Heat::TestResource", "properties": {"value": "x"}},
        "b": {
            "type": "OS::Heat::Value",
            "properties": {"value": {"get_attr": ["a", "output"]}},
        },
        "secret": {"type": "OS::Heat::RandomString", "properties": {"length": 12}},
    }
)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"name": ["a", "b"]}, ["a", "b"]),
        ({"status": "CREATE_COMPLETE"}, ["a", "b", "secret"]),
        ({"status": "COMPLETE", "action": "CREATE"}, ["a", "b", "secret"]),
        ({"status": "UPDATE_COMPLETE"}, []),
        ({"status": "FAILED"}, []),
        ({"type": ["Value", "Random"]}, ["b", "secret"]),
        ({"physical_resource_id": "two-a"}, ["a"]),
    ],
)
def test_list_filters(client: TestClient, query: dict[str, Any], names: list[str]) -> None:
    sid = deploy(client, "two", TWO)
    answer = client.get(url(sid, "resources", name="two"), params=query)
    assert sorted(r["resource_name"] for r in answer.json()["resources"]) == names


def test_list_with_detail_adds_attributes_secrets_masked(client: TestClient) -> None:
    sid = deploy(client, "two", TWO)
    plain = client.get(url(sid, "resources", name="two")).json()["resources"]
    assert {r["resource_name"]: r["required_by"] for r in plain}["a"] == ["b"]
    detailed = client.get(url(sid, "resources", name="two"), params={"with_detail": "True"})
    by_name = {r["resource_name"]: r for r in detailed.json()["resources"]}
    assert by_name["b"]["attributes"] == {"value": "x"}
    assert by_name["secret"]["attributes"] == {"value": "******"}
    assert by_name["a"]["description"] == ""
    shown = client.get(url(sid, "resources", "secret", name="two")).json()["resource"]
    assert shown["attributes"] == {"value": "******"}
    real = service_of(client).resources("two")
    value = next(r for r in real if r.name == "secret").attributes["value"]
    assert len(value) == 12 and value not in detailed.text and value not in str(shown)


def test_show_with_attr_adds_the_named_attributes(client: TestClient) -> None:
    sid = deploy(client, "two", TWO)
    answer = client.get(
        url(sid, "resources", "a", name="two"), params=[("with_attr", "x"), ("with_attr", "y")]
    )
    assert answer.json()["resource"]["attributes"] == {"output": "x", "x": None, "y": None}


UNRECOGNIZED = 'Unrecognized value "maybe" for "{}", acceptable values are: true, false.'
NON_NEGATIVE = "Value '-1' is invalid for 'nested_depth' which only accepts non-negative integer."


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"foo": "1"}, "Invalid filter parameters ['foo']"),
        ({"with_detail": "maybe"}, UNRECOGNIZED.format("with_detail")),
        ({"nested_depth": "-1"}, NON_NEGATIVE),
        ({"nested_depth": "one"}, "Only integer is acceptable by 'nested_depth'."),
    ],
)
def test_list_refuses_what_heat_refuses(
    client: TestClient, query: dict[str, str], message: str
) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    answer = client.get(url(sid, "resources"), params=query)
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "type": "HTTPBadRequest",
        "message": message,
        "traceback": None,
    }


def test_a_stack_is_found_by_its_canonical_url_in_the_callers_project_only(
    client: TestClient,
) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    wrong_name = client.get(url(sid, "resources", name="other"))
    assert wrong_name.status_code == 404
    assert wrong_name.json()["error"]["type"] == "EntityNotFound"
    assert wrong_name.json()["error"]["message"] == "The Stack (other) could not be found."
    bad_id = client.get(url("3095aefc-0000-4000-8000-000000000000", "resources"))
    assert bad_id.status_code == 404
    beta = {"X-Auth-Token": "tok-beta"}
    other_project = client.get(f"/v1/beta/stacks/rsrcstack/{sid}/resources/test", headers=beta)
    assert other_project.status_code == 404
    assert client.get(url(sid, "events"), headers=beta).status_code == 403
    admin = client.get(url(sid, "resources"), headers={"X-Auth-Token": "tok-admin"})
    assert admin.status_code == 200  # an admin reaches any project's stack, as in Heat
    assert admin.json()["resources"][0]["links"][1]["href"].startswith(
        "http://127.0.0.1:8004/v1/alpha/stacks/rsrcstack/"
    )


def test_a_deleted_stacks_resources_list_but_do_not_show(client: TestClient) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    service = service_of(client)
    started = service.delete(service.deletable("rsrcstack"))
    service.submit(started)
    client.app.state.executor.wait(sid, 60)  # type: ignore[attr-defined]
    assert client.get(url(sid, "resources")).status_code == 200
    assert client.get(url(sid, "resources", "test")).status_code == 404


def test_mark_unhealthy_and_back(client: TestClient) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    body = {"mark_unhealthy": True, "resource_status_reason": "resource deleted"}
    answer = client.patch(url(sid, "resources", "test"), json=body)
    assert (answer.status_code, answer.json()) == (200, None)
    shown = client.get(url(sid, "resources", "test")).json()["resource"]
    assert (shown["resource_status"], shown["resource_status_reason"]) == (
        "CHECK_FAILED",
        "resource deleted",
    )
    events = client.get(url(sid, "events")).json()["events"]
    assert events[0]["resource_status"] == "CHECK_FAILED"
    assert events[0]["resource_status_reason"] == "resource deleted"
    # by its physical id, with Heat's default reason
    back = client.patch(url(sid, "resources", "rsrcstack-test"), json={"mark_unhealthy": "false"})
    assert back.status_code == 200
    shown = client.get(url(sid, "resources", "test")).json()["resource"]
    assert shown["resource_status"] == "CHECK_COMPLETE"
    assert shown["resource_status_reason"] == "state changed by resource_mark_unhealthy api"
    again = client.patch(url(sid, "resources", "test"), json={"mark_unhealthy": False})
    assert again.status_code == 200
    assert client.get(url(sid, "resources", "test")).json()["resource"]["resource_status"] == (
        "CHECK_COMPLETE"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mark_unhealthy": True, "foo": 1}, "Invalid keys in resource mark unhealthy {'foo'}"),
        (
            {"resource_status_reason": "x"},
            "Missing mandatory (mark_unhealthy) key from mark unhealthy request",
        ),
        ({"mark_unhealthy": "maybe"}, UNRECOGNIZED.format("mark_unhealthy")),
        (None, NO_BODY),
    ],
)
def test_mark_unhealthy_refuses_bad_bodies(client: TestClient, body: Any, message: str) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    answer = client.patch(url(sid, "resources", "test"), json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "HTTPBadRequest"
    assert answer.json()["error"]["message"] == message
    assert client.get(url(sid, "resources", "test")).json()["resource"]["resource_status"] == (
        "CREATE_COMPLETE"
    )


def test_an_unknown_resource_is_heats_resource_not_found(client: TestClient) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    for answer in (
        client.get(url(sid, "resources", "nope")),
        client.get(url(sid, "resources", "nope", "metadata")),
        client.patch(url(sid, "resources", "nope"), json={"mark_unhealthy": True}),
        client.post(url(sid, "resources", "nope", "signal")),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["type"] == "ResourceNotFound"
        assert answer.json()["error"]["message"] == (
            "The Resource (nope) could not be found in Stack rsrcstack."
        )


def test_signal_is_refused_by_types_that_take_none(client: TestClient) -> None:
    sid = deploy(client, "rsrcstack", TEST_STACK)
    answer = client.post(url(sid, "resources", "test", "signal"), json={"data": 1})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "ResourceActionNotSupported"
    assert answer.json()["error"]["message"] == "signal is not supported for resource."


def test_mark_unhealthy_while_an_operation_runs_is_a_conflict(client: TestClient) -> None:
    service = service_of(client)
    slow = hot({"slow": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": 30}}})
    started = service.create("slow", Inputs(slow))
    service.submit(started)
    sid = started.stack.id
    deadline = time.monotonic() + 30
    while not any(r.resource_status == "CREATE_IN_PROGRESS" for r in service.resources("slow")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answer = client.patch(url(sid, "resources", "slow", name="slow"), json={"mark_unhealthy": True})
    assert answer.status_code == 409
    assert answer.json()["error"]["type"] == "ActionInProgress"


def test_metadata_is_resolved_from_what_is_deployed_secrets_masked(client: TestClient) -> None:
    template = hot(
        {
            "a": {"type": "OS::Heat::TestResource", "properties": {"value": "v"}},
            "b": {
                "type": "OS::Heat::None",
                "metadata": {
                    "from_a": {"get_attr": ["a", "output"]},
                    "password": {"get_param": "pw"},
                    "plain": [1, "two"],
                },
            },
        },
        parameters={"pw": {"type": "string", "hidden": True}},
    )
    sid = deploy(client, "meta", template, parameters={"pw": "hunter2-secret"})
    answer = client.get(url(sid, "resources", "b", "metadata", name="meta"))
    assert answer.status_code == 200
    assert answer.json() == {"metadata": {"from_a": "v", "password": "******", "plain": [1, "two"]}}
    assert client.get(url(sid, "resources", "a", "metadata", name="meta")).json() == {
        "metadata": {}
    }


def test_an_update_replaces_what_was_marked_unhealthy(client: TestClient) -> None:
    template = hot(
        {
            "kept": {"type": "OS::Heat::None"},
            "sick": {"type": "OS::Heat::None"},
            "word": {"type": "OS::Heat::RandomString"},
        }
    )
    sid = deploy(client, "heal", template)
    before = {r.name: r for r in service_of(client).resources("heal")}
    for name in ("sick", "word"):
        patch = client.patch(
            url(sid, "resources", name, name="heal"), json={"mark_unhealthy": True}
        )
        assert patch.status_code == 200
    update(client, "heal", template)
    after = {r.name: r for r in service_of(client).resources("heal")}
    assert after["kept"].physical_id == before["kept"].physical_id
    assert after["sick"].physical_id != before["sick"].physical_id
    assert after["word"].attributes["value"] != before["word"].attributes["value"]
    assert {r.resource_status for r in after.values()} <= {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    update(client, "heal", template)  # healthy again: nothing more is replaced
    again = {r.name: r.physical_id for r in service_of(client).resources("heal")}
    assert again == {name: r.physical_id for name, r in after.items()}
