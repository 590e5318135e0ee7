"""Keystone tokens and projects: the API with the emulator's Keystone, over real HTTP.

Users: alice in project alpha, bob in beta, root an admin of ops (``--project`` seeds).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from crossheat.api.app import create_app
from crossheat.api.auth import KeystoneAuthenticator, NoAuth
from crossheat.api.context import RequestContext, request_context
from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import EmulatorConfig, ProjectSeed
from crossheat.emulator.keystone.identity import project_id
from crossheat.emulator.server import ThreadedEmulator
from crossheat.service import Inputs, Service

SEEDS = [
    ProjectSeed("alpha", "alice", "alice-pw"),
    ProjectSeed("beta", "bob", "bob-pw"),
    ProjectSeed("ops", "root", "root-pw", admin=True),
]
USERS = {"alice": ("alpha", "alice-pw"), "bob": ("beta", "bob-pw"), "root": ("ops", "root-pw")}
ALPHA, BETA, OPS = (project_id(p) for p in ("alpha", "beta", "ops"))
TEMPLATE = """
heat_template_version: 2018-08-31
resources:
  nothing:
    type: OS::Heat::None
"""
VALIDATE = "GET /v3/auth/tokens"


def login(url: str, user: str) -> str:
    project, password = USERS[user]
    scope = {"project": {"name": project, "domain": {"name": "Default"}}}
    who = {"name": user, "password": password, "domain": {"name": "Default"}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": who}}}}
    body["auth"]["scope"] = scope
    answer = httpx.post(f"{url}/identity/v3/auth/tokens", json=body)
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"]


#: A route that shows who the request's context says is asking (the stack routes'
#: dependency, without a stack).
probe = APIRouter()


@probe.get("/v1/{tenant_id}/whoami")
def whoami(ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    identity = ctx.identity
    return {"user": identity.user_name, "project": ctx.project_id, "roles": list(identity.roles)}


@pytest.fixture(scope="module")
def keystone() -> Iterator[str]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East"], projects=SEEDS))
    try:
        yield running.url
    finally:
        running.stop()


@pytest.fixture
def region_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-region map: stacks of ``OS::Heat::None`` only never call its cloud."""
    path = tmp_path / "regions.yaml"
    path.write_text("regions:\n  East: {cloud: emulator}\ndefault_region: East\n")
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))
    return path


@pytest.fixture
def api(keystone: str, api_service: Service, region_map: Path) -> Iterator[TestClient]:
    app = create_app(api_service, auth=KeystoneAuthenticator(f"{keystone}/identity"))
    app.include_router(probe)
    with TestClient(app, base_url="http://127.0.0.1:8004") as client:
        yield client


def create_stack(service: Service, project: str, name: str) -> str:
    scoped = service.scoped(project)
    stack = scoped.run_here(scoped.create(name, Inputs(TEMPLATE)))
    assert stack.stack_status == "CREATE_COMPLETE"
    return stack.id


def test_a_token_names_its_user_project_and_roles(api: TestClient, keystone: str) -> None:
    answer = api.get(f"/v1/{ALPHA}/whoami", headers={"X-Auth-Token": login(keystone, "alice")})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"user": "alice", "project": ALPHA, "roles": ["member"]}


def test_no_token_is_401_in_heats_shape_with_where_to_get_one(
    api: TestClient, keystone: str
) -> None:
    answer = api.get(f"/v1/{ALPHA}/whoami")
    assert answer.status_code == 401
    body = answer.json()
    assert body["code"] == 401
    assert body["title"] == "Unauthorized"
    assert body["error"]["type"] == "HTTPUnauthorized"
    assert "X-Auth-Token" in body["error"]["message"]
    assert answer.headers["WWW-Authenticate"] == f'Keystone uri="{keystone}/identity"'


def test_a_bad_token_is_401(api: TestClient) -> None:
    answer = api.get(f"/v1/{ALPHA}/whoami", headers={"X-Auth-Token": "not-a-token"})
    assert answer.status_code == 401
    assert answer.json()["error"] == {
        "type": "HTTPUnauthorized",
        "message": "The request you have made requires authentication.",
        "traceback": None,
    }
    assert answer.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_an_expired_token_is_401(api: TestClient, keystone: str) -> None:
    token = login(keystone, "bob")
    AdminClient(keystone).expire_tokens()
    answer = api.get(f"/v1/{BETA}/whoami", headers={"X-Auth-Token": token})
    assert answer.status_code == 401


