"""The module's tables.

``water_trees`` is the module's copy of the public tree register (read through the object
register's feature source, refreshed by the job) with the tree-pit details the green-space
office adds and the computed state: the map and the crew lists read one table, however many
trees there are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, IdType, JSONType, UTCDateTime


class Tree(Base):
    __tablename__ = "water_trees"
    __table_args__ = (
        UniqueConstraint("collection", "object_id"),
        Index("ix_water_trees_position", "lon", "lat"),
        Index("ix_water_trees_municipality_status", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    #: The feature collection and id it came from (the object register's tree).
    collection: Mapped[str] = mapped_column(String(120))
    object_id: Mapped[int] = mapped_column(IdType, index=True)
    name: Mapped[str] = mapped_column(String(300))
    identifier: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    species: Mapped[str | None] = mapped_column(String(200))
    species_botanical: Mapped[str | None] = mapped_column(String(200))
    water_use: Mapped[str] = mapped_column(String(20))
    planting_year: Mapped[int | None] = mapped_column(Integer)
    crown_diameter_m: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    district_id: Mapped[int | None] = mapped_column(IdType)
    district: Mapped[str | None] = mapped_column(String(200))
    station_thing_id: Mapped[int | None] = mapped_column(IdType)
    # What the green-space office knows of the pit (None: the defaults of the catalogue).
    pit_volume_m3: Mapped[float | None] = mapped_column(Float)
    open_area_m2: Mapped[float | None] = mapped_column(Float)
    sealed_share: Mapped[float | None] = mapped_column(Float)
    microclimate: Mapped[float | None] = mapped_column(Float)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The state the job computed.
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taw_l: Mapped[float | None] = mapped_column(Float)
    depletion_l: Mapped[float | None] = mapped_column(Float)
    suction_kpa: Mapped[float | None] = mapped_column(Float)
    #: Standard deviation of the depletion as a share of the available water.
    sigma: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(10))
    need_l: Mapped[float | None] = mapped_column(Float)
    dose_l: Mapped[float | None] = mapped_column(Float)
    critical_in_days: Mapped[int | None] = mapped_column(Integer)
    #: probe | nearby | model
    source: Mapped[str | None] = mapped_column(String(10))
    probe_tree_id: Mapped[int | None] = mapped_column(IdType)
    probe_distance_m: Mapped[float | None] = mapped_column(Float)
    #: Suction (kPa) at the end of each forecast day.
    forecast_kpa: Mapped[list[float] | None] = mapped_column(JSONType)
    forecast_source: Mapped[str | None] = mapped_column(String(10))
    last_watered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watered_30d_l: Mapped[float | None] = mapped_column(Float)


class Watering(Base):
    """Water given to a tree: by a citizen (from the adoption's event) or by a crew."""

    __tablename__ = "water_waterings"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    tree_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("water_trees.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    litres: Mapped[float] = mapped_column(Float)
    #: citizen | crew
    source: Mapped[str] = mapped_column(String(10))
    #: The stored event it came from (unique: an event is counted once).
    event_id: Mapped[int | None] = mapped_column(IdType, unique=True)
    #: Staff member who recorded a crew's watering (internal).
    recorded_by: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Probe(Base):
    """A soil probe's Datastream as the balance uses it, with what its checks found."""

    __tablename__ = "water_probes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    datastream_id: Mapped[int] = mapped_column(IdType, unique=True)
    thing_id: Mapped[int] = mapped_column(IdType, index=True)
    name: Mapped[str] = mapped_column(String(300))
    tree_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("water_trees.id", ondelete="SET NULL"), index=True
    )
    #: suction | volumetric
    kind: Mapped[str] = mapped_column(String(12))
    curve: Mapped[str] = mapped_column(String(20))
    #: ok | flagged | silent (no readings in the period)
    status: Mapped[str] = mapped_column(String(10))
    last_flags: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The model's error at this probe (depletion share), spread to trees nearby.
    bias: Mapped[float | None] = mapped_column(Float)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Station(Base):
    """A weather station whose ET0 the module publishes."""

    __tablename__ = "water_stations"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    thing_id: Mapped[int] = mapped_column(IdType, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    et0_datastream_id: Mapped[int | None] = mapped_column(IdType)
    #: The last local day (YYYY-MM-DD) whose ET0 was published.
    published_until: Mapped[str | None] = mapped_column(String(10))
    et0_hourly_datastream_id: Mapped[int | None] = mapped_column(IdType)
    #: The start of the last hour whose hourly ET0 was published.
    hourly_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    elevation_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    #: ET0 and rain (mm) of the coming days from ``outlook_day`` (today) on, and their source.
    outlook_day: Mapped[str | None] = mapped_column(String(10))
    outlook_et0: Mapped[list[float] | None] = mapped_column(JSONType)
    outlook_rain: Mapped[list[float] | None] = mapped_column(JSONType)
    outlook_source: Mapped[str | None] = mapped_column(String(10))


class Group(Base):
    """The published water balance of a district's trees (one Thing, a few Datastreams)."""

    __tablename__ = "water_groups"
    __table_args__ = (UniqueConstraint("municipality_id", "district"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    district: Mapped[str] = mapped_column(String(200))
    thing_id: Mapped[int] = mapped_column(IdType)
    #: Datastream ids by key (suction, now, soon, need).
    datastreams: Mapped[dict[str, int]] = mapped_column(JSONType)
    published_until: Mapped[str | None] = mapped_column(String(10))


class Zone(Base):
    """An irrigation zone: a green area or group of trees behind one valve."""

    __tablename__ = "water_zones"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    area_m2: Mapped[float] = mapped_column(Float)
    coefficient: Mapped[float] = mapped_column(Float)
    taw_mm: Mapped[float] = mapped_column(Float)
    rate_mm_per_h: Mapped[float] = mapped_column(Float)
    efficiency: Mapped[float] = mapped_column(Float)
    mad: Mapped[float] = mapped_column(Float)
    max_minutes: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    station_thing_id: Mapped[int | None] = mapped_column(IdType)
    probe_datastream_id: Mapped[int | None] = mapped_column(IdType)
    probe_kind: Mapped[str | None] = mapped_column(String(12))
    #: The valve: a Thing with a TaskingCapability.
    thing_id: Mapped[int] = mapped_column(IdType)
    capability_id: Mapped[int] = mapped_column(IdType)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The controller's balance: depletion (mm) and its variance (share of TAW, squared).
    depletion_mm: Mapped[float] = mapped_column(Float, default=0.0)
    variance: Mapped[float] = mapped_column(Float, default=0.0)
    #: The last local day (YYYY-MM-DD) the balance was carried to.
    balance_day: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Decision(Base):
    """What the controller decided for a zone on a day, and why."""

    __tablename__ = "water_decisions"
    __table_args__ = (UniqueConstraint("zone_id", "day"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    zone_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("water_zones.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[str] = mapped_column(String(10))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[float] = mapped_column(Float, default=0.0)
    gross_l: Mapped[float] = mapped_column(Float, default=0.0)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    task_id: Mapped[int | None] = mapped_column(IdType)


class Meter(Base):
    """A water meter the module watches (a Thing with a counter or flow Datastream)."""

    __tablename__ = "water_meters"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    thing_id: Mapped[int] = mapped_column(IdType, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    building: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(12))
    public: Mapped[bool] = mapped_column(Boolean)
    counter_datastream_id: Mapped[int | None] = mapped_column(IdType)
    counter_unit: Mapped[str | None] = mapped_column(String(20))
    flow_datastream_id: Mapped[int | None] = mapped_column(IdType)
    rollover_l: Mapped[float | None] = mapped_column(Float)
    #: ok | leak
    state: Mapped[str] = mapped_column(String(10), default="ok")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Leak(Base):
    """A leak alarm of a meter: the night that raised it and the evidence."""

    __tablename__ = "water_leaks"
    __table_args__ = (UniqueConstraint("meter_id", "night"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("identity_municipalities.id", ondelete="CASCADE"), index=True
    )
    meter_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("water_meters.id", ondelete="CASCADE"), index=True
    )
    #: The local day (YYYY-MM-DD) of the night that raised the alarm.
    night: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    night_minimum_l_per_h: Mapped[float] = mapped_column(Float)
    usual_night_minimum_l_per_h: Mapped[float] = mapped_column(Float)
    day_minimum_l_per_h: Mapped[float] = mapped_column(Float)
    #: The hourly flow of the three days up to the alarm (see usage.evidence).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: open | closed
    state: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Cursor(Base):
    """How far the module has read a stream of stored events."""

    __tablename__ = "water_cursors"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    last_id: Mapped[int] = mapped_column(IdType, default=0)
    #: Ids handled within the re-read window below ``last_id`` (taken or refused).
    handled: Mapped[list[int]] = mapped_column(JSONType, default=list)
