"""Tables of the observation core: the SensorThings entities, stored on both backends.

Times of the sensing entities are microseconds since the Unix epoch in UTC (64-bit integers),
not ``UTCDateTime``: the observation table is the hot table of the whole platform, and integer
times are the cheapest to insert, index, compare and bucket on both backends (see
``sensing.times`` for the conversions). Everything else follows the kernel's conventions.

Every entity belongs to a municipality and is public or internal. Observations, Historical
Locations and Tasks take both from their parent (Datastream or MultiDatastream, Thing,
TaskingCapability), so the hot table carries no copies that would have to be rewritten when a
Datastream changes hands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from allmende.storage.base import Base, IdType, JSONType, UTCDateTime
from allmende.storage.geometry import HasGeometry, spatial_indexes

#: Microseconds since 1970-01-01T00:00:00Z.
Micros: Any = BigInteger().with_variant(Integer(), "sqlite")

MUNICIPALITY_FK = "identity_municipalities.id"


class Owned:
    """The municipality an entity belongs to and whether the public may read it."""

    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Thing(Owned, Base):
    __tablename__ = "sensing_things"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


class Location(Owned, HasGeometry, Base):
    """``location`` keeps the document as sent; ``geom`` is its geometry for spatial queries."""

    __tablename__ = "sensing_locations"
    __table_args__ = spatial_indexes("sensing_locations")

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(200))
    location: Mapped[Any] = mapped_column(JSONType)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


thing_locations = Table(
    "sensing_thing_locations",
    Base.metadata,
    Column(
        "thing_id",
        IdType,
        ForeignKey("sensing_things.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "location_id",
        IdType,
        ForeignKey("sensing_locations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class HistoricalLocation(Base):
    __tablename__ = "sensing_historical_locations"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    thing_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_things.id", ondelete="CASCADE"), index=True
    )
    time: Mapped[int] = mapped_column(Micros)


historical_location_locations = Table(
    "sensing_historical_location_locations",
    Base.metadata,
    Column(
        "historical_location_id",
        IdType,
        ForeignKey("sensing_historical_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "location_id",
        IdType,
        ForeignKey("sensing_locations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Sensor(Owned, Base):
    __tablename__ = "sensing_sensors"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(200))
    metadata_: Mapped[str] = mapped_column("metadata", Text)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


class ObservedProperty(Owned, Base):
    __tablename__ = "sensing_observed_properties"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


# Every batch of Observations updates its streams; free room on each page lets PostgreSQL do
# that without touching an index (HOT). Set on existing databases by migration sensing_0002.
STREAM_TABLE_OPTIONS: dict[str, Any] = {"postgresql_with": {"fillfactor": 50}}


class StreamStatistics:
    """What a (Multi)Datastream knows about its Observations, kept current on every write.

    ``geom`` (from :class:`HasGeometry`) is the observed area. The latest Observation (by
    phenomenon time) is a pointer, so "the latest value of every Datastream" is a primary-key
    join at any table size; ``observation_count`` answers an unfiltered ``$count``.
    """

    phenomenon_time_start: Mapped[int | None] = mapped_column(Micros, nullable=True)
    phenomenon_time_end: Mapped[int | None] = mapped_column(Micros, nullable=True)
    result_time_start: Mapped[int | None] = mapped_column(Micros, nullable=True)
    result_time_end: Mapped[int | None] = mapped_column(Micros, nullable=True)
    observation_count: Mapped[int] = mapped_column(BigInteger, default=0)
    latest_observation_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    latest_phenomenon_time: Mapped[int | None] = mapped_column(Micros, nullable=True)


class Datastream(Owned, StreamStatistics, HasGeometry, Base):
    __tablename__ = "sensing_datastreams"
    __table_args__ = (*spatial_indexes("sensing_datastreams"), STREAM_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    observation_type: Mapped[str] = mapped_column(Text)
    unit_of_measurement: Mapped[Any] = mapped_column(JSONType)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    thing_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_things.id", ondelete="CASCADE"), index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_sensors.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_observed_properties.id", ondelete="CASCADE"), index=True
    )


class MultiDatastream(Owned, StreamStatistics, HasGeometry, Base):
    __tablename__ = "sensing_multi_datastreams"
    __table_args__ = (*spatial_indexes("sensing_multi_datastreams"), STREAM_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    observation_type: Mapped[str] = mapped_column(Text)
    multi_observation_data_types: Mapped[Any] = mapped_column(JSONType)
    unit_of_measurements: Mapped[Any] = mapped_column(JSONType)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    thing_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_things.id", ondelete="CASCADE"), index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_sensors.id", ondelete="CASCADE"), index=True
    )


multi_datastream_observed_properties = Table(
    "sensing_multi_datastream_observed_properties",
    Base.metadata,
    Column(
        "multi_datastream_id",
        IdType,
        ForeignKey("sensing_multi_datastreams.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column(
        "observed_property_id",
        IdType,
        ForeignKey("sensing_observed_properties.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)


class FeatureOfInterest(Owned, HasGeometry, Base):
    """``location_id`` is set on a feature made from a Thing's Location, so it is reused."""

    __tablename__ = "sensing_features"
    __table_args__ = spatial_indexes("sensing_features")

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(200))
    feature: Mapped[Any] = mapped_column(JSONType)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    location_id: Mapped[int | None] = mapped_column(
        IdType,
        ForeignKey("sensing_locations.id", ondelete="SET NULL"),
        nullable=True,
        unique=True,
    )


