"""Which database, how to connect to it, and bringing its schema to the latest version.

    url = database_url()        # $CROSSHEAT_DATABASE_URL, or the SQLite file below
    engine = make_engine(url)
    migrate(engine)             # alembic upgrade head, once, under a lock

Default: ``sqlite:///$XDG_DATA_HOME/crossheat/crossheat.db`` (``~/.local/share``),
in WAL mode with a 30 s busy timeout. ``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossheat.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection, Engine

# SQLAlchemy is imported by the functions that need it: ``database_url`` and
# ``HEAD_REVISION`` serve ``crossheat.service.listing``, which reads without it.

URL_VARIABLE = "CROSSHEAT_DATABASE_URL"
BUSY_TIMEOUT_S = 30
#: PostgreSQL ends a session idle in a transaction this long (``_postgresql_settings``):
#: less than the 30 s after which a silent engine's stack may be taken over.
IDLE_IN_TRANSACTION_S = 15
#: Requests a server answers at once (the threadpool its sync routes run in, anyio's 40),
#: each holding at most one connection at a time.
REQUEST_THREADS = 40
MIGRATIONS = Path(__file__).with_name("migrations")
#: Any constant: PostgreSQL advisory lock key taken while migrating.
_MIGRATION_LOCK_KEY = 0x63726F7373


def default_sqlite_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crossheat" / "crossheat.db"


def database_url(url: str | None = None) -> str:
    """``url``, else ``$CROSSHEAT_DATABASE_URL``, else the default SQLite file."""
    chosen = url or os.environ.get(URL_VARIABLE)
    if not chosen:
        return f"sqlite:///{default_sqlite_path()}"
    for bare in ("postgresql://", "postgres://"):
        if chosen.startswith(bare):
            return "postgresql+psycopg://" + chosen[len(bare) :]
    return chosen


def pool_size(operations: int) -> tuple[int, int]:
    """Connections kept open and the extra ones allowed at a peak, for a process running
    ``operations`` at once: each operation holds one at a time for its heartbeat and
    cancel watch and a few for its resources' writes (short transactions); a server's
    requests one each. (With less, a session waits for a connection, and fails after
    30 s; past the kept ones, a connection is closed when given back, and a SQLite one
    opened again with its pragmas a moment later.)"""
    operations = max(1, operations)
    return 4 + operations, 8 + 2 * operations + REQUEST_THREADS


def make_engine(url: str, operations: int = 1) -> Engine:
    """An engine for ``url``; for SQLite, the directory is created and WAL turned on.
    A server's connection pool is sized for ``operations`` running at once (``pool_size``)."""
    from sqlalchemy import create_engine, event, make_url

    parsed = make_url(url)
    size, overflow = pool_size(operations)
    pool: dict[str, Any] = {"pool_size": size, "max_overflow": overflow}
    if parsed.get_backend_name() != "sqlite":
        from crossheat.store.models import use_postgresql

        use_postgresql()
        engine = create_engine(url, pool_pre_ping=True, **pool)
        event.listen(engine, "connect", _postgresql_settings)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        pool = {}  # an in-memory database: one connection per thread (SingletonThreadPool)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **pool)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    """A session left idle in a transaction for ``IDLE_IN_TRANSACTION_S`` is ended by the
    server, its locks freed: a process frozen mid-transaction (a stalled machine, SIGSTOP)
    would otherwise hold a stack's row for as long as it sleeps, and nobody could take the
    stack over (the sweep would wait on it). Our transactions are short and never wait
    on anything but the database."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        seconds = int(IDLE_IN_TRANSACTION_S)
        cursor.execute(f"SET idle_in_transaction_session_timeout = '{seconds}s'")
    dbapi_connection.autocommit = autocommit


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_crossheat_table(name: str | None, kind: str, _parents: object = None) -> bool:
    """False for the job queue's own tables (procrastinate's, PostgreSQL): Alembic's
    comparisons of the database with crossheat's models leave them out (``include_name``)."""
    return not (kind == "table" and (name or "").startswith("procrastinate_"))


def alembic_config() -> Config:
    """An Alembic ``Config`` pointing at the packaged migrations (no alembic.ini)."""
    from alembic.config import Config  # imported when needed: every command starts faster

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


#: The newest migration; ``tests/store/test_database.py`` checks it is Alembic's head.
#: Known here so that a command on an up-to-date database never loads Alembic.
HEAD_REVISION = "0008"


def head_revision() -> str | None:
    """The head of the packaged migrations, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head; concurrent callers wait for each other."""
    from sqlalchemy.exc import SQLAlchemyError

    head = HEAD_REVISION
    try:
        with engine.connect() as conn:
            current = _current_revision(conn)
            conn.rollback()
            if current == head:
                return
            _lock_for_migration(conn)
            if _current_revision(conn) != head:
                from alembic import command

                config = alembic_config()
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            conn.commit()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the database {engine.url!r}: {exc}") from exc


def _current_revision(conn: Connection) -> str | None:
    """What ``alembic_version`` says, read without Alembic (None: no schema yet)."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _lock_for_migration(conn: Connection) -> None:
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