def test_a_token_is_trusted_no_longer_than_it_lives(api_service: Service) -> None:
    short = ThreadedEmulator(EmulatorConfig(regions=["East"], projects=SEEDS, token_ttl=2.0))
    try:
        app = create_app(api_service, auth=KeystoneAuthenticator(f"{short.url}/identity"))
        app.include_router(probe)
        with TestClient(app) as client:
            headers = {"X-Auth-Token": login(short.url, "alice")}
            assert client.get(f"/v1/{ALPHA}/whoami", headers=headers).status_code == 200
            time.sleep(2.1)
            assert client.get(f"/v1/{ALPHA}/whoami", headers=headers).status_code == 401
    finally:
        short.stop()


def test_a_validated_token_is_not_validated_again_for_a_while(
    api: TestClient, keystone: str
) -> None:
    admin = AdminClient(keystone)
    alice, bob = login(keystone, "alice"), login(keystone, "bob")
    admin.reset_counters()
    for _ in range(3):
        assert api.get(f"/v1/{ALPHA}/whoami", headers={"X-Auth-Token": alice}).status_code == 200
    assert admin.identity_counters().get(VALIDATE) == 1
    assert api.get(f"/v1/{BETA}/whoami", headers={"X-Auth-Token": bob}).status_code == 200
    assert admin.identity_counters().get(VALIDATE) == 2


def test_another_projects_tenant_in_the_path_is_403(api: TestClient, keystone: str) -> None:
    answer = api.get(f"/v1/{BETA}/whoami", headers={"X-Auth-Token": login(keystone, "alice")})
    assert answer.status_code == 403
    assert answer.json()["error"]["type"] == "Forbidden"


def test_stacks_of_another_project_are_not_found(
    api: TestClient, api_service: Service, keystone: str
) -> None:
    create_stack(api_service, ALPHA, "shared-name")
    beta_id = create_stack(api_service, BETA, "shared-name")
    only_alpha = create_stack(api_service, ALPHA, "alpha-only")
    bob = {"X-Auth-Token": login(keystone, "bob")}
    listed = api.get(f"/v1/{BETA}/stacks", headers=bob)
    assert listed.status_code == 200, listed.text
    assert [(s["stack_name"], s["id"]) for s in listed.json()["stacks"]] == [
        ("shared-name", beta_id)
    ]
    by_name = api.get(f"/v1/{BETA}/stacks/alpha-only", headers=bob, follow_redirects=False)
    assert by_name.status_code == 404
    assert by_name.json()["error"]["type"] == "EntityNotFound"
    by_id = api.get(f"/v1/{BETA}/stacks/alpha-only/{only_alpha}", headers=bob)
    assert by_id.status_code == 404
    gone = api.delete(f"/v1/{BETA}/stacks/alpha-only/{only_alpha}", headers=bob)
    assert gone.status_code == 404
    assert api_service.scoped(ALPHA).get("alpha-only").id == only_alpha


def test_global_tenant_shows_every_project_to_an_admin_only(
    api: TestClient, api_service: Service, keystone: str
) -> None:
    ids = {create_stack(api_service, ALPHA, "a"), create_stack(api_service, BETA, "b")}
    root = {"X-Auth-Token": login(keystone, "root")}
    everything = api.get(f"/v1/{OPS}/stacks", params={"global_tenant": "True"}, headers=root)
    assert everything.status_code == 200, everything.text
    assert {s["id"] for s in everything.json()["stacks"]} == ids
    own = api.get(f"/v1/{OPS}/stacks", headers=root)
    assert own.json()["stacks"] == []
    alice = {"X-Auth-Token": login(keystone, "alice")}
    refused = api.get(f"/v1/{ALPHA}/stacks", params={"global_tenant": "True"}, headers=alice)
    assert refused.status_code == 403


def test_no_auth_acts_as_an_admin_in_the_paths_project(api_service: Service) -> None:
    app = create_app(api_service, auth=NoAuth())
    app.include_router(probe)
    with TestClient(app) as client:
        answer = client.get("/v1/anything/whoami")
    assert answer.status_code == 200
    assert answer.json() == {"user": "anonymous", "project": "anything", "roles": ["admin"]}
