"""Software configs and deployments, stored as Heat's API keeps them (per project).

crossheat runs no agent on servers: these are records a client creates, reads,
updates and deletes through ``/software_configs`` and ``/software_deployments``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = 255, nullable: bool = True) -> sa.Column[object]:
    kind = sa.String(length) if length else sa.Text()
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "software_configs",
        _text("id", 36, nullable=False),
        _text("project", nullable=False),
        _text("name"),
        _text("group"),
        sa.Column("config", _json(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_software_configs"),
    )
    op.create_index("ix_software_configs_project", "software_configs", ["project"])
    op.create_table(
        "software_deployments",
        _text("id", 36, nullable=False),
        _text("project", nullable=False),
        _text("stack_user_project_id", 64),
        _text("config_id", 36, nullable=False),
        _text("server_id", nullable=False),
        sa.Column("input_values", _json(), nullable=True),
        sa.Column("output_values", _json(), nullable=True),
        _text("action", nullable=False),
        _text("status", nullable=False),
        _text("status_reason", None, nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["software_configs.id"],
            name="fk_software_deployments_config_id_software_configs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_software_deployments"),
    )
    op.create_index("ix_software_deployments_project", "software_deployments", ["project"])
    op.create_index("ix_software_deployments_server_id", "software_deployments", ["server_id"])


def downgrade() -> None:
    op.drop_table("software_deployments")
    op.drop_table("software_configs")
