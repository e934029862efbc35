"""Heat: settings, land-cover layers and grid, hourly maps and district aggregates, warnings,
the action plan and its switches, evaluations.

Revision ID: heat_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType, JSONType, UTCDateTime

revision = "heat_0001"
down_revision = None
branch_labels = ("heat",)
depends_on = ("identity_0001", "sensing_0001")


def upgrade() -> None:
    op.create_table(
        "heat_evaluations",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("results", JSONType, nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_evaluations_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_evaluations")),
    )
    op.create_index(
        op.f("ix_heat_evaluations_municipality_id"),
        "heat_evaluations",
        ["municipality_id"],
        unique=False,
    )
    op.create_table(
        "heat_landcover",
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("west", sa.Float(), nullable=False),
        sa.Column("north", sa.Float(), nullable=False),
        sa.Column("cell", sa.Float(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sources", JSONType, nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_landcover_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_heat_landcover")),
    )
    op.create_table(
        "heat_layers",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("file_format", sa.String(length=20), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("source_crs", sa.Text(), nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["identity_users.id"],
            name=op.f("fk_heat_layers_created_by_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_layers_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_layers")),
    )
    op.create_index(
        op.f("ix_heat_layers_municipality_id"), "heat_layers", ["municipality_id"], unique=False
    )
    op.create_table(
        "heat_map_hours",
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("stations_used", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_map_hours_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("municipality_id", "hour", name=op.f("pk_heat_map_hours")),
    )
    op.create_table(
        "heat_district_hours",
        sa.Column("district_id", IdType, nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("utci_p50", sa.Float(), nullable=False),
        sa.Column("utci_p75", sa.Float(), nullable=False),
        sa.Column("utci_p90", sa.Float(), nullable=False),
        sa.Column("utci_p95", sa.Float(), nullable=False),
        sa.Column("utci_max", sa.Float(), nullable=False),
        sa.Column("ta_p50", sa.Float(), nullable=False),
        sa.Column("ta_min", sa.Float(), nullable=False),
        sa.Column("ta_max", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["identity_districts.id"],
            name=op.f("fk_heat_district_hours_district_id_identity_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_district_hours_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "hour", name=op.f("pk_heat_district_hours")),
    )
    op.create_index(
        "ix_heat_district_hours_municipality_hour",
        "heat_district_hours",
        ["municipality_id", "hour"],
        unique=False,
    )
    op.create_table(
        "heat_settings",
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("strong_utci", sa.Float(), nullable=False),
        sa.Column("night_min_ta", sa.Float(), nullable=False),
        sa.Column("extreme_utci", sa.Float(), nullable=False),
        sa.Column("area_share", sa.Float(), nullable=False),
        sa.Column("afternoon_from", sa.Integer(), nullable=False),
        sa.Column("afternoon_to", sa.Integer(), nullable=False),
        sa.Column("night_from", sa.Integer(), nullable=False),
        sa.Column("night_to", sa.Integer(), nullable=False),
        sa.Column("cell_m", sa.Float(), nullable=False),
        sa.Column("reference_thing_id", IdType, nullable=True),
        sa.Column("forecast_thing_id", IdType, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_thing_id"],
            ["sensing_things.id"],
            name=op.f("fk_heat_settings_forecast_thing_id_sensing_things"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_settings_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reference_thing_id"],
            ["sensing_things.id"],
            name=op.f("fk_heat_settings_reference_thing_id_sensing_things"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_heat_settings")),
    )
    op.create_table(
        "heat_warnings",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("district_id", IdType, nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("evidence", JSONType, nullable=False),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["identity_districts.id"],
            name=op.f("fk_heat_warnings_district_id_identity_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_warnings_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_warnings")),
    )
    op.create_index(
        op.f("ix_heat_warnings_district_id"), "heat_warnings", ["district_id"], unique=False
    )
    op.create_index(
        "ix_heat_warnings_municipality_status",
        "heat_warnings",
        ["municipality_id", "status"],
        unique=False,
    )
    op.create_table(
        "heat_plan_entries",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("device_kind", sa.String(length=20), nullable=False),
        sa.Column("capability_id", IdType, nullable=True),
        sa.Column("district_id", IdType, nullable=True),
        sa.Column("min_level", sa.String(length=10), nullable=False),
        sa.Column("on_parameters", JSONType, nullable=False),
        sa.Column("off_parameters", JSONType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["sensing_tasking_capabilities.id"],
            name=op.f("fk_heat_plan_entries_capability_id_sensing_tasking_capabilities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["identity_districts.id"],
            name=op.f("fk_heat_plan_entries_district_id_identity_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_plan_entries_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_plan_entries")),
    )
    op.create_index(
        op.f("ix_heat_plan_entries_municipality_id"),
        "heat_plan_entries",
        ["municipality_id"],
        unique=False,
    )
    op.create_table(
        "heat_plan_switches",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("entry_id", IdType, nullable=False),
        sa.Column("warning_id", IdType, nullable=True),
        sa.Column("action", sa.String(length=3), nullable=False),
        sa.Column("task_id", IdType, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["heat_plan_entries.id"],
            name=op.f("fk_heat_plan_switches_entry_id_heat_plan_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_heat_plan_switches_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["heat_warnings.id"],
            name=op.f("fk_heat_plan_switches_warning_id_heat_warnings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_plan_switches")),
    )
    op.create_index(
        op.f("ix_heat_plan_switches_entry_id"), "heat_plan_switches", ["entry_id"], unique=False
    )
    op.create_index(
        op.f("ix_heat_plan_switches_municipality_id"),
        "heat_plan_switches",
        ["municipality_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("heat_plan_switches")
    op.drop_table("heat_plan_entries")
    op.drop_table("heat_warnings")
    op.drop_table("heat_settings")
    op.drop_table("heat_district_hours")
    op.drop_table("heat_map_hours")
    op.drop_table("heat_layers")
    op.drop_table("heat_landcover")
    op.drop_table("heat_evaluations")
