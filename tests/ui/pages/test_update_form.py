"""Updating from the dashboard over HTTP (``--auth none``): the form prefilled with the
stack's values (hidden ones empty, and kept when left so), the preview before the
confirmation, errors beside their fields, a new template's fields, other projects'
stacks out of reach."""

from __future__ import annotations

import re
from typing import Any

import yaml
from fastapi.testclient import TestClient

from crossheat.service import Service
from tests.ui.pages.forms import csrf_of, deploy, hot
from tests.ui.pages.launching import draft_field, draft_of, field, text_of

SECRET = "upd-s3cret-8c1f0e55"


def template(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return hot(
        {
            "labelled": {
                "type": "OS::Heat::TestResource", "region": "West",
                "properties": {"value": {"get_param": "label"}},
            },
            "sized": {
                "type": "OS::Heat::RandomString", "region": "East",
                "properties": {"length": {"get_param": "size"}, "salt": {"get_param": "salt"}},
            },
            "still": {"type": "OS::Heat::None", "region": "East"},
            **(extra or {}),
        },
        parameters={
            "label": {"type": "string", "default": "zero"},
            "size": {"type": "number", "default": 4, "constraints": [{"range": {"max": 64}}]},
            "salt": {"type": "string", "hidden": True},
        },
    )  # fmt: skip


def deployed(client: TestClient) -> str:
    return deploy(client, "upd", template(), parameters={"label": "one", "salt": SECRET})


def post_form(client: TestClient, stack_id: str, page: str, **fields: str) -> Any:
    data = {"csrf_token": csrf_of(page), **draft_field(page), **fields}
    return client.post(f"/dashboard/stacks/{stack_id}/update", data=data, files={"x": ("", b"")})


def test_the_form_is_prefilled_but_the_hidden_value_is_not(local: TestClient) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update")
    assert page.status_code == 200
    assert 'value="one"' in field(page.text, "label")
    assert 'value="4"' in field(page.text, "size")
    salt = field(page.text, "salt")
    assert '<input type="password" id="param-salt"' in salt and 'value=""' in salt
    assert 'placeholder="(unchanged: leave empty to keep)"' in salt
    assert SECRET not in page.text
    detail = local.get(f"/dashboard/stacks/{stack_id}")
    assert f'href="/dashboard/stacks/{stack_id}/update"' in detail.text


def test_the_preview_comes_before_the_update_and_the_hidden_value_is_kept(
    local: TestClient, ui_service: Service
) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update").text
    preview = post_form(local, stack_id, page, **{"param.label": "two", "param.size": "8"})
    assert preview.status_code == 200
    kinds = dict(
        re.findall(r'<div class="preview-kind" id="preview-(\w+)" data-count="(\d+)"', preview.text)
    )
    assert kinds == {
        "added": "0",
        "updated": "1",
        "replaced": "1",
        "deleted": "0",
        "unchanged": "1",
    }
    rows = dict(re.findall(r'<tr data-resource="(\w+)" data-change="(\w+)">', preview.text))
    assert rows == {"labelled": "updated", "sized": "replaced", "still": "unchanged"}
    labelled = re.search(r'<tr data-resource="labelled".*?</tr>', preview.text, re.S)
    assert labelled and "value : one → two" in text_of(labelled.group(0))
    assert SECRET not in preview.text
    service = ui_service.scoped("default")
    assert service.get(stack_id).spec.parameters["label"] == "one"  # nothing changed yet
    answer = local.post(
        f"/dashboard/stacks/{stack_id}/update/confirm",
        data={"csrf_token": csrf_of(preview.text), "draft": draft_of(preview.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dashboard/stacks/{stack_id}?message=Update+started."
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    stack = service.get(stack_id)
    assert stack.stack_status == "UPDATE_COMPLETE"
    assert stack.spec.parameters == {"label": "two", "size": "8", "salt": SECRET}


def test_a_wrong_value_is_shown_beside_its_field(local: TestClient) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update").text
    answer = post_form(local, stack_id, page, **{"param.size": "100", "param.salt": "x"})
    assert answer.status_code == 400
    error = re.search(r'id="error-size" role="alert">(.*?)</div>', answer.text, re.S)
    assert error and "value must be no greater than 64" in error.group(1)
    assert 'value="100"' in field(answer.text, "size")
    assert 'id="preview"' not in answer.text


def test_a_new_template_brings_its_fields_then_its_preview(local: TestClient) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update").text
    new = template({"fresh": {"type": "OS::Heat::Value", "region": "West",
                              "properties": {"value": {"get_param": "colour"}}}})  # fmt: skip
    new["parameters"]["colour"] = {"type": "string", "description": "A new one."}
    del new["resources"]["still"]
    answer = post_form(local, stack_id, page, template_text=yaml.safe_dump(new))
    assert answer.status_code == 200
    assert "The new template&#39;s parameters" in answer.text
    assert 'aria-required="true"' in field(answer.text, "colour")
    preview = post_form(local, stack_id, answer.text, **{"param.colour": "blue"})
    assert preview.status_code == 200, text_of(preview.text)[:1500]
    rows = dict(re.findall(r'<tr data-resource="(\w+)" data-change="(\w+)">', preview.text))
    assert rows == {
        "fresh": "added", "still": "deleted", "labelled": "unchanged", "sized": "unchanged",
    }  # fmt: skip


def test_another_projects_stack_cannot_be_updated(local: TestClient) -> None:
    theirs = deploy(local, "theirs", template(), project="other", parameters={"salt": SECRET})
    assert local.get(f"/dashboard/stacks/{theirs}/update").status_code == 404
    page = local.get("/dashboard/launch").text
    answer = local.post(
        f"/dashboard/stacks/{theirs}/update/confirm",
        data={"csrf_token": csrf_of(page), "draft": "whatever"},
    )
    assert answer.status_code == 404


def test_update_posts_need_the_csrf_token(local: TestClient) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update").text
    for url in (
        f"/dashboard/stacks/{stack_id}/update",
        f"/dashboard/stacks/{stack_id}/update/confirm",
    ):
        answer = local.post(url, data={**draft_field(page), "param.label": "forged"})
        assert answer.status_code == 403


def test_a_draft_serves_only_its_own_stack_and_flow(local: TestClient, ui_service: Service) -> None:
    first, second = deployed(local), deploy(local, "other", template(), parameters={"salt": "s"})
    page = local.get(f"/dashboard/stacks/{first}/update").text
    preview = post_form(local, first, page, **{"param.label": "changed"})
    assert preview.status_code == 200
    token = draft_of(preview.text)
    data = {"csrf_token": csrf_of(preview.text), "draft": token}
    assert local.post(f"/dashboard/stacks/{second}/update/confirm", data=data).status_code == 404
    assert local.post("/dashboard/launch/confirm", data=data).status_code == 404
    assert local.post("/dashboard/launch/plan", data=data).status_code == 404
    launch = local.post(
        "/dashboard/launch", data={**data, "template_text": yaml.safe_dump(template())}
    )
    assert launch.status_code == 200 and draft_of(launch.text) != token  # a new draft
    confirmed = local.post(f"/dashboard/stacks/{first}/update/confirm", data=data)
    assert confirmed.status_code == 200  # followed to the stack's page: the draft was intact
    local.app.state.executor.wait(first, 30)  # type: ignore[attr-defined]
    service = ui_service.scoped("default")
    assert service.get(first).spec.parameters["label"] == "changed"
    assert service.get(second).stack_status == "CREATE_COMPLETE"
    assert "label" not in service.get(second).spec.parameters  # untouched


def test_back_from_the_preview_shows_the_values_typed(local: TestClient) -> None:
    stack_id = deployed(local)
    page = local.get(f"/dashboard/stacks/{stack_id}/update").text
    preview = post_form(local, stack_id, page, **{"param.label": "three", "param.salt": SECRET})
    back = local.get(f"/dashboard/stacks/{stack_id}/update?draft={draft_of(preview.text)}")
    assert back.status_code == 200
    assert 'value="three"' in field(back.text, "label")
    assert 'value=""' in field(back.text, "salt") and SECRET not in back.text
    assert local.get(f"/dashboard/stacks/{stack_id}/update?draft=nope").status_code == 404
