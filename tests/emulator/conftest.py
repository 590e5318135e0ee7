"""Fixtures: an in-process emulator (East and West, in memory) and openstacksdk connections.

- ``emulator``: ``(base_url, Emulator)`` of a fresh emulator on a free port.
- ``clouds_yaml``: a temporary clouds.yaml (``OS_CLIENT_CONFIG_FILE``) with entries
  ``emulator`` (admin) and ``emulator-demo`` (demo); returns its path.
- ``conn`` / ``demo_conn`` / ``west_conn``: ``openstack.connect(...)`` as admin in East,
  demo in East, admin in West.
- ``ks_session`` / ``demo_ks_session``: keystoneauth1 sessions of admin and demo on the
  emulator's Keystone, as Heat hands them to python-novaclient, -neutronclient, -glanceclient.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
from keystoneauth1 import session as ks
from keystoneauth1.identity import v3

from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import Emulator, EmulatorConfig
from crossheat.emulator.server import ThreadedEmulator


@pytest.fixture
def emulator() -> Iterator[tuple[str, Emulator]]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East", "West"], state=":memory:"))
    try:
        yield running.url, running.emulator
    finally:
        running.stop()


@pytest.fixture
def clouds_yaml(
    emulator: tuple[str, Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    path = tmp_path / "clouds.yaml"
    write_clouds_yaml(path, "emulator", emulator[0], ["East", "West"])
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


def connect(cloud: str, region: str) -> Any:
    return openstack.connect(cloud=cloud, region_name=region)


@pytest.fixture
def conn(clouds_yaml: Path) -> Any:
    return connect("emulator", "East")


@pytest.fixture
def demo_conn(clouds_yaml: Path) -> Any:
    return connect("emulator-demo", "East")


@pytest.fixture
def west_conn(clouds_yaml: Path) -> Any:
    return connect("emulator", "West")


def keystone_session(url: str, user: str) -> Any:
    """A keystoneauth1 session of ``user`` (password = name) in its own project."""
    auth = v3.Password(
        auth_url=f"{url}/identity/v3",
        username=user,
        password=user,
        project_name=user,
        user_domain_name="Default",
        project_domain_name="Default",
    )
    return ks.Session(auth=auth)


@pytest.fixture
def ks_session(emulator: tuple[str, Emulator]) -> Any:
    return keystone_session(emulator[0], "admin")


@pytest.fixture
def demo_ks_session(emulator: tuple[str, Emulator]) -> Any:
    return keystone_session(emulator[0], "demo")
