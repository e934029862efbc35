"""Pydantic models of the module's JSON: the sensor list with the latest values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class StreamRead(BaseModel):
    id: int
    name: str
    kind: str
    unit: str
    latest_value: Any = None
    latest_time: datetime | None = None
    self_link: str


class ThingRead(BaseModel):
    id: int
    name: str
    description: str
    municipality: str
    public: bool
    kind: str | None
    lon: float | None
    lat: float | None
    streams: list[StreamRead]
    self_link: str
