"""Citizen participation: processes, phases, plans, contributions, surveys, moderation.

Revision ID: participation_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.sdk import IdType, JSONType, UTCDateTime, create_spatial_indexes, geometry_columns

revision = "participation_0001"
down_revision = None
branch_labels = ("participation",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "participation_processes",
        sa.Column("id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("object_name", sa.String(length=200), nullable=True),
        sa.Column("categories", JSONType, nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("allow_anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_participation_processes_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_processes")),
    )
    create_spatial_indexes(op, "participation_processes")
    op.create_index(
        op.f("ix_participation_processes_municipality_id"),
        "participation_processes",
        ["municipality_id"],
    )
    op.create_table(
        "participation_contributions",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("author_user_id", IdType, nullable=True),
        sa.Column("author_name", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", IdType, nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_contributions_answered_by_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_contributions_author_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_participation_contributions_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_contributions_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_contributions")),
    )
    op.create_index(
        op.f("ix_participation_contributions_author_user_id"),
        "participation_contributions",
        ["author_user_id"],
    )
    create_spatial_indexes(op, "participation_contributions")
    op.create_index(
        op.f("ix_participation_contributions_municipality_id"),
        "participation_contributions",
        ["municipality_id"],
    )
    op.create_index(
        "ix_participation_contributions_process_created",
        "participation_contributions",
        ["process_id", "created_at"],
    )
    op.create_table(
        "participation_drafts",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("facts", JSONType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_drafts_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_drafts")),
    )
    op.create_index(
        op.f("ix_participation_drafts_process_id"), "participation_drafts", ["process_id"]
    )
    op.create_table(
        "participation_events",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=False),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_events_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_events")),
    )
    op.create_index(
        op.f("ix_participation_events_process_id"), "participation_events", ["process_id"]
    )
    op.create_table(
        "participation_faq",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_faq_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_faq")),
    )
    op.create_index(op.f("ix_participation_faq_process_id"), "participation_faq", ["process_id"])
    op.create_table(
        "participation_follows",
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_follows_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_follows_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "process_id", name=op.f("pk_participation_follows")),
    )
    op.create_table(
        "participation_phases",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("allows", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_phases_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_phases")),
    )
    op.create_index(
        op.f("ix_participation_phases_process_id"), "participation_phases", ["process_id"]
    )
    op.create_table(
        "participation_surveys",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("results_public", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_surveys_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_surveys")),
    )
    op.create_index(
        op.f("ix_participation_surveys_process_id"), "participation_surveys", ["process_id"]
    )
    op.create_table(
        "participation_comments",
        sa.Column("id", IdType, nullable=False),
        sa.Column("contribution_id", IdType, nullable=False),
        sa.Column("parent_id", IdType, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_user_id", IdType, nullable=True),
        sa.Column("author_name", sa.String(length=80), nullable=True),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_comments_author_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["participation_contributions.id"],
            name=op.f("fk_participation_comments_contribution_id_participation_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["participation_comments.id"],
            name=op.f("fk_participation_comments_parent_id_participation_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_comments")),
    )
    op.create_index(
        op.f("ix_participation_comments_author_user_id"),
        "participation_comments",
        ["author_user_id"],
    )
    op.create_index(
        op.f("ix_participation_comments_contribution_id"),
        "participation_comments",
        ["contribution_id"],
    )
    op.create_table(
        "participation_documents",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("draft_id", IdType, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["participation_drafts.id"],
            name=op.f("fk_participation_documents_draft_id_participation_drafts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_documents_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_participation_documents_stored_name")),
    )
    op.create_index(
        op.f("ix_participation_documents_process_id"), "participation_documents", ["process_id"]
    )
    op.create_table(
        "participation_draft_ratings",
        sa.Column("id", IdType, nullable=False),
        sa.Column("draft_id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("voter_key", sa.String(length=64), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["participation_drafts.id"],
            name=op.f("fk_participation_draft_ratings_draft_id_participation_drafts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_draft_ratings_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_draft_ratings")),
        sa.UniqueConstraint(
            "draft_id", "user_id", name=op.f("uq_participation_draft_ratings_draft_id_user_id")
        ),
        sa.UniqueConstraint(
            "draft_id", "voter_key", name=op.f("uq_participation_draft_ratings_draft_id_voter_key")
        ),
    )
    op.create_index(
        op.f("ix_participation_draft_ratings_user_id"), "participation_draft_ratings", ["user_id"]
    )
    op.create_table(
        "participation_notifications",
        sa.Column("id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=True),
        sa.Column("contribution_id", IdType, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["participation_contributions.id"],
            name=op.f("fk_participation_notifications_contribution_id_participation_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_notifications_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_notifications_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_notifications")),
    )
    op.create_index(
        "ix_participation_notifications_user_created",
        "participation_notifications",
        ["user_id", "created_at"],
    )
    op.create_table(
        "participation_questions",
        sa.Column("id", IdType, nullable=False),
        sa.Column("survey_id", IdType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("prompt", sa.String(length=500), nullable=False),
        sa.Column("help", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", JSONType, nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("scale_min_label", sa.String(length=100), nullable=False),
        sa.Column("scale_max_label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["participation_surveys.id"],
            name=op.f("fk_participation_questions_survey_id_participation_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_questions")),
    )
    op.create_index(
        op.f("ix_participation_questions_survey_id"), "participation_questions", ["survey_id"]
    )
    op.create_table(
        "participation_responses",
        sa.Column("id", IdType, nullable=False),
        sa.Column("survey_id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("voter_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["participation_surveys.id"],
            name=op.f("fk_participation_responses_survey_id_participation_surveys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_responses_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_responses")),
        sa.UniqueConstraint(
            "survey_id", "user_id", name=op.f("uq_participation_responses_survey_id_user_id")
        ),
        sa.UniqueConstraint(
            "survey_id", "voter_key", name=op.f("uq_participation_responses_survey_id_voter_key")
        ),
    )
    op.create_index(
        op.f("ix_participation_responses_user_id"), "participation_responses", ["user_id"]
    )
    op.create_table(
        "participation_supports",
        sa.Column("id", IdType, nullable=False),
        sa.Column("contribution_id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=True),
        sa.Column("voter_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["participation_contributions.id"],
            name=op.f("fk_participation_supports_contribution_id_participation_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_supports_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_supports")),
        sa.UniqueConstraint(
            "contribution_id",
            "user_id",
            name=op.f("uq_participation_supports_contribution_id_user_id"),
        ),
        sa.UniqueConstraint(
            "contribution_id",
            "voter_key",
            name=op.f("uq_participation_supports_contribution_id_voter_key"),
        ),
    )
    op.create_index(
        op.f("ix_participation_supports_user_id"), "participation_supports", ["user_id"]
    )
    op.create_table(
        "participation_answers",
        sa.Column("id", IdType, nullable=False),
        sa.Column("response_id", IdType, nullable=False),
        sa.Column("question_id", IdType, nullable=False),
        sa.Column("choices", JSONType, nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["participation_questions.id"],
            name=op.f("fk_participation_answers_question_id_participation_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["participation_responses.id"],
            name=op.f("fk_participation_answers_response_id_participation_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_answers")),
    )
    op.create_index(
        op.f("ix_participation_answers_question_id"), "participation_answers", ["question_id"]
    )
    op.create_index(
        op.f("ix_participation_answers_response_id"), "participation_answers", ["response_id"]
    )
    op.create_table(
        "participation_moderation_log",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("contribution_id", IdType, nullable=True),
        sa.Column("comment_id", IdType, nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_user_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_moderation_log_actor_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["participation_comments.id"],
            name=op.f("fk_participation_moderation_log_comment_id_participation_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["participation_contributions.id"],
            name=op.f(
                "fk_participation_moderation_log_contribution_id_participation_contributions"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_moderation_log_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_moderation_log")),
    )
    op.create_index(
        op.f("ix_participation_moderation_log_process_id"),
        "participation_moderation_log",
        ["process_id"],
    )
    op.create_table(
        "participation_plan_layers",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("draft_id", IdType, nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data", JSONType, nullable=True),
        sa.Column("document_id", IdType, nullable=True),
        sa.Column("west", sa.Float(), nullable=True),
        sa.Column("south", sa.Float(), nullable=True),
        sa.Column("east", sa.Float(), nullable=True),
        sa.Column("north", sa.Float(), nullable=True),
        sa.Column("opacity", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["participation_documents.id"],
            name=op.f("fk_participation_plan_layers_document_id_participation_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["participation_drafts.id"],
            name=op.f("fk_participation_plan_layers_draft_id_participation_drafts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_plan_layers_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_plan_layers")),
    )
    op.create_index(
        op.f("ix_participation_plan_layers_process_id"), "participation_plan_layers", ["process_id"]
    )
    op.create_table(
        "participation_reports",
        sa.Column("id", IdType, nullable=False),
        sa.Column("process_id", IdType, nullable=False),
        sa.Column("contribution_id", IdType, nullable=True),
        sa.Column("comment_id", IdType, nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporter_user_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["participation_comments.id"],
            name=op.f("fk_participation_reports_comment_id_participation_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["participation_contributions.id"],
            name=op.f("fk_participation_reports_contribution_id_participation_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["participation_processes.id"],
            name=op.f("fk_participation_reports_process_id_participation_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["identity_users.id"],
            name=op.f("fk_participation_reports_reporter_user_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_reports")),
    )
    op.create_index(
        op.f("ix_participation_reports_process_id"), "participation_reports", ["process_id"]
    )
    op.create_index(
        op.f("ix_participation_reports_reporter_user_id"),
        "participation_reports",
        ["reporter_user_id"],
    )


def downgrade() -> None:
    op.drop_table("participation_reports")
    op.drop_table("participation_plan_layers")
    op.drop_table("participation_moderation_log")
    op.drop_table("participation_answers")
    op.drop_table("participation_supports")
    op.drop_table("participation_responses")
    op.drop_table("participation_questions")
    op.drop_table("participation_notifications")
    op.drop_table("participation_draft_ratings")
    op.drop_table("participation_documents")
    op.drop_table("participation_comments")
    op.drop_table("participation_surveys")
    op.drop_table("participation_phases")
    op.drop_table("participation_follows")
    op.drop_table("participation_faq")
    op.drop_table("participation_events")
    op.drop_table("participation_drafts")
    op.drop_table("participation_contributions")
    op.drop_table("participation_processes")
