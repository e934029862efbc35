"""What staff add to the catalogue: their own datasets, and changes to the automatic ones.

One row per dataset id. For an automatic dataset (``origin`` ``auto``) every empty field keeps
what the module says and ``hidden`` withdraws it from the catalogue; a staff dataset
(``origin`` ``staff``) is described by the row alone and offers its ``links``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from allmende.core.timeutil import utcnow
from allmende.storage.base import Base, IdType, JSONType, UTCDateTime


class CatalogEntry(Base):
    __tablename__ = "dcat_entries"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    #: The dataset id in the catalogue (and in its URI).
    key: Mapped[str] = mapped_column(String(120), unique=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(10))  # auto | staff
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    keywords: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    themes: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    frequency: Mapped[str | None] = mapped_column(String(40), nullable=True)
    license: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attribution: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    #: Musterdatenkatalog topic URIs.
    references: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    #: Distributions of a staff dataset: ``{"title", "url", "format", "media_type"}``.
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
