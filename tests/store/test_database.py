from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from crossheat.errors import StoreError
from crossheat.store import Action, Status, Store, database_url
from crossheat.store.database import (
    HEAD_REVISION,
    alembic_config,
    head_revision,
    is_crossheat_table,
    make_engine,
    migrate,
)
from crossheat.store.models import Base, StackRow, utcnow
from tests.pg import private_schema


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


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from private_schema("migrate")


def test_0004_numbers_the_events_already_written_in_id_order(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    with Session(engine) as session:
        for name in ("a", "b"):
            session.add(StackRow(
                id=name, name=name, project="p1", action="CREATE", status="COMPLETE",
                status_reason="", template={}, files={}, environment={}, parameters={},
                disable_rollback=True, region_map={}, created_at=utcnow(),
            ))  # fmt: skip
        session.commit()
    with engine.begin() as conn:
        for stack, reason in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("a", "a3"), ("b", "b2")]:
            conn.execute(
                text(
                    "INSERT INTO events (stack_id, resource_name, resource_type, action,"
                    " status, reason, timestamp) VALUES (:stack, :stack, 'OS::Heat::Stack',"
                    " 'CREATE', 'COMPLETE', :reason, :now)"
                ),
                {"stack": stack, "reason": reason, "now": utcnow()},
            )
    migrate(engine)
    engine.dispose()
    with Store.open(fresh_url) as store:
        store.add_event("a", "a", Action.UPDATE, Status.IN_PROGRESS, "a4")
        store.add_event("b", "b", Action.UPDATE, Status.IN_PROGRESS, "b3")
        for stack, count in (("a", 4), ("b", 3)):
            read = [(e.reason, e.seq) for e in store.list_events(stack)]
            assert read == [(f"{stack}{n}", n) for n in range(1, count + 1)]


def test_0005_installs_the_job_queue_on_postgresql_and_goes_back_down(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    postgresql = engine.dialect.name == "postgresql"

    def tables() -> set[str]:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) & {"workers", "procrastinate_jobs"}

    migrate(engine)
    # SQLite has no queue: only the (empty) workers table.
    assert tables() == ({"workers", "procrastinate_jobs"} if postgresql else {"workers"})
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    assert tables() == set()
    migrate(engine)  # and up again
    assert "workers" in tables()
    engine.dispose()
