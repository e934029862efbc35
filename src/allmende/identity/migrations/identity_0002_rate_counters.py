"""Counters of attempts for rate limits and sign-in back-offs, shared by every worker.

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_rate_counters",
        sa.Column("bucket", sa.String(100), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("previous_hits", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_identity_rate_counters")),
    )
    op.create_index(
        op.f("ix_identity_rate_counters_expires_at"), "identity_rate_counters", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("identity_rate_counters")
