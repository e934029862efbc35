"""The energy module's tables: buildings with their thermal zones and meters, the plans sent to
the zones' set points, and demand-response programmes and events.

Readings, set points, prices and grid intensity live in the sensing core as Datastreams; these
tables hold what links them to buildings and what the controller decided.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, IdType, JSONType, UTCDateTime


class Building(Base):
    __tablename__ = "energy_buildings"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("identity_municipalities.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    use: Mapped[str] = mapped_column(String(40))
    #: Net floor area (NGF, the Bekanntmachung's energy reference area), m².
    floor_area: Mapped[float] = mapped_column(Float)
    year_built: Mapped[int | None] = mapped_column(Integer, nullable=True)
    heating_system: Mapped[str] = mapped_column(String(20))
    heat_pump: Mapped[bool] = mapped_column(Boolean, default=False)
    pv_kwp: Mapped[float] = mapped_column(Float, default=0.0)
    #: The register object this building is ("<feature source>/<feature id>"), if linked.
    object_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The SensorThings Thing its meters and zones publish to.
    thing_id: Mapped[int] = mapped_column(IdType)
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Zone(Base):
    """A thermal zone: its 5R1C prior from the building data, the calibrated multipliers, the
    occupancy schedule with its comfort band, and how it is controlled."""

    __tablename__ = "energy_zones"
    __table_args__ = (UniqueConstraint("building_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("energy_buildings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    floor_area: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    window_area: Mapped[float] = mapped_column(Float)
    opaque_area: Mapped[float] = mapped_column(Float)
    u_window: Mapped[float] = mapped_column(Float)
    u_opaque: Mapped[float] = mapped_column(Float)
    air_changes: Mapped[float] = mapped_column(Float)
    heat_capacity: Mapped[float] = mapped_column(Float)  # J/(m²K) of floor area
    heating_kw: Mapped[float] = mapped_column(Float)
    cooling_kw: Mapped[float] = mapped_column(Float, default=0.0)
    occupied_start: Mapped[float] = mapped_column(Float, default=7.0)  # hours, local time
    occupied_end: Mapped[float] = mapped_column(Float, default=17.0)
    comfort_low: Mapped[float] = mapped_column(Float, default=20.0)
    comfort_high: Mapped[float] = mapped_column(Float, default=26.0)
    setback: Mapped[float] = mapped_column(Float, default=16.0)
    #: The thermostat schedule's fixed start, hours before occupancy.
    preheat_hours: Mapped[float] = mapped_column(Float, default=2.0, server_default="2")
    #: schedule | mpc
    control: Mapped[str] = mapped_column(String(20), default="schedule")
    #: cost | co2
    objective: Mapped[str] = mapped_column(String(10), default="cost")
    calibration: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    indoor_stream_id: Mapped[int] = mapped_column(IdType)
    setpoint_stream_id: Mapped[int] = mapped_column(IdType)
    heating_stream_id: Mapped[int] = mapped_column(IdType)
    capability_id: Mapped[int] = mapped_column(IdType)


class Meter(Base):
    __tablename__ = "energy_meters"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("energy_buildings.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("energy_meters.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str] = mapped_column(String(20))
    #: counter (readings) | interval (consumption per interval)
    reading: Mapped[str] = mapped_column(String(10), default="counter")
    nominal_seconds: Mapped[int] = mapped_column(Integer, default=900)
    datastream_id: Mapped[int] = mapped_column(IdType, unique=True)


class Tariff(Base):
    """A municipality's price and emission factor of an energy carrier from a day on; it holds
    until the next one of the same carrier. Without one the catalogue's defaults apply."""

    __tablename__ = "energy_tariffs"
    __table_args__ = (UniqueConstraint("municipality_id", "carrier", "valid_from"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("identity_municipalities.id"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    #: € per unit of the carrier (kWh, or m³ of water), gross.
    price: Mapped[float] = mapped_column(Float)
    #: kg CO2-eq per kWh of final energy.
    co2: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200), default="")


class Plan(Base):
    """A plan for one zone: set points per step, where it came from, and the Task it went
    out as."""

    __tablename__ = "energy_plans"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("energy_zones.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    step_seconds: Mapped[int] = mapped_column(Integer)
    #: mpc | schedule (the fallback) | demand_response
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    co2: Mapped[float | None] = mapped_column(Float, nullable=True)
    solve_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    setpoints: Mapped[list[float]] = mapped_column(JSONType)
    heating_kw: Mapped[list[float]] = mapped_column(JSONType)
    import_limit_kw: Mapped[float | None] = mapped_column(Float, nullable=True)
    task_id: Mapped[int | None] = mapped_column(IdType, nullable=True)


class VenLink(Base):
    """The municipality's registration as an OpenADR 3.0 VEN with a VTN."""

    __tablename__ = "energy_ven_links"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("identity_municipalities.id"), unique=True
    )
    vtn_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(500))
    ven_name: Mapped[str] = mapped_column(String(200))
    ven_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The building whose import the events limit.
    building_id: Mapped[int] = mapped_column(ForeignKey("energy_buildings.id"))
    #: Polled by the job; a link to a programme that ended stays for its history.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DemandEvent(Base):
    """An OpenADR event as received, what the controller did, and what was reported back."""

    __tablename__ = "energy_demand_events"
    __table_args__ = (UniqueConstraint("link_id", "event_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("energy_ven_links.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    program_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    payload_type: Mapped[str] = mapped_column(String(40))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    #: [{"start": iso, "seconds": n, "value": x}] in the event's payload units
    intervals: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Share of the event's intervals in which metered power stayed under the limit.
    share_kept: Mapped[float | None] = mapped_column(Float, nullable=True)
