"""Tables of durable events, webhook subscriptions and their outbox, and staff notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from allmende.core.timeutil import utcnow
from allmende.storage.base import Base, IdType, JSONType, UTCDateTime

MUNICIPALITY_FK = "identity_municipalities.id"


class StoredEventRow(Base):
    """A domain event. ``municipality_id`` None: an event of the whole region."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[Any] = mapped_column(JSONType)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True, index=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Cursor(Base):
    """How far a consumer of the events has read (the webhook outbox filler)."""

    __tablename__ = "delivery_cursors"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookSubscription(Base):
    """An outside URL that receives the events matching ``events`` (name patterns).

    ``municipality_id`` None: region-wide (every municipality's events and the region's own).
    ``secret`` signs the messages; the API shows it once, when the subscription is made.
    """

    __tablename__ = "delivery_webhooks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    events: Mapped[Any] = mapped_column(JSONType)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="SET NULL"), nullable=True
    )


class WebhookDelivery(Base):
    """One event for one subscription: the outbox row and its delivery state.

    ``state``: ``pending`` (waiting for ``next_attempt_at``), ``delivered`` or ``failed``.
    """

    __tablename__ = "delivery_webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_delivery_webhook_deliveries_subscription_event",
            "subscription_id",
            "event_id",
            unique=True,
        ),
        Index("ix_delivery_webhook_deliveries_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("delivery_webhooks.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("delivery_events.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Notification(Base):
    """A message to the staff of a municipality (None: to the region's admins)."""

    __tablename__ = "delivery_notifications"
    __table_args__ = (
        Index("ix_delivery_notifications_municipality_created", "municipality_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="SET NULL"), nullable=True
    )
