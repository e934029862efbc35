"""Notice board.

Revision ID: notices_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType, UTCDateTime

revision = "notices_0001"
down_revision = None
branch_labels = ("notices",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "notices_notices",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_notices_notices_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices_notices")),
    )
    op.create_index(
        op.f("ix_notices_notices_municipality_id"), "notices_notices", ["municipality_id"]
    )


def downgrade() -> None:
    op.drop_table("notices_notices")
