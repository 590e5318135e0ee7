"""Every store test runs against SQLite and PostgreSQL.

PostgreSQL: one fresh schema per test session (so parallel workers never
meet), emptied between tests and dropped at the end. Its variant is skipped,
with the reason, when the server at 127.0.0.1:5432 does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossheat.store import Store
from tests.pg import empty, private_schema


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys and default databases go to the test's own directory, never to ~."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CROSSHEAT_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema of their own."""
    yield from private_schema("test")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL, empty at the start of the test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'crossheat.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    empty(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened
