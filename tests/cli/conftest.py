"""What the CLI tests that run ``crossheat`` as a process share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment for ``crossheat`` without the caller's ``OS_*``/``CROSSHEAT_*``
    settings: its own config and data directories and a fresh SQLite state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CROSSHEAT_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        CROSSHEAT_DATABASE_URL=f"sqlite:///{tmp_path / 'state.db'}",
        PYTHONWARNINGS="ignore",
    )
    return env
