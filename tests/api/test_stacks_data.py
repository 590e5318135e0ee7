"""A stack's template, environment, files and outputs; Heat's actions; create preview;
abandon, export and adopt."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.heatstacks import (
    BASE,
    TEMPLATE,
    create,
    error,
    region_map,
    show,
    stacks,
    start,
    url,
    wait,
    waiting,
)

__all__ = ["region_map"]


def _act(client: TestClient, name: str, stack_id: str, body: Any) -> Any:
    return client.post(url(name, stack_id, "actions"), json=body)


# ---- template, environment, files, outputs --------------------------------------------------


def test_template_environment_and_files_as_stored_secrets_masked(client: TestClient) -> None:
    stack_id = create(
        client, "s1", {**TEMPLATE, "resources": {
            **TEMPLATE["resources"],
            "motd": {"type": "OS::Heat::Value", "properties": {"value": {"get_file": "motd.txt"}}},
        }},
        files={"motd.txt": "hello"},
        parameters={"label": "green", "password": "given-secret"},
        environment={
            "parameter_defaults": {"length": 10},
            "resource_registry": {"My::None": "OS::Heat::None"},
        },
    )  # fmt: skip
    template = client.get(url("s1", stack_id, "template"))
    assert template.status_code == 200
    assert template.json()["parameters"]["password"] == {
        "type": "string", "hidden": True, "default": "******",
    }  # fmt: skip
    assert template.json()["resources"]["random"] == TEMPLATE["resources"]["random"]
    environment = client.get(url("s1", stack_id, "environment")).json()
    assert environment == {
        "parameters": {"label": "green", "password": "******"},
        "parameter_defaults": {"length": 10},
        "resource_registry": {"My::None": "OS::Heat::None"},
        "encrypted_param_names": [],
        "event_sinks": [],
    }
    assert client.get(url("s1", stack_id, "files")).json() == {"motd.txt": "hello"}
    everything = json.dumps([template.json(), environment, show(client, "s1", stack_id)])
    assert "given-secret" not in everything and "s3cret-default" not in everything


def test_outputs_list_and_show(client: TestClient) -> None:
    stack_id = create(client, "s1")
    listed = client.get(url("s1", stack_id, "outputs"))
    assert listed.status_code == 200
    assert listed.json() == {
        "outputs": [
            {"output_key": "label", "description": "The label"},
            {"output_key": "password", "description": "Hidden"},
        ]
    }
    one = client.get(url("s1", stack_id, "outputs", "label"))
    assert one.json() == {
        "output": {"output_key": "label", "description": "The label", "output_value": "blue"}
    }
    hidden = client.get(url("s1", stack_id, "outputs", "password")).json()["output"]
    assert hidden["output_value"] == "******"
    assert error(client.get(url("s1", stack_id, "outputs", "nope"))) == (
        404,
        "NotFound",
        "Specified output key nope not found.",
    )


# ---- actions ------------------------------------------------------------------------------


def test_an_action_body_names_exactly_one_known_action(client: TestClient) -> None:
    stack_id = create(client, "s1")
    assert error(_act(client, "s1", stack_id, {})) == (400, "HTTPBadRequest", "No action specified")
    assert error(_act(client, "s1", stack_id, {"check": None, "suspend": None})) == (
        400,
        "HTTPBadRequest",
        "Multiple actions specified",
    )
    assert error(_act(client, "s1", stack_id, {"explode": None})) == (
        400,
        "HTTPBadRequest",
        "Invalid action explode specified",
    )


def test_check_answers_null_and_the_stack_goes_through_check(client: TestClient) -> None:
    stack_id = create(client, "s1")
    answer = _act(client, "s1", stack_id, {"check": None})
    assert (answer.status_code, answer.content) == (200, b"null")
    assert answer.headers["content-type"] == "application/json"
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "CHECK_COMPLETE"
    assert stack["stack_status_reason"] == "Stack CHECK completed successfully"
    # By name: a 302, and the client sends the same POST to the Location (keystoneauth does).
    found = client.post(f"{stacks()}/s1/actions", json={"check": None}, follow_redirects=False)
    assert found.status_code == 302
    assert client.post(found.headers["Location"], json={"check": None}).status_code == 200
    wait(client, stack_id)


def test_suspend_and_resume_are_not_supported_naming_the_types(client: TestClient) -> None:
    stack_id = create(client, "s1")
    for action in ("suspend", "resume"):
        status, kind, message = error(_act(client, "s1", stack_id, {action: None}))
        assert (status, kind) == (400, "NotSupported")
        assert message.endswith(" is not supported.")
        for named in ("OS::Heat::RandomString (random)", "OS::Heat::Value (label)"):
            assert named in message
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_cancel_update_only_while_updating(client: TestClient) -> None:
    stack_id = create(client, "s1")
    assert error(_act(client, "s1", stack_id, {"cancel_update": None})) == (
        400,
        "NotSupported",
        "Cancelling update when stack is CREATE_COMPLETE is not supported.",
    )
    assert error(_act(client, "s1", stack_id, {"cancel_without_rollback": None}))[:2] == (
        400,
        "NotSupported",
    )


def test_cancel_update_rolls_the_update_back(client: TestClient) -> None:
    template = waiting(0, then="after")
    stack_id = create(client, "s1", template, disable_rollback=False)
    slow = {"type": "OS::Heat::TestResource", "properties": {"value": "new", "wait_secs": 3}}
    slower = {**template, "resources": {**template["resources"], "slow": slow}}
    assert client.put(url("s1", stack_id), json={"template": slower}).status_code == 202
    answer = _act(client, "s1", stack_id, {"cancel_update": None})
    assert (answer.status_code, answer.content) == (200, b"null")
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]


def test_cancel_without_rollback_stops_a_create(client: TestClient) -> None:
    stack_id = start(client, "s1", waiting(2, then="after"), disable_rollback=True)
    service = client.app.state.service.scoped("alpha")  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # cancel once `slow` has started (a loaded machine)
        if {r.name: r.resource_status for r in service.resources(stack_id)}.get("slow") == (
            "CREATE_IN_PROGRESS"
        ):
            break
        time.sleep(0.05)
    answer = _act(client, "s1", stack_id, {"cancel_without_rollback": None})
    assert (answer.status_code, answer.content) == (200, b"null")
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "CREATE_FAILED", stack["stack_status_reason"]
    states = {r.name: r.resource_status for r in service.resources(stack_id)}
    # as in Heat: the wait of the resource in progress is cut short, the next never starts
    assert states == {"slow": "CREATE_FAILED", "after": "INIT_COMPLETE"}
    reasons = {r.name: r.status_reason for r in service.resources(stack_id)}
    assert "cancelled" in reasons["slow"], reasons


# ---- preview, abandon, export, adopt ------------------------------------------------------


def test_create_preview_shows_the_stack_and_its_resources_without_making_them(
    client: TestClient,
) -> None:
    answer = client.post(
        f"{stacks()}/preview",
        json={"stack_name": "p1", "template": TEMPLATE, "parameters": {"length": 5}, "tags": "x"},
    )
    assert answer.status_code == 200, answer.text
    preview = answer.json()["stack"]
    assert preview["id"] == "None"
    assert preview["links"] == [{"href": f"{BASE}/v1/alpha/stacks/p1/None", "rel": "self"}]
    assert "stack_status" not in preview
    assert preview["tags"] == ["x"]
    assert preview["parameters"]["password"] == "******"
    assert preview["parameters"]["length"] == "5"
    resources = {r["resource_name"]: r for r in preview["resources"]}
    assert set(resources) == {"random", "label", "nothing"}
    random = resources["random"]
    assert (random["resource_action"], random["resource_status"]) == ("INIT", "COMPLETE")
    assert random["properties"] == {"length": 5}
    assert random["required_by"] == []
    assert resources["label"]["region"] == "West"
    assert client.get(stacks()).json()["stacks"] == []
    create(client, "p1")
    taken = client.post(f"{stacks()}/preview", json={"stack_name": "p1", "template": TEMPLATE})
    assert error(taken) == (409, "StackExists", "The Stack (p1) already exists.")


def test_export_gives_the_abandon_data_and_keeps_the_stack(client: TestClient) -> None:
    stack_id = create(client, "s1", tags="t")
    answer = client.get(url("s1", stack_id, "export"))
    assert answer.status_code == 200
    data = answer.json()
    assert (data["id"], data["name"], data["action"], data["status"]) == (
        stack_id, "s1", "CREATE", "COMPLETE",
    )  # fmt: skip
    assert data["project_id"] == "alpha" and data["tags"] == ["t"]
    assert set(data["resources"]) == {"random", "label", "nothing"}
    label = data["resources"]["label"]
    assert (label["type"], label["action"], label["status"]) == (
        "OS::Heat::Value",
        "CREATE",
        "COMPLETE",
    )
    assert label["resource_id"]
    assert data["template"]["parameters"]["password"]["default"] == "******"
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_abandon_gives_the_data_and_forgets_the_stack(client: TestClient) -> None:
    stack_id = create(client, "s1")
    answer = client.delete(url("s1", stack_id, "abandon"))
    assert answer.status_code == 200
    assert set(answer.json()["resources"]) == {"random", "label", "nothing"}
    assert client.get(stacks()).json()["stacks"] == []
    assert error(client.get(f"{stacks()}/s1"))[0] == 404
    assert show(client, "s1", stack_id)["stack_status"] == "DELETE_COMPLETE"
    assert error(client.delete(url("s1", stack_id, "abandon")))[0] == 404


def test_adopt_makes_a_stack_of_abandon_data(client: TestClient) -> None:
    stack_id = create(client, "s1", parameters={"label": "green"})
    data = client.delete(url("s1", stack_id, "abandon")).json()
    # The secret was masked on the way out: adopting gives it again.
    answer = client.post(
        stacks(),
        json={
            "stack_name": "s2",
            "adopt_stack_data": json.dumps(data),
            "parameters": {"password": "another"},
            "disable_rollback": True,
        },
    )
    assert answer.status_code == 201, answer.text
    adopted = answer.json()["stack"]["id"]
    wait(client, adopted)
    stack = show(client, "s2", adopted)
    assert stack["stack_status"] == "ADOPT_COMPLETE", stack["stack_status_reason"]
    assert stack["stack_status_reason"] == "Stack ADOPT completed successfully"
    assert stack["parameters"]["label"] == "green"
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs["label"] == "green"


def test_an_adopt_takes_the_hidden_values_back_from_the_sealed_abandon_data(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1")
    data = client.delete(url("s1", stack_id, "abandon")).json()
    assert "s3cret-default" not in json.dumps(data)  # the hidden default: sealed
    assert data["crossheat_sealed_hidden"].startswith("enc:")
    body = {"stack_name": "s2", "adopt_stack_data": data, "disable_rollback": True}
    answer = client.post(stacks(), json=body)  # the hidden value not given again
    assert answer.status_code == 201, answer.text
    adopted = answer.json()["stack"]["id"]
    wait(client, adopted)
    stack = show(client, "s2", adopted)
    assert stack["stack_status"] == "ADOPT_COMPLETE", stack["stack_status_reason"]
    assert stack["parameters"]["password"] == "******"
