"""Tables of citizen participation; every name carries the module key.

A process belongs to a municipality; everything else belongs to a process (and through it to
the municipality). Contributions repeat ``municipality_id`` because the feed, the cockpit and
the exports query them across processes.

Authors are optional: a contribution, comment, support or survey response may come from an
account (``*_user_id``, set to NULL when the account is deleted, so threads stay intact) or from
someone without one (``voter_key``: a keyed hash of a random browser cookie, never an address).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from allmende.sdk import (
    Base,
    HasCreatedAt,
    HasGeometry,
    HasId,
    HasTimestamps,
    IdType,
    InMunicipality,
    JSONType,
    UTCDateTime,
    spatial_indexes,
)

USERS = "identity_users.id"
MUNICIPALITIES = "identity_municipalities.id"


class Process(HasId, HasGeometry, InMunicipality, HasTimestamps, Base):
    """A planning process. ``geom`` is its area: contributions with a location must lie in it."""

    __tablename__ = "participation_processes"
    __table_args__ = spatial_indexes("participation_processes")

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: The place in the object register this process is about, linked by name for now.
    object_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    contact: Mapped[str] = mapped_column(Text, default="")
    #: Published: visible to everyone. Unpublished processes are seen by their staff only.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True)

    phases: Mapped[list[Phase]] = relationship(
        cascade="all, delete-orphan", order_by="Phase.starts_at", lazy="selectin"
    )


class Phase(HasId, Base):
    """A step of the timeline; ``allows`` names the actions open while it runs."""

    __tablename__ = "participation_phases"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allows: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Event(HasId, HasGeometry, Base):
    """An on-site appointment (workshop, walk, information evening)."""

    __tablename__ = "participation_events"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    place: Mapped[str] = mapped_column(String(300), default="")


class Draft(HasId, Base):
    """One variant of the plan; drafts are compared side by side."""

    __tablename__ = "participation_drafts"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Short facts shown in rows of the comparison (e.g. "Trees": "14 new").
    facts: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Document(HasId, HasCreatedAt, Base):
    """An uploaded PDF or image, stored under ``data_dir``; images without metadata."""

    __tablename__ = "participation_documents"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    draft_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_drafts.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PlanLayer(HasId, Base):
    """A plan on the map: GeoJSON features, or an image overlay placed by its bounds."""

    __tablename__ = "participation_plan_layers"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    draft_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_drafts.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))  # geojson | image
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    document_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_documents.id", ondelete="CASCADE"), nullable=True
    )
    west: Mapped[float | None] = mapped_column(Float, nullable=True)
    south: Mapped[float | None] = mapped_column(Float, nullable=True)
    east: Mapped[float | None] = mapped_column(Float, nullable=True)
    north: Mapped[float | None] = mapped_column(Float, nullable=True)
    opacity: Mapped[float] = mapped_column(Float, default=0.7)
    position: Mapped[int] = mapped_column(Integer, default=0)


class FaqEntry(HasId, Base):
    __tablename__ = "participation_faq"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Contribution(HasId, HasGeometry, InMunicipality, HasTimestamps, Base):
    """A citizen's idea or concern, with a point, line or area inside the process area, or
    without a location (``place`` then describes it in words)."""

    __tablename__ = "participation_contributions"
    __table_args__ = (
        Index("ix_participation_contributions_process_created", "process_id", "created_at"),
        *spatial_indexes("participation_contributions"),
    )

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    place: Mapped[str] = mapped_column(String(300), default="")
    author_user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True, index=True
    )
    #: The name the author chose to show; empty means anonymous.
    author_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(30), default="new")
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True
    )
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: Counters kept in the same transaction as the rows they count (lists need no joins).
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)


class Comment(HasId, HasCreatedAt, Base):
    """A comment on a contribution; ``parent_id`` makes threads."""

    __tablename__ = "participation_comments"

    contribution_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_contributions.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_comments.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True, index=True
    )
    author_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    #: Written by staff on behalf of the municipality.
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Support(HasId, HasCreatedAt, Base):
    """One person's support of a contribution."""

    __tablename__ = "participation_supports"
    __table_args__ = (
        UniqueConstraint("contribution_id", "user_id"),
        UniqueConstraint("contribution_id", "voter_key"),
    )

    contribution_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_contributions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="CASCADE"), nullable=True, index=True
    )
    voter_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DraftRating(HasId, HasCreatedAt, Base):
    """One person's rating of a draft, 1 to 5 stars."""

    __tablename__ = "participation_draft_ratings"
    __table_args__ = (
        UniqueConstraint("draft_id", "user_id"),
        UniqueConstraint("draft_id", "voter_key"),
    )

    draft_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_drafts.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="CASCADE"), nullable=True, index=True
    )
    voter_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stars: Mapped[int] = mapped_column(Integer)


class Report(HasId, HasCreatedAt, Base):
    """Someone flagged a contribution or comment as inappropriate."""

    __tablename__ = "participation_reports"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    contribution_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_contributions.id", ondelete="CASCADE"), nullable=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_comments.id", ondelete="CASCADE"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    reporter_user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True, index=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ModerationEntry(HasId, HasCreatedAt, Base):
    """What moderators did and why (hide, restore, status, answer, resolve)."""

    __tablename__ = "participation_moderation_log"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    contribution_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_contributions.id", ondelete="CASCADE"), nullable=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_comments.id", ondelete="CASCADE"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True
    )


class Survey(HasId, HasCreatedAt, Base):
    __tablename__ = "participation_surveys"

    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    results_public: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Answers are taken only while open (and a phase allows surveys).
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    questions: Mapped[list[Question]] = relationship(
        cascade="all, delete-orphan", order_by="Question.position", lazy="selectin"
    )


class Question(HasId, Base):
    """A survey question: single, multiple, scale, text, ranking or location."""

    __tablename__ = "participation_questions"

    survey_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_surveys.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(String(500))
    help: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    scale_min_label: Mapped[str] = mapped_column(String(100), default="")
    scale_max_label: Mapped[str] = mapped_column(String(100), default="")


class Response(HasId, HasCreatedAt, Base):
    """One person's answers to a survey (at most one per account or browser)."""

    __tablename__ = "participation_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        UniqueConstraint("survey_id", "voter_key"),
    )

    survey_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_surveys.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="SET NULL"), nullable=True, index=True
    )
    voter_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Answer(HasId, HasGeometry, Base):
    """The answer to one question: chosen option indexes (in rank order for rankings), a
    number on the scale, a text, or a location."""

    __tablename__ = "participation_answers"

    response_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_questions.id", ondelete="CASCADE"), index=True
    )
    choices: Mapped[list[int] | None] = mapped_column(JSONType, nullable=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)


class Follow(HasCreatedAt, Base):
    """An account follows a process to hear about new phases."""

    __tablename__ = "participation_follows"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(USERS, ondelete="CASCADE"), primary_key=True
    )
    process_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), primary_key=True
    )
    #: Phase starts up to this time have been seen (they are listed as notifications).
    read_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Notification(HasId, HasCreatedAt, Base):
    """A message for an account, shown in its notification list (``kind`` + ``params`` are
    rendered in the reader's language; an e-mail sender can subscribe to the event)."""

    __tablename__ = "participation_notifications"
    __table_args__ = (
        Index("ix_participation_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey(USERS, ondelete="CASCADE"))
    process_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_processes.id", ondelete="CASCADE"), nullable=True
    )
    contribution_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("participation_contributions.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
