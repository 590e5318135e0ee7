"""A nested stack's outputs (``/outputs``) are what the parent's ``get_attr`` of them gives,
at every level: a parameter the parent set from another resource's attribute included,
what the parent's hidden parameters reached masked."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.heatstacks import create, region_map, stacks, url

__all__ = ["region_map"]

REMOTE_TEMPLATE = """heat_template_version: 2018-08-31
parameters:
  router_id: {type: string}
resources:
  v: {type: OS::Heat::Value, properties: {value: {get_param: router_id}}}
outputs:
  rid: {value: {get_param: router_id}}
  v: {value: {get_attr: [v, value]}}
"""

PARENT: dict[str, Any] = {
    "heat_template_version": "2018-08-31",
    "parameters": {"password": {"type": "string", "hidden": True, "default": "pa55word"}},
    "resources": {
        "router": {"type": "OS::Heat::Value", "properties": {"value": "router-1"}},
        "secret": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "password"}}},
        "mod": {
            "type": "mod.yaml",
            "properties": {
                "router_id": {"get_attr": ["router", "value"]},
                "secret": {"get_attr": ["secret", "value"]},
            },
        },
        "remote": {
            "type": "OS::Heat::Stack",
            "properties": {
                "context": {"region_name": "West"},
                "template": REMOTE_TEMPLATE,
                "parameters": {"router_id": {"get_attr": ["router", "value"]}},
            },
        },
    },
    "outputs": {
        "mod_rid": {"value": {"get_attr": ["mod", "rid"]}},
        "mod_secret": {"value": {"get_attr": ["mod", "secret"]}},
        "sub_rid": {"value": {"get_attr": ["mod", "sub_rid"]}},
        "remote_rid": {"value": {"get_attr": ["remote", "outputs", "rid"]}},
    },
}
FILES = {
    "mod.yaml": """heat_template_version: 2018-08-31
parameters:
  router_id: {type: string}
  secret: {type: string}
resources:
  sub:
    type: sub.yaml
    properties: {rid: {list_join: ['/', [{get_param: router_id}, sub]]}}
outputs:
  rid: {value: {get_param: router_id}}
  secret: {value: {get_param: secret}}
  sub_rid: {value: {get_attr: [sub, rid]}}
  sub_id: {value: {get_resource: sub}}
""",
    "sub.yaml": """heat_template_version: 2018-08-31
parameters:
  rid: {type: string}
resources:
  w: {type: OS::Heat::Value, properties: {value: {get_param: rid}}}
outputs:
  rid: {value: {get_param: rid}}
  w: {value: {get_attr: [w, value]}}
""",
}


def _outputs(client: TestClient, name: str, stack_id: str) -> dict[str, Any]:
    """The stack's outputs as ``stack show`` gives them; each the same by ``/outputs/{key}``."""
    answer = client.get(url(name, stack_id))
    assert answer.status_code == 200, answer.text
    found = {o["output_key"]: o["output_value"] for o in answer.json()["stack"]["outputs"]}
    for key, value in found.items():
        one = client.get(url(name, stack_id, "outputs", key)).json()["output"]
        assert one["output_value"] == value, key
    return found


def test_nested_outputs_read_parameters_the_parent_set_from_attributes(
    client: TestClient,
) -> None:
    top = create(client, "parent", PARENT, files=FILES)
    ids = {
        s["stack_name"]: s["id"]
        for s in client.get(f"{stacks()}?show_nested=True").json()["stacks"]
    }
    assert set(ids) == {"parent", "parent-mod", "parent-mod-sub", "parent-remote"}
    assert _outputs(client, "parent", top) == {
        "mod_rid": "router-1", "mod_secret": "******", "sub_rid": "router-1/sub",
        "remote_rid": "router-1",
    }  # fmt: skip
    # A template resource, and a template resource inside it: the same values.
    assert _outputs(client, "parent-mod", ids["parent-mod"]) == {
        "rid": "router-1", "secret": "******", "sub_rid": "router-1/sub",
        "sub_id": ids["parent-mod-sub"],
    }  # fmt: skip
    assert _outputs(client, "parent-mod-sub", ids["parent-mod-sub"]) == {
        "rid": "router-1/sub", "w": "router-1/sub",
    }  # fmt: skip
    # An OS::Heat::Stack given the attribute as a parameter.
    assert _outputs(client, "parent-remote", ids["parent-remote"]) == {
        "rid": "router-1", "v": "router-1",
    }  # fmt: skip
