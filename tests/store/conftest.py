"""Every store test runs against SQLite and PostgreSQL.

PostgreSQL: one fresh schema per test session (so parallel workers never
meet), emptied between tests and dropped at the end. Its variant is skipped,
with the reason, when the server at 127.0.0.1:5432 does not answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from crossheat.store import Store

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys and default databases go to the test's own directory, never to ~."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CROSSHEAT_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema of their own."""
    try:
        psycopg.connect(PG_CONNINFO).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    schema = f"crossheat_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'stacks'"
                " AND table_schema = current_schema()"
            )
        ).first()
        if tables:
            conn.execute(text("TRUNCATE events, resources, stacks"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL, empty at the start of the test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'crossheat.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    _empty_pg(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened
