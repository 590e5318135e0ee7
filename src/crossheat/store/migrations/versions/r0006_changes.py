"""Change counters: PostgreSQL counts the commits that change stacks or resources.

A server keeps its stack list and show answers while the database does not change
(``crossheat.api.cache``, ``store/_changes.py``). SQLite says when any connection
committed (``PRAGMA data_version``); PostgreSQL has nothing of the kind for one
database. Here a statement-level trigger on ``stacks`` and ``resources`` adds one to a
counter in the same transaction as the change, whoever makes it (this server, a
``crossheat worker``, a command, plain SQL): the sum of the counters changes with every
such commit, and only then. ``SLOTS`` counters, one chosen by the backend's pid, so
that concurrent writers seldom wait for each other's counter row. On SQLite the table
is made, empty, and unused.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 16
TABLES = ("stacks", "resources")

COUNT = f"""
CREATE FUNCTION crossheat_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE changes SET counter = counter + 1 WHERE slot = pg_backend_pid() % {SLOTS};
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slot", name="pk_changes"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"INSERT INTO changes (slot, counter) SELECT s, 0 FROM generate_series(0, {SLOTS - 1}) s"
    )
    op.execute(COUNT)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION crossheat_count_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS crossheat_count_change()")
    op.drop_table("changes")
