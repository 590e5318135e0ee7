"""Initial schema: stacks (with their lock), resources, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = 255, nullable: bool = True) -> sa.Column[object]:
    kind = sa.String(length) if length else sa.Text()
    return sa.Column(name, kind, nullable=nullable)


def _fk_stack(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["stacks.id"], name=f"fk_{table}_{column}_stacks", ondelete="CASCADE"
    )


def _create_stacks() -> None:
    op.create_table(
        "stacks",
        _text("id", 36, nullable=False),
        _text("name", nullable=False),
        _text("project", nullable=False),
        _text("parent_id", 36),
        _text("action", 16, nullable=False),
        _text("status", 16, nullable=False),
        _text("status_reason", None, nullable=False),
        sa.Column("template", _json(), nullable=False),
        _text("template_path", None),
        sa.Column("files", _json(), nullable=False),
        sa.Column("environment", _json(), nullable=False),
        sa.Column("parameters", _json(), nullable=False),
        sa.Column("disable_rollback", sa.Boolean(), nullable=False),
        sa.Column("timeout_mins", sa.Integer(), nullable=True),
        sa.Column("region_map", _json(), nullable=False),
        sa.Column("previous", _json(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at"),
        _time("deleted_at"),
        _text("lock_operation", 16),
        _text("lock_engine_id"),
        _time("lock_acquired_at"),
        _time("lock_heartbeat_at"),
        _fk_stack("stacks", "parent_id"),
        sa.PrimaryKeyConstraint("id", name="pk_stacks"),
    )
    op.create_index("ix_stacks_parent_id", "stacks", ["parent_id"])
    op.create_index(
        "uq_stacks_live_name",
        "stacks",
        ["project", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def _create_resources() -> None:
    op.create_table(
        "resources",
        _text("id", 36, nullable=False),
        _text("stack_id", 36, nullable=False),
        _text("name", nullable=False),
        _text("type", nullable=False),
        _text("region"),
        _text("physical_id"),
        _text("action", 16, nullable=False),
        _text("status", 16, nullable=False),
        _text("status_reason", None, nullable=False),
        sa.Column("properties", _json(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("progress", _json(), nullable=True),
        sa.Column("intent", _json(), nullable=True),
        _text("replaces", 36),
        _text("replaced_by", 36),
        _time("created_at", nullable=False),
        _time("updated_at"),
        _fk_stack("resources", "stack_id"),
        sa.PrimaryKeyConstraint("id", name="pk_resources"),
    )
    op.create_index("ix_resources_stack_id_name", "resources", ["stack_id", "name"])


def _create_events() -> None:
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _text("stack_id", 36, nullable=False),
        _text("resource_name", nullable=False),
        _text("resource_type", nullable=False),
        _text("physical_id"),
        _text("region"),
        _text("action", 16, nullable=False),
        _text("status", 16, nullable=False),
        _text("reason", None, nullable=False),
        _time("timestamp", nullable=False),
        _fk_stack("events", "stack_id"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_stack_id_id", "events", ["stack_id", "id"])


def upgrade() -> None:
    _create_stacks()
    _create_resources()
    _create_events()


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("resources")
    op.drop_index("uq_stacks_live_name", table_name="stacks")
    op.drop_index("ix_stacks_parent_id", table_name="stacks")
    op.drop_table("stacks")
