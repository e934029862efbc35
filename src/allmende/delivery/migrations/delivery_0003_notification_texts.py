"""Staff notifications keep their subject and body as messages, shown in each reader's language.

Revision ID: delivery_0003
Revises: delivery_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import JSONType

revision = "delivery_0003"
down_revision = "delivery_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("delivery_notifications", sa.Column("texts", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_notifications") as batch:
        batch.drop_column("texts")
