from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from crossheat.errors import StoreError
from crossheat.store import Store, database_url
from crossheat.store.database import (
    HEAD_REVISION,
    head_revision,
    is_crossheat_table,
    make_engine,
    migrate,
)
from crossheat.store.models import Base


def test_default_database_is_under_xdg_data_home(tmp_path: Path) -> None:
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'crossheat' / 'crossheat.db'}"
    with Store.open():
        pass
    assert (tmp_path / "data" / "crossheat" / "crossheat.db").exists()


def test_environment_variable_names_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSHEAT_DATABASE_URL", "postgresql://u@db:5432/x")
    assert database_url() == "postgresql+psycopg://u@db:5432/x"
    assert database_url("sqlite:///elsewhere.db") == "sqlite:///elsewhere.db"


def test_the_head_revision_crossheat_knows_is_alembics() -> None:
    assert head_revision() == HEAD_REVISION


def test_migrations_build_exactly_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        context = MigrationContext.configure(conn, opts={"include_name": is_crossheat_table})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot migrate"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
