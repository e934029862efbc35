"""Tables of the region: municipalities and their districts, users, memberships, keys, sessions;
and the counters of attempts that rate limits and sign-in back-offs share between workers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from allmende.core.timeutil import utcnow
from allmende.storage.base import Base, IdType, JSONType, UTCDateTime
from allmende.storage.geometry import HasGeometry, spatial_indexes


class Role(StrEnum):
    """Who someone is to the platform. Staff is held per municipality (a membership)."""

    ADMIN = "admin"
    STAFF = "staff"
    INTEGRATOR = "integrator"
    CITIZEN = "citizen"
    ANONYMOUS = "anonymous"


class Municipality(HasGeometry, Base):
    """A municipality of the region (Kreisstadt, Gemeinde…). ``geom`` is its boundary."""

    __tablename__ = "identity_municipalities"
    __table_args__ = spatial_indexes("identity_municipalities")

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="Gemeinde")
    ags: Mapped[str | None] = mapped_column(String(8), unique=True, nullable=True)
    jurisdiction_id: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    website: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    districts: Mapped[list[District]] = relationship(
        back_populates="municipality", cascade="all, delete-orphan", order_by="District.name"
    )


class InMunicipality:
    """Belongs to a municipality: deleted with it, indexed for the tenant filter."""

    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )


class District(HasGeometry, Base):
    """A district (Ortsteil/Stadtteil) of a municipality, with its boundary."""

    __tablename__ = "identity_districts"
    __table_args__ = (
        UniqueConstraint("municipality_id", "name"),
        *spatial_indexes("identity_districts"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)

    municipality: Mapped[Municipality] = relationship(back_populates="districts")


class User(Base):
    """An account. ``is_active`` False: disabled by an administrator, or signed up and not yet
    confirmed (``email_confirmed_at`` None); either way it cannot sign in."""

    __tablename__ = "identity_users"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(300), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the owner proved the address (a confirmation link, a password set from an
    #: invitation). A self-made account is inactive until then.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class Membership(Base):
    """A user's role in one municipality."""

    __tablename__ = "identity_memberships"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), default=Role.STAFF.value)

    user: Mapped[User] = relationship(back_populates="memberships")


class ApiKey(Base):
    """A machine credential. Only a hash of the secret is stored; the key is shown once."""

    __tablename__ = "identity_api_keys"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType,
        ForeignKey("identity_municipalities.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    )
    created_by_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A browser login. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "identity_sessions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)


class RateCounter(Base):
    """Attempts of one caller at one limited action (see :mod:`allmende.identity.ratelimits`).

    ``bucket`` is the limit's name and a hash of the caller (address or e-mail), so no personal
    data is stored. Times are Unix seconds; a row is deleted once ``expires_at`` has passed.
    """

    __tablename__ = "identity_rate_counters"

    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    previous_hits: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
