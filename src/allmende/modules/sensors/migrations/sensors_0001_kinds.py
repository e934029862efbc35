"""Sensors: kinds of measurement added to the built-in ones.

Revision ID: sensors_0001
Revises:
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType

revision = "sensors_0001"
down_revision = None
branch_labels = ("sensors",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensors_kinds",
        sa.Column("id", IdType, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("style", sa.String(length=10), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors_kinds")),
        sa.UniqueConstraint("key", name=op.f("uq_sensors_kinds_key")),
        sa.UniqueConstraint("definition", name=op.f("uq_sensors_kinds_definition")),
    )


def downgrade() -> None:
    op.drop_table("sensors_kinds")
