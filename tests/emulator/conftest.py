"""Fixtures: an in-process emulator (East and West, in memory) and openstacksdk connections.

- ``emulator``: ``(base_url, Emulator)`` of a fresh emulator on a free port.
- ``clouds_yaml``: a temporary clouds.yaml (``OS_CLIENT_CONFIG_FILE``) with entries
  ``emulator`` (admin) and ``emulator-demo`` (demo); returns its path.
- ``conn`` / ``demo_conn`` / ``west_conn``: ``openstack.connect(...)`` as admin in East,
  demo in East, admin in West.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest

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
