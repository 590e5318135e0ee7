"""Regions whose region map says ``credentials: caller``, through the API: refused
clearly when they cannot act as the caller, failing clearly when the caller's token
expires or a restarted server has lost it.

The emulator's Keystone issues alice's tokens (project alpha); its Neutron records the
project of every network. The ``North`` region's cloud uses another Keystone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from crossheat.api.app import create_app
from crossheat.api.auth import KeystoneAuthenticator, NoAuth
from crossheat.api.context import Authenticator
from crossheat.emulator.client import AdminClient
from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import EmulatorConfig, ProjectSeed
from crossheat.emulator.keystone.identity import project_id
from crossheat.emulator.server import ThreadedEmulator
from crossheat.service import Service

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

ALPHA = project_id("alpha")
REGION_MAP = """
regions:
  East: {cloud: emulator, credentials: caller}
  West: {cloud: emulator}
  North: {cloud: elsewhere, credentials: caller}
default_region: East
"""
#: A wait (no cloud call) then a network, both in the caller's region East.
WAIT_THEN_NET = """
heat_template_version: 2018-08-31
parameters:
  wait: {type: number, default: 0}
resources:
  wait:
    type: OS::Heat::TestResource
    region: East
    properties: {wait_secs: {get_param: wait}}
  net:
    type: OS::Neutron::Net
    region: East
    depends_on: wait
    properties: {name: caller-net}
"""


def one_net(region: str) -> str:
    return (
        "heat_template_version: 2018-08-31\nresources:\n  net:\n"
        f"    type: OS::Neutron::Net\n    region: {region}\n"
    )


@pytest.fixture(scope="module")
def running() -> Iterator[ThreadedEmulator]:
    seeds = [ProjectSeed("alpha", "alice", "alice-pw")]
    emulator = ThreadedEmulator(EmulatorConfig(regions=["East", "West"], projects=seeds))
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def emulator(running: ThreadedEmulator) -> str:
    return running.url


@pytest.fixture(autouse=True)
def clouds(emulator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """clouds.yaml with the emulator (admin) and ``elsewhere`` (another Keystone)."""
    path = tmp_path / "clouds.yaml"
    write_clouds_yaml(path, "emulator", emulator, ["East", "West"])
    data = yaml.safe_load(path.read_text())
    admin = data["clouds"]["emulator"]
    auth = {**admin["auth"], "auth_url": "http://127.0.0.1:9/identity"}
    data["clouds"]["elsewhere"] = {**admin, "auth": auth, "regions": ["North"]}
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "regions.yaml").write_text(REGION_MAP)
    for key in ("OS_CLOUD", "OS_AUTH_URL", "OS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(tmp_path / "regions.yaml"))


def login(emulator: str) -> dict[str, str]:
    """``X-Auth-Token`` of a new token of alice's, scoped to alpha."""
    who = {"name": "alice", "password": "alice-pw", "domain": {"name": "Default"}}
    scope = {"project": {"name": "alpha", "domain": {"name": "Default"}}}
    body = {
        "auth": {"identity": {"methods": ["password"], "password": {"user": who}}, "scope": scope}
    }
    answer = httpx.post(f"{emulator}/identity/v3/auth/tokens", json=body)
    assert answer.status_code == 201, answer.text
    return {"X-Auth-Token": answer.headers["X-Subject-Token"]}


def app_client(service: Service, auth: Authenticator) -> TestClient:
    return TestClient(create_app(service, auth=auth, max_operations=4))


def keystone(emulator: str) -> KeystoneAuthenticator:
    return KeystoneAuthenticator(f"{emulator}/identity")


def create(
    client: TestClient, headers: dict[str, str], template: str, **body: Any
) -> httpx.Response:
    body = {"stack_name": "s", "template": template, **body}
    return client.post(f"/v1/{ALPHA}/stacks", json=body, headers=headers)


def finish(client: TestClient, answer: httpx.Response) -> dict[str, Any]:
    """The stack ``answer`` created, once its operation has ended."""
    assert answer.status_code == 201, answer.text
    stack_id = answer.json()["stack"]["id"]
    executor = client.app.state.executor  # type: ignore[attr-defined]
    executor.wait(stack_id, timeout=60)
    return stack_of(client, stack_id)


def stack_of(client: TestClient, stack_id: str) -> dict[str, Any]:
    service: Service = client.app.state.service  # type: ignore[attr-defined]
    return service.scoped(ALPHA).show(service.get_by_id(stack_id), outputs=False)


