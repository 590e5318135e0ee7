"""``credentials: caller`` regions act with the API caller's Keystone token, re-scoped by
the cloud's Keystone to the caller's project; ``service`` ones with ``clouds.yaml``'s.

Against the emulator over HTTP: its Keystone issues alice's token (project alpha), and
its Neutron records the project of every network made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import yaml
from openstack.config.loader import OpenStackConfig

from crossheat.clouds.credentials import CallerToken, NoCallerToken, keystone_root
from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import parse_region_map
from crossheat.emulator.client import AdminClient
from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import EmulatorConfig, ProjectSeed
from crossheat.emulator.keystone.identity import project_id
from crossheat.emulator.server import ThreadedEmulator
from crossheat.errors import CloudAuthError

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

ALPHA, ADMIN = project_id("alpha"), project_id("admin")
REGION_MAP = """
regions:
  East: {cloud: emulator, credentials: caller}
  West: {cloud: emulator}
  North: {cloud: elsewhere, credentials: caller}
default_region: East
"""


@dataclass
class Cloud:
    url: str
    config: OpenStackConfig

    @property
    def keystone(self) -> str:
        return f"{self.url}/identity"

    def login(self) -> str:
        """alice's token, scoped to project alpha."""
        who = {"name": "alice", "password": "alice-pw", "domain": {"name": "Default"}}
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": who}},
                "scope": {"project": {"name": "alpha", "domain": {"name": "Default"}}},
            }
        }
        answer = httpx.post(f"{self.keystone}/v3/auth/tokens", json=body)
        assert answer.status_code == 201, answer.text
        return answer.headers["X-Subject-Token"]

    def clients(self, caller: CallerToken | NoCallerToken | None) -> RegionClients:
        return RegionClients(parse_region_map(REGION_MAP, "regions.yaml"), config=self.config,
                             caller=caller)  # fmt: skip

    def network_projects(self, region: str) -> dict[str, str]:
        networks = AdminClient(self.url).resources(region).get("networks", [])
        return {n["name"]: n["project_id"] for n in networks}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    seeds = [ProjectSeed("alpha", "alice", "alice-pw")]
    running = ThreadedEmulator(EmulatorConfig(regions=["East", "West"], projects=seeds))
    try:
        path = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
        write_clouds_yaml(path, "emulator", running.url, ["East", "West"])
        data = yaml.safe_load(path.read_text())
        other = dict(data["clouds"]["emulator"], auth={
            **data["clouds"]["emulator"]["auth"], "auth_url": "http://127.0.0.1:9/identity"
        })  # fmt: skip
        data["clouds"]["elsewhere"] = {**other, "regions": ["North"]}
        path.write_text(yaml.safe_dump(data))
        yield Cloud(running.url, OpenStackConfig(config_files=[str(path)], load_envvars=False))
    finally:
        running.stop()


def _create(clients: RegionClients, region: str, name: str) -> None:
    clients.call(region, lambda conn: conn.network.create_network(name=name))


def test_caller_regions_act_in_the_callers_project_service_ones_as_the_service(
    cloud: Cloud,
) -> None:
    clients = cloud.clients(CallerToken(cloud.login(), ALPHA, cloud.keystone))
    try:
        _create(clients, "East", "by-alice")
        _create(clients, "West", "by-service")
    finally:
        clients.close()
    assert cloud.network_projects("East")["by-alice"] == ALPHA
    assert cloud.network_projects("West")["by-service"] == ADMIN


def test_the_local_engine_acts_with_clouds_yaml_in_caller_regions(cloud: Cloud) -> None:
    clients = cloud.clients(None)
    try:
        _create(clients, "East", "by-cli")
    finally:
        clients.close()
    assert cloud.network_projects("East")["by-cli"] == ADMIN


def test_a_cloud_of_another_keystone_cannot_act_as_the_caller(cloud: Cloud) -> None:
    clients = cloud.clients(CallerToken("t", ALPHA, f"{cloud.keystone}/v3/"))
    assert clients.caller_problems(["East", "West"]) == []
    [problem] = clients.caller_problems(["East", "North"])
    assert problem.startswith("region North (credentials: caller): its cloud 'elsewhere'")
    assert "http://127.0.0.1:9/identity" in problem
    assert "set `credentials: service` for region North in regions.yaml" in problem


def test_without_the_callers_token_caller_regions_say_why(cloud: Cloud) -> None:
    clients = cloud.clients(NoCallerToken("the server restarted"))
    assert clients.caller_problems(["West"]) == []
    assert clients.caller_problems(["East"]) == [
        "region East (credentials: caller): the server restarted"
    ]
    with pytest.raises(CloudAuthError, match="the server restarted"):
        _create(clients, "East", "nobody")
    assert cloud.clients(None).caller_problems(["East", "North"]) == []


def test_an_expired_callers_token_is_a_clear_error(cloud: Cloud) -> None:
    clients = cloud.clients(CallerToken(cloud.login(), ALPHA, cloud.keystone))
    try:
        _create(clients, "East", "before-expiry")
        AdminClient(cloud.url).expire_tokens()
        with pytest.raises(CloudAuthError) as info:
            _create(clients, "East", "after-expiry")
        _create(clients, "West", "service-re-authenticates")
    finally:
        clients.close()
    assert "the caller's Keystone token was refused" in str(info.value)
    assert "expired or was revoked" in str(info.value)
    assert "after-expiry" not in cloud.network_projects("East")


def test_the_token_is_never_in_a_callers_repr() -> None:
    caller = CallerToken("s3cr3t-token", ALPHA, "http://k/identity")
    assert "s3cr3t-token" not in repr(caller)
    assert "s3cr3t-token" not in str(caller)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("http://K:5000/v3/", "http://k:5000"),
        ("http://k/identity", "http://k/identity/v3"),
        ("https://k/v2.0", "https://k"),
    ],
)
def test_keystone_urls_name_the_same_keystone_with_or_without_a_version(
    one: str, other: str
) -> None:
    assert keystone_root(one) == keystone_root(other)
    assert keystone_root("http://k/identity") != keystone_root("http://k:5000/identity")


def test_clouds_yaml_credentials_never_reach_a_callers_connection(cloud: Cloud) -> None:
    clients = cloud.clients(CallerToken(cloud.login(), ALPHA, cloud.keystone))
    try:
        config = clients.connection("East").config.config
    finally:
        clients.close()
    assert config["auth"] == {"auth_url": cloud.keystone}
    assert "admin" not in str(config.get("auth"))
