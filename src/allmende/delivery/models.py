"""Tables of durable events, webhook subscriptions and their outbox, staff notifications, and
the mail queue with the recipients' mail preferences."""

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
    #: The subject and body as messages (``message_to_json``) that each reader sees in
    #: their language; ``subject`` and ``body`` keep the English (None: plain text only).
    texts: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="SET NULL"), nullable=True
    )
    #: Set by callers that must notify once per cause (``notify_staff(..., once=...)``).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    #: The module's mail template and its context, so that each member of staff reads the
    #: mail in their own language (None: the shell's ``mail/staff_notification``).
    mail_template: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mail_context: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class MailMessage(Base):
    """One e-mail in the queue, kept in the database so that it survives restarts.

    ``state``: ``pending`` (due at ``next_attempt_at``), ``held`` (for the recipient's daily
    digest), ``sent``, ``outbox`` (no SMTP server configured: kept for the administrators'
    outbox page), ``digested`` (went out in a digest) or ``failed``. The template and its
    context are rendered when the message is sent, in ``language``; ``subject`` and ``body``
    keep what was rendered (``body`` only for the outbox and for failures).
    """

    __tablename__ = "delivery_mails"
    __table_args__ = (
        Index("ix_delivery_mails_state_due", "state", "next_attempt_at"),
        Index("ix_delivery_mails_address_state", "to_address", "state"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    template: Mapped[str] = mapped_column(String(200))
    context: Mapped[Any] = mapped_column(JSONType)
    kind: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16))
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True
    )
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)


class MailPreference(Base):
    """What one address wants by mail (no row: the defaults). Keyed by the address, so that
    people who reported without an account can unsubscribe as well."""

    __tablename__ = "delivery_mail_preferences"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    #: News about one's own reports, contributions and followed processes.
    updates: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Staff notifications of one's municipalities by mail (staff opt in).
    staff_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Updates and staff notifications once a day in one mail instead of one by one.
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
