"""Participation: a survey is open for answers or closed (staff build it closed, then open it).

Revision ID: participation_0002
Revises: participation_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "participation_0002"
down_revision = "participation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participation_surveys") as batch:
        batch.add_column(
            sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("participation_surveys") as batch:
        batch.drop_column("is_open")
