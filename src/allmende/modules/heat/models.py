"""Tables of the heat module: settings per municipality, uploaded land-cover layers, the land
cover on the map's grid, the hourly maps and their district aggregates, warnings, the action
plan and its log of switches, and the measured errors of the map.

Derived station values are not here: they are Datastreams of the SensorThings core.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, IdType, JSONType, UTCDateTime, utcnow

MUNICIPALITY_FK = "identity_municipalities.id"
DISTRICT_FK = "identity_districts.id"
USER_FK = "identity_users.id"
THING_FK = "sensing_things.id"
CAPABILITY_FK = "sensing_tasking_capabilities.id"


class HeatSettings(Base):
    """Thresholds of the warning rules and how the map is made, per municipality."""

    __tablename__ = "heat_settings"

    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), primary_key=True
    )
    strong_utci: Mapped[float] = mapped_column(Float, default=32.0)
    night_min_ta: Mapped[float] = mapped_column(Float, default=20.0)
    extreme_utci: Mapped[float] = mapped_column(Float, default=38.0)
    #: Share of a district's outdoor cells that must exceed the threshold.
    area_share: Mapped[float] = mapped_column(Float, default=0.25)
    #: Local hours [from, to) of the afternoon and of the night (which wraps past midnight).
    afternoon_from: Mapped[int] = mapped_column(Integer, default=12)
    afternoon_to: Mapped[int] = mapped_column(Integer, default=18)
    night_from: Mapped[int] = mapped_column(Integer, default=22)
    night_to: Mapped[int] = mapped_column(Integer, default=6)
    cell_m: Mapped[float] = mapped_column(Float, default=10.0)
    #: The station whose measurements are the regional weather (None: found automatically).
    reference_thing_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(THING_FK, ondelete="SET NULL"), nullable=True
    )
    #: A Thing with forecast Datastreams of the same kinds (hours after now).
    forecast_thing_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(THING_FK, ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Layer(Base):
    """An uploaded land-cover file, kept as it came (the map is rebuilt from it)."""

    __tablename__ = "heat_layers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: The CRS the file came in (it is reprojected onto the map's grid).
    source_crs: Mapped[str] = mapped_column(Text)
    #: What was found in it: features, value range, share of the municipality covered.
    summary: Mapped[Any] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )


class LandCoverGrid(Base):
    """The land cover of a municipality on the map's grid, with what the map derives from
    it once (compressed arrays)."""

    __tablename__ = "heat_landcover"

    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), primary_key=True
    )
    west: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)
    cell: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sources: Mapped[Any] = mapped_column(JSONType)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MapHour(Base):
    """The full map of one hour (air temperature and UTCI per cell), kept for a while."""

    __tablename__ = "heat_map_hours"

    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: "measured" (regional weather and stations) or "forecast".
    source: Mapped[str] = mapped_column(String(10))
    stations_used: Mapped[int] = mapped_column(Integer, default=0)
    #: Kept past the retention (the peak hour of a day with a warning, its evidence).
    kept: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DistrictHour(Base):
    """A district's share of one hour of the map: quantiles over its outdoor cells."""

    __tablename__ = "heat_district_hours"
    __table_args__ = (Index("ix_heat_district_hours_municipality_hour", "municipality_id", "hour"),)

    district_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(DISTRICT_FK, ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(10))
    cells: Mapped[int] = mapped_column(Integer)
    utci_p50: Mapped[float] = mapped_column(Float)
    utci_p75: Mapped[float] = mapped_column(Float)
    utci_p90: Mapped[float] = mapped_column(Float)
    utci_p95: Mapped[float] = mapped_column(Float)
    utci_max: Mapped[float] = mapped_column(Float)
    ta_p50: Mapped[float] = mapped_column(Float)
    ta_min: Mapped[float] = mapped_column(Float)
    ta_max: Mapped[float] = mapped_column(Float)


class HeatWarning(Base):
    """A heat warning of a district: consecutive days that meet a rule."""

    __tablename__ = "heat_warnings"
    __table_args__ = (Index("ix_heat_warnings_municipality_status", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE")
    )
    district_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(DISTRICT_FK, ondelete="CASCADE"), index=True
    )
    #: "strong" or "extreme": the highest level of its days.
    level: Mapped[str] = mapped_column(String(10))
    #: "active" or "ended".
    status: Mapped[str] = mapped_column(String(10))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Per day: the rule's values, the cells and stations that show it.
    evidence: Mapped[Any] = mapped_column(JSONType)
    #: Whether a day of it comes from a forecast rather than measurements.
    forecast: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Raised with every change (the CAP message's version).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlanEntry(Base):
    """A device of the action plan: what to send it when a warning starts and ends."""

    __tablename__ = "heat_plan_entries"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    device_kind: Mapped[str] = mapped_column(String(20))
    capability_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(CAPABILITY_FK, ondelete="SET NULL"), nullable=True
    )
    #: Only warnings of this district (None: any district of the municipality).
    district_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(DISTRICT_FK, ondelete="CASCADE"), nullable=True
    )
    #: The lowest warning level that switches it: "strong" or "extreme".
    min_level: Mapped[str] = mapped_column(String(10))
    on_parameters: Mapped[Any] = mapped_column(JSONType)
    off_parameters: Mapped[Any] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Switch(Base):
    """One switch of the action plan, with its reason (the Task's state is the kernel's)."""

    __tablename__ = "heat_plan_switches"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("heat_plan_entries.id", ondelete="CASCADE"), index=True
    )
    warning_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("heat_warnings.id", ondelete="SET NULL"), nullable=True
    )
    #: "on" or "off".
    action: Mapped[str] = mapped_column(String(3))
    #: The Task sent (None when it could not be sent: see ``error``).
    task_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    #: ``reason`` as a message (``message_to_json``), shown in each reader's language.
    reason_text: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Evaluation(Base):
    """Leave-one-station-out errors of the map over a period."""

    __tablename__ = "heat_evaluations"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True
    )
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    stations: Mapped[int] = mapped_column(Integer)
    hours: Mapped[int] = mapped_column(Integer)
    results: Mapped[Any] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
