"""Helpers of the dashboard's HTTP-level tests: the seeded users, forms as a browser
posts them, stacks made through the service."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from crossheat.emulator.core import ProjectSeed
from crossheat.emulator.keystone.identity import project_id
from crossheat.service import Inputs, Service

#: alice is in alpha and gamma (a project chooser), bob only in beta.
SEEDS = [
    ProjectSeed("alpha", "alice", "alice-pw"),
    ProjectSeed("gamma", "alice", "alice-pw"),
    ProjectSeed("beta", "bob", "bob-pw"),
]
ALPHA, BETA, GAMMA = (project_id(p) for p in ("alpha", "beta", "gamma"))
#: Two regions whose cloud is never called (``OS::Heat::*`` resources only).
REGION_MAP = "regions:\n  East: {cloud: nowhere}\n  West: {cloud: nowhere}\ndefault_region: East\n"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, user: str, password: str, project: str | None = None) -> Any:
    """Log in through the forms as a browser does; the last answer."""
    form = client.get("/dashboard/login")
    answer = client.post(
        "/dashboard/login",
        data={"username": user, "password": password, "csrf_token": csrf_of(form.text)},
    )
    if project is not None:
        answer = client.post(
            "/dashboard/login/project",
            data={"project": project, "csrf_token": csrf_of(answer.text)},
        )
    return answer


def deploy(
    client: TestClient,
    name: str,
    template: dict[str, Any],
    *,
    project: str = "default",
    parameters: dict[str, str] | None = None,
    disable_rollback: bool = False,
) -> str:
    """Create the stack in ``project`` through the service and wait for it to end."""
    root: Service = client.app.state.service  # type: ignore[attr-defined]
    service = root.scoped(project)
    inputs = Inputs(template, parameters=parameters or {})
    started = service.create(name, inputs, disable_rollback=disable_rollback)
    service.submit(started)
    client.app.state.executor.wait(started.stack.id, 60)  # type: ignore[attr-defined]
    return started.stack.id


def hot(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"heat_template_version": "2016-04-08", "resources": resources, **sections}


def none(region: str = "East", **extra: Any) -> dict[str, Any]:
    return {"type": "OS::Heat::None", "region": region, **extra}
