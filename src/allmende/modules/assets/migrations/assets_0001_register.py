"""Object register, inspections and work orders, bookings, adoption, citizen reports;
the built-in object types and inspection plans.

Revision ID: assets_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from allmende.sdk import (
    IdType,
    JSONType,
    UTCDateTime,
    create_spatial_indexes,
    geometry_columns,
    utcnow,
)

revision = "assets_0001"
down_revision = None
branch_labels = ("assets",)
depends_on = "identity_0001"


def N_(message: str) -> str:  # noqa: N802 - marks the built-in names for the catalogue
    return message


def upgrade() -> None:
    op.create_table(
        "assets_services",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("keywords", JSONType, nullable=False),
        sa.Column("attributes", JSONType, nullable=False),
        sa.Column("object_types", JSONType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_services_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_services")),
        sa.UniqueConstraint(
            "municipality_id", "code", name=op.f("uq_assets_services_municipality_id_code")
        ),
    )
    op.create_index(
        op.f("ix_assets_services_municipality_id"), "assets_services", ["municipality_id"]
    )
    op.create_table(
        "assets_types",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=True),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("geometry_kind", sa.String(length=10), nullable=False),
        sa.Column("attribute_schema", JSONType, nullable=False),
        sa.Column("public_attributes", JSONType, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("bookable", sa.Boolean(), nullable=False),
        sa.Column("adoptable", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_types_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_types")),
        sa.UniqueConstraint(
            "municipality_id", "key", name=op.f("uq_assets_types_municipality_id_key")
        ),
    )
    op.create_index(op.f("ix_assets_types_municipality_id"), "assets_types", ["municipality_id"])
    op.create_table(
        "assets_inspection_plans",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=True),
        sa.Column("type_id", IdType, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("checklist", JSONType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_inspection_plans_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["assets_types.id"],
            name=op.f("fk_assets_inspection_plans_type_id_assets_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_inspection_plans")),
    )
    op.create_index(
        op.f("ix_assets_inspection_plans_municipality_id"),
        "assets_inspection_plans",
        ["municipality_id"],
    )
    op.create_index(
        op.f("ix_assets_inspection_plans_type_id"), "assets_inspection_plans", ["type_id"]
    )
    op.create_table(
        "assets_objects",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("type_id", IdType, nullable=False),
        sa.Column("parent_id", IdType, nullable=True),
        sa.Column("identifier", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("attributes", JSONType, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_objects_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_objects_parent_id_assets_objects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["assets_types.id"],
            name=op.f("fk_assets_objects_type_id_assets_types"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_objects")),
        sa.UniqueConstraint(
            "municipality_id",
            "type_id",
            "identifier",
            name=op.f("uq_assets_objects_municipality_id_type_id_identifier"),
        ),
    )
    create_spatial_indexes(op, "assets_objects")
    op.create_index(
        op.f("ix_assets_objects_municipality_id"), "assets_objects", ["municipality_id"]
    )
    op.create_index(op.f("ix_assets_objects_parent_id"), "assets_objects", ["parent_id"])
    op.create_index("ix_assets_objects_type_id_name", "assets_objects", ["type_id", "name"])
    op.create_index(op.f("ix_assets_objects_updated_at"), "assets_objects", ["updated_at"])
    op.create_table(
        "assets_activities",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_assets_activities_amount_positive")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_activities_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_activities_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_activities_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_activities")),
    )
    op.create_index(
        op.f("ix_assets_activities_municipality_id"), "assets_activities", ["municipality_id"]
    )
    op.create_index("ix_assets_activities_object_at", "assets_activities", ["object_id", "at"])
    op.create_index(op.f("ix_assets_activities_user_id"), "assets_activities", ["user_id"])
    op.create_table(
        "assets_adoptions",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_adoptions_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_adoptions_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_adoptions_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_adoptions")),
        sa.UniqueConstraint(
            "object_id", "user_id", name=op.f("uq_assets_adoptions_object_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_assets_adoptions_municipality_id"), "assets_adoptions", ["municipality_id"]
    )
    op.create_index(op.f("ix_assets_adoptions_user_id"), "assets_adoptions", ["user_id"])
    op.create_table(
        "assets_bookings",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("applicant_user_id", IdType, nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *geometry_columns(),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_assets_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["applicant_user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_bookings_applicant_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_bookings_decided_by_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_bookings_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_bookings_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_bookings")),
    )
    op.create_index(
        op.f("ix_assets_bookings_applicant_user_id"), "assets_bookings", ["applicant_user_id"]
    )
    create_spatial_indexes(op, "assets_bookings")
    op.create_index(
        op.f("ix_assets_bookings_municipality_id"), "assets_bookings", ["municipality_id"]
    )
    op.create_index(
        "ix_assets_bookings_object_span", "assets_bookings", ["object_id", "starts_at", "ends_at"]
    )
    op.create_table(
        "assets_history",
        sa.Column("id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_user_id", IdType, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("changes", JSONType, nullable=False),
        sa.Column("ref_id", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_history_actor_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_history_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_history_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_history")),
    )
    op.create_index(
        op.f("ix_assets_history_municipality_id"), "assets_history", ["municipality_id"]
    )
    op.create_index("ix_assets_history_object_id_at", "assets_history", ["object_id", "at"])
    op.create_table(
        "assets_inspections",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("plan_id", IdType, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("performed_at", UTCDateTime(), nullable=False),
        sa.Column("inspector_user_id", IdType, nullable=True),
        sa.Column("inspector", sa.String(length=200), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_inspections_inspector_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_inspections_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_inspections_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["assets_inspection_plans.id"],
            name=op.f("fk_assets_inspections_plan_id_assets_inspection_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_inspections")),
    )
    op.create_index(
        op.f("ix_assets_inspections_municipality_id"), "assets_inspections", ["municipality_id"]
    )
    op.create_index(
        "ix_assets_inspections_object_plan_at",
        "assets_inspections",
        ["object_id", "plan_id", "performed_at"],
    )
    op.create_table(
        "assets_thing_links",
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("thing_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_thing_links_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("object_id", "thing_id", name=op.f("pk_assets_thing_links")),
    )
    op.create_table(
        "assets_work_orders",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assignee_kind", sa.String(length=10), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=False),
        sa.Column("assignee_user_id", IdType, nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=True),
        sa.Column("completion_note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("created_by_id", IdType, nullable=True),
        sa.CheckConstraint(
            "cost_cents IS NULL OR cost_cents >= 0",
            name=op.f("ck_assets_work_orders_cost_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_work_orders_assignee_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_work_orders_created_by_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_work_orders_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_work_orders_object_id_assets_objects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_work_orders")),
    )
    op.create_index(
        "ix_assets_work_orders_municipality_status",
        "assets_work_orders",
        ["municipality_id", "status"],
    )
    op.create_index(op.f("ix_assets_work_orders_object_id"), "assets_work_orders", ["object_id"])
    op.create_table(
        "assets_defects",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=False),
        sa.Column("inspection_id", IdType, nullable=True),
        sa.Column("work_order_id", IdType, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("fixed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["assets_inspections.id"],
            name=op.f("fk_assets_defects_inspection_id_assets_inspections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_defects_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_defects_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["assets_work_orders.id"],
            name=op.f("fk_assets_defects_work_order_id_assets_work_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_defects")),
    )
    op.create_index(
        "ix_assets_defects_municipality_status", "assets_defects", ["municipality_id", "status"]
    )
    op.create_index(op.f("ix_assets_defects_object_id"), "assets_defects", ["object_id"])
    op.create_index(op.f("ix_assets_defects_work_order_id"), "assets_defects", ["work_order_id"])
    op.create_table(
        "assets_reports",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("service_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=True),
        sa.Column("work_order_id", IdType, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("address_id", sa.String(length=100), nullable=True),
        sa.Column("zipcode", sa.String(length=10), nullable=True),
        sa.Column("attributes", JSONType, nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=50), nullable=True),
        sa.Column("contact_first_name", sa.String(length=100), nullable=True),
        sa.Column("contact_last_name", sa.String(length=100), nullable=True),
        sa.Column("device_id", sa.String(length=200), nullable=True),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_reports_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_reports_object_id_assets_objects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["assets_services.id"],
            name=op.f("fk_assets_reports_service_id_assets_services"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_reports_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["assets_work_orders.id"],
            name=op.f("fk_assets_reports_work_order_id_assets_work_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_reports")),
        sa.UniqueConstraint("token", name=op.f("uq_assets_reports_token")),
    )
    create_spatial_indexes(op, "assets_reports")
    op.create_index(
        "ix_assets_reports_municipality_created",
        "assets_reports",
        ["municipality_id", "created_at"],
    )
    op.create_index(op.f("ix_assets_reports_object_id"), "assets_reports", ["object_id"])
    op.create_index(op.f("ix_assets_reports_service_id"), "assets_reports", ["service_id"])
    op.create_index(op.f("ix_assets_reports_user_id"), "assets_reports", ["user_id"])
    op.create_index(op.f("ix_assets_reports_work_order_id"), "assets_reports", ["work_order_id"])
    op.create_table(
        "assets_files",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("object_id", IdType, nullable=True),
        sa.Column("inspection_id", IdType, nullable=True),
        sa.Column("report_id", IdType, nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by_id", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["assets_inspections.id"],
            name=op.f("fk_assets_files_inspection_id_assets_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_assets_files_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["assets_objects.id"],
            name=op.f("fk_assets_files_object_id_assets_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["assets_reports.id"],
            name=op.f("fk_assets_files_report_id_assets_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_files_uploaded_by_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_files")),
    )
    op.create_index(op.f("ix_assets_files_inspection_id"), "assets_files", ["inspection_id"])
    op.create_index(op.f("ix_assets_files_municipality_id"), "assets_files", ["municipality_id"])
    op.create_index(op.f("ix_assets_files_object_id"), "assets_files", ["object_id"])
    op.create_index(op.f("ix_assets_files_report_id"), "assets_files", ["report_id"])
    op.create_table(
        "assets_report_notes",
        sa.Column("id", IdType, nullable=False),
        sa.Column("report_id", IdType, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("author_user_id", IdType, nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["identity_users.id"],
            name=op.f("fk_assets_report_notes_author_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["assets_reports.id"],
            name=op.f("fk_assets_report_notes_report_id_assets_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets_report_notes")),
    )
    op.create_index("ix_assets_report_notes_report_at", "assets_report_notes", ["report_id", "at"])
    _seed_catalogue()


def _string(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": 200, **extra}


def _number(title: str, minimum: float, maximum: float) -> dict[str, Any]:
    return {"type": "number", "title": title, "minimum": minimum, "maximum": maximum}


def _integer(title: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "title": title, "minimum": minimum, "maximum": maximum}


def _boolean(title: str) -> dict[str, Any]:
    return {"type": "boolean", "title": title}


def _schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


#: key, name, geometry kind, schema, public attributes, bookable, adoptable
TYPES: tuple[tuple[str, str, str, dict[str, Any], tuple[str, ...], bool, bool], ...] = (
    (
        "tree",
        N_("Tree"),
        "point",
        _schema(
            {
                "species_de": _string("Baumart (deutsch)"),
                "species_botanical": _string("Baumart (botanisch)"),
                "genus": _string("Gattung"),
                "planting_year": _integer("Pflanzjahr", 1600, 2100),
                "height_m": _number("Höhe (m)", 0, 80),
                "crown_diameter_m": _number("Kronendurchmesser (m)", 0, 60),
                "trunk_circumference_cm": _integer("Stammumfang (cm)", 0, 2000),
                "street": _string("Straße"),
                "risk_class": _string("Risikoklasse", enum=["low", "medium", "high"]),
            }
        ),
        (
            "species_de",
            "species_botanical",
            "genus",
            "planting_year",
            "height_m",
            "crown_diameter_m",
            "trunk_circumference_cm",
            "street",
        ),
        False,
        True,
    ),
    (
        "playground",
        N_("Playground"),
        "any",
        _schema(
            {
                "area_m2": _number("Fläche (m²)", 0, 1_000_000),
                "age_group": _string("Altersgruppe", enum=["0-6", "6-12", "0-14", "12-18", "all"]),
                "fenced": _boolean("Eingezäunt"),
                "operator": _string("Betreiber"),
            }
        ),
        ("area_m2", "age_group", "fenced"),
        False,
        False,
    ),
    (
        "play_device",
        N_("Play device"),
        "point",
        _schema(
            {
                "device_kind": _string("Geräteart"),
                "manufacturer": _string("Hersteller"),
                "model": _string("Modell"),
                "installed_year": _integer("Aufstellungsjahr", 1900, 2100),
                "fall_height_m": _number("Freie Fallhöhe (m)", 0, 10),
                "surface": _string(
                    "Fallschutz", enum=["sand", "bark", "gravel", "grass", "rubber", "none"]
                ),
            }
        ),
        ("device_kind", "installed_year"),
        False,
        False,
    ),
    (
        "bench",
        N_("Bench"),
        "point",
        _schema(
            {
                "material": _string("Material"),
                "seats": _integer("Sitzplätze", 1, 50),
                "backrest": _boolean("Mit Rückenlehne"),
            }
        ),
        ("material", "seats", "backrest"),
        False,
        False,
    ),
    (
        "street_light",
        N_("Street light"),
        "point",
        _schema(
            {
                "lamp_type": _string("Leuchtmittel", enum=["led", "sodium", "mercury", "other"]),
                "power_w": _number("Leistung (W)", 0, 2000),
                "mast_height_m": _number("Masthöhe (m)", 0, 40),
                "circuit": _string("Schaltkreis"),
            }
        ),
        ("lamp_type",),
        False,
        False,
    ),
    (
        "fountain",
        N_("Fountain"),
        "point",
        _schema(
            {
                "drinking_water": _boolean("Trinkwasser"),
                "season": _string("Betriebszeit"),
            }
        ),
        ("drinking_water", "season"),
        False,
        False,
    ),
    (
        "waste_bin",
        N_("Waste bin"),
        "point",
        _schema(
            {
                "volume_l": _integer("Volumen (l)", 1, 5000),
                "emptying_interval_days": _integer("Leerungsintervall (Tage)", 1, 90),
            }
        ),
        ("volume_l",),
        False,
        False,
    ),
    (
        "public_toilet",
        N_("Public toilet"),
        "point",
        _schema(
            {
                "accessible": _boolean("Barrierefrei"),
                "fee_eur": _number("Gebühr (EUR)", 0, 100),
                "opening_hours": _string("Öffnungszeiten"),
            }
        ),
        ("accessible", "fee_eur", "opening_hours"),
        False,
        False,
    ),
    (
        "public_space",
        N_("Square or public space"),
        "polygon",
        _schema(
            {
                "area_m2": _number("Fläche (m²)", 0, 10_000_000),
                "surface": _string("Belag"),
                "power_supply": _boolean("Stromanschluss"),
                "water_supply": _boolean("Wasseranschluss"),
            }
        ),
        ("area_m2", "surface", "power_supply", "water_supply"),
        True,
        False,
    ),
)


def _checklist(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"code": code, "label": label} for code, label in items]


PLAY_VISUAL = _checklist(
    ("glass", "Glasscherben, spitze Gegenstände, Verunreinigungen"),
    ("damage", "Offensichtliche Schäden, Vandalismus"),
    ("parts", "Fehlende oder lose Teile"),
    ("surface", "Fallschutz vorhanden und ausreichend"),
)
PLAY_OPERATIONAL = _checklist(
    ("stability", "Standsicherheit und Verankerung"),
    ("wear", "Verschleiß an beweglichen Teilen (Lager, Ketten, Gelenke)"),
    ("fixings", "Verbindungen und Befestigungen fest"),
    ("entrapment", "Keine Fangstellen für Kopf, Finger oder Kleidung"),
    ("surface", "Fallschutz: Höhe und Zustand"),
)
PLAY_MAIN = _checklist(
    ("foundations", "Fundamente und Verankerung (freigelegt geprüft)"),
    ("structure", "Tragende Teile: Fäulnis, Korrosion, Risse"),
    ("wear", "Verschleiß und Spiel an beweglichen Teilen"),
    ("entrapment", "Fangstellen nach DIN EN 1176-1"),
    ("clearance", "Freiraum und Fallraum frei von Hindernissen"),
    ("surface", "Stoßdämpfender Boden nach DIN EN 1177"),
    ("signage", "Kennzeichnung (Hersteller, Baujahr, Norm)"),
)
#: type key, plan kind, name, interval in days, checklist
PLANS: tuple[tuple[str, str, str, int, list[dict[str, str]]], ...] = (
    ("play_device", "visual", "Visuelle Routine-Inspektion (DIN EN 1176-7)", 7, PLAY_VISUAL),
    ("play_device", "operational", "Operative Inspektion (DIN EN 1176-7)", 30, PLAY_OPERATIONAL),
    ("play_device", "main", "Jährliche Hauptinspektion (DIN EN 1176-7)", 365, PLAY_MAIN),
    (
        "playground",
        "visual",
        "Sichtkontrolle Spielplatz",
        7,
        _checklist(
            ("fence", "Einfriedung und Tore schließen selbsttätig"),
            ("litter", "Abfall, Glas, Hundekot"),
            ("paths", "Wege und Beläge ohne Stolperstellen"),
            ("signs", "Spielplatzschild mit Notrufnummer vorhanden"),
        ),
    ),
    (
        "tree",
        "visual",
        "Baumkontrolle (FLL-Baumkontrollrichtlinie)",
        365,
        _checklist(
            ("crown", "Krone: Totholz, Astabbrüche, Risse"),
            ("trunk", "Stamm: Höhlungen, Pilzbefall, Rindenschäden"),
            ("roots", "Wurzelbereich: Anhebungen, Pilzfruchtkörper, Schäden"),
            ("clearance", "Lichtraumprofil über Geh- und Fahrbahn"),
        ),
    ),
    (
        "street_light",
        "visual",
        "Jährliche Sichtprüfung Beleuchtung",
        365,
        _checklist(
            ("lamp", "Leuchte funktioniert"),
            ("mast", "Mast: Standsicherheit, Korrosion am Fuß"),
            ("door", "Masttür verschlossen"),
        ),
    ),
    (
        "fountain",
        "visual",
        "Wöchentliche Kontrolle Brunnen",
        7,
        _checklist(
            ("water", "Wasserqualität und Zulauf"),
            ("basin", "Becken sauber und unbeschädigt"),
        ),
    ),
    (
        "public_toilet",
        "visual",
        "Wöchentliche Kontrolle Toilettenanlage",
        7,
        _checklist(
            ("cleanliness", "Sauberkeit"),
            ("function", "Spülung, Waschbecken, Beleuchtung"),
            ("accessibility", "Barrierefreier Zugang nutzbar"),
        ),
    ),
)


def _seed_catalogue() -> None:
    connection = op.get_bind()
    types = sa.table(
        "assets_types",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("geometry_kind", sa.String),
        sa.column("attribute_schema", JSONType),
        sa.column("public_attributes", JSONType),
        sa.column("public", sa.Boolean),
        sa.column("bookable", sa.Boolean),
        sa.column("adoptable", sa.Boolean),
        sa.column("created_at", UTCDateTime()),
    )
    now = utcnow()
    op.bulk_insert(
        types,
        [
            {
                "key": key,
                "name": name,
                "description": "",
                "geometry_kind": kind,
                "attribute_schema": schema,
                "public_attributes": list(public),
                "public": True,
                "bookable": bookable,
                "adoptable": adoptable,
                "created_at": now,
            }
            for key, name, kind, schema, public, bookable, adoptable in TYPES
        ],
    )
    ids: dict[str, int] = dict(
        connection.execute(
            sa.text("SELECT key, id FROM assets_types WHERE municipality_id IS NULL")
        ).all()
    )
    plans = sa.table(
        "assets_inspection_plans",
        sa.column("type_id", IdType),
        sa.column("kind", sa.String),
        sa.column("name", sa.String),
        sa.column("interval_days", sa.Integer),
        sa.column("checklist", JSONType),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        plans,
        [
            {
                "type_id": ids[key],
                "kind": kind,
                "name": name,
                "interval_days": days,
                "checklist": checklist,
                "active": True,
            }
            for key, kind, name, days, checklist in PLANS
        ],
    )


def downgrade() -> None:
    for table in (
        "assets_report_notes",
        "assets_files",
        "assets_reports",
        "assets_defects",
        "assets_work_orders",
        "assets_thing_links",
        "assets_inspections",
        "assets_history",
        "assets_bookings",
        "assets_adoptions",
        "assets_activities",
        "assets_objects",
        "assets_inspection_plans",
        "assets_types",
        "assets_services",
    ):
        op.drop_table(table)
