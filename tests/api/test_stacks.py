"""Heat's stack create, show, lookups by name or id, and delete (Heat's API reference:
status codes, ``Location``, bodies, faults), projects kept apart."""

from __future__ import annotations

import json
import time

import yaml
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


# ---- create -------------------------------------------------------------------------------


def test_create_answers_201_with_the_location_and_only_the_id_and_links(
    client: TestClient,
) -> None:
    answer = client.post(stacks(), json={"stack_name": "s1", "template": waiting(1.5)})
    assert answer.status_code == 201
    assert answer.headers["content-type"] == "application/json"
    stack_id = answer.json()["stack"]["id"]
    href = f"{BASE}/v1/alpha/stacks/s1/{stack_id}"
    assert answer.headers["Location"] == href
    assert answer.json() == {"stack": {"id": stack_id, "links": [{"href": href, "rel": "self"}]}}
    # Answered as soon as the stack is recorded: the server's executor runs the create.
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_IN_PROGRESS"
    wait(client, stack_id)
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE"
    assert stack["stack_status_reason"] == "Stack CREATE completed successfully"


def test_a_template_given_as_yaml_text_with_parameters_and_tags(client: TestClient) -> None:
    stack_id = create(
        client, "s1", yaml.safe_dump(TEMPLATE), parameters={"label": "green", "length": 12},
        tags="web,prod", timeout_mins="30", disable_rollback=False,
    )  # fmt: skip
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE"
    assert stack["parameters"]["label"] == "green"
    assert stack["parameters"]["length"] == "12"
    assert stack["tags"] == ["web", "prod"]
    assert (stack["timeout_mins"], stack["disable_rollback"]) == (30, False)
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs["label"] == "green"