def wait_until_waiting(service: Service, stack_id: str) -> None:
    """Until the server's engine has started the resource ``wait``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(r.name == "wait" and r.resource_status == "CREATE_IN_PROGRESS"
               for r in service.store().list_resources(stack_id)):  # fmt: skip
            return
        time.sleep(0.05)
    raise AssertionError("the create did not start")


def test_no_token_of_the_callers_shows_in_the_database_the_logs_or_the_answers(
    running: ThreadedEmulator,
    api_service: Service,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = login(running.url)
    caplog.set_level(logging.DEBUG)  # the server's and the engine's logs, from here on
    with app_client(api_service, keystone(running.url)) as client:
        answer = create(client, headers, one_net("East"))
        stack = finish(client, answer)
        url = f"/v1/{ALPHA}/stacks/s/{stack['id']}"
        answers = [answer.text] + [
            client.get(url + p, headers=headers).text for p in ("", "/events")
        ]
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    # Every token the emulator's Keystone holds: alice's, and those re-scoped from it.
    tokens = {str(t["id"]) for t in running.emulator.store.records("*", "tokens")}
    assert headers["X-Auth-Token"] in tokens and len(tokens) > 1
    database = (tmp_path / "api.db").read_bytes().decode("latin-1")
    assert "POST" in caplog.text and "networks" in caplog.text
    for text in (database, caplog.text, *answers):
        assert [t for t in tokens if t in text] == []


def test_a_region_of_another_keystone_is_refused_at_validate_and_at_create(
    emulator: str, api_service: Service
) -> None:
    with app_client(api_service, keystone(emulator)) as client:
        headers = login(emulator)
        checked = client.post(
            f"/v1/{ALPHA}/validate", json={"template": one_net("North")}, headers=headers
        )
        created = create(client, headers, one_net("North"))
        listed = client.get(f"/v1/{ALPHA}/stacks", headers=headers)
    for answer in (checked, created):
        assert answer.status_code == 400, answer.text
        message = answer.json()["error"]["message"]
        assert "region North (credentials: caller)" in message
        assert "http://127.0.0.1:9/identity" in message
        assert "set `credentials: service` for region North" in message
    assert listed.json()["stacks"] == []


def test_without_a_token_caller_regions_are_refused_and_service_ones_work(
    emulator: str, api_service: Service
) -> None:
    with app_client(api_service, NoAuth()) as client:
        refused = create(client, {}, one_net("East"))
        served = finish(client, create(client, {}, one_net("West")))
    assert refused.status_code == 400
    assert "--auth none" in refused.json()["error"]["message"]
    assert served["stack_status"] == "CREATE_COMPLETE", served


def test_a_token_expiring_during_the_operation_fails_the_stack_saying_so(
    emulator: str, api_service: Service
) -> None:
    with app_client(api_service, keystone(emulator)) as client:
        answer = create(
            client, login(emulator), WAIT_THEN_NET, parameters={"wait": 1}, disable_rollback=True
        )
        AdminClient(emulator).expire_tokens()  # while ``wait`` waits
        stack = finish(client, answer)
    assert stack["stack_status"] == "CREATE_FAILED"
    assert "the caller's Keystone token was refused" in stack["stack_status_reason"]
    networks = AdminClient(emulator).resources("East").get("networks", [])
    assert "caller-net" not in [n["name"] for n in networks]


def test_a_restarted_server_fails_what_acted_as_the_caller_until_updated_with_a_token(
    emulator: str, api_service: Service
) -> None:
    with app_client(api_service, keystone(emulator)) as client:
        answer = create(client, login(emulator), WAIT_THEN_NET, parameters={"wait": 5})
        assert answer.status_code == 201, answer.text
        stack_id = answer.json()["stack"]["id"]
        wait_until_waiting(api_service, stack_id)
    # Stopped mid-operation: the stack stays IN_PROGRESS; the next start cannot resume it.
    with app_client(api_service, keystone(emulator)) as client:
        client.app.state.executor.wait(stack_id, timeout=60)  # type: ignore[attr-defined]
        failed = stack_of(client, stack_id)
        headers = login(emulator)
        url = f"/v1/{ALPHA}/stacks/s/{stack_id}"
        patched = client.patch(url, json={"parameters": {"wait": 0}}, headers=headers)
        assert patched.status_code == 202, patched.text
        client.app.state.executor.wait(stack_id, timeout=60)  # type: ignore[attr-defined]
        updated = stack_of(client, stack_id)
        events = client.get(f"{url}/events", headers=headers).json()["events"]
    assert failed["stack_status"] == "CREATE_FAILED"
    reason = failed["stack_status_reason"]
    assert "the server stopped during the stack's CREATE" in reason
    assert "update the stack (`openstack stack update --existing`) or delete it" in reason
    assert reason in [e["resource_status_reason"] for e in events]
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated
    networks = AdminClient(emulator).resources("East")["networks"]
    assert [n["project_id"] for n in networks if n["name"] == "caller-net"] == [ALPHA]
