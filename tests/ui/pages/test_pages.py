"""The stacks list (filters, sort, pages), a stack's tabs (secrets masked), its actions,
and the regions page, over HTTP with the local user (``--auth none``)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from crossheat.service import Dashboard, Inputs, Service
from tests.ui.pages.forms import csrf_of, deploy, hot, none

SECRET = "s3cr3t-psk-9f2b71"
WITH_SECRETS = hot(
    {
        "east_thing": none("East", properties={"value": {"get_param": "psk"}}),
        "west_thing": none("West", depends_on=["east_thing"]),
    },
    parameters={
        "psk": {"type": "string", "hidden": True, "default": "default-" + SECRET},
        "size": {"type": "number", "default": 3},
    },
    outputs={
        "where": {"description": "The west thing", "value": {"get_resource": "west_thing"}},
        "secret": {"value": {"get_param": "psk"}},
    },
)


def _names(page: str) -> list[str]:
    return re.findall(r'<tr data-stack="([^"]+)"', page)


def test_the_list_filters_by_status_region_and_name(local: TestClient) -> None:
    deploy(local, "east-web", hot({"a": none("East")}))
    deploy(local, "west-db", hot({"a": none("West")}))
    deploy(local, "both-app", hot({"a": none("East"), "b": none("West")}))
    failing = {"type": "OS::Heat::TestResource", "region": "East", "properties": {"fail": True}}
    deploy(local, "broken", hot({"a": failing}), disable_rollback=True)
    listed = local.get("/dashboard/").text
    assert sorted(_names(listed)) == ["both-app", "broken", "east-web", "west-db"]
    assert 'id="stack-count">4 stacks' in listed
    west = local.get("/dashboard/", params={"region": "West"}).text
    assert sorted(_names(west)) == ["both-app", "west-db"]
    named = local.get("/dashboard/", params={"name": "APP"}).text
    assert _names(named) == ["both-app"]
    failed = local.get("/dashboard/", params={"status": "FAILED"}).text
    assert _names(failed) == ["broken"]
    complete = local.get("/dashboard/", params={"status": "CREATE_COMPLETE", "region": "East"})
    assert sorted(_names(complete.text)) == ["both-app", "east-web"]
    # Each row: its status badge and the regions it spans.
    row = listed.split('<tr data-stack="both-app"')[1].split("</tr>")[0]
    assert 'data-status="CREATE_COMPLETE"' in row
    assert '<span class="region">East</span><span class="region">West</span>' in row
    nothing = local.get("/dashboard/", params={"name": "zzz"}).text
    assert "No stacks match these filters" in nothing


def test_the_list_sorts_and_pages(local: TestClient) -> None:
    for name in ("c-stack", "a-stack", "e-stack", "b-stack", "d-stack"):
        deploy(local, name, hot({"a": none()}))
    newest_first = _names(local.get("/dashboard/").text)
    assert newest_first == ["d-stack", "b-stack", "e-stack", "a-stack", "c-stack"]
    by_name = local.get("/dashboard/", params={"sort": "name", "dir": "asc"}).text
    assert _names(by_name) == ["a-stack", "b-stack", "c-stack", "d-stack", "e-stack"]
    assert 'aria-sort="ascending"' in by_name
    pages = [
        _names(local.get("/dashboard/", params={"sort": "name", "dir": "desc", "per_page": 2,
                                                "page": n}).text)
        for n in (1, 2, 3)
    ]  # fmt: skip
    assert pages == [["e-stack", "d-stack"], ["c-stack", "b-stack"], ["a-stack"]]
    second = local.get("/dashboard/", params={"sort": "name", "per_page": 2, "page": 2}).text
    assert "Page 2 of 3" in second
    assert 'rel="next"' in second and 'rel="prev"' in second
    # The pager's links keep the filters and the sort.
    nxt = re.search(r'<a rel="next" href="([^"]+)"', second)
    assert nxt is not None
    assert "sort=name" in nxt.group(1) and "page=3" in nxt.group(1)


def test_the_detail_tabs_show_the_stack_with_its_secrets_masked(local: TestClient) -> None:
    stack_id = deploy(local, "secretive", WITH_SECRETS, parameters={"psk": SECRET})
    page = local.get(f"/dashboard/stacks/{stack_id}")
    assert page.status_code == 200
    text = page.text
    assert SECRET not in text
    for tab in ("topology", "resources", "events", "outputs", "template", "parameters", "pieces"):
        assert f'id="tab-{tab}"' in text and f'id="panel-{tab}"' in text
    # Resources with their region and status.
    west = text.split('<tr data-resource="west_thing">')[1].split("</tr>")[0]
    assert "<td>West</td>" in west and 'data-status="CREATE_COMPLETE"' in west
    # Events: the stack's and each resource's.
    assert text.count("<tr data-event=") >= 5
    # Parameters: the hidden one masked, the others shown.
    psk = text.split('<tr data-parameter="psk">')[1].split("</tr>")[0]
    assert "<code>******</code>" in psk
    assert "<code>3</code>" in text.split('<tr data-parameter="size">')[1].split("</tr>")[0]
    # Outputs: the hidden value masked.
    assert '<dt data-output="where">where' in text
    secret_out = text.split('<dd data-output="secret">')[1].split("</dd>")[0]
    assert "******" in secret_out
    # Template: the hidden default masked.
    template = html.unescape(text.split('<pre class="template"')[1].split("</pre>")[0])
    assert "default: '******'" in template and "hidden: true" in template
    # Split pieces: one per region, the cross-region reference named.
    assert '<article class="piece" data-piece="East">' in text
    assert '<article class="piece" data-piece="West">' in text
    assert "west_thing ← east_thing" in text
    # The actions: update links to the update page; delete asks first.
    assert f'href="/dashboard/stacks/{stack_id}/update"' in text
    confirm = local.get(f"/dashboard/stacks/{stack_id}/delete").text
    assert 'role="alertdialog"' in confirm and "Delete stack secretive?" in confirm


def test_topology_json_has_regions_resources_links_and_no_secret(local: TestClient) -> None:
    stack_id = deploy(local, "shape", WITH_SECRETS, parameters={"psk": SECRET})
    answer = local.get(f"/dashboard/stacks/{stack_id}/topology.json")
    assert answer.status_code == 200
    assert SECRET not in answer.text
    data = answer.json()
    assert data["stack"] == {
        "id": stack_id, "name": "shape", "status": "CREATE_COMPLETE",
        "status_reason": data["stack"]["status_reason"],
    }  # fmt: skip
    assert data["regions"] == [{"name": "East", "cloud": "nowhere"},
                               {"name": "West", "cloud": "nowhere"}]  # fmt: skip
    by_name = {r["name"]: r for r in data["resources"]}
    assert set(by_name) == {"east_thing", "west_thing"}
    assert by_name["west_thing"]["region"] == "West"
    assert by_name["west_thing"]["status"] == "CREATE_COMPLETE"
    assert set(by_name["east_thing"]) >= {"name", "type", "region", "status", "status_reason",
                                          "physical_id"}  # fmt: skip
    assert data["links"] == [{"source": "west_thing", "target": "east_thing",
                              "cross_region": True}]  # fmt: skip
    assert data["tunnels"] == []


def test_check_and_delete_from_the_page(local: TestClient) -> None:
    stack_id = deploy(local, "acted-on", hot({"a": none()}))
    page = local.get(f"/dashboard/stacks/{stack_id}")
    checked = local.post(f"/dashboard/stacks/{stack_id}/check",
                         data={"csrf_token": csrf_of(page.text)})  # fmt: skip
    assert checked.status_code == 200
    assert "Check started." in checked.text
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    shown = local.get(f"/dashboard/stacks/{stack_id}").text
    assert 'id="stack-status" data-status="CHECK_COMPLETE"' in shown
    # Cancel is refused when nothing is in progress, and says so.
    cancelled = local.post(f"/dashboard/stacks/{stack_id}/cancel",
                           data={"csrf_token": csrf_of(shown)})  # fmt: skip
    assert "Cancel refused" in cancelled.text
    deleted = local.post(f"/dashboard/stacks/{stack_id}/delete",
                         data={"csrf_token": csrf_of(shown)})  # fmt: skip
    assert "Delete started." in deleted.text
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    assert "acted-on" not in local.get("/dashboard/").text
    assert local.get(f"/dashboard/stacks/{stack_id}").status_code == 404


def test_cancel_rolls_an_update_back(local: TestClient) -> None:
    def test_resource(value: str, **more: object) -> dict[str, object]:
        return {"type": "OS::Heat::TestResource", "region": "East",
                "properties": {"value": value, **more}}  # fmt: skip

    before = {"first": test_resource("a"), "then": test_resource("a")}
    stack_id = deploy(local, "slow", hot(before))
    root: Service = local.app.state.service  # type: ignore[attr-defined]
    service = root.scoped("default")
    # "first" takes 2 s to change; "then", after it, would change next.
    after = {"first": test_resource("b", wait_secs=2),
             "then": {**test_resource("b"), "depends_on": ["first"]}}  # fmt: skip
    service.submit(service.update(service.prepare_update("slow", Inputs(hot(after)))))
    page = local.get(f"/dashboard/stacks/{stack_id}").text
    assert 'data-status="UPDATE_IN_PROGRESS"' in page
    assert '<button type="submit" id="action-cancel" >' in page  # enabled while it runs
    cancelled = local.post(f"/dashboard/stacks/{stack_id}/cancel",
                           data={"csrf_token": csrf_of(page)})  # fmt: skip
    assert "Cancel requested: the update is rolled back." in cancelled.text
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    shown = local.get(f"/dashboard/stacks/{stack_id}").text
    assert 'id="stack-status" data-status="ROLLBACK_COMPLETE"' in shown
    assert '<button type="submit" id="action-cancel" disabled>' in shown


def test_the_stream_tells_removed_resources_and_the_deleted_stack(local: TestClient) -> None:
    stack_id = deploy(local, "shrinking", hot({"a": none("East"), "b": none("West")}))
    root: Service = local.app.state.service  # type: ignore[attr-defined]
    service = root.scoped("default")
    watch = Dashboard(service).watch(service.get(stack_id))
    first = watch.changes()
    assert {d["name"]: d["status"] for k, d in first if k == "resource"} == {
        "a": "CREATE_COMPLETE", "b": "CREATE_COMPLETE",
    }  # fmt: skip
    assert watch.changes() == []  # nothing moved
    service.submit(service.update(service.prepare_update("shrinking", Inputs(hot({"a": none()})))))
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    moved = watch.changes()
    assert ("resource", {"name": "b", "region": "West", "status": "DELETE_COMPLETE",
                         "status_reason": ""}) in moved  # fmt: skip
    assert ("stack", {"status": "UPDATE_COMPLETE",
                      "status_reason": "Stack UPDATE completed successfully"}) in moved  # fmt: skip
    assert {d["resource_name"] for k, d in moved if k == "event"} >= {"b", "shrinking"}
    service.submit(service.delete(service.deletable("shrinking")))
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    last = watch.changes()
    assert [(d["name"], d["status"]) for k, d in last if k == "resource"] == [
        ("a", "DELETE_COMPLETE")
    ]
    assert [d["status"] for k, d in last if k == "stack"] == ["DELETE_COMPLETE"]


def test_the_list_stream_tells_new_changed_and_deleted_stacks(local: TestClient) -> None:
    old = deploy(local, "old", hot({"a": none()}))
    root: Service = local.app.state.service  # type: ignore[attr-defined]
    service = root.scoped("default")
    watch = Dashboard(service).watch_list()
    assert watch.changes() == [] and not watch.busy
    started = service.create("new", Inputs(hot({"a": none()})))
    new = started.stack.id
    assert watch.changes() == [("stack", {"id": new, "name": "new",
                                          "status": "CREATE_IN_PROGRESS",
                                          "status_reason": "Stack CREATE started"})]  # fmt: skip
    assert watch.busy
    service.submit(started)
    local.app.state.executor.wait(new, 30)  # type: ignore[attr-defined]
    service.submit(service.delete(service.deletable("old")))
    local.app.state.executor.wait(old, 30)  # type: ignore[attr-defined]
    moved = {d["name"]: d["status"] for _, d in watch.changes()}
    assert moved == {"new": "CREATE_COMPLETE", "old": "DELETE_COMPLETE"}
    page = local.get("/dashboard/").text
    assert f'<tr data-stack="new" data-stack-id="{new}">' in page
    assert '<script src="/dashboard/static/stacks.js"></script>' in page


def test_the_regions_page_shows_each_region_its_stacks_and_its_health(local: TestClient) -> None:
    deploy(local, "spread", hot({"a": none("East"), "b": none("West"), "c": none("West")}))
    page = local.get("/dashboard/regions").text
    east = page.split('<article data-region="East"')[1].split("</article>")[0]
    west = page.split('<article data-region="West"')[1].split("</article>")[0]
    assert "(default)" in east and "(default)" not in west
    assert '<dd data-field="stacks">1</dd>' in west
    assert '<dd data-field="resources">2</dd>' in west
    assert '<dd data-field="resources">1</dd>' in east
    # The cloud "nowhere" is in no clouds.yaml: unreachable, and why.
    assert 'data-reachable="no"' in west
    assert "nowhere" in west
