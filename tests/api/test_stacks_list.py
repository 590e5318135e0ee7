"""Heat's stack list: summary fields, filters, tags, sort, pages, deleted and every project's
stacks (``global_tenant`` for admins)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.heatstacks import BASE, create, error, region_map, stacks, url, wait

__all__ = ["region_map"]


def _names(client: TestClient, query: str = "", tenant: str = "alpha") -> list[str]:
    answer = client.get(f"{stacks(tenant)}{query}")
    assert answer.status_code == 200, answer.text
    return [s["stack_name"] for s in answer.json()["stacks"]]


def test_the_list_gives_heats_summary_of_each_stack(client: TestClient) -> None:
    tagged = create(client, "tagged", tags="a,b")
    plain = create(client, "plain")
    answer = client.get(stacks())
    assert answer.status_code == 200
    assert set(answer.json()) == {"stacks"}
    listed = {s["stack_name"]: s for s in answer.json()["stacks"]}
    assert listed["tagged"]["tags"] == ["a", "b"]
    assert listed["plain"]["tags"] is None
    one = listed["plain"]
    assert one["id"] == plain
    assert one["links"] == [{"href": f"{BASE}/v1/alpha/stacks/plain/{plain}", "rel": "self"}]
    assert one["description"] == ""
    assert one["stack_status"] == "CREATE_COMPLETE"
    assert one["stack_status_reason"] == "Stack CREATE completed successfully"
    assert one["creation_time"].endswith("Z")
    assert (one["updated_time"], one["deletion_time"], one["parent"]) == (None, None, None)
    assert one["regions"] == ["East", "West"]
    assert "project" not in one and "parameters" not in one
    assert listed["tagged"]["id"] == tagged


def test_newest_first_unless_sorted(client: TestClient) -> None:
    for name in ("b", "c", "a"):
        create(client, name)
    assert _names(client) == ["a", "c", "b"]
    assert _names(client, "?sort_keys=stack_name") == ["a", "b", "c"]
    assert _names(client, "?sort_keys=stack_name&sort_dir=desc") == ["c", "b", "a"]
    assert _names(client, "?sort_keys=creation_time&sort_dir=asc") == ["b", "c", "a"]
    assert _names(client, "?sort_keys=no_such_key") == ["a", "c", "b"]  # dropped, as Heat does
    assert error(client.get(f"{stacks()}?sort_dir=sideways"))[:2] == (400, "ValueError")


def test_pages_follow_the_marker_and_link_the_next_one(client: TestClient) -> None:
    ids = {name: create(client, name) for name in ("a", "b", "c")}
    first = client.get(f"{stacks()}?sort_keys=stack_name&limit=2&with_count=true").json()
    assert [s["stack_name"] for s in first["stacks"]] == ["a", "b"]
    assert first["count"] == 3
    assert first["links"] == [
        {
            "href": f"{BASE}/v1/alpha/stacks?sort_keys=stack_name&limit=2&with_count=true"
            f"&marker={ids['b']}",
            "rel": "next",
        }
    ]
    second = client.get(first["links"][0]["href"]).json()
    assert [s["stack_name"] for s in second["stacks"]] == ["c"]
    assert "links" not in second  # a short page is the last one
    assert _names(client, f"?sort_keys=stack_name&marker={ids['c']}") == []
    assert _names(client, "?sort_keys=stack_name&marker=unknown") == ["a", "b", "c"]
    assert _names(client, "?limit=0") == []


def test_filters_match_exactly_and_repeated_keys_match_any(client: TestClient) -> None:
    create(client, "a")
    create(client, "b")
    create(client, "broken", {"heat_template_version": "2018-08-31", "resources": {
        "r": {"type": "OS::Heat::TestResource", "properties": {"fail": True}}}})  # fmt: skip
    assert sorted(_names(client, "?stack_name=a&stack_name=b")) == ["a", "b"]
    assert sorted(_names(client, "?name=a")) == ["a"]
    assert _names(client, "?status=CREATE_FAILED") == ["broken"]
    assert _names(client, "?status=FAILED") == ["broken"]
    assert sorted(_names(client, "?status=COMPLETE&action=CREATE")) == ["a", "b"]
    assert sorted(_names(client, "?no_such_filter=1")) == ["a", "b", "broken"]
    answer = client.get(f"{stacks()}?stack_name=b&with_count=true").json()
    assert answer["count"] == 1


def test_tag_filters(client: TestClient) -> None:
    create(client, "ab", tags="a,b")
    create(client, "a", tags="a")
    create(client, "c", tags="c")
    create(client, "none")
    assert sorted(_names(client, "?tags=a,b")) == ["ab"]
    assert sorted(_names(client, "?tags_any=b,c")) == ["ab", "c"]
    assert sorted(_names(client, "?not_tags=a,b")) == ["a", "c", "none"]
    assert sorted(_names(client, "?not_tags_any=a,c")) == ["none"]


def test_deleted_stacks_are_listed_when_asked(client: TestClient) -> None:
    create(client, "kept")
    gone = create(client, "gone")
    assert client.delete(url("gone", gone)).status_code == 204
    wait(client, gone)
    assert _names(client) == ["kept"]
    assert sorted(_names(client, "?show_deleted=True")) == ["gone", "kept"]
    deleted = client.get(f"{stacks()}?show_deleted=true&name=gone").json()["stacks"][0]
    assert deleted["stack_status"] == "DELETE_COMPLETE"
    assert deleted["deletion_time"] is not None


def test_heats_typing_of_query_parameters(client: TestClient) -> None:
    assert error(client.get(f"{stacks()}?show_deleted=maybe")) == (
        400,
        "HTTPBadRequest",
        'Unrecognized value "maybe" for "show_deleted", acceptable values are: true, false.',
    )
    assert error(client.get(f"{stacks()}?limit=ten")) == (
        400,
        "HTTPBadRequest",
        "Only integer is acceptable by 'limit'.",
    )
    assert error(client.get(f"{stacks()}?limit=+1")) == (
        400,
        "HTTPBadRequest",
        "Only integer is acceptable by 'limit'.",
    )
    assert error(client.get(f"{stacks()}?limit=-1")) == (
        400,
        "HTTPBadRequest",
        "Value '-1' is invalid for 'limit' which only accepts non-negative integer.",
    )


def test_every_project_is_listed_for_an_admin_only(client: TestClient) -> None:
    create(client, "alphas")
    client.headers["X-Auth-Token"] = "tok-beta"
    answer = client.post(stacks("beta"), json={"stack_name": "betas", "template": {
        "heat_template_version": "2018-08-31", "resources": {}}})  # fmt: skip
    wait(client, answer.json()["stack"]["id"])
    assert _names(client, tenant="beta") == ["betas"]
    assert error(client.get(f"{stacks('beta')}?global_tenant=true")) == (
        403,
        "Forbidden",
        "You are not authorized to complete stacks:global_index.",
    )
    client.headers["X-Auth-Token"] = "tok-admin"
    assert _names(client, tenant="ops") == []
    every = client.get(f"{stacks('ops')}?global_tenant=True&sort_keys=stack_name").json()
    assert [(s["stack_name"], s["project"]) for s in every["stacks"]] == [
        ("alphas", "alpha"),
        ("betas", "beta"),
    ]


REMOTE = {
    "heat_template_version": "2018-08-31",
    "resources": {
        "remote": {
            "type": "OS::Heat::Stack",
            "properties": {
                "context": {"region_name": "West"},
                "template": "heat_template_version: 2018-08-31\n"
                "resources:\n  v: {type: OS::Heat::Value, properties: {value: x}}\n"
                "outputs:\n  v: {value: {get_attr: [v, value]}}\n",
            },
        }
    },
    "outputs": {
        "v": {"value": {"get_attr": ["remote", "outputs", "v"]}},
        "id": {"value": {"get_resource": "remote"}},
    },
}


def test_show_nested_lists_a_remote_stack_with_its_parent(client: TestClient) -> None:
    parent = create(client, "parent", REMOTE)
    assert _names(client) == ["parent"]
    listed = client.get(f"{stacks()}?show_nested=True").json()["stacks"]
    by_name = {s["stack_name"]: s for s in listed}
    assert set(by_name) == {"parent", "parent-remote"}
    assert by_name["parent-remote"]["parent"] == parent
    assert by_name["parent-remote"]["stack_status"] == "CREATE_COMPLETE"
    nested = by_name["parent-remote"]["id"]
    outputs = client.get(url("parent", parent)).json()["stack"]["outputs"]
    assert [(o["output_key"], o["output_value"]) for o in outputs] == [("v", "x"), ("id", nested)]

    # The parent's resource is the nested stack (its id, a link to it) ...
    shown = client.get(url("parent", parent, "resources", "remote")).json()["resource"]
    assert (shown["physical_resource_id"], shown["resource_type"]) == (nested, "OS::Heat::Stack")
    links = {x["rel"]: x["href"] for x in shown["links"]}
    assert links["nested"].endswith(url("parent-remote", nested))
    listed = client.get(url("parent", parent, "resources")).json()["resources"]
    assert [r["resource_name"] for r in listed] == ["remote"]  # its own, as Heat lists them
    # ... which shows its own resources, outputs and events, by their names in its template.
    inner = client.get(url("parent-remote", nested, "resources")).json()["resources"]
    assert [(r["resource_name"], r["resource_status"]) for r in inner] == [("v", "CREATE_COMPLETE")]
    kept = client.get(url("parent", parent, "resources", "remote.v")).json()["resource"]
    assert inner[0]["physical_resource_id"] == kept["physical_resource_id"]
    outputs = client.get(url("parent-remote", nested, "outputs")).json()["outputs"]
    assert [o["output_key"] for o in outputs] == ["v"]
    output = client.get(url("parent-remote", nested, "outputs", "v")).json()["output"]
    assert output["output_value"] == "x"
    events = client.get(url("parent-remote", nested, "events")).json()["events"]
    assert {e["resource_name"] for e in events} == {"parent-remote", "v"}


DEEP = {
    "heat_template_version": "2018-08-31",
    "resources": {"mod": {"type": "mod.yaml"}},
}
DEEP_FILES = {
    "mod.yaml": "heat_template_version: 2018-08-31\n"
    "resources:\n  v: {type: OS::Heat::Value, properties: {value: x}}\n  sub: {type: sub.yaml}\n"
    "outputs:\n  sub_id: {value: {get_resource: sub}}\n  w: {value: {get_attr: [sub, w]}}\n",
    "sub.yaml": "heat_template_version: 2018-08-31\n"
    "resources:\n  w: {type: OS::Heat::Value, properties: {value: y}}\n"
    "outputs:\n  w: {value: {get_attr: [w, value]}}\n",
}


def test_a_template_resource_in_a_nested_template_is_a_nested_stack_of_its_own(
    client: TestClient,
) -> None:
    top = create(client, "deep", DEEP, files=DEEP_FILES)
    listed = client.get(f"{stacks()}?show_nested=True").json()["stacks"]
    ids = {s["stack_name"]: s["id"] for s in listed}
    parents = {s["stack_name"]: s["parent"] for s in listed}
    assert parents == {"deep": None, "deep-mod": top, "deep-mod-sub": ids["deep-mod"]}
    mod, sub = ids["deep-mod"], ids["deep-mod-sub"]
    inner = client.get(url("deep-mod", mod, "resources")).json()["resources"]
    assert {r["resource_name"]: r["resource_type"] for r in inner} == {
        "v": "OS::Heat::Value", "sub": "sub.yaml",
    }  # fmt: skip
    shown = next(r for r in inner if r["resource_name"] == "sub")
    assert shown["physical_resource_id"] == sub
    deepest = client.get(url("deep-mod-sub", sub, "resources")).json()["resources"]
    assert [r["resource_name"] for r in deepest] == ["w"]
    outputs = client.get(url("deep-mod", mod)).json()["stack"]["outputs"]
    assert {o["output_key"]: o["output_value"] for o in outputs} == {"sub_id": sub, "w": "y"}
    events = client.get(url("deep-mod-sub", sub, "events")).json()["events"]
    assert {e["resource_name"] for e in events} == {"deep-mod-sub", "w"}
    # Heat's nested_depth: each level's own resources, named by the resource above them;
    # without it (0), the stack's own only (not the rows the engine keeps for "mod") ...
    own = client.get(url("deep", top, "resources")).json()["resources"]
    assert [r["resource_name"] for r in own] == ["mod"]
    # ... which crossheat's own "flat" lists, under their paths (as "crossheat --url" does).
    flat_rows = client.get(f"{url('deep', top, 'resources')}?flat=true").json()["resources"]
    assert {r["resource_name"] for r in flat_rows} == {"mod", "mod.v", "mod.sub.w"}
    for depth, deepest_level in ((1, set()), (2, {("w", "sub")})):
        query = f"{url('deep', top, 'resources')}?nested_depth={depth}"
        levels = client.get(query).json()["resources"]
        assert {(r["resource_name"], r.get("parent_resource")) for r in levels} == {
            ("mod", None), ("v", "mod"), ("sub", "mod"), *deepest_level,
        }  # fmt: skip
    stack_link = next(x["href"] for x in levels[-1]["links"] if x["rel"] == "stack")
    assert stack_link.endswith(url("deep-mod-sub", sub))

    # ... and the event list's: each event shown as its nested stack's, with a root_stack link
    def events_at(depth: int, *query: str) -> list[dict[str, Any]]:
        path = f"{url('deep', top, 'events')}?nested_depth={depth}&sort_dir=asc"
        answer = client.get("&".join([path, *query]))
        assert answer.status_code == 200, answer.text
        return list(answer.json()["events"])

    def owner(event: dict[str, Any]) -> str:
        stack = next(x["href"] for x in event["links"] if x["rel"] == "stack")
        return stack.split("/")[-2]

    flat = client.get(f"{url('deep', top, 'events')}?sort_dir=asc&flat=true").json()["events"]
    two = events_at(2)
    assert [e["id"] for e in two] == [e["id"] for e in flat]  # every event, in order
    shown = {(owner(e), e["resource_name"]) for e in two}
    assert shown == {("deep", "deep"), ("deep-mod", "v"), ("deep-mod-sub", "w")}
    roots = {x["href"] for e in two for x in e["links"] if x["rel"] == "root_stack"}
    assert len(roots) == 1 and roots.pop().endswith(url("deep", top))
    one = {(owner(e), e["resource_name"]) for e in events_at(1)}
    assert one == {("deep", "deep"), ("deep-mod", "v"), ("deep-mod", "sub.w")}
    # filters take the names shown (those of each nested stack), as the engine's too
    for depth, name, wanted in [
        (2, "w", {("deep-mod-sub", "w")}), (1, "sub.w", {("deep-mod", "sub.w")}),
        (2, "mod.v", {("deep-mod", "v")}), (1, "w", set()),
    ]:  # fmt: skip
        found = {(owner(e), e["resource_name"]) for e in events_at(depth, f"resource_name={name}")}
        assert found == wanted, (depth, name)
    # paging stays the one list's
    first, second = events_at(2, "limit=2"), events_at(2, "limit=2", f"marker={two[1]['id']}")
    assert [e["id"] for e in first + second] == [e["id"] for e in two[:4]]
    assert "mod.sub.w" in {e["resource_name"] for e in flat}  # crossheat's own: its names
    own = client.get(f"{url('deep', top, 'events')}?sort_dir=asc").json()["events"]
    assert {e["resource_name"] for e in own} == {"deep"}  # without nested_depth: Heat's

    client.delete(url("deep", top))
    wait(client, top)
    assert client.get(f"{stacks()}?show_nested=True").json()["stacks"] == []


MARKED = {
    "heat_template_version": "2018-08-31",
    "resources": {
        "remote": {
            "type": "OS::Heat::Stack",
            "properties": {
                "template": "heat_template_version: 2018-08-31\n"
                "resources:\n  w: {type: OS::Heat::RandomString, properties: {length: 12}}\n"
                "outputs:\n  w: {value: {get_attr: [w, value]}}\n",
            },
        }
    },
    "outputs": {"w": {"value": {"get_attr": ["remote", "outputs", "w"]}}},
}


def test_a_nested_stack_marked_unhealthy_is_replaced_by_the_next_update(
    client: TestClient,
) -> None:
    top = create(client, "marked", MARKED)

    def status(name: str) -> tuple[str, str]:
        shown = client.get(url("marked", top, "resources", name)).json()["resource"]
        return shown["resource_status"], shown["resource_status_reason"]

    def lived() -> list[str]:  # remote.w's events, oldest first
        path = url("marked", top, "resources", "remote.w", "events")
        events = client.get(path, params={"sort_dir": "asc"}).json()["events"]
        return [f"{e['resource_status']} {e['resource_status_reason']}" for e in events]

    body = {"mark_unhealthy": True, "resource_status_reason": "its host is gone"}
    assert client.patch(url("marked", top, "resources", "remote"), json=body).status_code == 200
    assert status("remote") == ("CHECK_FAILED", "its host is gone")  # the nested stack's
    assert status("remote.w") == ("CHECK_FAILED", "its host is gone")  # and each of its own
    # ... and back, then again
    back = client.patch(url("marked", top, "resources", "remote"), json={"mark_unhealthy": False})
    assert back.status_code == 200
    assert status("remote")[0] == status("remote.w")[0] == "CHECK_COMPLETE"
    assert client.patch(url("marked", top, "resources", "remote"), json=body).status_code == 200
    # The next update replaces what the nested stack holds, as Heat replaces the stack.
    answer = client.patch(url("marked", top), json={})
    assert answer.status_code == 202, answer.text
    wait(client, top)
    assert client.get(url("marked", top)).json()["stack"]["stack_status"] == "UPDATE_COMPLETE"
    assert status("remote")[0] == "UPDATE_COMPLETE"
    assert status("remote.w")[0] == "CREATE_COMPLETE"  # a new one, made by the update
    assert [h.split()[0] for h in lived()[-5:]] == [
        "CHECK_FAILED",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_COMPLETE",
    ]  # fmt: skip: marked, then replaced (the new one made, the old one deleted)
