"""Software config and deployment routes, written from Heat's API reference and
heat-tempest-plugin's ``softwareconfig.yaml``: stored records with Heat's CRUD, one
project's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

CONFIGS = "/v1/alpha/software_configs"
DEPLOYMENTS = "/v1/alpha/software_deployments"
BETA = {"X-Auth-Token": "tok-beta"}


def make_config(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post(CONFIGS, json={"name": "hello", "group": "script", **body})
    assert answer.status_code == 200, answer.text
    config: dict[str, Any] = answer.json()["software_config"]
    return config


def test_the_tempest_plugins_software_config_scenario(client: TestClient) -> None:
    config = make_config(client, config="#!/bin/sh -x\necho hello")
    assert set(config) == {
        "id", "name", "group", "config", "inputs", "outputs", "options", "creation_time",
    }  # fmt: skip
    assert (config["inputs"], config["outputs"], config["options"]) == ([], [], {})
    shown = client.get(f"{CONFIGS}/{config['id']}")
    assert shown.json()["software_config"] == config
    created = client.post(
        DEPLOYMENTS,
        json={"action": "ACTION0", "config_id": config["id"], "server_id": "dummy_server"},
    )
    assert created.status_code == 200
    deployment = created.json()["software_deployment"]
    assert deployment == {
        "id": deployment["id"],
        "config_id": config["id"],
        "server_id": "dummy_server",
        "input_values": {},
        "output_values": None,
        "action": "ACTION0",
        "status": "COMPLETE",
        "status_reason": "",
        "creation_time": deployment["creation_time"],
    }
    url = f"{DEPLOYMENTS}/{deployment['id']}"
    assert client.get(url).json()["software_deployment"] == deployment
    metadata = client.get(f"{DEPLOYMENTS}/metadata/dummy_server").json()["metadata"]
    assert [m["group"] for m in metadata] == ["script"]
    assert metadata[0]["config"] == "#!/bin/sh -x\necho hello"
    body = {"action": "ACTION1", "status": "COMPLETE", "status_reason": "completed"}
    updated = client.put(url, json=body).json()["software_deployment"]
    assert (updated["action"], updated["status_reason"]) == ("ACTION1", "completed")
    assert updated["updated_time"].endswith("Z")
    listed = client.get(CONFIGS).json()["software_configs"]
    assert [(c["id"], c["group"]) for c in listed] == [(config["id"], "script")]
    assert "config" not in listed[0] and "project" not in listed[0]
    deployments = client.get(DEPLOYMENTS).json()["software_deployments"]
    assert [d["server_id"] for d in deployments] == ["dummy_server"]
    assert client.get(DEPLOYMENTS, params={"server_id": "other"}).json() == {
        "software_deployments": []
    }
    referenced = client.delete(f"{CONFIGS}/{config['id']}")
    assert referenced.status_code == 400
    assert referenced.json()["error"]["message"] == (
        f"Software config with id {config['id']} can not be deleted as it is referenced."
    )
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(f"{CONFIGS}/{config['id']}").status_code == 204
    gone = client.get(f"{CONFIGS}/{config['id']}")
    assert gone.status_code == 404
    assert gone.json()["error"] == {
        "type": "NotFound",
        "message": f"Software config with id {config['id']} not found",
        "traceback": None,
    }


def test_inputs_and_outputs_are_completed_as_heat_stores_them(client: TestClient) -> None:
    config = make_config(
        client,
        inputs=[
            {"name": "foo"},
            {"name": "bar", "type": "Number", "default": 1, "replace_on_change": True},
        ],
        outputs=[{"name": "result", "description": "what came out"}],
        options={"opt": 1},
    )
    assert config["inputs"] == [
        {"name": "foo", "type": "String"},
        {"name": "bar", "type": "Number", "default": 1, "replace_on_change": True},
    ]
    assert config["outputs"] == [
        {"name": "result", "description": "what came out", "type": "String", "error_output": False}
    ]
    assert config["options"] == {"opt": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": "foo"}, "Software Config I/O Schema must be in a list"),
        ({"outputs": ["foo"]}, "Software Config I/O Schema must be a dict"),
        ({"inputs": [{"type": "String"}]}, "inputs[0].name: property 'name' is required"),
        ({"outputs": [{"name": "x", "type": "Text"}]}, "outputs[0].type: 'Text' is not an allowed"),
    ],
)  # fmt: skip
def test_bad_configs_are_400(client: TestClient, body: dict[str, Any], message: str) -> None:
    answer = client.post(CONFIGS, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith(message)
    assert client.get(CONFIGS).json() == {"software_configs": []}


def test_deployments_need_a_config_of_the_project_and_a_server(client: TestClient) -> None:
    config = make_config(client)
    no_config = client.post(DEPLOYMENTS, json={"config_id": "nope", "server_id": "s"})
    assert no_config.status_code == 400
    assert no_config.json()["error"] == {
        "type": "Invalid",
        "message": "Data supplied was not valid: Config with id nope not found",
        "traceback": None,
    }
    theirs = client.post(
        "/v1/beta/software_deployments",
        json={"config_id": config["id"], "server_id": "s"},
        headers=BETA,
    )
    assert theirs.status_code == 400
    no_server = client.post(DEPLOYMENTS, json={"config_id": config["id"]})
    assert no_server.status_code == 400
    assert client.post(DEPLOYMENTS).status_code == 400


def test_update_changes_only_what_is_given(client: TestClient) -> None:
    first, second = make_config(client, name="a"), make_config(client, name="b")
    made = client.post(
        DEPLOYMENTS,
        json={"config_id": first["id"], "server_id": "s", "input_values": {"x": 1}},
    ).json()["software_deployment"]
    url = f"{DEPLOYMENTS}/{made['id']}"
    changed = client.put(
        url,
        json={"output_values": {"deploy_stdout": "ok"}, "status": None, "config_id": second["id"]},
    ).json()["software_deployment"]
    assert changed["output_values"] == {"deploy_stdout": "ok"}
    assert changed["status"] == "COMPLETE" and changed["input_values"] == {"x": 1}
    assert changed["config_id"] == second["id"]
    metadata = client.get(f"{DEPLOYMENTS}/metadata/s").json()["metadata"]
    assert [m["name"] for m in metadata] == ["b"]
    assert client.put(f"{DEPLOYMENTS}/nope", json={"status": "FAILED"}).status_code == 404
    assert client.put(url, json={"config_id": "nope"}).status_code == 400


def test_projects_are_kept_apart_and_an_admin_lists_all(client: TestClient) -> None:
    mine = make_config(client)
    assert client.get(f"/v1/beta/software_configs/{mine['id']}", headers=BETA).status_code == 404
    assert client.get("/v1/beta/software_configs", headers=BETA).json() == {"software_configs": []}
    assert client.delete(f"/v1/beta/software_configs/{mine['id']}", headers=BETA).status_code == (
        404
    )
    refused = client.get(CONFIGS, params={"global_tenant": "true"})
    assert refused.status_code == 403
    admin = {"X-Auth-Token": "tok-admin"}
    every = client.get(
        "/v1/ops/software_configs", params={"global_tenant": "true"}, headers=admin
    ).json()["software_configs"]
    assert [(c["id"], c["project"]) for c in every] == [(mine["id"], "alpha")]


def test_configs_page_with_limit_and_marker(client: TestClient) -> None:
    made = [make_config(client, name=f"c{i}")["id"] for i in range(5)]
    first = client.get(CONFIGS, params={"limit": "2"}).json()["software_configs"]
    assert [c["id"] for c in first] == made[:2]
    rest = client.get(CONFIGS, params={"marker": made[1]}).json()["software_configs"]
    assert [c["id"] for c in rest] == made[2:]
    assert client.get(CONFIGS, params={"limit": "-1"}).status_code == 400
