"""Alembic environment: runs on the connection ``crossheat.store.database.migrate`` passes.

Without one (``alembic`` command line with ``-x url=...`` or
``$CROSSHEAT_DATABASE_URL``), it connects by itself.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from crossheat.store.database import database_url, is_crossheat_table, make_engine
from crossheat.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=is_crossheat_table,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url(context.get_x_argument(as_dictionary=True).get("url")))
    with engine.connect() as own:
        _run(own)
        own.commit()


run_migrations_online()
