"""Keystone v3 of the emulator, through keystoneauth/openstacksdk and raw HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import openstack
import pytest
from keystoneauth1 import exceptions as ks_exceptions

from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import Emulator, EmulatorConfig
from crossheat.emulator.keystone.api import project_id
from crossheat.emulator.server import ThreadedEmulator

Base = tuple[str, Emulator]


def password_body(user: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": "Default"}}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }


def token(url: str, user: str = "admin") -> str:
    response = httpx.post(f"{url}/identity/v3/auth/tokens", json=password_body(user, user, user))
    assert response.status_code == 201
    return response.headers["X-Subject-Token"]


def test_version_discovery(emulator: Base) -> None:
    url = emulator[0]
    root = httpx.get(f"{url}/identity")
    assert root.status_code == 300
    [version] = root.json()["versions"]["values"]
    assert version["id"].startswith("v3.")
    v3 = httpx.get(f"{url}/identity/v3").json()["version"]
    assert v3["links"][0]["href"] == f"{url}/identity/v3/"


def test_sdk_authenticates_with_project_scope(conn: Any, demo_conn: Any) -> None:
    assert conn.current_project_id == project_id("admin")
    assert demo_conn.current_project_id == project_id("demo")
    assert conn.current_project_id != demo_conn.current_project_id


def test_wrong_password_is_unauthorized(emulator: Base) -> None:
    url = emulator[0]
    response = httpx.post(
        f"{url}/identity/v3/auth/tokens", json=password_body("admin", "x", "admin")
    )
    assert response.status_code == 401
    assert response.json()["error"]["title"] == "Unauthorized"
    conn = sdk_connect(url, "East", password="wrong")
    with pytest.raises(ks_exceptions.Unauthorized):
        list(conn.network.networks())


def test_scope_to_a_foreign_project_is_refused(emulator: Base) -> None:
    body = password_body("demo", "demo", "admin")
    response = httpx.post(f"{emulator[0]}/identity/v3/auth/tokens", json=body)
    assert response.status_code == 401


def test_token_validation(emulator: Base) -> None:
    url = emulator[0]
    service, subject = token(url, "admin"), token(url, "demo")
    headers = {"X-Auth-Token": service, "X-Subject-Token": subject}
    answer = httpx.get(f"{url}/identity/v3/auth/tokens", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["token"]["project"]["name"] == "demo"
    assert httpx.head(f"{url}/identity/v3/auth/tokens", headers=headers).status_code == 200
    unknown = {**headers, "X-Subject-Token": "nope"}
    assert httpx.get(f"{url}/identity/v3/auth/tokens", headers=unknown).status_code == 404
    assert httpx.delete(f"{url}/identity/v3/auth/tokens", headers=headers).status_code == 204
    assert httpx.get(f"{url}/identity/v3/auth/tokens", headers=headers).status_code == 404


def test_catalog_lists_every_region(emulator: Base) -> None:
    url = emulator[0]
    body = httpx.post(
        f"{url}/identity/v3/auth/tokens", json=password_body("admin", "admin", "admin")
    )
    catalog = {s["type"]: s for s in body.json()["token"]["catalog"]}
    assert set(catalog) == {"identity", "network", "compute", "image"}
    urls = {e["region_id"]: e["url"] for e in catalog["compute"]["endpoints"]}
    assert urls == {"East": f"{url}/East/compute/v2.1", "West": f"{url}/West/compute/v2.1"}


@pytest.fixture
def with_orchestration() -> Iterator[str]:
    config = EmulatorConfig(
        regions=["East"], orchestration_url="http://127.0.0.1:8004/v1/%(tenant_id)s"
    )
    running = ThreadedEmulator(config)
    yield running.url
    running.stop()


def test_catalog_has_orchestration_when_configured(with_orchestration: str) -> None:
    body = httpx.post(
        f"{with_orchestration}/identity/v3/auth/tokens",
        json=password_body("admin", "admin", "admin"),
    ).json()
    [heat] = [s for s in body["token"]["catalog"] if s["type"] == "orchestration"]
    assert heat["endpoints"][0]["url"] == f"http://127.0.0.1:8004/v1/{project_id('admin')}"


def test_expired_token_is_refused_and_sdk_reauthenticates(emulator: Base, conn: Any) -> None:
    url = emulator[0]
    raw = token(url)
    list(conn.network.networks())
    old = conn.session.get_token()
    AdminClient(url).expire_tokens()
    answer = httpx.get(f"{url}/East/network/v2.0/networks", headers={"X-Auth-Token": raw})
    assert answer.status_code == 401
    assert [n.name for n in conn.network.networks()] == ["public"]
    assert conn.session.get_token() != old


def test_short_lived_token_expires() -> None:
    running = ThreadedEmulator(EmulatorConfig(regions=["East"], token_ttl=1.0))
    try:
        raw = token(running.url)
        headers = {"X-Auth-Token": raw}
        url = f"{running.url}/East/compute/v2.1/flavors"
        assert httpx.get(url, headers=headers).status_code == 200
        time.sleep(1.1)
        assert httpx.get(url, headers=headers).status_code == 401
    finally:
        running.stop()


def test_a_token_made_from_a_token_expires_with_it(emulator: Base) -> None:
    url = emulator[0]
    first = httpx.post(f"{url}/identity/v3/auth/tokens", json=password_body("demo", "demo", "demo"))
    method = {"methods": ["token"], "token": {"id": first.headers["X-Subject-Token"]}}
    scope = {"project": {"id": project_id("demo")}}
    again = httpx.post(
        f"{url}/identity/v3/auth/tokens", json={"auth": {"identity": method, "scope": scope}}
    )
    assert again.status_code == 201, again.text
    expiry = {t["id"]: t["expires"] for t in emulator[1].store.records("*", "tokens")}
    assert expiry[again.headers["X-Subject-Token"]] == expiry[first.headers["X-Subject-Token"]]


def test_missing_token_is_unauthorized(emulator: Base) -> None:
    answer = httpx.get(f"{emulator[0]}/East/image/v2/images")
    assert answer.status_code == 401
    assert answer.headers["x-openstack-request-id"].startswith("req-")


def sdk_connect(url: str, region: str, password: str = "admin") -> Any:
    return openstack.connect(
        auth_url=f"{url}/identity",
        username="admin",
        password=password,
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=region,
    )


def test_unknown_region_fails_at_first_use(emulator: Base) -> None:
    conn = sdk_connect(emulator[0], "North")
    with pytest.raises((openstack.exceptions.SDKException, ks_exceptions.EndpointNotFound)):
        list(conn.network.networks())
