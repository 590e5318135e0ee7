"""When polled resources became ready (``readiness``): the bounds the engine's poll
schedules learn from (``engine.pacing``), one row per finished action that polled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_readiness_resource_type_region_action_id"


def upgrade() -> None:
    op.create_table(
        "readiness",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
            nullable=False,
        ),
        sa.Column("resource_type", sa.String(255), nullable=False),
        sa.Column("region", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("not_ready_at", sa.Float(), nullable=False),
        sa.Column("ready_by", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_readiness"),
    )  # fmt: skip
    op.create_index(INDEX, "readiness", ["resource_type", "region", "action", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="readiness")
    op.drop_table("readiness")
