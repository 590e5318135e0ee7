"""What the stack route tests share: a region map (no cloud is called: the templates hold
only Heat's own types), templates, and creating a stack and waiting for it.

Test modules import ``region_map`` (an autouse fixture) from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

REGIONS = "regions:\n  East: {cloud: c}\n  West: {cloud: c}\ndefault_region: East\n"
BASE = "http://127.0.0.1:8004"

#: Two regions, a secret, an output; Heat's own types only.
TEMPLATE: dict[str, Any] = yaml.safe_load("""
heat_template_version: "2018-08-31"
description: A stack of Heat's own types
parameters:
  length: {type: number, default: 8}
  password: {type: string, hidden: true, default: s3cret-default}
  label: {type: string, default: blue}
resources:
  random: {type: OS::Heat::RandomString, properties: {length: {get_param: length}}}
  label: {type: OS::Heat::Value, region: West, properties: {value: {get_param: label}}}
  nothing: {type: OS::Heat::None}
outputs:
  label: {description: The label, value: {get_attr: [label, value]}}
  password: {description: Hidden, value: {get_param: password}}
""")


@pytest.fixture(autouse=True)
def region_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "regions.yaml"
    path.write_text(REGIONS)
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))
    yield path


def stacks(tenant: str = "alpha") -> str:
    return f"/v1/{tenant}/stacks"


def url(name: str, stack_id: str, *sub: str, tenant: str = "alpha") -> str:
    return "/".join([stacks(tenant), name, stack_id, *sub])


def create(
    client: TestClient, name: str, template: dict[str, Any] | str | None = None, **fields: Any
) -> str:
    """Create ``name`` and wait until its operation has ended; its id."""
    stack_id = start(client, name, template, **fields)
    wait(client, stack_id)
    return stack_id


def start(
    client: TestClient, name: str, template: dict[str, Any] | str | None = None, **fields: Any
) -> str:
    body = {"stack_name": name, "template": template or TEMPLATE, **fields}
    answer = client.post(stacks(), json=body)
    assert answer.status_code == 201, answer.text
    stack_id: str = answer.json()["stack"]["id"]
    return stack_id


def wait(client: TestClient, stack_id: str) -> None:
    executor = client.app.state.executor  # type: ignore[attr-defined]
    executor.wait(stack_id, timeout=60)


def show(client: TestClient, name: str, stack_id: str, **params: str) -> dict[str, Any]:
    answer = client.get(url(name, stack_id), params=params)
    assert answer.status_code == 200, answer.text
    stack: dict[str, Any] = answer.json()["stack"]
    return stack


def error(answer: Any) -> tuple[int, str, str]:
    """A Heat fault's status, type and message."""
    body = answer.json()
    assert body["code"] == answer.status_code
    return answer.status_code, body["error"]["type"], body["error"].get("message", "")


def waiting(seconds: float, *, then: str | None = None) -> dict[str, Any]:
    """A template whose one resource takes ``seconds`` to create (Heat's TestResource);
    ``then``: a second resource created after it."""
    resources: dict[str, Any] = {
        "slow": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": seconds}}
    }
    if then:
        resources[then] = {"type": "OS::Heat::None", "depends_on": ["slow"]}
    return {"heat_template_version": "2018-08-31", "resources": resources}
