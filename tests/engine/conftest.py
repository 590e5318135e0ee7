"""Fixtures of the engine's unit tests: a store in a temporary SQLite file, a fresh box cloud."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossheat.store import Store
from tests.engine.boxes import BoxCloud


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


@pytest.fixture
def cloud() -> BoxCloud:
    return BoxCloud.reset()
