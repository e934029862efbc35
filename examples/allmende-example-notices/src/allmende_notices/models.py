"""The notice table; its name carries the module key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, IdType, UTCDateTime, utcnow


class Notice(Base):
    __tablename__ = "notices_notices"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
