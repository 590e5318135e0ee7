"""``crossheat serve`` acting with the API caller's token in a ``credentials: caller``
region and with its own identity in a ``service`` one; the token shows nowhere.

alice (project alpha) creates a stack with a network in each region through the API:
East's is alpha's, West's the service identity's (admin, project admin). Her token is
then looked for in the database (raw SQLite bytes, PostgreSQL rows), the server's
debug log, the events and every API answer: it is in none of them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from crossheat.emulator.keystone.identity import project_id
from tests.e2e.conftest import World, start_emulator
from tests.e2e.serving import free_port, serving
from tests.sealed import raw_database

pytestmark = [pytest.mark.e2e]

ALPHA, ADMIN = project_id("alpha"), project_id("admin")
REGION_MAP = """\
regions:
  East: {cloud: emulator, region_name: East, credentials: caller}
  West: {cloud: emulator, region_name: West}
default_region: East
"""
TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  east_net:
    type: OS::Neutron::Net
    region: East
    properties: {name: alice-east}
  west_net:
    type: OS::Neutron::Net
    region: West
    properties: {name: service-west}
"""


def login(url: str) -> str:
    who = {"name": "alice", "password": "alice-pw", "domain": {"name": "Default"}}
    scope = {"project": {"name": "alpha", "domain": {"name": "Default"}}}
    body = {
        "auth": {"identity": {"methods": ["password"], "password": {"user": who}}, "scope": scope}
    }
    answer = httpx.post(f"{url}/identity/v3/auth/tokens", json=body)
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"]


def wait_for(client: httpx.Client, url: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stack: dict[str, Any] = client.get(url).json().get("stack", {})
        if stack.get("stack_status") == wanted or "FAILED" in stack.get("stack_status", ""):
            return stack
        time.sleep(0.2)
    raise AssertionError(f"{url} did not reach {wanted}")


def queued_jobs(db_url: str) -> str:
    """The job queue's rows as text (PostgreSQL; SQLite has no queue)."""
    if make_url(db_url).get_backend_name() == "sqlite":
        return ""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT string_agg(t::text, ' ') FROM procrastinate_jobs t"))
        found = str(rows.scalar())
    engine.dispose()
    return found


def networks(world: World, region: str) -> dict[str, str]:
    return {n["name"]: n["project_id"] for n in world.admin.resources(region).get("networks", [])}


def test_a_caller_region_acts_as_the_caller_and_the_token_shows_nowhere(world: World) -> None:
    start_emulator(world)
    world.admin.add_project("alpha", "alice", "alice-pw")
    (Path(world.env["XDG_CONFIG_HOME"]) / "crossheat" / "regions.yaml").write_text(REGION_MAP)
    log = world.tmp / "serve.log"
    answers: list[str] = []
    with serving(world, env={"CROSSHEAT_LOG_LEVEL": "debug"}, log=log) as server:
        token = login(world.url)
        with httpx.Client(
            base_url=f"{server.url}/v1/{ALPHA}", headers={"X-Auth-Token": token}
        ) as api:
            created = api.post("/stacks", json={"stack_name": "two", "template": TEMPLATE})
            assert created.status_code == 201, created.text
            url = f"/stacks/two/{created.json()['stack']['id']}"
            stack = wait_for(api, url, "CREATE_COMPLETE")
            assert stack["stack_status"] == "CREATE_COMPLETE", stack
            east, west = networks(world, "East"), networks(world, "West")
            for path in ("", "/resources", "/events", "/template", "/environment"):
                answers.append(api.get(url + path).text)
            answers += [created.text, api.get("/stacks").text]
            assert api.delete(url).status_code == 204
            assert wait_for(api, url, "DELETE_COMPLETE")["stack_status"] == "DELETE_COMPLETE"
    assert east["alice-east"] == ALPHA
    assert west["service-west"] == ADMIN
    assert world.leftovers("East") == {} and world.leftovers("West") == {}

    logged = log.read_text()
    assert "POST" in logged and "networks" in logged  # the requests were logged ...
    database = raw_database(world.db_url).decode("latin-1") + queued_jobs(world.db_url)
    places = {"database": database, "log": logged, "answers": "\n".join(answers)}
    assert [where for where, text in places.items() if token in text] == []  # ... not the token


@pytest.mark.slow
def test_a_server_killed_while_acting_as_the_caller_fails_the_stack_until_updated(
    world: World,
) -> None:
    """SQLite: the server started again fails the stack; PostgreSQL: a worker of the
    queue, whose sweep finds the dead server's stack, fails it (it has no token)."""
    start_emulator(world)
    world.admin.add_project("alpha", "alice", "alice-pw")
    (Path(world.env["XDG_CONFIG_HOME"]) / "crossheat" / "regions.yaml").write_text(REGION_MAP)
    port = free_port()
    # The server dies right after East's network was made, before it recorded its id.
    kill_at = {"CROSSHEAT_KILL_AT": "create:east_net:after-call"}
    with serving(world, port=port, env=kill_at) as server:
        headers = {"X-Auth-Token": login(world.url)}
        body = {"stack_name": "two", "template": TEMPLATE}
        created = httpx.post(f"{server.url}/v1/{ALPHA}/stacks", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert server.process.wait(timeout=120) == -9
    url = f"/stacks/two/{created.json()['stack']['id']}"
    with serving(world, port=port, env={"CROSSHEAT_STALL_TIMEOUT": "5"}) as server:
        headers = {"X-Auth-Token": login(world.url)}
        with httpx.Client(base_url=f"{server.url}/v1/{ALPHA}", headers=headers) as api:
            failed = wait_for(api, url, "CREATE_FAILED")
            patched = api.patch(url, json={})
            assert patched.status_code == 202, patched.text
            updated = wait_for(api, url, "UPDATE_COMPLETE")
            east = world.admin.resources("East")["networks"]
            assert api.delete(url).status_code == 204
            assert wait_for(api, url, "DELETE_COMPLETE")["stack_status"] == "DELETE_COMPLETE"
    assert failed["stack_status"] == "CREATE_FAILED"
    assert "the server stopped during the stack's CREATE" in failed["stack_status_reason"]
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated
    assert [(n["name"], n["project_id"]) for n in east] == [("alice-east", ALPHA)]
    assert world.leftovers("East") == {} and world.leftovers("West") == {}
