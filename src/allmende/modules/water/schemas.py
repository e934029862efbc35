"""Pydantic models of the module's JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from allmende.modules.water.catalogue import MAX_CREW_LITRES
from allmende.sdk import MAX_ID


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WateringCreate(Input):
    litres: float = Field(gt=0, le=MAX_CREW_LITRES, description="Litres given to the tree")
    at: datetime | None = Field(default=None, description="When (default: now); with a time zone")


class WateringRead(BaseModel):
    id: int
    object_id: int
    at: datetime
    litres: float
    source: str
    status: str | None


class TreeSettings(Input):
    """What the green-space office knows of a tree's pit (null: the default)."""

    pit_volume_m3: float | None = Field(default=None, gt=0, le=500)
    open_area_m2: float | None = Field(default=None, ge=0, le=500)
    sealed_share: float | None = Field(default=None, ge=0, le=1)
    microclimate: float | None = Field(default=None, ge=0.5, le=1.5)


class TreeRead(BaseModel):
    """A tree as the public sees it (no personal data)."""

    object_id: int
    name: str
    identifier: str | None
    address: str | None
    species: str | None
    species_botanical: str | None
    water_use: str
    planting_year: int | None
    district: str | None
    lon: float
    lat: float
    status: str | None
    suction_kpa: float | None
    band: str | None
    need_l: float | None
    dose_l: float | None
    critical_in_days: int | None
    uncertainty: float | None = Field(description="σ of the used-up share of the water")
    source: str | None
    forecast_kpa: list[float] | None
    forecast_source: str | None
    last_watered_at: datetime | None
    watered_30d_l: float | None
    computed_at: datetime | None


class ZoneCreate(Input):
    municipality_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["lawn", "bed", "trees"]
    description: str = Field(default="", max_length=2000)
    area_m2: float = Field(gt=0, le=1_000_000)
    coefficient: float = Field(gt=0, le=1.5, description="Landscape coefficient KL")
    taw_mm: float = Field(gt=0, le=500, description="Plant-available water of the root zone")
    rate_mm_per_h: float = Field(gt=0, le=100, description="Application rate")
    efficiency: float = Field(default=0.8, gt=0, le=1)
    mad: float = Field(default=0.5, gt=0, lt=1, description="Management-allowed depletion")
    max_minutes: float = Field(default=120, gt=0, le=240)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    station_thing_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    probe_datastream_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class DecisionRead(BaseModel):
    day: str
    decided_at: datetime
    reason: str
    minutes: float
    gross_l: float
    facts: dict[str, Any]
    task_id: int | None
    task_state: str | None
    task_attempts: int | None


class ZoneRead(BaseModel):
    id: int
    municipality_id: int
    name: str
    kind: str
    area_m2: float
    depletion_mm: float
    taw_mm: float
    valve_thing_id: int
    capability_id: int
    decisions: list[DecisionRead]


class MeterDay(BaseModel):
    day: str
    litres: float
    hours: int
    estimated_hours: int


class LeakRead(BaseModel):
    id: int
    meter_id: int
    night: str
    since: datetime
    night_minimum_l_per_h: float
    usual_night_minimum_l_per_h: float
    day_minimum_l_per_h: float
    state: str
