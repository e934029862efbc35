"""Water: the trees' balance, waterings, probes, stations, district groups, irrigation zones
and decisions, meters and leaks, event cursors.

Revision ID: water_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType, JSONType, UTCDateTime

revision = "water_0001"
down_revision = None
branch_labels = ("water",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "water_cursors",
        sa.Column("id", IdType, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_id", IdType, nullable=False),
        sa.Column("handled", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_cursors")),
        sa.UniqueConstraint("name", name=op.f("uq_water_cursors_name")),
    )
    op.create_table(
        "water_groups",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("district", sa.String(length=200), nullable=False),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("datastreams", JSONType, nullable=False),
        sa.Column("published_until", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_groups_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_groups")),
        sa.UniqueConstraint(
            "municipality_id", "district", name=op.f("uq_water_groups_municipality_id_district")
        ),
    )
    op.create_index(
        op.f("ix_water_groups_municipality_id"), "water_groups", ["municipality_id"], unique=False
    )
    op.create_table(
        "water_meters",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("building", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("counter_datastream_id", IdType, nullable=True),
        sa.Column("counter_unit", sa.String(length=20), nullable=True),
        sa.Column("flow_datastream_id", IdType, nullable=True),
        sa.Column("rollover_l", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_meters_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_meters")),
        sa.UniqueConstraint("thing_id", name=op.f("uq_water_meters_thing_id")),
    )
    op.create_index(
        op.f("ix_water_meters_municipality_id"), "water_meters", ["municipality_id"], unique=False
    )
    op.create_table(
        "water_stations",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("et0_datastream_id", IdType, nullable=True),
        sa.Column("published_until", sa.String(length=10), nullable=True),
        sa.Column("et0_hourly_datastream_id", IdType, nullable=True),
        sa.Column("hourly_until", UTCDateTime(), nullable=True),
        sa.Column("elevation_m", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("outlook_day", sa.String(length=10), nullable=True),
        sa.Column("outlook_et0", JSONType, nullable=True),
        sa.Column("outlook_rain", JSONType, nullable=True),
        sa.Column("outlook_source", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_stations_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_stations")),
        sa.UniqueConstraint("thing_id", name=op.f("uq_water_stations_thing_id")),
    )
    op.create_index(
        op.f("ix_water_stations_municipality_id"),
        "water_stations",
        ["municipality_id"],
        unique=False,
    )
    op.create_table(
        "water_trees",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("collection", sa.String(length=120), nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("species", sa.String(length=200), nullable=True),
        sa.Column("species_botanical", sa.String(length=200), nullable=True),
        sa.Column("water_use", sa.String(length=20), nullable=False),
        sa.Column("planting_year", sa.Integer(), nullable=True),
        sa.Column("crown_diameter_m", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("district_id", IdType, nullable=True),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("station_thing_id", IdType, nullable=True),
        sa.Column("pit_volume_m3", sa.Float(), nullable=True),
        sa.Column("open_area_m2", sa.Float(), nullable=True),
        sa.Column("sealed_share", sa.Float(), nullable=True),
        sa.Column("microclimate", sa.Float(), nullable=True),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("taw_l", sa.Float(), nullable=True),
        sa.Column("depletion_l", sa.Float(), nullable=True),
        sa.Column("suction_kpa", sa.Float(), nullable=True),
        sa.Column("sigma", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("need_l", sa.Float(), nullable=True),
        sa.Column("dose_l", sa.Float(), nullable=True),
        sa.Column("critical_in_days", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=True),
        sa.Column("probe_tree_id", IdType, nullable=True),
        sa.Column("probe_distance_m", sa.Float(), nullable=True),
        sa.Column("forecast_kpa", JSONType, nullable=True),
        sa.Column("forecast_source", sa.String(length=10), nullable=True),
        sa.Column("last_watered_at", UTCDateTime(), nullable=True),
        sa.Column("watered_30d_l", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_trees_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_trees")),
        sa.UniqueConstraint(
            "collection", "object_id", name=op.f("uq_water_trees_collection_object_id")
        ),
    )
    op.create_index(
        op.f("ix_water_trees_municipality_id"), "water_trees", ["municipality_id"], unique=False
    )
    op.create_index(
        "ix_water_trees_municipality_status",
        "water_trees",
        ["municipality_id", "status"],
        unique=False,
    )
    op.create_index(op.f("ix_water_trees_object_id"), "water_trees", ["object_id"], unique=False)
    op.create_index("ix_water_trees_position", "water_trees", ["lon", "lat"], unique=False)
    op.create_table(
        "water_zones",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("coefficient", sa.Float(), nullable=False),
        sa.Column("taw_mm", sa.Float(), nullable=False),
        sa.Column("rate_mm_per_h", sa.Float(), nullable=False),
        sa.Column("efficiency", sa.Float(), nullable=False),
        sa.Column("mad", sa.Float(), nullable=False),
        sa.Column("max_minutes", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("station_thing_id", IdType, nullable=True),
        sa.Column("probe_datastream_id", IdType, nullable=True),
        sa.Column("probe_kind", sa.String(length=12), nullable=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("capability_id", IdType, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("depletion_mm", sa.Float(), nullable=False),
        sa.Column("variance", sa.Float(), nullable=False),
        sa.Column("balance_day", sa.String(length=10), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_zones_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_zones")),
    )
    op.create_index(
        op.f("ix_water_zones_municipality_id"), "water_zones", ["municipality_id"], unique=False
    )
    op.create_table(
        "water_decisions",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("zone_id", IdType, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("gross_l", sa.Float(), nullable=False),
        sa.Column("facts", JSONType, nullable=False),
        sa.Column("task_id", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_decisions_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["water_zones.id"],
            name=op.f("fk_water_decisions_zone_id_water_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_decisions")),
        sa.UniqueConstraint("zone_id", "day", name=op.f("uq_water_decisions_zone_id_day")),
    )
    op.create_index(
        op.f("ix_water_decisions_municipality_id"),
        "water_decisions",
        ["municipality_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_water_decisions_zone_id"), "water_decisions", ["zone_id"], unique=False
    )
    op.create_table(
        "water_leaks",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("meter_id", IdType, nullable=False),
        sa.Column("night", sa.String(length=10), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("night_minimum_l_per_h", sa.Float(), nullable=False),
        sa.Column("usual_night_minimum_l_per_h", sa.Float(), nullable=False),
        sa.Column("day_minimum_l_per_h", sa.Float(), nullable=False),
        sa.Column("evidence", JSONType, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("event_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["water_meters.id"],
            name=op.f("fk_water_leaks_meter_id_water_meters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_leaks_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_leaks")),
        sa.UniqueConstraint("meter_id", "night", name=op.f("uq_water_leaks_meter_id_night")),
    )
    op.create_index(op.f("ix_water_leaks_meter_id"), "water_leaks", ["meter_id"], unique=False)
    op.create_index(
        op.f("ix_water_leaks_municipality_id"), "water_leaks", ["municipality_id"], unique=False
    )
    op.create_table(
        "water_probes",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("datastream_id", IdType, nullable=False),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("tree_id", IdType, nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("curve", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_flags", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_time", UTCDateTime(), nullable=True),
        sa.Column("bias", sa.Float(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_probes_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tree_id"],
            ["water_trees.id"],
            name=op.f("fk_water_probes_tree_id_water_trees"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_probes")),
        sa.UniqueConstraint("datastream_id", name=op.f("uq_water_probes_datastream_id")),
    )
    op.create_index(
        op.f("ix_water_probes_municipality_id"), "water_probes", ["municipality_id"], unique=False
    )
    op.create_index(op.f("ix_water_probes_thing_id"), "water_probes", ["thing_id"], unique=False)
    op.create_index(op.f("ix_water_probes_tree_id"), "water_probes", ["tree_id"], unique=False)
    op.create_table(
        "water_waterings",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("tree_id", IdType, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("litres", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("event_id", IdType, nullable=True),
        sa.Column("recorded_by", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_water_waterings_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tree_id"],
            ["water_trees.id"],
            name=op.f("fk_water_waterings_tree_id_water_trees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_waterings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_water_waterings_event_id")),
    )
    op.create_index(op.f("ix_water_waterings_at"), "water_waterings", ["at"], unique=False)
    op.create_index(
        op.f("ix_water_waterings_municipality_id"),
        "water_waterings",
        ["municipality_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_water_waterings_tree_id"), "water_waterings", ["tree_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("water_waterings")
    op.drop_table("water_probes")
    op.drop_table("water_leaks")
    op.drop_table("water_decisions")
    op.drop_table("water_zones")
    op.drop_table("water_trees")
    op.drop_table("water_stations")
    op.drop_table("water_meters")
    op.drop_table("water_groups")
    op.drop_table("water_cursors")