class ResultKind:
    """How an Observation's result is stored (``result_kind``)."""

    NULL = 0
    INTEGER = 1  # result_number
    FLOAT = 2  # result_number
    STRING = 3  # result_text
    BOOLEAN = 4  # result_number, 1 or 0
    JSON = 5  # result_json: an object or an array
    BIG_INTEGER = 6  # result_text: an integer too large for a float to keep exactly


class Observation(Base):
    """The hot table. One row per measured value; no triggers, batch inserts only."""

    __tablename__ = "sensing_observations"
    __table_args__ = (
        # The duplicate rule and every time-range read of one Datastream use this index.
        Index(
            "ix_sensing_observations_datastream_time",
            "datastream_id",
            "phenomenon_time",
            "phenomenon_time_end",
            unique=True,
        ),
        Index(
            "ix_sensing_observations_multi_datastream_time",
            "multi_datastream_id",
            "phenomenon_time",
            "phenomenon_time_end",
            unique=True,
            sqlite_where=text("multi_datastream_id IS NOT NULL"),
            postgresql_where=text("multi_datastream_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    datastream_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("sensing_datastreams.id", ondelete="CASCADE"), nullable=True
    )
    multi_datastream_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("sensing_multi_datastreams.id", ondelete="CASCADE"), nullable=True
    )
    feature_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_features.id", ondelete="CASCADE"), index=True
    )
    #: An instant ends when it starts; an interval later. Both are part of the duplicate key.
    phenomenon_time: Mapped[int] = mapped_column(Micros)
    phenomenon_time_end: Mapped[int] = mapped_column(Micros)
    result_time: Mapped[int | None] = mapped_column(Micros, nullable=True)
    valid_time_start: Mapped[int | None] = mapped_column(Micros, nullable=True)
    valid_time_end: Mapped[int | None] = mapped_column(Micros, nullable=True)
    result_kind: Mapped[int] = mapped_column(SmallInteger)
    result_number: Mapped[float | None] = mapped_column(Float, nullable=True)
    result_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_json: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    result_quality: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    parameters: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


class Actuator(Owned, Base):
    __tablename__ = "sensing_actuators"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(200))
    metadata_: Mapped[str] = mapped_column("metadata", Text)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)


class TaskingCapability(Owned, Base):
    __tablename__ = "sensing_tasking_capabilities"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    tasking_parameters: Mapped[Any] = mapped_column(JSONType)
    properties: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    thing_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_things.id", ondelete="CASCADE"), index=True
    )
    actuator_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_actuators.id", ondelete="CASCADE"), index=True
    )


class Task(Base):
    __tablename__ = "sensing_tasks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    tasking_capability_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_tasking_capabilities.id", ondelete="CASCADE"), index=True
    )
    creation_time: Mapped[int] = mapped_column(Micros)
    tasking_parameters: Mapped[Any] = mapped_column(JSONType)


class TaskDelivery(Base):
    """Whether a device carried out a Task the platform sent (``actuation.send_task``).

    One row per Task sent, keyed by the first Task; a resend is a new Task of the same
    capability, recorded in :class:`TaskAttempt`. ``state``: ``pending`` (waiting for the
    device's acknowledgement), ``done`` or ``failed``. Times are ``UTCDateTime`` like the rest
    of the kernel's bookkeeping, not the integer times of the hot table.
    """

    __tablename__ = "sensing_task_deliveries"
    __table_args__ = (Index("ix_sensing_task_deliveries_state", "state", "last_attempt_at"),)

    task_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    tasking_capability_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_tasking_capabilities.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    #: ``reason`` as a message (``message_to_json``), shown in each reader's language.
    reason_text: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    origin: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_task_id: Mapped[int] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class TaskAttempt(Base):
    """A Task sent for a delivery: the first one and every resend."""

    __tablename__ = "sensing_task_attempts"

    task_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sensing_task_deliveries.task_id", ondelete="CASCADE"), index=True
    )
