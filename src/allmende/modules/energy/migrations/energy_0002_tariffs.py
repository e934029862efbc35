"""Energy: tariffs per municipality and carrier, the thermostat's fixed start per zone.

Revision ID: energy_0002
Revises: energy_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType

revision = "energy_0002"
down_revision = "energy_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "energy_tariffs",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("co2", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_energy_tariffs_municipality_id_identity_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_tariffs")),
        sa.UniqueConstraint(
            "municipality_id",
            "carrier",
            "valid_from",
            name=op.f("uq_energy_tariffs_municipality_id_carrier_valid_from"),
        ),
    )
    op.create_index(
        op.f("ix_energy_tariffs_municipality_id"),
        "energy_tariffs",
        ["municipality_id"],
        unique=False,
    )
    with op.batch_alter_table("energy_zones") as batch:
        batch.add_column(sa.Column("preheat_hours", sa.Float(), nullable=False, server_default="2"))


def downgrade() -> None:
    with op.batch_alter_table("energy_zones") as batch:
        batch.drop_column("preheat_hours")
    op.drop_index(op.f("ix_energy_tariffs_municipality_id"), table_name="energy_tariffs")
    op.drop_table("energy_tariffs")
