"""Events are numbered per stack in commit order (``events.seq``, ``event_sequences``).

Readers follow a stack's events by this number, not by the id, which is taken
at insert and can commit late (``store/_events.py`` gives the argument). The
events already written are numbered in id order, the order they were read in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each event's rank in its stack by id (window functions: SQLite 3.25+, PostgreSQL).
NUMBER_EVENTS = """
UPDATE events SET seq = (
    SELECT numbered.seq FROM (
        SELECT id, ROW_NUMBER() OVER (PARTITION BY stack_id ORDER BY id) AS seq FROM events
    ) AS numbered
    WHERE numbered.id = events.id
)
"""


def upgrade() -> None:
    op.create_table(
        "event_sequences",
        sa.Column("stack_id", sa.String(36), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stack_id"], ["stacks.id"], name="fk_event_sequences_stack_id_stacks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stack_id", name="pk_event_sequences"),
    )  # fmt: skip
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(NUMBER_EVENTS)
    op.execute(
        "INSERT INTO event_sequences (stack_id, last_seq)"
        " SELECT stack_id, MAX(seq) FROM events GROUP BY stack_id"
    )
    op.drop_index("ix_events_stack_id_id", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
    op.create_index("uq_events_stack_id_seq", "events", ["stack_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_events_stack_id_seq", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("seq")
    op.create_index("ix_events_stack_id_id", "events", ["stack_id", "id"])
    op.drop_table("event_sequences")
