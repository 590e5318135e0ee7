"""The dashboard in-process (``fastapi.testclient``) for HTTP-level tests: the API's
application on a fresh SQLite database, with ``--auth none`` (``local``) or with the
emulator's Keystone (``secured``, a ``ThreadedEmulator``). The browser tests (Playwright)
have their own harness, in ``tests/ui/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crossheat.api.app import create_app
from crossheat.api.auth import KeystoneAuthenticator, NoAuth
from crossheat.emulator.core import EmulatorConfig
from crossheat.emulator.server import ThreadedEmulator
from crossheat.service import Service
from tests.ui.pages.forms import REGION_MAP, SEEDS


@pytest.fixture
def region_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "regions.yaml"
    path.write_text(REGION_MAP)
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))
    return path


@pytest.fixture
def ui_service(tmp_path: Path, region_map: Path) -> Iterator[Service]:
    service = Service(database_url=f"sqlite:///{tmp_path / 'ui.db'}")
    yield service
    service.close()


@pytest.fixture
def local(ui_service: Service) -> Iterator[TestClient]:
    """``--auth none``: the local user, in project ``default``, logged in."""
    app = create_app(ui_service, auth=NoAuth(), max_operations=4)
    with TestClient(app) as client:
        assert client.get("/dashboard/").status_code == 200
        yield client


@pytest.fixture(scope="module")
def keystone() -> Iterator[str]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East"], projects=SEEDS))
    try:
        yield running.url
    finally:
        running.stop()


@pytest.fixture
def secured(ui_service: Service, keystone: str) -> Iterator[TestClient]:
    """The dashboard with the emulator's Keystone; nobody logged in yet."""
    app = create_app(ui_service, auth=KeystoneAuthenticator(f"{keystone}/identity"))
    with TestClient(app) as client:
        yield client
