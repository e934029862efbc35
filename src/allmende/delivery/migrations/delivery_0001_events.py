"""Durable domain events, webhook subscriptions with their outbox, staff notifications.

Revision ID: delivery_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, JSONType, UTCDateTime

revision = "delivery_0001"
down_revision = None
branch_labels = ("delivery",)
depends_on = "identity_0001"

MUNICIPALITIES = "identity_municipalities"


def _municipality(table: str) -> list[Any]:
    return [
        sa.Column("municipality_id", IdType, nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            [f"{MUNICIPALITIES}.id"],
            name=op.f(f"fk_{table}_municipality_id_{MUNICIPALITIES}"),
            ondelete="CASCADE",
        ),
    ]


def _user(table: str, column: str) -> list[Any]:
    return [
        sa.Column(column, IdType, nullable=True),
        sa.ForeignKeyConstraint(
            [column],
            ["identity_users.id"],
            name=op.f(f"fk_{table}_{column}_identity_users"),
            ondelete="SET NULL",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "delivery_events",
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        *_municipality("delivery_events"),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_events")),
    )
    for column in ("name", "municipality_id", "created_at"):
        op.create_index(op.f(f"ix_delivery_events_{column}"), "delivery_events", [column])
    op.create_table(
        "delivery_cursors",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_delivery_cursors")),
    )
    op.create_table(
        "delivery_webhooks",
        sa.Column("id", IdType, primary_key=True),
        *_municipality("delivery_webhooks"),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("events", JSONType, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_user("delivery_webhooks", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_webhooks")),
    )
    op.create_index(
        op.f("ix_delivery_webhooks_municipality_id"), "delivery_webhooks", ["municipality_id"]
    )
    table = "delivery_webhook_deliveries"
    op.create_table(
        table,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("subscription_id", IdType, nullable=False),
        sa.Column("event_id", IdType, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["delivery_webhooks.id"],
            name=op.f(f"fk_{table}_subscription_id_delivery_webhooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["delivery_events.id"],
            name=op.f(f"fk_{table}_event_id_delivery_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(
        "ix_delivery_webhook_deliveries_subscription_event",
        table,
        ["subscription_id", "event_id"],
        unique=True,
    )
    op.create_index("ix_delivery_webhook_deliveries_state_due", table, ["state", "next_attempt_at"])
    op.create_index(op.f(f"ix_{table}_event_id"), table, ["event_id"])
    op.create_table(
        "delivery_notifications",
        sa.Column("id", IdType, primary_key=True),
        *_municipality("delivery_notifications"),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        *_user("delivery_notifications", "read_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_notifications")),
    )
    op.create_index(
        "ix_delivery_notifications_municipality_created",
        "delivery_notifications",
        ["municipality_id", "created_at"],
    )


def downgrade() -> None:
    for table in (
        "delivery_notifications",
        "delivery_webhook_deliveries",
        "delivery_webhooks",
        "delivery_cursors",
        "delivery_events",
    ):
        op.drop_table(table)
