"""Stacks for route tests, made through the service (not ``POST /stacks``): a region map
of one region, East, whose cloud is never called (templates of ``OS::Heat::*`` types
only), and ``deploy`` to create a stack and wait until its operation has ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossheat.service import Inputs, Service

REGION_MAP = "regions:\n  East:\n    cloud: nowhere\ndefault_region: East\n"


def use_region_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(REGION_MAP)
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))


def service_of(client: TestClient, project: str = "alpha") -> Service:
    root: Service = client.app.state.service  # type: ignore[attr-defined]
    return root.scoped(project)


def deploy(
    client: TestClient,
    name: str,
    template: dict[str, Any],
    *,
    project: str = "alpha",
    parameters: dict[str, str] | None = None,
) -> str:
    """Create the stack in ``project`` and wait for the create to end; its id."""
    service = service_of(client, project)
    started = service.create(name, Inputs(template, parameters=parameters or {}))
    service.submit(started)
    client.app.state.executor.wait(started.stack.id, 60)  # type: ignore[attr-defined]
    return started.stack.id


def update(client: TestClient, name: str, template: dict[str, Any]) -> None:
    """Update the stack of project alpha to ``template`` and wait for it to end."""
    service = service_of(client)
    started = service.update(service.prepare_update(name, Inputs(template)))
    service.submit(started)
    client.app.state.executor.wait(started.stack.id, 60)  # type: ignore[attr-defined]


def hot(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"heat_template_version": "2016-04-08", "resources": resources, **sections}
