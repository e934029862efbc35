"""Pydantic models of the heat module's JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from allmende.sdk import MAX_ID


class SettingsRead(BaseModel):
    municipality: str
    strong_utci: float = Field(description="Afternoon UTCI (°C) above which stress is strong")
    night_min_ta: float = Field(description="Night minimum air temperature (°C) that does not cool")
    extreme_utci: float = Field(description="Afternoon UTCI (°C) above which stress is extreme")
    area_share: float = Field(description="Share of a district's outdoor cells that must exceed")
    afternoon_from: int
    afternoon_to: int
    night_from: int
    night_to: int
    cell_m: float
    reference_thing_id: int | None
    forecast_thing_id: int | None


class SettingsUpdate(BaseModel):
    """Only the settings given change; every value is checked before any is stored."""

    model_config = ConfigDict(extra="forbid")

    strong_utci: float | None = None
    night_min_ta: float | None = None
    extreme_utci: float | None = None
    area_share: float | None = None
    afternoon_from: int | None = None
    afternoon_to: int | None = None
    night_from: int | None = None
    night_to: int | None = None
    cell_m: float | None = None
    reference_thing_id: int | None = Field(None, ge=1, le=MAX_ID)
    forecast_thing_id: int | None = Field(None, ge=1, le=MAX_ID)


class DistrictHourRead(BaseModel):
    district_id: int
    district: str
    hour: datetime
    source: str
    utci_p50: float
    utci_p75: float
    utci_p90: float
    utci_max: float
    utci_class: int = Field(description="−5 extreme cold … 0 no thermal stress … 4 extreme heat")
    ta_p50: float
    ta_min: float


class MapRead(BaseModel):
    municipality: str
    hour: datetime
    source: Literal["measured", "forecast"]
    stations_used: int
    overlay: str
    bounds: list[list[float]] = Field(description="[[south, west], [north, east]] (WGS 84)")
    geotiff: str
    netcdf: str
    districts: list[DistrictHourRead]


class StationIndexRead(BaseModel):
    key: str
    name: str
    datastream_id: int
    value: float | None
    time: datetime | None
    self_link: str


class StationRead(BaseModel):
    thing_id: int
    name: str
    municipality: str
    public: bool
    lon: float | None
    lat: float | None
    mean_radiant_temperature: str | None = Field(
        description="measured, globe (ISO 7726), estimated (from radiation) or none"
    )
    inputs: dict[str, int] = Field(description="Kind → the Datastream read")
    indices: list[StationIndexRead]


class WarningRead(BaseModel):
    id: int
    municipality: str
    district: str
    district_id: int
    level: Literal["strong", "extreme"]
    status: Literal["active", "ended"]
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    forecast: bool
    version: int
    url: str
    cap: str
    evidence: list[dict[str, Any]]


class LayerRead(BaseModel):
    id: int
    kind: str
    name: str
    filename: str
    file_format: str
    source_crs: str
    size_bytes: int
    summary: dict[str, Any]
    created_at: datetime


class EvaluationRead(BaseModel):
    municipality: str
    period_start: datetime
    period_end: datetime
    stations: int
    hours: int
    results: dict[str, Any] = Field(
        description="Leave-one-station-out RMSE and bias (K) of air temperature per method"
    )
    computed_at: datetime


class PlanEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thing_id: int = Field(ge=1, le=MAX_ID, description="The device's Thing (of the municipality)")
    name: str = Field(min_length=1, max_length=200)
    device_kind: Literal["misting", "fountain", "shading", "cooling-room", "other"]
    min_level: Literal["strong", "extreme"] = "strong"
    district_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only this district's warnings"
    )


class SwitchRead(BaseModel):
    id: int
    entry_id: int
    entry: str
    warning_id: int | None
    action: Literal["on", "off"]
    reason: str
    task_id: int | None
    state: str = Field(description="pending, done or failed (the kernel's delivery), or error")
    attempts: int
    error: str | None
    created_at: datetime


class PlanEntryRead(BaseModel):
    id: int
    name: str
    device_kind: str
    capability_id: int | None
    district_id: int | None
    min_level: str
    active: bool


class PlanRead(BaseModel):
    entries: list[PlanEntryRead]
    switches: list[SwitchRead]
