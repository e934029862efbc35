"""The declarative base and the column types every table uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from allmende.core.timeutil import utcnow

# Stable constraint names, so migrations can address them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both backends.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text, which comes back aware.
    Naive datetimes are refused on the way in: they are a bug, not a convention.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: Row ids and the keys that point at them: 64-bit everywhere. On SQLite it must be spelled
#: INTEGER to stay the rowid (auto-increment); INTEGER is 64-bit there anyway.
IdType: Any = BigInteger().with_variant(Integer(), "sqlite")

#: JSON that is JSONB (indexable) on PostgreSQL.
JSONType: Any = JSON().with_variant(JSONB(), "postgresql")


# --- columns most tables repeat, as mixins (``class Thing(HasId, HasCreatedAt, Base)``) -------
# A mixin's columns follow the class's own in the table; ``sort_order`` keeps the key first.


class HasId:
    """The surrogate key: BIGINT, INTEGER on SQLite so that it is the rowid."""

    id: Mapped[int] = mapped_column(IdType, primary_key=True, sort_order=-1)


class HasCreatedAt:
    """When the row was created (UTC, set on insert)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HasTimestamps(HasCreatedAt):
    """When the row was created and last changed (the rules set ``updated_at``)."""

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
