"""A tracked Task keeps its reason as a message, shown in each reader's language.

Revision ID: sensing_0004
Revises: sensing_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import JSONType

revision = "sensing_0004"
down_revision = "sensing_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sensing_task_deliveries", sa.Column("reason_text", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sensing_task_deliveries") as batch:
        batch.drop_column("reason_text")
