"""Energy: buildings, thermal zones, meters, plans, and demand-response links and events.

Revision ID: energy_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType, JSONType, UTCDateTime

revision = "energy_0001"
down_revision = None
branch_labels = ("energy",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "energy_buildings",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("use", sa.String(length=40), nullable=False),
        sa.Column("floor_area", sa.Float(), nullable=False),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("heating_system", sa.String(length=20), nullable=False),
        sa.Column("heat_pump", sa.Boolean(), nullable=False),
        sa.Column("pv_kwp", sa.Float(), nullable=False),
        sa.Column("object_ref", sa.String(length=200), nullable=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_energy_buildings_municipality_id_identity_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_buildings")),
        sa.UniqueConstraint(
            "municipality_id", "name", name=op.f("uq_energy_buildings_municipality_id_name")
        ),
    )
    op.create_index(
        op.f("ix_energy_buildings_municipality_id"),
        "energy_buildings",
        ["municipality_id"],
        unique=False,
    )
    op.create_table(
        "energy_meters",
        sa.Column("id", IdType, nullable=False),
        sa.Column("building_id", IdType, nullable=False),
        sa.Column("parent_id", IdType, nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("carrier", sa.String(length=20), nullable=False),
        sa.Column("reading", sa.String(length=10), nullable=False),
        sa.Column("nominal_seconds", sa.Integer(), nullable=False),
        sa.Column("datastream_id", IdType, nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["energy_buildings.id"],
            name=op.f("fk_energy_meters_building_id_energy_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["energy_meters.id"],
            name=op.f("fk_energy_meters_parent_id_energy_meters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_meters")),
        sa.UniqueConstraint("datastream_id", name=op.f("uq_energy_meters_datastream_id")),
    )
    op.create_index(
        op.f("ix_energy_meters_building_id"), "energy_meters", ["building_id"], unique=False
    )
    op.create_table(
        "energy_ven_links",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("vtn_url", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.String(length=500), nullable=False),
        sa.Column("ven_name", sa.String(length=200), nullable=False),
        sa.Column("ven_id", sa.String(length=200), nullable=True),
        sa.Column("building_id", IdType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("polled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["energy_buildings.id"],
            name=op.f("fk_energy_ven_links_building_id_energy_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_energy_ven_links_municipality_id_identity_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_ven_links")),
        sa.UniqueConstraint("municipality_id", name=op.f("uq_energy_ven_links_municipality_id")),
    )
    op.create_table(
        "energy_zones",
        sa.Column("id", IdType, nullable=False),
        sa.Column("building_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("floor_area", sa.Float(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("window_area", sa.Float(), nullable=False),
        sa.Column("opaque_area", sa.Float(), nullable=False),
        sa.Column("u_window", sa.Float(), nullable=False),
        sa.Column("u_opaque", sa.Float(), nullable=False),
        sa.Column("air_changes", sa.Float(), nullable=False),
        sa.Column("heat_capacity", sa.Float(), nullable=False),
        sa.Column("heating_kw", sa.Float(), nullable=False),
        sa.Column("cooling_kw", sa.Float(), nullable=False),
        sa.Column("occupied_start", sa.Float(), nullable=False),
        sa.Column("occupied_end", sa.Float(), nullable=False),
        sa.Column("comfort_low", sa.Float(), nullable=False),
        sa.Column("comfort_high", sa.Float(), nullable=False),
        sa.Column("setback", sa.Float(), nullable=False),
        sa.Column("control", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=10), nullable=False),
        sa.Column(
            "calibration",
            JSONType,
            nullable=True,
        ),
        sa.Column("indoor_stream_id", IdType, nullable=False),
        sa.Column("setpoint_stream_id", IdType, nullable=False),
        sa.Column("heating_stream_id", IdType, nullable=False),
        sa.Column("capability_id", IdType, nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["energy_buildings.id"],
            name=op.f("fk_energy_zones_building_id_energy_buildings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_zones")),
        sa.UniqueConstraint("building_id", "name", name=op.f("uq_energy_zones_building_id_name")),
    )
    op.create_index(
        op.f("ix_energy_zones_building_id"), "energy_zones", ["building_id"], unique=False
    )
    op.create_table(
        "energy_demand_events",
        sa.Column("id", IdType, nullable=False),
        sa.Column("link_id", IdType, nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("program_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("payload_type", sa.String(length=40), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column(
            "intervals",
            JSONType,
            nullable=False,
        ),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("replanned_at", UTCDateTime(), nullable=True),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("share_kept", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["energy_ven_links.id"],
            name=op.f("fk_energy_demand_events_link_id_energy_ven_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_demand_events")),
        sa.UniqueConstraint(
            "link_id", "event_id", name=op.f("uq_energy_demand_events_link_id_event_id")
        ),
    )
    op.create_table(
        "energy_plans",
        sa.Column("id", IdType, nullable=False),
        sa.Column("zone_id", IdType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("step_seconds", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("co2", sa.Float(), nullable=True),
        sa.Column("solve_ms", sa.Float(), nullable=True),
        sa.Column(
            "setpoints",
            JSONType,
            nullable=False,
        ),
        sa.Column(
            "heating_kw",
            JSONType,
            nullable=False,
        ),
        sa.Column("import_limit_kw", sa.Float(), nullable=True),
        sa.Column("task_id", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["energy_zones.id"],
            name=op.f("fk_energy_plans_zone_id_energy_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_plans")),
    )
    op.create_index(op.f("ix_energy_plans_start"), "energy_plans", ["start"], unique=False)


def downgrade() -> None:
    op.drop_table("energy_plans")
    op.drop_table("energy_demand_events")
    op.drop_table("energy_zones")
    op.drop_table("energy_ven_links")
    op.drop_table("energy_meters")
    op.drop_table("energy_buildings")