def test_files_and_environment_files_as_heatclient_sends_them(client: TestClient) -> None:
    template = {
        "heat_template_version": "2018-08-31",
        "parameters": {"greeting": {"type": "string"}},
        "resources": {
            "script": {"type": "OS::Heat::Value", "properties": {"value": {"get_file": "file:///tmp/t/hello.sh"}}},
            "said": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "greeting"}}},
        },
        "outputs": {
            "script": {"value": {"get_attr": ["script", "value"]}},
            "said": {"value": {"get_attr": ["said", "value"]}},
        },
    }  # fmt: skip
    env = json.dumps({"parameters": {"greeting": "from the env file"}})
    stack_id = create(
        client, "s1", template,
        files={"file:///tmp/t/hello.sh": "echo hello\n", "file:///tmp/t/env.yaml": env},
        environment_files=["file:///tmp/t/env.yaml"],
        environment={"parameters": {"greeting": "ignored: environment_files win"}},
    )  # fmt: skip
    stack = show(client, "s1", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs == {"script": "echo hello\n", "said": "from the env file"}


def test_a_request_without_a_json_body_is_400(client: TestClient) -> None:
    for answer in (
        client.post(stacks()),
        client.post(stacks(), content=b"stack_name=s1", headers={"Content-Type": "text/csv"}),
        client.post(stacks(), content=b'["s1"]', headers={"Content-Type": "application/json"}),
    ):
        assert error(answer) == (
            400,
            "HTTPBadRequest",
            "The server could not comply with the request since it is either malformed or "
            "otherwise incorrect.",
        )
    malformed = client.post(stacks(), content=b'{"stack_name": ', headers={"Content-Type": ""})
    assert error(malformed)[:2] == (400, "HTTPBadRequest")


def test_what_heat_refuses_in_a_create_body(client: TestClient) -> None:
    def refusal(**body: object) -> tuple[int, str, str]:
        return error(client.post(stacks(), json=body))

    assert refusal(template=TEMPLATE) == (400, "HTTPBadRequest", "No stack name specified")
    assert refusal(stack_name="s1") == (400, "HTTPBadRequest", "No template specified")
    assert refusal(stack_name="s1", template="resources: {}") == (
        400,
        "HTTPBadRequest",
        "Template not in valid format: Template format version not found.",
    )
    assert refusal(stack_name="s1", template=TEMPLATE, converge=True) == (
        400,
        "HTTPBadRequest",
        "converge flag only supported in stack update (or update preview) request.",
    )
    assert refusal(stack_name="s1", template=TEMPLATE, tags=["a", "b"])[0] == 400
    assert refusal(stack_name="s1", template=TEMPLATE, tags="x" * 81) == (
        400,
        "HTTPBadRequest",
        f'Invalid tag, "{"x" * 81}" is longer than 80 characters',
    )
    assert refusal(stack_name="s1", template=TEMPLATE, environment={"outputs": {}}) == (
        400,
        "HTTPBadRequest",
        'Environment not in valid format: environment has wrong section "outputs"',
    )
    assert refusal(stack_name="s1", template=TEMPLATE, environment_files=[{"a": 1}]) == (
        400,
        "HTTPBadRequest",
        "environment_files must be a list of names in files",
    )
    status, kind, message = refusal(
        stack_name="s1", template=TEMPLATE, environment={"parameters": "x", "event_sinks": 5}
    )
    assert (status, kind) == (400, "StackValidationFailed")
    assert "environment section 'parameters' must be a map" in message
    assert "environment section 'event_sinks' must be a list" in message
    unknown = {**TEMPLATE, "resources": {"r": {"type": "OS::Nowhere::Thing"}}}
    status, kind, message = refusal(stack_name="s1", template=unknown)
    assert (status, kind) == (400, "StackValidationFailed")
    assert "OS::Nowhere::Thing" in message
    assert client.get(stacks()).json()["stacks"] == []


def test_bodies_and_templates_over_heats_limits_are_400(client: TestClient) -> None:
    big = {"stack_name": "s1", "template": TEMPLATE, "files": {"f": "x" * 1048576}}
    status, kind, message = error(client.post(stacks(), json=big))
    assert (status, kind) == (400, "RequestLimitExceeded")
    assert "exceeds maximum allowed size (1048576 bytes)" in message
    padded = {**TEMPLATE, "description": "x" * 524288}
    status, kind, message = error(
        client.post(stacks(), json={"stack_name": "s1", "template": padded})
    )
    assert (status, kind) == (400, "RequestLimitExceeded")
    assert "exceeds maximum allowed size (524288 bytes)" in message


def test_stack_names_follow_heats_rule(client: TestClient) -> None:
    for bad in ("1stack", "_x", "a b", "x" * 256, "ok/no"):
        answer = client.post(stacks(), json={"stack_name": bad, "template": TEMPLATE})
        assert error(answer) == (
            400,
            "StackValidationFailed",
            f"Invalid stack name {bad} must contain only alphanumeric or "
            '"_-." characters, must start with alpha and must be 255 characters or less.',
        )
    create(client, "a" + "b" * 254)
    create(client, "A.b-c_9")


def test_names_are_unique_per_project(client: TestClient) -> None:
    create(client, "s1")
    again = client.post(stacks(), json={"stack_name": "s1", "template": TEMPLATE})
    assert error(again) == (409, "StackExists", "The Stack (s1) already exists.")
    client.headers["X-Auth-Token"] = "tok-beta"
    answer = client.post(stacks("beta"), json={"stack_name": "s1", "template": TEMPLATE})
    assert answer.status_code == 201
    wait(client, answer.json()["stack"]["id"])


# ---- show ---------------------------------------------------------------------------------


def test_show_gives_heats_fields_with_parameters_as_text_and_secrets_masked(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1", tags="a")
    stack = show(client, "s1", stack_id)
    href = f"{BASE}/v1/alpha/stacks/s1/{stack_id}"
    assert stack["links"] == [{"href": href, "rel": "self"}]
    assert stack["id"] == stack_id
    assert stack["stack_name"] == "s1"
    assert stack["description"] == stack["template_description"] == "A stack of Heat's own types"
    assert stack["parameters"] == {
        "length": "8",
        "password": "******",
        "label": "blue",
        "OS::stack_id": stack_id,
        "OS::stack_name": "s1",
        "OS::project_id": "alpha",
    }
    assert stack["outputs"] == [
        {"output_key": "label", "description": "The label", "output_value": "blue"},
        {"output_key": "password", "description": "Hidden", "output_value": "******"},
    ]
    assert stack["creation_time"].endswith("Z") and stack["updated_time"] is None
    assert stack["deletion_time"] is None
    assert stack["tags"] == ["a"]
    assert stack["regions"] == ["East", "West"]
    assert (stack["notification_topics"], stack["capabilities"]) == ([], [])
    assert "project" not in stack
    assert "s3cret-default" not in json.dumps(stack)
    unresolved = show(client, "s1", stack_id, resolve_outputs="False")
    assert "outputs" not in unresolved
    assert unresolved == {k: v for k, v in stack.items() if k != "outputs"}


def test_show_of_a_stack_without_tags_has_an_empty_list(client: TestClient) -> None:
    stack_id = create(client, "s1")
    assert show(client, "s1", stack_id)["tags"] == []


# ---- lookups by name or id ----------------------------------------------------------------


def test_a_name_or_id_is_redirected_to_the_canonical_url_for_every_verb(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1")
    canonical = f"{BASE}/v1/alpha/stacks/s1/{stack_id}"
    for key in ("s1", stack_id):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            answer = client.request(method, f"{stacks()}/{key}", follow_redirects=False)
            assert answer.status_code == 302, (method, answer.text)
            assert answer.headers["Location"] == canonical
            assert answer.json()["code"] == "302 Found"


def test_the_query_is_kept_in_the_location(client: TestClient) -> None:
    stack_id = create(client, "s1")
    answer = client.get(
        f"{stacks()}/s1/events?sort_dir=asc&marker=m&resource_name=a&resource_name=b",
        follow_redirects=False,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == (
        f"{BASE}/v1/alpha/stacks/s1/{stack_id}/events"
        "?sort_dir=asc&marker=m&resource_name=a&resource_name=b"
    )
    shown = client.get(f"{stacks()}/s1?resolve_outputs=false")
    assert shown.status_code == 200 and "outputs" not in shown.json()["stack"]


def test_heats_sub_paths_are_redirected_and_no_others(client: TestClient) -> None:
    stack_id = create(client, "s1")
    for sub in ("resources", "events", "template", "actions", "environment", "files"):
        answer = client.get(f"{stacks()}/s1/{sub}", follow_redirects=False)
        assert (answer.status_code, answer.headers["Location"]) == (
            302,
            f"{BASE}/v1/alpha/stacks/s1/{stack_id}/{sub}",
        )
    for sub in ("resources", "events", "template", "actions"):
        answer = client.post(f"{stacks()}/s1/{sub}", json={}, follow_redirects=False)
        assert answer.status_code == 302, sub
    assert client.post(f"{stacks()}/s1/files", json={}).status_code == 405
    # Heat matches these as /stacks/{name}/{id} with id "outputs": not found.
    assert error(client.get(f"{stacks()}/s1/outputs")) == (
        404,
        "EntityNotFound",
        "The Stack (s1) could not be found.",
    )


def test_the_canonical_url_needs_the_stacks_own_name_and_id(client: TestClient) -> None:
    stack_id = create(client, "s1")
    assert error(client.get(url("other", stack_id))) == (
        404,
        "EntityNotFound",
        "The Stack (other) could not be found.",
    )
    assert error(client.get(f"{stacks()}/nothing-here")) == (
        404,
        "EntityNotFound",
        "The Stack (nothing-here) could not be found.",
    )
    # POST /stacks/preview is a preview; GET /stacks/preview looks a stack up.
    assert error(client.get(f"{stacks()}/preview"))[:2] == (404, "EntityNotFound")


def test_the_arn_of_a_stack_is_redirected_without_a_lookup(client: TestClient) -> None:
    answer = client.get(
        f"{stacks()}/arn:openstack:heat::alpha:stacks/s9/1234/resources/r",
        follow_redirects=False,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{BASE}/v1/alpha/stacks/s9/1234/resources/r"


def test_another_projects_stack_cannot_be_seen(client: TestClient) -> None:
    stack_id = create(client, "s1")
    client.headers["X-Auth-Token"] = "tok-beta"
    for path in (url("s1", stack_id, tenant="beta"), f"{stacks('beta')}/s1"):
        assert error(client.get(path)) == (
            404,
            "EntityNotFound",
            "The Stack (s1) could not be found.",
        )
    assert error(client.delete(url("s1", stack_id, tenant="beta")))[0] == 404
    assert client.get(stacks("beta")).json()["stacks"] == []
    assert error(client.get(url("s1", stack_id)))[0] == 403  # alpha's path, beta's token
    client.headers["X-Auth-Token"] = "tok-alpha"
    assert show(client, "s1", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_an_admin_finds_any_projects_stack_by_id_but_names_in_its_own_project(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1")
    client.headers["X-Auth-Token"] = "tok-admin"
    found = client.get(f"{stacks('ops')}/{stack_id}", follow_redirects=False)
    assert found.status_code == 302
    assert found.headers["Location"] == f"{BASE}/v1/alpha/stacks/s1/{stack_id}"
    stack = client.get(found.headers["Location"]).json()["stack"]
    assert (stack["stack_name"], stack["parameters"]["OS::project_id"]) == ("s1", "alpha")
    assert stack["links"][0]["href"] == f"{BASE}/v1/alpha/stacks/s1/{stack_id}"
    assert error(client.get(f"{stacks('ops')}/s1"))[:2] == (404, "EntityNotFound")


# ---- delete -------------------------------------------------------------------------------


def test_delete_answers_204_and_the_deleted_stack_is_found_by_id_only(
    client: TestClient,
) -> None:
    stack_id = create(client, "s1")
    answer = client.delete(url("s1", stack_id))
    assert (answer.status_code, answer.content) == (204, b"")
    wait(client, stack_id)
    deleted = client.get(f"{stacks()}/{stack_id}")  # followed: 302 then the show
    assert deleted.status_code == 200
    stack = deleted.json()["stack"]
    assert stack["stack_status"] == "DELETE_COMPLETE"
    assert stack["deletion_time"] is not None
    assert "outputs" not in stack
    assert error(client.get(f"{stacks()}/s1"))[:2] == (404, "EntityNotFound")
    assert error(client.delete(url("s1", stack_id))) == (
        404,
        "EntityNotFound",
        "The Stack (s1) could not be found.",
    )
    assert client.get(url("s1", stack_id, "template")).status_code == 200
    assert error(client.get(url("s1", stack_id, "outputs")))[0] == 404


def test_delete_by_name_is_redirected_and_deletes(client: TestClient) -> None:
    stack_id = create(client, "s1")
    answer = client.delete(f"{stacks()}/s1", follow_redirects=False)
    assert answer.status_code == 302
    assert client.delete(answer.headers["Location"]).status_code == 204
    wait(client, stack_id)
    assert client.get(stacks()).json()["stacks"] == []


# ---- a show held until the operation ends (crossheat's ``wait``) --------------------------


def test_a_show_with_wait_is_answered_once_the_operation_has_ended(client: TestClient) -> None:
    stack_id = start(client, "held", waiting(1.0))
    assert show(client, "held", stack_id)["stack_status"] == "CREATE_IN_PROGRESS"
    began = time.monotonic()
    held = show(client, "held", stack_id, wait="20")
    took = time.monotonic() - began
    assert held["stack_status"] == "CREATE_COMPLETE"
    assert "operation_in_progress" not in held
    assert took < 10  # the operation's end, not the 20 s asked for
    # A stack no operation runs on is answered at once.
    began = time.monotonic()
    assert show(client, "held", stack_id, wait="20")["stack_status"] == "CREATE_COMPLETE"
    assert time.monotonic() - began < 2


def test_a_show_is_held_no_longer_than_the_wait_asked_for(client: TestClient) -> None:
    stack_id = start(client, "long", waiting(2.5))
    began = time.monotonic()
    assert show(client, "long", stack_id, wait="1")["stack_status"] == "CREATE_IN_PROGRESS"
    assert 0.9 < time.monotonic() - began < 2.4
    wait(client, stack_id)


def test_wait_must_be_a_number_of_seconds(client: TestClient) -> None:
    stack_id = create(client, "plain")
    answer = client.get(url("plain", stack_id), params={"wait": "soon"})
    assert error(answer)[0] == 400
    assert "wait" in error(answer)[2]
