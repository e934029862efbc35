"""The catalogue's staff entries.

Revision ID: dcat_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, JSONType, UTCDateTime

revision = "dcat_0001"
down_revision = None
branch_labels = ("dcat",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "dcat_entries",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("keywords", JSONType, nullable=True),
        sa.Column("themes", JSONType, nullable=True),
        sa.Column("frequency", sa.String(40), nullable=True),
        sa.Column("license", sa.String(200), nullable=True),
        sa.Column("attribution", sa.String(300), nullable=True),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("references", JSONType, nullable=True),
        sa.Column("links", JSONType, nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_dcat_entries_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dcat_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_dcat_entries_key")),
    )
    op.create_index(op.f("ix_dcat_entries_municipality_id"), "dcat_entries", ["municipality_id"])
    op.create_index(op.f("ix_dcat_entries_updated_at"), "dcat_entries", ["updated_at"])


def downgrade() -> None:
    op.drop_table("dcat_entries")
