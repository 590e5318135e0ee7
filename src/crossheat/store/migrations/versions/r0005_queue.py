"""The job queue of a deployment: procrastinate's schema, and crossheat's workers.

On PostgreSQL, operations can be queued as procrastinate jobs and run by
``crossheat worker`` processes on any machine (``crossheat.service.queue``):
procrastinate's own schema (its tables, types, functions and triggers, as the
installed procrastinate ships it) goes into the database's current schema,
unless it is there already (``procrastinate schema --apply`` run by hand). A
procrastinate upgrade that changes its schema comes with a crossheat migration
applying procrastinate's migration scripts. SQLite has no queue: only the
``workers`` table is made, empty.

``workers``: who runs, for ``crossheat worker list``; one row per procrastinate
worker (same id), whose heartbeat is procrastinate's.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("queues", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    present = bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if present is None:
        from procrastinate.schema import SchemaManager

        # psycopg's own execute: the script's '%' are not placeholders.
        bind.connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]


def downgrade() -> None:
    op.drop_table("workers")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in ("events", "periodic_defers", "jobs", "workers"):
        op.execute(f"DROP TABLE IF EXISTS procrastinate_{table} CASCADE")
    functions = bind.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'"
        )
    ).scalars()
    for signature in list(functions):
        op.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for kind in ("job_status", "job_event_type", "job_to_defer_v1"):
        op.execute(f"DROP TYPE IF EXISTS procrastinate_{kind} CASCADE")
