"""Delivery tracking of the Tasks the platform sends: state, attempts, acknowledgement.

Revision ID: sensing_0003
Revises: sensing_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, UTCDateTime

revision = "sensing_0003"
down_revision = "sensing_0002"
branch_labels = None
depends_on = None

DELIVERIES = "sensing_task_deliveries"
ATTEMPTS = "sensing_task_attempts"


def upgrade() -> None:
    op.create_table(
        DELIVERIES,
        sa.Column("task_id", IdType, nullable=False),
        sa.Column("tasking_capability_id", IdType, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_task_id", IdType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["sensing_tasks.id"],
            name=op.f(f"fk_{DELIVERIES}_task_id_sensing_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tasking_capability_id"],
            ["sensing_tasking_capabilities.id"],
            name=op.f(f"fk_{DELIVERIES}_tasking_capability_id_sensing_tasking_capabilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f(f"pk_{DELIVERIES}")),
    )
    op.create_index("ix_sensing_task_deliveries_state", DELIVERIES, ["state", "last_attempt_at"])
    op.create_index(
        op.f(f"ix_{DELIVERIES}_tasking_capability_id"), DELIVERIES, ["tasking_capability_id"]
    )
    op.create_index(op.f(f"ix_{DELIVERIES}_origin"), DELIVERIES, ["origin"])
    op.create_table(
        ATTEMPTS,
        sa.Column("task_id", IdType, nullable=False),
        sa.Column("delivery_id", IdType, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["sensing_tasks.id"],
            name=op.f(f"fk_{ATTEMPTS}_task_id_sensing_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            [f"{DELIVERIES}.task_id"],
            name=op.f(f"fk_{ATTEMPTS}_delivery_id_{DELIVERIES}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f(f"pk_{ATTEMPTS}")),
    )
    op.create_index(op.f(f"ix_{ATTEMPTS}_delivery_id"), ATTEMPTS, ["delivery_id"])


def downgrade() -> None:
    op.drop_table(ATTEMPTS)
    op.drop_table(DELIVERIES)
