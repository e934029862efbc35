"""Pydantic models of the energy API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from allmende.sdk import MAX_ID


class BuildingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    municipality: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=200)
    use: str = Field(max_length=40)
    floor_area: float = Field(gt=0, description="Net floor area (NGF) in m²")
    heating_system: str = Field(max_length=20)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    year_built: int | None = None
    heat_pump: bool = False
    pv_kwp: float = Field(0.0, ge=0)
    object_ref: str | None = Field(None, max_length=200)
    public: bool = True


class BuildingRead(BaseModel):
    id: int
    municipality_id: int
    name: str
    use: str
    floor_area: float
    year_built: int | None
    heating_system: str
    heat_pump: bool
    pv_kwp: float
    object_ref: str | None
    thing: str


class MeterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    carrier: str = Field(max_length=20)
    reading: str = Field("counter", max_length=10)
    nominal_seconds: int = Field(900, ge=60)
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)


class MeterRead(BaseModel):
    id: int
    building_id: int
    parent_id: int | None
    name: str
    carrier: str
    reading: str
    datastream: str


class Bucket(BaseModel):
    start: datetime
    value: float | None
    coverage: float


class IssueRead(BaseModel):
    kind: str
    time: datetime
    detail: str


class ConsumptionRead(BaseModel):
    meter: int
    resolution: str
    unit: str
    buckets: list[Bucket]
    issues: list[IssueRead]


class BaselineRead(BaseModel):
    meter: int
    days: int
    model: str | None
    reason: str | None
    intercept: float | None = None
    beta_hdd: float | None = None
    heating_balance: float | None = None
    beta_cdd: float | None = None
    cooling_balance: float | None = None
    cv_rmse: float | None = None
    nmbe: float | None = None


class PlanRead(BaseModel):
    id: int
    zone: int
    start: datetime
    step_seconds: int
    source: str
    status: str
    message: str
    cost: float | None
    co2: float | None
    setpoints: list[float]
    heating_kw: list[float]
    task: int | None
