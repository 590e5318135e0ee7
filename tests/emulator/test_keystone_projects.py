"""Several projects and users in the emulator's Keystone: scoped tokens, validation, roles,
the identity API through openstacksdk, and the admin listings that see every project."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
import yaml
from typer.testing import CliRunner

from crossheat.cli.emulator import app
from crossheat.emulator.client import AdminClient
from crossheat.emulator.core import EmulatorConfig, ProjectSeed
from crossheat.emulator.keystone.api import project_id
from crossheat.emulator.server import ThreadedEmulator
from tests.emulator.test_nova import boot

SEEDS = [
    ProjectSeed("alpha", "alice", "alice-pw"),
    ProjectSeed("beta", "bob", "bob-pw"),
    ProjectSeed("beta", "alice", "alice-pw"),
    ProjectSeed("ops", "root", "root-pw", admin=True),
]


@pytest.fixture
def cloud() -> Iterator[str]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East"], projects=list(SEEDS)))
    try:
        yield running.url
    finally:
        running.stop()


def password_body(user: str, password: str, scope: dict[str, Any] | None) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {"name": user, "password": password, "domain": {"name": "Default"}}
            },
        }
    }
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def login(url: str, user: str, password: str, project: str | None) -> httpx.Response:
    scope = {"project": {"name": project, "domain": {"name": "Default"}}} if project else None
    return httpx.post(f"{url}/identity/v3/auth/tokens", json=password_body(user, password, scope))


def token(url: str, user: str, password: str, project: str | None = None) -> str:
    answer = login(url, user, password, project)
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"]


def get(url: str, path: str, auth: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}/identity/v3{path}", headers={"X-Auth-Token": auth, **headers})


def connect(url: str, user: str, password: str, project: str) -> Any:
    return openstack.connect(
        auth_url=f"{url}/identity", username=user, password=password, project_name=project,
        user_domain_name="Default", project_domain_name="Default", region_name="East",
    )  # fmt: skip


def test_a_user_chooses_which_of_its_projects_a_token_is_scoped_to(cloud: str) -> None:
    for project in ("alpha", "beta"):
        body = login(cloud, "alice", "alice-pw", project).json()["token"]
        assert body["project"] == {
            "id": project_id(project), "name": project, "domain": {"id": "default",
                                                                   "name": "Default"},
        }  # fmt: skip
        assert [r["name"] for r in body["roles"]] == ["member"]
        assert {s["type"] for s in body["catalog"]} >= {"compute", "network"}
    assert login(cloud, "alice", "alice-pw", "ops").status_code == 401  # no role there
    assert login(cloud, "bob", "bob-pw", "alpha").status_code == 401
    assert login(cloud, "alice", "wrong", "alpha").status_code == 401
    by_id = {"project": {"id": project_id("beta")}}
    answer = httpx.post(
        f"{cloud}/identity/v3/auth/tokens", json=password_body("bob", "bob-pw", by_id)
    )
    assert answer.json()["token"]["project"]["name"] == "beta"


def test_without_a_scope_the_token_is_for_the_default_project(cloud: str) -> None:
    body = login(cloud, "alice", "alice-pw", None).json()["token"]
    assert body["project"]["name"] == "alpha"  # the first project she was seeded into


def test_auth_projects_lists_the_callers_projects(cloud: str) -> None:
    alice = token(cloud, "alice", "alice-pw", "alpha")
    projects = get(cloud, "/auth/projects", alice).json()["projects"]
    assert [p["name"] for p in projects] == ["alpha", "beta"]
    bob = token(cloud, "bob", "bob-pw", "beta")
    assert [p["name"] for p in get(cloud, "/auth/projects", bob).json()["projects"]] == ["beta"]


def test_token_validation_names_project_user_roles_and_expiry(cloud: str) -> None:
    root = token(cloud, "root", "root-pw", "ops")
    alice = token(cloud, "alice", "alice-pw", "beta")
    answer = get(cloud, "/auth/tokens", root, **{"X-Subject-Token": alice})
    assert answer.status_code == 200
    assert answer.headers["X-Subject-Token"] == alice
    body = answer.json()["token"]
    assert body["project"]["id"] == project_id("beta")
    assert body["user"]["name"] == "alice"
    assert [r["name"] for r in body["roles"]] == ["member"]
    # Keystone's times, to the microsecond: a token lives its whole life, not rounded down
    issued, expires = (
        datetime.strptime(body[k], "%Y-%m-%dT%H:%M:%S.%fZ") for k in ("issued_at", "expires_at")
    )
    assert (expires - issued).total_seconds() == pytest.approx(EmulatorConfig.token_ttl, abs=0.001)
    own = get(cloud, "/auth/tokens", alice, **{"X-Subject-Token": alice})
    assert own.status_code == 200  # a user may validate its own token
    root_body = get(cloud, "/auth/tokens", root, **{"X-Subject-Token": root}).json()["token"]
    assert [r["name"] for r in root_body["roles"]] == ["admin", "member"]
    assert get(cloud, "/auth/tokens", root, **{"X-Subject-Token": "bad"}).status_code == 404
    bob = token(cloud, "bob", "bob-pw", "beta")
    assert get(cloud, "/auth/tokens", bob, **{"X-Subject-Token": alice}).status_code == 403


def test_only_an_admin_lists_every_project_and_user(cloud: str) -> None:
    root = token(cloud, "root", "root-pw", "ops")
    projects = get(cloud, "/projects", root).json()["projects"]
    assert {p["name"] for p in projects} == {"admin", "demo", "alpha", "beta", "ops"}
    users = get(cloud, "/users", root).json()["users"]
    assert {u["name"] for u in users} == {"admin", "demo", "alice", "bob", "root"}
    assert not any(key == "password" or key.startswith("_") for u in users for key in u)
    [beta] = get(cloud, "/projects?name=beta", root).json()["projects"]
    assert beta["id"] == project_id("beta")
    alice = token(cloud, "alice", "alice-pw", "alpha")
    assert get(cloud, "/projects", alice).status_code == 403
    assert get(cloud, "/users", alice).status_code == 403
    assert get(cloud, f"/projects/{project_id('beta')}", alice).status_code == 200
    assert get(cloud, f"/projects/{project_id('ops')}", alice).status_code == 403


def test_role_assignments_and_grants(cloud: str) -> None:
    root = token(cloud, "root", "root-pw", "ops")
    alice_id = get(cloud, "/users?name=alice", root).json()["users"][0]["id"]
    items = get(cloud, f"/role_assignments?user.id={alice_id}&include_names=true", root)
    found = {(a["scope"]["project"]["name"], a["role"]["name"]) for a in items.json()[
        "role_assignments"]}  # fmt: skip
    assert found == {("alpha", "member"), ("beta", "member")}
    roles = {r["name"]: r["id"] for r in get(cloud, "/roles", root).json()["roles"]}
    assert set(roles) == {"admin", "member", "reader"}
    grant = f"/projects/{project_id('ops')}/users/{alice_id}/roles/{roles['reader']}"
    headers = {"X-Auth-Token": root}
    assert httpx.put(f"{cloud}/identity/v3{grant}", headers=headers).status_code == 204
    assert httpx.head(f"{cloud}/identity/v3{grant}", headers=headers).status_code == 204
    assert login(cloud, "alice", "alice-pw", "ops").status_code == 201
    assert httpx.delete(f"{cloud}/identity/v3{grant}", headers=headers).status_code == 204
    assert httpx.head(f"{cloud}/identity/v3{grant}", headers=headers).status_code == 404
    assert login(cloud, "alice", "alice-pw", "ops").status_code == 401
    alice = token(cloud, "alice", "alice-pw", "alpha")
    assert get(cloud, "/role_assignments", alice).status_code == 403


def test_projects_users_and_roles_through_openstacksdk(cloud: str) -> None:
    admin = connect(cloud, "admin", "admin", "admin")
    project = admin.identity.create_project(name="gamma", domain_id="default")
    user = admin.identity.create_user(
        name="carol", password="carol-pw", default_project_id=project.id, domain_id="default"
    )
    member = admin.identity.find_role("member", ignore_missing=False)
    admin.identity.assign_project_role_to_user(project, user, member)
    assert admin.identity.find_project("gamma", ignore_missing=False).id == project.id
    assert [a.user["id"] for a in admin.identity.role_assignments(scope_project_id=project.id)] \
        == [user.id]  # fmt: skip
    carol = connect(cloud, "carol", "carol-pw", "gamma")
    assert carol.current_project_id == project.id
    carol.network.create_network(name="carols")
    with pytest.raises(openstack.exceptions.ConflictException):
        admin.identity.create_project(name="gamma", domain_id="default")
    admin.identity.delete_user(user)
    with pytest.raises(openstack.exceptions.SDKException):
        connect(cloud, "carol", "carol-pw", "gamma").authorize()


def test_an_unscoped_token_is_refused_by_the_services(cloud: str) -> None:
    admin = connect(cloud, "admin", "admin", "admin")
    lonely = admin.identity.create_user(name="dave", password="dave-pw", domain_id="default")
    answer = login(cloud, "dave", "dave-pw", None)
    assert answer.status_code == 201
    assert "project" not in answer.json()["token"]
    raw = answer.headers["X-Subject-Token"]
    assert get(cloud, "/auth/projects", raw).json()["projects"] == []
    networks = httpx.get(f"{cloud}/East/network/v2.0/networks", headers={"X-Auth-Token": raw})
    assert networks.status_code == 401
    assert lonely.id


def test_admin_listings_see_every_projects_resources(cloud: str) -> None:
    alice = connect(cloud, "alice", "alice-pw", "alpha")
    bob = connect(cloud, "bob", "bob-pw", "beta")
    alice.network.create_network(name="alices")
    bob.network.create_network(name="bobs")
    server = boot(alice, name="alices-vm")
    boot(bob, name="bobs-vm")
    assert {n.name for n in bob.network.networks()} == {"public", "bobs"}
    root = connect(cloud, "root", "root-pw", "ops")
    assert {n.name for n in root.network.networks()} == {"public"}
    bobs = root.network.networks(project_id=project_id("beta"))
    assert [n.name for n in bobs] == ["bobs"]
    url = f"{cloud}/East/network/v2.0/networks?all_projects=true"
    listed = httpx.get(url, headers={"X-Auth-Token": root.session.get_token()}).json()
    assert {n["name"] for n in listed["networks"]} == {"public", "alices", "bobs"}
    as_bob = httpx.get(url, headers={"X-Auth-Token": bob.session.get_token()}).json()
    assert {n["name"] for n in as_bob["networks"]} == {"public", "bobs"}
    assert list(bob.compute.servers(all_projects=True)) == list(bob.compute.servers())
    names = {s.name for s in root.compute.servers(all_projects=True)}
    assert names == {"alices-vm", "bobs-vm"}
    only = root.compute.servers(all_projects=True, project_id=project_id("alpha"))
    assert [s.id for s in only] == [server.id]


def test_the_admin_endpoint_adds_a_project(cloud: str) -> None:
    ids = AdminClient(cloud).add_project("delta", "erin", "erin-pw", admin=True)
    assert ids["project_id"] == project_id("delta")
    body = login(cloud, "erin", "erin-pw", "delta").json()["token"]
    assert {r["name"] for r in body["roles"]} == {"admin", "member"}


def test_project_specs_are_parsed() -> None:
    assert ProjectSeed.from_spec("p:u:pw") == ProjectSeed("p", "u", "pw")
    assert ProjectSeed.from_spec("p:u:a:b:admin") == ProjectSeed("p", "u", "a:b", True)
    for bad in ("p:u", "p::pw", "p:u::admin"):
        with pytest.raises(ValueError):
            ProjectSeed.from_spec(bad)


def test_start_with_projects_writes_their_clouds_yaml_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clouds_file = tmp_path / "config/openstack/clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_file))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    runner = CliRunner()
    args = ["start", "--state", ":memory:", "--regions", "East", "--project", "alpha:alice:pw1",
            "--project", "ops:root:pw2:admin"]  # fmt: skip
    try:
        started = runner.invoke(app, args)
        assert started.exit_code == 0, started.output
        entries = yaml.safe_load(clouds_file.read_text())["clouds"]
        assert set(entries) == {"emulator", "emulator-demo", "emulator-alpha-alice",
                                "emulator-ops-root"}  # fmt: skip
        assert entries["emulator-ops-root"]["auth"]["project_name"] == "ops"
        root = openstack.connect(cloud="emulator-ops-root", region_name="East")
        assert root.current_project_id == project_id("ops")
        assert {p.name for p in root.identity.projects()} >= {"alpha", "ops"}
        alice = openstack.connect(cloud="emulator-alpha-alice", region_name="East")
        assert alice.current_project_id == project_id("alpha")
        assert runner.invoke(app, ["start", "--project", "nonsense"]).exit_code == 2
    finally:
        runner.invoke(app, ["stop"])
