"""The mail queue, mail preferences, and notifications made once per cause with their mail.

Revision ID: delivery_0002
Revises: delivery_0001
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, JSONType, UTCDateTime

revision = "delivery_0002"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None

TABLE = "delivery_mails"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("context", JSONType, nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("municipality_id", IdType, nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f(f"fk_{TABLE}_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f(f"fk_{TABLE}_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("dedupe_key", name=op.f(f"uq_{TABLE}_dedupe_key")),
    )
    op.create_index("ix_delivery_mails_state_due", TABLE, ["state", "next_attempt_at"])
    op.create_index("ix_delivery_mails_address_state", TABLE, ["to_address", "state"])
    op.create_index(op.f(f"ix_{TABLE}_user_id"), TABLE, ["user_id"])
    op.create_index(op.f(f"ix_{TABLE}_created_at"), TABLE, ["created_at"])
    op.create_table(
        "delivery_mail_preferences",
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("updates", sa.Boolean(), nullable=False),
        sa.Column("staff_alerts", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("last_digest_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_delivery_mail_preferences")),
    )
    with op.batch_alter_table("delivery_notifications") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("mail_template", sa.String(200), nullable=True))
        batch.add_column(sa.Column("mail_context", JSONType, nullable=True))
        batch.create_unique_constraint(op.f("uq_delivery_notifications_dedupe_key"), ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_notifications") as batch:
        batch.drop_constraint(op.f("uq_delivery_notifications_dedupe_key"), type_="unique")
        batch.drop_column("dedupe_key")
        batch.drop_column("mail_template")
        batch.drop_column("mail_context")
    op.drop_table("delivery_mail_preferences")
    op.drop_table(TABLE)
