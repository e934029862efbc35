"""The region: municipalities, districts, users, memberships, API keys, web sessions.

Revision ID: identity_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, JSONType, UTCDateTime
from allmende.storage.geometry import create_spatial_indexes, geometry_columns

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "identity_municipalities",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("ags", sa.String(8), nullable=True),
        sa.Column("jurisdiction_id", sa.String(200), nullable=True),
        sa.Column("website", sa.String(300), nullable=True),
        sa.Column("contact_email", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *geometry_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_municipalities")),
        sa.UniqueConstraint("key", name=op.f("uq_identity_municipalities_key")),
        sa.UniqueConstraint("ags", name=op.f("uq_identity_municipalities_ags")),
        sa.UniqueConstraint(
            "jurisdiction_id", name=op.f("uq_identity_municipalities_jurisdiction_id")
        ),
    )
    create_spatial_indexes(op, "identity_municipalities")
    op.create_table(
        "identity_districts",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        *geometry_columns(),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_identity_districts_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_districts")),
        sa.UniqueConstraint(
            "municipality_id", "name", name=op.f("uq_identity_districts_municipality_id_name")
        ),
    )
    op.create_index(
        op.f("ix_identity_districts_municipality_id"), "identity_districts", ["municipality_id"]
    )
    create_spatial_indexes(op, "identity_districts")
    op.create_table(
        "identity_users",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("oidc_subject", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_users")),
        sa.UniqueConstraint("email", name=op.f("uq_identity_users_email")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_identity_users_oidc_subject")),
    )
    op.create_table(
        "identity_memberships",
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_identity_memberships_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_memberships_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "municipality_id", name=op.f("pk_identity_memberships")),
    )
    op.create_table(
        "identity_api_keys",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", JSONType, nullable=False),
        sa.Column("municipality_id", IdType, nullable=True),
        sa.Column("created_by_id", IdType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_api_keys_created_by_id_identity_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f("fk_identity_api_keys_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_identity_api_keys_prefix")),
    )
    op.create_index(
        op.f("ix_identity_api_keys_municipality_id"), "identity_api_keys", ["municipality_id"]
    )
    op.create_table(
        "identity_sessions",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_users.id"],
            name=op.f("fk_identity_sessions_user_id_identity_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_sessions_token_hash")),
    )
    op.create_index(op.f("ix_identity_sessions_user_id"), "identity_sessions", ["user_id"])


def downgrade() -> None:
    for table in (
        "identity_sessions",
        "identity_api_keys",
        "identity_memberships",
        "identity_users",
        "identity_districts",
        "identity_municipalities",
    ):
        op.drop_table(table)
