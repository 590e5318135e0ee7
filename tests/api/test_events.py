"""Event routes, written from Heat's API reference: newest first by default, ascending
with ``sort_dir=asc``, an exclusive ``marker`` (what ``openstack stack ... --wait``
polls with), filters on the bare status, Heat's fields and links, and the region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.deployed import deploy, hot, service_of, update, use_region_map

BASE = "http://127.0.0.1:8004/v1/alpha"
TEMPLATE = hot(
    {
        "a": {"type": "OS::Heat::TestResource", "properties": {"value": "one"}},
        "b": {"type": "OS::Heat::Value", "properties": {"value": {"get_attr": ["a", "output"]}}},
    }
)
SUMMARY = {
    "id", "links", "event_time", "resource_name", "logical_resource_id", "resource_status",
    "resource_status_reason", "physical_resource_id", "resource_type", "region",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_region_map(tmp_path, monkeypatch)


def events(client: TestClient, sid: str, *parts: str, **query: Any) -> list[dict[str, Any]]:
    answer = client.get("/".join([f"/v1/alpha/stacks/evs/{sid}", *parts]), params=query)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def test_stack_events_newest_first_with_heats_fields(client: TestClient) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    found = events(client, sid, "events")
    assert [(e["resource_name"], e["resource_status"]) for e in found] == [
        ("evs", "CREATE_COMPLETE"),
        ("b", "CREATE_COMPLETE"),
        ("b", "CREATE_IN_PROGRESS"),
        ("a", "CREATE_COMPLETE"),
        ("a", "CREATE_IN_PROGRESS"),
        ("evs", "CREATE_IN_PROGRESS"),
    ]
    assert all(set(e) == SUMMARY and isinstance(e["id"], str) for e in found)
    stack_event = found[0]
    assert stack_event["physical_resource_id"] == sid
    assert stack_event["logical_resource_id"] == "evs"
    assert stack_event["resource_status_reason"] == "Stack CREATE completed successfully"
    assert stack_event["region"] is None
    assert stack_event["event_time"].endswith("Z")
    assert stack_event["links"] == [
        {
            "href": f"{BASE}/stacks/evs/{sid}/resources/evs/events/{stack_event['id']}",
            "rel": "self",
        },
        {"href": f"{BASE}/stacks/evs/{sid}/resources/evs", "rel": "resource"},
        {"href": f"{BASE}/stacks/evs/{sid}", "rel": "stack"},
    ]
    a_done = found[3]
    assert (a_done["region"], a_done["physical_resource_id"]) == ("East", "evs-a")
    assert found[4]["physical_resource_id"] is None  # not known yet when it started


def test_ascending_with_an_exclusive_marker_as_heatclient_polls(client: TestClient) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    first = events(client, sid, "events", sort_dir="asc")
    assert (first[0]["resource_name"], first[0]["resource_status"]) == ("evs", "CREATE_IN_PROGRESS")
    assert first[-1]["resource_name"] == "evs"
    assert events(client, sid, "events", sort_dir="asc", marker=first[-1]["id"]) == []
    newest = events(client, sid, "events", sort_dir="desc", limit="1")
    assert [e["id"] for e in newest] == [first[-1]["id"]]
    changed = hot(
        {
            "a": {"type": "OS::Heat::TestResource", "properties": {"value": "two"}},
            "b": TEMPLATE["resources"]["b"],
        }
    )
    update(client, "evs", changed)
    later = events(client, sid, "events", sort_dir="asc", marker=newest[0]["id"])
    assert later[0]["resource_status"] == "UPDATE_IN_PROGRESS"
    assert later[0]["resource_name"] == "evs"
    assert later[-1]["resource_status"] == "UPDATE_COMPLETE"
    assert {e["id"] for e in later}.isdisjoint(e["id"] for e in first)
    assert len(later) + len(first) == len(events(client, sid, "events"))
    pages = [events(client, sid, "events", sort_dir="asc", limit="2")]
    while pages[-1]:
        after = pages[-1][-1]["id"]
        pages.append(events(client, sid, "events", sort_dir="asc", limit="2", marker=after))
    assert [e["id"] for page in pages for e in page] == [
        e["id"] for e in events(client, sid, "events", sort_dir="asc")
    ]


def test_an_unknown_marker_starts_from_the_beginning(client: TestClient) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    assert events(client, sid, "events", marker="no-such-event") == events(client, sid, "events")


def _started(*names: str) -> set[tuple[str, str]]:
    return {(name, "CREATE_IN_PROGRESS") for name in names}


def _done(*names: str) -> set[tuple[str, str]]:
    return {(name, "CREATE_COMPLETE") for name in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"resource_status": "IN_PROGRESS"}, _started("evs", "a", "b")),
        ({"resource_status": "CREATE_COMPLETE"}, set()),
        ({"resource_name": "a"}, _started("a") | _done("a")),
        (
            {
                "resource_type": ["OS::Heat::Value", "OS::Heat::Stack"],
                "resource_status": "COMPLETE",
            },
            _done("evs", "b"),
        ),
        ({"resource_action": "UPDATE"}, set()),
    ],
)
def test_filters(client: TestClient, query: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    found = events(client, sid, "events", **query)
    assert {(e["resource_name"], e["resource_status"]) for e in found} == expected


def test_sort_keys(client: TestClient) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    by_type = events(client, sid, "events", sort_keys="resource_type")
    assert [e["resource_name"] for e in by_type] == ["evs", "evs", "a", "a", "b", "b"]
    by_time = events(client, sid, "events", sort_keys="event_time")
    assert by_time == list(reversed(events(client, sid, "events")))
    dropped = events(client, sid, "events", sort_keys="resource_name")
    assert dropped == events(client, sid, "events")


def test_one_resources_events_and_one_event(client: TestClient) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    found = events(client, sid, "resources", "a", "events", sort_dir="asc")
    assert [e["resource_status"] for e in found] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    stack_own = events(client, sid, "resources", "evs", "events")
    assert {e["resource_name"] for e in stack_own} == {"evs"}
    one = client.get(f"/v1/alpha/stacks/evs/{sid}/resources/a/events/{found[1]['id']}")
    assert one.status_code == 200
    event = one.json()["event"]
    assert set(event) == SUMMARY | {"resource_properties"}
    assert (event["resource_type"], event["region"]) == ("OS::Heat::TestResource", "East")
    none = client.get(f"/v1/alpha/stacks/evs/{sid}/resources/nope/events")
    assert none.status_code == 404
    assert none.json()["error"] == {
        "type": "HTTPNotFound",
        "message": "No events found for resource nope",
        "traceback": None,
    }
    other = client.get(f"/v1/alpha/stacks/evs/{sid}/resources/b/events/{found[1]['id']}")
    assert other.status_code == 404
    assert other.json()["error"]["message"] == f"No event {found[1]['id']} found"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "x"}, "Only integer is acceptable by 'limit'."),
        ({"limit": "-2"}, "Value '-2' is invalid for 'limit' which only accepts non-negative integer."),  # noqa: E501
        ({"nested_depth": "1.5"}, "Only integer is acceptable by 'nested_depth'."),
        ({"sort_dir": "up"}, "Unknown sort direction 'up', must be 'asc' or 'desc'"),
    ],
)  # fmt: skip
def test_bad_queries_are_400(client: TestClient, query: dict[str, str], message: str) -> None:
    sid = deploy(client, "evs", TEMPLATE)
    answer = client.get(f"/v1/alpha/stacks/evs/{sid}/events", params=query)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == message


def test_a_failed_test_resource_and_a_deleted_stack_keep_their_events(client: TestClient) -> None:
    failing = hot({"bad": {"type": "OS::Heat::TestResource", "properties": {"fail": True}}})
    sid = deploy(client, "evs", failing)
    found = events(client, sid, "events", resource_status="FAILED")
    reasons = {e["resource_name"]: e["resource_status_reason"] for e in found}
    assert "Test Resource failed bad" in reasons["bad"]
    assert found[0]["resource_status"] == "CREATE_FAILED"
    service = service_of(client)
    service.submit(service.delete(service.deletable("evs")))
    client.app.state.executor.wait(sid, 60)  # type: ignore[attr-defined]
    after = events(client, sid, "events")
    assert after[0]["resource_status"] == "DELETE_COMPLETE"
    assert after[0]["resource_name"] == "evs"
