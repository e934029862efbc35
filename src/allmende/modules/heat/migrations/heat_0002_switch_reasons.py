"""The action plan's switches keep their reason as a message, shown in each reader's language.

Revision ID: heat_0002
Revises: heat_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import JSONType

revision = "heat_0002"
down_revision = "heat_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("heat_plan_switches", sa.Column("reason_text", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("heat_plan_switches") as batch:
        batch.drop_column("reason_text")
