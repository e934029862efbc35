"""The SensorThings data model as the API sees it: entity types, their properties (and the
columns behind them) and their navigation properties (and the joins behind them).

Every other part of the adapter (paths, the query compiler, rendering, writing) is driven by
these tables, so adding a property is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Table

from allmende.sensing import models as m


class Kind(StrEnum):
    """How a property is stored and compared."""

    TEXT = "text"  # one text column
    JSON = "json"  # one JSON column; paths below it (properties/a/b)
    DOCUMENT = "document"  # JSON as sent (location, feature) + ``geom`` for spatial functions
    AREA = "area"  # ``geom`` only, rendered as GeoJSON (observedArea)
    INSTANT = "instant"  # one time column (µs)
    TIME = "time"  # start + optional end: an instant or an interval (Observation phenomenonTime)
    INTERVAL = "interval"  # start + end (validTime, a Datastream's phenomenonTime)
    RESULT = "result"  # result_kind/number/text/json
    IDENTIFIER = "identifier"  # @iot.id


@dataclass(frozen=True)
class Prop:
    name: str
    kind: Kind
    columns: tuple[str, ...]
    mandatory: bool = False  # always rendered, null or not
    required: bool = False  # must be given on create
    writable: bool = True
    nullable: bool = True
    #: The first column: an attribute, not a property, as every value rendered reads it.
    column: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", self.columns[0])


@dataclass(frozen=True)
class Nav:
    """A navigation property: ``local`` is a key column here pointing at the target's id;
    ``remote`` a key column of the target pointing here; ``via`` an association table
    (``via_local`` points here, ``via_remote`` at the target)."""

    name: str
    target: str
    many: bool
    local: str | None = None
    remote: str | None = None
    via: Table | None = None
    via_local: str | None = None
    via_remote: str | None = None
    linked: bool = True  # rendered as <name>@iot.navigationLink
    writable: bool = True


@dataclass(frozen=True)
class EntityType:
    name: str
    plural: str
    model: Any
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...]
    #: For entities without their own municipality: the navigation to the one they follow.
    owners: tuple[str, ...] = ()
    by_name: dict[str, Prop] = field(default_factory=dict, compare=False)
    nav_by_name: dict[str, Nav] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({p.name: p for p in self.props})
        self.nav_by_name.update({n.name: n for n in self.navs})

    @property
    def owned(self) -> bool:
        return not self.owners

    def prop(self, name: str) -> Prop | None:
        return self.by_name.get(name)

    def nav(self, name: str) -> Nav | None:
        return self.nav_by_name.get(name)


ID = Prop("id", Kind.IDENTIFIER, ("id",), writable=False, nullable=False)


def _text(name: str, column: str | None = None, **kw: Any) -> Prop:
    return Prop(name, Kind.TEXT, (column or name,), **kw)


def _json(name: str, column: str, **kw: Any) -> Prop:
    return Prop(name, Kind.JSON, (column,), **kw)


NAME = _text("name", mandatory=True, required=True, nullable=False)
DESCRIPTION = _text("description", mandatory=True, nullable=False)
ENCODING = _text("encodingType", "encoding_type", mandatory=True, required=True, nullable=False)
PROPERTIES = _json("properties", "properties")
STREAM_TIMES = (
    Prop(
        "phenomenonTime",
        Kind.INTERVAL,
        ("phenomenon_time_start", "phenomenon_time_end"),
        writable=False,
    ),
    Prop("resultTime", Kind.INTERVAL, ("result_time_start", "result_time_end"), writable=False),
)
OBSERVED_AREA = Prop("observedArea", Kind.AREA, ("geom",), writable=False)

THING = EntityType(
    "Thing",
    "Things",
    m.Thing,
    (ID, NAME, DESCRIPTION, PROPERTIES),
    (
        Nav("Datastreams", "Datastream", True, remote="thing_id"),
        Nav("MultiDatastreams", "MultiDatastream", True, remote="thing_id"),
        Nav(
            "Locations",
            "Location",
            True,
            via=m.thing_locations,
            via_local="thing_id",
            via_remote="location_id",
        ),
        Nav("HistoricalLocations", "HistoricalLocation", True, remote="thing_id"),
        Nav("TaskingCapabilities", "TaskingCapability", True, remote="thing_id"),
    ),
)
LOCATION = EntityType(
    "Location",
    "Locations",
    m.Location,
    (
        ID,
        NAME,
        DESCRIPTION,
        ENCODING,
        Prop("location", Kind.DOCUMENT, ("location", "geom"), mandatory=True, required=True),
        PROPERTIES,
    ),
    (
        Nav(
            "Things",
            "Thing",
            True,
            via=m.thing_locations,
            via_local="location_id",
            via_remote="thing_id",
        ),
        Nav(
            "HistoricalLocations",
            "HistoricalLocation",
            True,
            via=m.historical_location_locations,
            via_local="location_id",
            via_remote="historical_location_id",
        ),
    ),
)
HISTORICAL_LOCATION = EntityType(
    "HistoricalLocation",
    "HistoricalLocations",
    m.HistoricalLocation,
    (ID, Prop("time", Kind.INSTANT, ("time",), mandatory=True, required=True, nullable=False)),
    (
        Nav("Thing", "Thing", False, local="thing_id"),
        Nav(
            "Locations",
            "Location",
            True,
            via=m.historical_location_locations,
            via_local="historical_location_id",
            via_remote="location_id",
        ),
    ),
    owners=("Thing",),
)
SENSOR = EntityType(
    "Sensor",
    "Sensors",
    m.Sensor,
    (
        ID,
        NAME,
        DESCRIPTION,
        ENCODING,
        _text("metadata", "metadata_", mandatory=True, required=True, nullable=False),
        PROPERTIES,
    ),
    (
        Nav("Datastreams", "Datastream", True, remote="sensor_id"),
        Nav("MultiDatastreams", "MultiDatastream", True, remote="sensor_id"),
    ),
)
OBSERVED_PROPERTY = EntityType(
    "ObservedProperty",
    "ObservedProperties",
    m.ObservedProperty,
    (
        ID,
        NAME,
        _text("definition", mandatory=True, required=True, nullable=False),
        DESCRIPTION,
        PROPERTIES,
    ),
    (
        Nav("Datastreams", "Datastream", True, remote="observed_property_id"),
        Nav(
            "MultiDatastreams",
            "MultiDatastream",
            True,
            via=m.multi_datastream_observed_properties,
            via_local="observed_property_id",
            via_remote="multi_datastream_id",
            writable=False,
        ),
    ),
)
DATASTREAM = EntityType(
    "Datastream",
    "Datastreams",
    m.Datastream,
    (
        ID,
        NAME,
        DESCRIPTION,
        _json(
            "unitOfMeasurement",
            "unit_of_measurement",
            mandatory=True,
            required=True,
            nullable=False,
        ),
        _text(
            "observationType",
            "observation_type",
            mandatory=True,
            required=True,
            nullable=False,
        ),
        OBSERVED_AREA,
        *STREAM_TIMES,
        PROPERTIES,
    ),
    (
        Nav("Thing", "Thing", False, local="thing_id"),
        Nav("Sensor", "Sensor", False, local="sensor_id"),
        Nav("ObservedProperty", "ObservedProperty", False, local="observed_property_id"),
        Nav("Observations", "Observation", True, remote="datastream_id"),
        # Allmende extension: the newest Observation, kept current on insert.
        Nav(
            "LatestObservation",
            "Observation",
            False,
            local="latest_observation_id",
            linked=False,
            writable=False,
        ),
    ),
)
MULTI_DATASTREAM = EntityType(
    "MultiDatastream",
    "MultiDatastreams",
    m.MultiDatastream,
    (
        ID,
        NAME,
        DESCRIPTION,
        _json(
            "unitOfMeasurements",
            "unit_of_measurements",
            mandatory=True,
            required=True,
            nullable=False,
        ),
        _text(
            "observationType",
            "observation_type",
            mandatory=True,
            nullable=False,
        ),
        _json(
            "multiObservationDataTypes",
            "multi_observation_data_types",
            mandatory=True,
            required=True,
            nullable=False,
        ),
        OBSERVED_AREA,
        *STREAM_TIMES,
        PROPERTIES,
    ),
    (
        Nav("Thing", "Thing", False, local="thing_id"),
        Nav("Sensor", "Sensor", False, local="sensor_id"),
        Nav(
            "ObservedProperties",
            "ObservedProperty",
            True,
            via=m.multi_datastream_observed_properties,
            via_local="multi_datastream_id",
            via_remote="observed_property_id",
        ),
        Nav("Observations", "Observation", True, remote="multi_datastream_id"),
        Nav(
            "LatestObservation",
            "Observation",
            False,
            local="latest_observation_id",
            linked=False,
            writable=False,
        ),
    ),
)
OBSERVATION = EntityType(
    "Observation",
    "Observations",
    m.Observation,
    (
        ID,
        Prop(
            "phenomenonTime",
            Kind.TIME,
            ("phenomenon_time", "phenomenon_time_end"),
            mandatory=True,
            nullable=False,
        ),
        Prop(
            "result",
            Kind.RESULT,
            ("result_kind", "result_number", "result_text", "result_json"),
            mandatory=True,
            required=True,
        ),
        Prop("resultTime", Kind.INSTANT, ("result_time",), mandatory=True),
        _json("resultQuality", "result_quality"),
        Prop("validTime", Kind.INTERVAL, ("valid_time_start", "valid_time_end")),
        _json("parameters", "parameters"),
    ),
    (
        Nav("Datastream", "Datastream", False, local="datastream_id"),
        Nav("MultiDatastream", "MultiDatastream", False, local="multi_datastream_id"),
        Nav("FeatureOfInterest", "FeatureOfInterest", False, local="feature_id"),
    ),
    owners=("Datastream", "MultiDatastream"),
)
FEATURE_OF_INTEREST = EntityType(
    "FeatureOfInterest",
    "FeaturesOfInterest",
    m.FeatureOfInterest,
    (
        ID,
        NAME,
        DESCRIPTION,
        ENCODING,
        Prop("feature", Kind.DOCUMENT, ("feature", "geom"), mandatory=True, required=True),
        PROPERTIES,
    ),
    (Nav("Observations", "Observation", True, remote="feature_id", writable=False),),
)
ACTUATOR = EntityType(
    "Actuator",
    "Actuators",
    m.Actuator,
    (
        ID,
        NAME,
        DESCRIPTION,
        ENCODING,
        _text("metadata", "metadata_", mandatory=True, required=True, nullable=False),
        PROPERTIES,
    ),
    (Nav("TaskingCapabilities", "TaskingCapability", True, remote="actuator_id"),),
)
TASKING_CAPABILITY = EntityType(
    "TaskingCapability",
    "TaskingCapabilities",
    m.TaskingCapability,
    (
        ID,
        NAME,
        DESCRIPTION,
        _json(
            "taskingParameters",
            "tasking_parameters",
            mandatory=True,
            required=True,
            nullable=False,
        ),
        PROPERTIES,
    ),
    (
        Nav("Thing", "Thing", False, local="thing_id"),
        Nav("Actuator", "Actuator", False, local="actuator_id"),
        Nav("Tasks", "Task", True, remote="tasking_capability_id"),
    ),
)
TASK = EntityType(
    "Task",
    "Tasks",
    m.Task,
    (
        ID,
        Prop(
            "creationTime",
            Kind.INSTANT,
            ("creation_time",),
            mandatory=True,
            nullable=False,
            writable=False,
        ),
        _json("taskingParameters", "tasking_parameters", mandatory=True, required=True),
    ),
    (Nav("TaskingCapability", "TaskingCapability", False, local="tasking_capability_id"),),
    owners=("TaskingCapability",),
)

ENTITY_TYPES: dict[str, EntityType] = {
    t.name: t
    for t in (
        THING,
        LOCATION,
        HISTORICAL_LOCATION,
        SENSOR,
        OBSERVED_PROPERTY,
        DATASTREAM,
        MULTI_DATASTREAM,
        OBSERVATION,
        FEATURE_OF_INTEREST,
        ACTUATOR,
        TASKING_CAPABILITY,
        TASK,
    )
}
BY_PLURAL: dict[str, EntityType] = {t.plural: t for t in ENTITY_TYPES.values()}
#: The collections the root document lists: the eight of the core, and MultiDatastreams.
#: (The OGC test suite fails a root that names any other; the Tasking sets are served
#: all the same, see docs/sensorthings.md.)
ROOT_COLLECTIONS = (
    "Things",
    "Locations",
    "HistoricalLocations",
    "Datastreams",
    "MultiDatastreams",
    "Sensors",
    "Observations",
    "ObservedProperties",
    "FeaturesOfInterest",
)


def entity_type(name: str) -> EntityType:
    return ENTITY_TYPES[name]
