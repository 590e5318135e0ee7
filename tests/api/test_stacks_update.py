"""Heat's stack updates: PUT replaces the template and environment, PATCH keeps what it is
not given; both answer 202 with the stack already UPDATE_IN_PROGRESS; update previews."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.api.heatstacks import TEMPLATE, create, error, region_map, show, url, wait

__all__ = ["region_map"]

SLOW_UPDATE: dict[str, Any] = {
    "heat_template_version": "2018-08-31",
    "parameters": {"value": {"type": "string", "default": "one"}},
    "resources": {
        "slow": {
            "type": "OS::Heat::TestResource",
            "properties": {"value": {"get_param": "value"}, "action_wait_secs": {"update": 2}},
        }
    },
    "outputs": {"value": {"value": {"get_attr": ["slow", "output"]}}},
}


def _outputs(client: TestClient, name: str, stack_id: str) -> dict[str, Any]:
    return {o["output_key"]: o["output_value"] for o in show(client, name, stack_id)["outputs"]}


def test_patch_answers_202_with_the_stack_already_updating(client: TestClient) -> None:
    stack_id = create(client, "s1", SLOW_UPDATE)
    answer = client.patch(url("s1", stack_id), json={"parameters": {"value": "two"}})
    assert answer.status_code == 202
    assert answer.json()["code"] == "202 Accepted"
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "UPDATE_IN_PROGRESS"
    again = client.patch(url("s1", stack_id), json={"parameters": {"value": "three"}})
    assert error(again) == (
        409, "ActionInProgress", "Stack s1 already has an action (UPDATE) in progress.",
    )  # fmt: skip
    for other in (
        client.delete(url("s1", stack_id)),
        client.post(url("s1", stack_id, "actions"), json={"check": None}),
        client.delete(url("s1", stack_id, "abandon")),
    ):
        assert error(other)[:2] == (409, "ActionInProgress")
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "UPDATE_COMPLETE"
    assert stack["updated_time"] is not None
    assert _outputs(client, "s1", stack_id) == {"value": "two"}


def test_patch_keeps_the_template_parameters_and_tags_it_is_not_given(
    client: TestClient,
) -> None:
    stack_id = create(
        client, "s1", parameters={"label": "green", "length": 10}, tags="keep",
        timeout_mins=20, disable_rollback=False,
    )  # fmt: skip
    answer = client.patch(url("s1", stack_id), json={"parameters": {"length": 12}})
    assert answer.status_code == 202
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert (stack["parameters"]["label"], stack["parameters"]["length"]) == ("green", "12")
    assert stack["tags"] == ["keep"]
    assert (stack["timeout_mins"], stack["disable_rollback"]) == (20, False)
    # clear_parameters: back to the template's default.
    cleared = client.patch(url("s1", stack_id), json={"clear_parameters": ["label"], "tags": "new"})
    assert cleared.status_code == 202
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert (stack["parameters"]["label"], stack["parameters"]["length"]) == ("blue", "12")
    assert stack["tags"] == ["new"]
    assert _outputs(client, "s1", stack_id)["label"] == "blue"


def test_patch_merges_environments_and_files(client: TestClient) -> None:
    template = yaml.safe_load("""
        heat_template_version: "2018-08-31"
        parameters:
          a: {type: string}
          b: {type: string, default: b0}
        resources:
          file: {type: OS::Heat::Value, properties: {value: {get_file: data.txt}}}
          ab:
            type: OS::Heat::Value
            properties: {value: {list_join: ["-", [{get_param: a}, {get_param: b}]]}}
        outputs:
          file: {value: {get_attr: [file, value]}}
          ab: {value: {get_attr: [ab, value]}}
    """)
    stack_id = create(
        client, "s1", template, files={"data.txt": "v1"},
        environment={"parameter_defaults": {"a": "a1"}},
    )  # fmt: skip
    assert _outputs(client, "s1", stack_id) == {"file": "v1", "ab": "a1-b0"}
    answer = client.patch(
        url("s1", stack_id),
        json={"files": {"data.txt": "v2"}, "environment": {"parameter_defaults": {"b": "b2"}}},
    )
    assert answer.status_code == 202
    wait(client, stack_id)
    assert show(client, "s1", stack_id)["stack_status"] == "UPDATE_COMPLETE"
    assert _outputs(client, "s1", stack_id) == {"file": "v2", "ab": "a1-b2"}


def test_put_replaces_the_template_environment_parameters_and_tags(client: TestClient) -> None:
    stack_id = create(client, "s1", parameters={"label": "green"}, tags="old", timeout_mins=5)
    smaller = {
        **TEMPLATE,
        "resources": {k: v for k, v in TEMPLATE["resources"].items() if k != "nothing"},
    }
    answer = client.put(
        url("s1", stack_id), json={"template": smaller, "parameters": {"length": 9}}
    )
    assert answer.status_code == 202
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert (stack["parameters"]["label"], stack["parameters"]["length"]) == ("blue", "9")
    assert stack["tags"] == []
    assert stack["timeout_mins"] == 5  # not given: the stack's own is kept
    assert "nothing" not in client.get(url("s1", stack_id, "template")).json()["resources"]


def test_put_without_a_template_is_400_and_updates_of_unknown_stacks_404(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1")
    assert error(client.put(url("s1", stack_id), json={"parameters": {}})) == (
        400,
        "HTTPBadRequest",
        "No template specified",
    )
    assert error(client.put(url("s1", stack_id)))[0] == 400  # no body at all
    assert error(client.patch(url("s2", stack_id), json={}))[:2] == (404, "EntityNotFound")
    client.headers["X-Auth-Token"] = "tok-beta"
    answer = client.patch(url("s1", stack_id, tenant="beta"), json={})
    assert error(answer) == (404, "EntityNotFound", "The Stack (s1) could not be found.")


def test_an_invalid_update_changes_nothing(client: TestClient) -> None:
    stack_id = create(client, "s1")
    answer = client.patch(url("s1", stack_id), json={"parameters": {"nope": "x"}})
    assert error(answer)[:2] == (400, "StackValidationFailed")
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_update_previews_list_each_resource_in_heats_engine_format(client: TestClient) -> None:
    stack_id = create(client, "s1")
    changed = {
        **TEMPLATE,
        "resources": {
            **{k: v for k, v in TEMPLATE["resources"].items() if k != "nothing"},
            "extra": {"type": "OS::Heat::None"},
        },
    }
    answer = client.put(
        url("s1", stack_id, "preview"), json={"template": changed, "parameters": {"length": 9}}
    )
    assert answer.status_code == 200
    changes = answer.json()["resource_changes"]
    named = {kind: [r["resource_name"] for r in found] for kind, found in changes.items()}
    assert named == {
        "added": ["extra"],
        "deleted": ["nothing"],
        "replaced": ["random"],
        "unchanged": ["label"],
        "updated": [],
    }
    random = changes["replaced"][0]
    assert (random["resource_action"], random["resource_status"]) == ("CREATE", "COMPLETE")
    assert random["resource_type"] == "OS::Heat::RandomString"
    assert random["physical_resource_id"] != ""
    assert random["stack_identity"] == {
        "tenant": "alpha", "stack_name": "s1", "stack_id": stack_id, "path": "",
    }  # fmt: skip
    assert random["resource_identity"]["path"] == "/resources/random"
    extra = changes["added"][0]
    assert (extra["resource_action"], extra["resource_status"]) == ("INIT", "COMPLETE")
    assert extra["region"] == "East"
    patched = client.patch(url("s1", stack_id, "preview"), json={"parameters": {"label": "red"}})
    named = {
        k: [r["resource_name"] for r in v] for k, v in patched.json()["resource_changes"].items()
    }
    assert named["updated"] == ["label"] and named["replaced"] == []
    # crossheat's own fields, as the local preview shows them: why, and what changes
    label = patched.json()["resource_changes"]["updated"][0]
    assert label["reason"] and [c["property"] for c in label["changes"]] == ["value"]
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_COMPLETE"  # nothing changed


def test_patch_with_a_new_template_drops_the_parameters_it_no_longer_has(
    client: TestClient,
) -> None:
    stack_id = create(
        client, "s1", parameters={"label": "green"}, environment={"parameters": {"length": 10}}
    )
    bare = {"heat_template_version": "2018-08-31", "resources": {"n": {"type": "OS::Heat::None"}}}
    answer = client.patch(url("s1", stack_id), json={"template": bare})
    assert answer.status_code == 202, answer.text
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert "label" not in stack["parameters"] and "length" not in stack["parameters"]
