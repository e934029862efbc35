"""What the API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    municipality: str = Field(max_length=40, description="Key of the municipality")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)
    public: bool = False


class NoticeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    public: bool | None = None


class NoticeRead(BaseModel):
    id: int
    municipality: str
    title: str
    body: str
    public: bool
    created_at: datetime
