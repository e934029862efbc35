"""The rules of the observation core: keyword-only functions taking a session; no HTTP here.

* Creating, changing and deleting entities, with the cascades of OGC 18-088 (a Thing takes its
  Datastreams, HistoricalLocations and their Observations with it; a Location its Historical
  Locations; a Sensor or ObservedProperty its Datastreams; a FeatureOfInterest its Observations).
* A Thing's Locations: changing them records a HistoricalLocation; a HistoricalLocation created
  by hand with the latest time moves the Thing.
* The statistics of a (Multi)Datastream (count, time ranges, observed area, latest
  Observation), recomputed after deletes; :mod:`allmende.sensing.ingest` keeps them current
  when Observations arrive, and uses the automatic FeatureOfInterest made here from the
  Thing's Location.

Permissions are the caller's business (the API layers ask ``identity.permissions``); these
functions trust the municipality and visibility they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.events import Event
from allmende.core.geo import geometry_from_geojson
from allmende.sensing.models import (
    Actuator,
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    MultiDatastream,
    Observation,
    ObservedProperty,
    Sensor,
    Task,
    TaskingCapability,
    Thing,
    historical_location_locations,
    multi_datastream_observed_properties,
    thing_locations,
)
from allmende.sensing.results import encode_result
from allmende.sensing.times import now_micros
from allmende.storage.events import emit
from allmende.storage.geometry import geometry_values
from allmende.storage.id_sets import in_set

CREATED = "sensing.created"
UPDATED = "sensing.updated"
DELETED = "sensing.deleted"
#: One event per ingest batch: ``{"entity": "Observation", "columns": [...], "rows": [...],
#: "streams": {("Datastream", id): {"municipality_id": …, "public": …}}}``.
OBSERVATIONS_CREATED = "sensing.observations.created"

GEOJSON_ENCODINGS = frozenset(
    {"application/vnd.geo+json", "application/geo+json", "application/geojson"}
)

ENTITY_MODELS: dict[str, type[Any]] = {
    "Thing": Thing,
    "Location": Location,
    "HistoricalLocation": HistoricalLocation,
    "Sensor": Sensor,
    "ObservedProperty": ObservedProperty,
    "Datastream": Datastream,
    "MultiDatastream": MultiDatastream,
    "Observation": Observation,
    "FeatureOfInterest": FeatureOfInterest,
    "Actuator": Actuator,
    "TaskingCapability": TaskingCapability,
    "Task": Task,
}


# --- events ----------------------------------------------------------------------------------


def row_of(entity: Any) -> dict[str, Any]:
    """The column values of an ORM entity by attribute name (the observed area as ``geom``,
    without its bounding-box columns)."""
    values: dict[str, Any] = {}
    for attribute in inspect(entity).mapper.column_attrs:
        if not attribute.key.startswith("bbox_"):
            values[attribute.key] = getattr(entity, attribute.key)
    return values


def _owner_of(session: Session, entity: Any) -> tuple[int, bool]:
    if hasattr(entity, "municipality_id"):
        return int(entity.municipality_id), bool(entity.public)
    if isinstance(entity, HistoricalLocation):
        thing = session.get(Thing, entity.thing_id)
        assert thing is not None
        return thing.municipality_id, thing.public
    if isinstance(entity, Task):
        capability = session.get(TaskingCapability, entity.tasking_capability_id)
        assert capability is not None
        return capability.municipality_id, capability.public
    assert isinstance(entity, Observation)
    stream: Datastream | MultiDatastream | None
    if entity.datastream_id is not None:
        stream = session.get(Datastream, entity.datastream_id)
    else:
        stream = session.get(MultiDatastream, entity.multi_datastream_id)
    assert stream is not None
    return stream.municipality_id, stream.public


def _announce(session: Session, name: str, kind: str, entity: Any) -> None:
    municipality_id, public = _owner_of(session, entity)
    emit(
        session,
        Event(
            name,
            {
                "entity": kind,
                "id": entity.id,
                "row": row_of(entity),
                "municipality_id": municipality_id,
                "public": public,
            },
        ),
    )


# --- small helpers ---------------------------------------------------------------------------


def get(session: Session, model: type[Any], entity_id: int, *, name: str | None = None) -> Any:
    found = session.get(model, entity_id)
    if found is None:
        label = name or _sta_name(model)
        raise NotFound(detail=f"No {label} with id {entity_id}.")
    return found


def _sta_name(model: type[Any]) -> str:
    for name, candidate in ENTITY_MODELS.items():
        if candidate is model:
            return name
    return model.__name__


def geometry_of(encoding_type: str, document: Any, *, field: str) -> BaseGeometry | None:
    """The geometry of a Location or FeatureOfInterest document (None if not GeoJSON)."""
    if encoding_type.lower() not in GEOJSON_ENCODINGS:
        return None
    return geometry_from_geojson(document, field=field)


# --- creating --------------------------------------------------------------------------------


def create_entity(session: Session, *, kind: str, values: dict[str, Any]) -> Any:
    """Create one entity of ``kind`` from column values (links are set separately).

    Locations and FeaturesOfInterest get their geometry from the document; Datastream and
    MultiDatastream start with empty statistics.
    """
    model = ENTITY_MODELS[kind]
    if kind == "Observation":
        raise ValueError("Observations are created with ingest_observations")
    entity: Any = model(**values)
    if kind == "Location":
        entity.geom = geometry_of(entity.encoding_type, entity.location, field="location")
    elif kind == "FeatureOfInterest":
        entity.geom = geometry_of(entity.encoding_type, entity.feature, field="feature")
    elif kind in ("Datastream", "MultiDatastream"):
        entity.observation_count = 0
    session.add(entity)
    session.flush()
    _announce(session, CREATED, kind, entity)
    return entity


def set_multi_datastream_properties(
    session: Session, *, multi_datastream_id: int, observed_property_ids: Sequence[int]
) -> None:
    """The ObservedProperties of a MultiDatastream, in the order of its components."""
    stream = get(session, MultiDatastream, multi_datastream_id)
    if len(observed_property_ids) != len(stream.multi_observation_data_types):
        raise ValidationFailed.one(
            "ObservedProperties",
            f"needs {len(stream.multi_observation_data_types)} entries, one per component "
            f"of multiObservationDataTypes (got {len(observed_property_ids)})",
        )
    session.execute(
        delete(multi_datastream_observed_properties).where(
            multi_datastream_observed_properties.c.multi_datastream_id == multi_datastream_id
        )
    )
    if observed_property_ids:
        session.execute(
            insert(multi_datastream_observed_properties),
            [
                {
                    "multi_datastream_id": multi_datastream_id,
                    "position": position,
                    "observed_property_id": op_id,
                }
                for position, op_id in enumerate(observed_property_ids)
            ],
        )


# --- a Thing's Locations and its history -----------------------------------------------------


def thing_location_ids(session: Session, *, thing_id: int) -> list[int]:
    return sorted(
        session.scalars(
            select(thing_locations.c.location_id).where(thing_locations.c.thing_id == thing_id)
        )
    )


def set_thing_locations(
    session: Session, *, thing_id: int, location_ids: Sequence[int], time: int | None = None
) -> HistoricalLocation | None:
    """Replace the Thing's Locations; a change is recorded as a HistoricalLocation."""
    wanted = sorted(set(location_ids))
    if wanted == thing_location_ids(session, thing_id=thing_id):
        return None
    session.execute(delete(thing_locations).where(thing_locations.c.thing_id == thing_id))
    _link_locations(session, thing_locations, "thing_id", thing_id, wanted)
    if not wanted:
        return None
    return _record_history(session, thing_id=thing_id, location_ids=wanted, time=time)


def add_thing_locations(
    session: Session, *, thing_id: int, location_ids: Sequence[int], time: int | None = None
) -> HistoricalLocation | None:
    """Add Locations to a Thing (a Location created with a link to its Things)."""
    current = thing_location_ids(session, thing_id=thing_id)
    return set_thing_locations(
        session, thing_id=thing_id, location_ids=[*current, *location_ids], time=time
    )


def _link_locations(
    session: Session, table: Table, key: str, owner_id: int, location_ids: Sequence[int]
) -> None:
    if location_ids:
        session.execute(
            insert(table), [{key: owner_id, "location_id": lid} for lid in location_ids]
        )


def _record_history(
    session: Session, *, thing_id: int, location_ids: Sequence[int], time: int | None
) -> HistoricalLocation:
    history = HistoricalLocation(thing_id=thing_id, time=now_micros() if time is None else time)
    session.add(history)
    session.flush()
    _link_locations(
        session, historical_location_locations, "historical_location_id", history.id, location_ids
    )
    _announce(session, CREATED, "HistoricalLocation", history)
    return history


def create_historical_location(
    session: Session, *, thing_id: int, time: int, location_ids: Sequence[int]
) -> HistoricalLocation:
    """A HistoricalLocation created by hand. If it is the Thing's latest, the Thing moves."""
    get(session, Thing, thing_id)
    latest = session.scalar(
        select(func.max(HistoricalLocation.time)).where(HistoricalLocation.thing_id == thing_id)
    )
    history = _record_history(session, thing_id=thing_id, location_ids=location_ids, time=time)
    if location_ids and (latest is None or time > latest):
        session.execute(delete(thing_locations).where(thing_locations.c.thing_id == thing_id))
        _link_locations(session, thing_locations, "thing_id", thing_id, sorted(set(location_ids)))
    return history


def set_historical_location_locations(
    session: Session, *, historical_location_id: int, location_ids: Sequence[int]
) -> None:
    table = historical_location_locations
    session.execute(delete(table).where(table.c.historical_location_id == historical_location_id))
    _link_locations(
        session, table, "historical_location_id", historical_location_id, sorted(set(location_ids))
    )


# --- changing --------------------------------------------------------------------------------


def update_entity(session: Session, *, kind: str, entity_id: int, values: dict[str, Any]) -> Any:
    """Change column values of one entity; Observations keep their Datastream's statistics."""
    model = ENTITY_MODELS[kind]
    entity = get(session, model, entity_id, name=kind)
    if kind == "Observation":
        return _update_observation(session, entity, values)
    for key, value in values.items():
        setattr(entity, key, value)
    if kind == "Location" and ("location" in values or "encoding_type" in values):
        entity.geom = geometry_of(entity.encoding_type, entity.location, field="location")
        # The feature made from the old position no longer describes it: the next
        # Observation of a Thing here gets a new one.
        session.execute(
            update(FeatureOfInterest)
            .where(FeatureOfInterest.location_id == entity_id)
            .values(location_id=None)
        )
    elif kind == "FeatureOfInterest" and ("feature" in values or "encoding_type" in values):
        entity.geom = geometry_of(entity.encoding_type, entity.feature, field="feature")
    session.flush()
    _announce(session, UPDATED, kind, entity)
    return entity


def _update_observation(session: Session, entity: Observation, values: dict[str, Any]) -> Any:
    before = (entity.datastream_id, entity.multi_datastream_id)
    if "result" in values:
        kind, number, text, data = encode_result(values.pop("result"))
        values.update(
            result_kind=kind,
            result_number=number,
            result_text=text,
            result_json=None if data is None else orjson.loads(data),
        )
    if values.get("phenomenon_time") is not None and values.get("phenomenon_time_end") is None:
        values["phenomenon_time_end"] = values["phenomenon_time"]
    for key, value in values.items():
        setattr(entity, key, value)
    if entity.datastream_id is None and entity.multi_datastream_id is None:
        raise ValidationFailed.one("Datastream", "an Observation needs a Datastream")
    session.flush()
    streams = {before, (entity.datastream_id, entity.multi_datastream_id)}
    refresh_statistics(
        session,
        datastream_ids=[d for d, _ in streams if d is not None],
        multi_datastream_ids=[m for _, m in streams if m is not None],
    )
    _announce(session, UPDATED, "Observation", entity)
    return entity


# --- deleting --------------------------------------------------------------------------------


def delete_entity(session: Session, *, kind: str, entity_id: int) -> None:
    """Delete one entity with the cascades of OGC 18-088 (the database does most of them)."""
    model = ENTITY_MODELS[kind]
    entity = get(session, model, entity_id, name=kind)
    if kind == "Location":
        linked = select(historical_location_locations.c.historical_location_id).where(
            historical_location_locations.c.location_id == entity_id
        )
        session.execute(delete(HistoricalLocation).where(HistoricalLocation.id.in_(linked)))
    elif kind == "ObservedProperty":
        uses = select(multi_datastream_observed_properties.c.multi_datastream_id).where(
            multi_datastream_observed_properties.c.observed_property_id == entity_id
        )
        session.execute(delete(MultiDatastream).where(MultiDatastream.id.in_(uses)))
    if kind == "Observation":
        delete_observations(session, ids=[entity_id])
        return
    affected: tuple[list[int], list[int]] = ([], [])
    if kind == "FeatureOfInterest":
        affected = _streams_of(session, Observation.feature_id == entity_id)
    session.delete(entity)
    session.flush()
    if kind == "FeatureOfInterest":
        refresh_statistics(session, datastream_ids=affected[0], multi_datastream_ids=affected[1])
    emit(session, Event(DELETED, {"entity": kind, "id": entity_id}))


def _streams_of(session: Session, condition: Any) -> tuple[list[int], list[int]]:
    rows = session.execute(
        select(Observation.datastream_id, Observation.multi_datastream_id)
        .where(condition)
        .distinct()
    ).all()
    return (
        sorted({d for d, _ in rows if d is not None}),
        sorted({m for _, m in rows if m is not None}),
    )


def delete_observations(session: Session, *, ids: Sequence[int]) -> int:
    """Delete Observations by id (a filtered delete selects them first); returns how many."""
    if not ids:
        return 0
    found = session.execute(
        select(Observation.id, Observation.datastream_id, Observation.multi_datastream_id).where(
            in_set(Observation.id, ids)
        )
    ).all()
    if found:
        session.execute(delete(Observation).where(in_set(Observation.id, [r[0] for r in found])))
    for observation_id, *_ in found:
        emit(session, Event(DELETED, {"entity": "Observation", "id": observation_id}))
    datastreams = {d for _, d, _m in found if d is not None}
    multi = {m for _, _d, m in found if m is not None}
    refresh_statistics(
        session, datastream_ids=sorted(datastreams), multi_datastream_ids=sorted(multi)
    )
    return len(found)


# --- statistics of a (Multi)Datastream -------------------------------------------------------


def refresh_statistics(
    session: Session, *, datastream_ids: Sequence[int], multi_datastream_ids: Sequence[int] = ()
) -> None:
    """Recompute counts, time ranges, observed area and latest Observation from scratch
    (after deletes, moves and bulk loads; inserts update them incrementally).

    A few grouped queries for all the streams, not a round of queries per stream: after a bulk
    load of millions of rows that is one pass over them instead of thousands of scattered ones.
    """
    for model, column, ids in (
        (Datastream, Observation.datastream_id, datastream_ids),
        (MultiDatastream, Observation.multi_datastream_id, multi_datastream_ids),
    ):
        if ids:
            _refresh(session, model, column, sorted(set(ids)))


_NO_OBSERVATIONS = (0, None, None, None, None)


def _refresh(session: Session, model: Any, column: Any, ids: list[int]) -> None:
    wanted = in_set(column, ids)
    counted = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                column,
                func.count(),
                func.min(Observation.phenomenon_time),
                func.max(Observation.phenomenon_time_end),
                func.min(Observation.result_time),
                func.max(Observation.result_time),
            )
            .where(wanted)
            .group_by(column)
        )
    }
    other = aliased(Observation)  # the outer query joins Observation too
    newest = (
        select(other.id)
        .where(getattr(other, column.key) == model.id)
        .order_by(other.phenomenon_time.desc())
        .limit(1)
        .correlate(model)
        .scalar_subquery()
    )
    latest = {
        stream_id: (observation_id, when)
        for stream_id, observation_id, when in session.execute(
            select(model.id, Observation.id, Observation.phenomenon_time)
            .outerjoin(Observation, Observation.id == newest)
            .where(in_set(model.id, ids))
        )
    }
    used_features = (
        select(column.label("stream_id"), Observation.feature_id).where(wanted).distinct()
    ).subquery()
    f = FeatureOfInterest
    boxes = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                used_features.c.stream_id,
                func.min(f.bbox_minx),
                func.min(f.bbox_miny),
                func.max(f.bbox_maxx),
                func.max(f.bbox_maxy),
            )
            .join(f, f.id == used_features.c.feature_id)
            .where(f.bbox_minx.is_not(None))
            .group_by(used_features.c.stream_id)
        )
    }
    for stream_id in ids:
        count, pt_start, pt_end, rt_start, rt_end = counted.get(stream_id, _NO_OBSERVATIONS)
        newest_id, newest_time = latest.get(stream_id, (None, None))
        box = boxes.get(stream_id)
        session.execute(
            update(model)
            .where(model.id == stream_id)
            .values(
                observation_count=count,
                phenomenon_time_start=pt_start,
                phenomenon_time_end=pt_end,
                result_time_start=rt_start,
                result_time_end=rt_end,
                latest_observation_id=newest_id,
                latest_phenomenon_time=newest_time,
                **geometry_values(area_of([box]) if box is not None else None),
            )
        )


def area_of(boxes: Sequence[tuple[Any, ...]]) -> BaseGeometry | None:
    """The bounding box of boxes, as the simplest geometry that is it (point, line, polygon)."""
    if not boxes:
        return None
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    if minx == maxx and miny == maxy:
        return Point(minx, miny)
    if minx == maxx or miny == maxy:
        return LineString([(minx, miny), (maxx, maxy)])
    return box(minx, miny, maxx, maxy)


# --- the automatic FeatureOfInterest ---------------------------------------------------------


def current_locations(things: ColumnElement[bool]) -> Subquery:
    """``(thing_id, location_id)`` of each Thing picked by the condition ``things`` (on
    ``sensing_thing_locations.thing_id``) and its current Location: the one with a geometry and
    the lowest id. Grouped once rather than looked up per row, so it stays cheap even before
    the planner has statistics of the tables."""
    return (
        select(thing_locations.c.thing_id, func.min(Location.id).label("location_id"))
        .join(Location, Location.id == thing_locations.c.location_id)
        .where(things, Location.geom.is_not(None))
        .group_by(thing_locations.c.thing_id)
        .subquery()
    )


def features_for_things(session: Session, *, thing_ids: Iterable[int]) -> dict[int, int]:
    """The FeatureOfInterest of each Thing's current Location, made (once) where missing.

    The current Location is the Thing's Location with a geometry and the lowest id; the
    feature made from it is found again through its ``location_id``.
    """
    ids = sorted(set(thing_ids))
    if not ids:
        return {}
    current = current_locations(in_set(thing_locations.c.thing_id, ids))
    located: dict[int, int] = dict(session.execute(select(current)).all())
    location_ids = sorted(set(located.values()))
    features: dict[int, int] = {}
    if location_ids:
        rows_found = session.execute(
            select(FeatureOfInterest.location_id, FeatureOfInterest.id).where(
                in_set(FeatureOfInterest.location_id, location_ids)
            )
        ).all()
        features.update((location, fid) for location, fid in rows_found if location is not None)
    for location_id in location_ids:
        if location_id in features:
            continue
        location = session.get(Location, location_id)
        assert location is not None
        feature = FeatureOfInterest(
            municipality_id=location.municipality_id,
            public=location.public,
            name=location.name,
            description=location.description,
            encoding_type=location.encoding_type,
            feature=location.location,
            properties=None,
            location_id=location.id,
        )
        feature.geom = location.geom
        try:
            with session.begin_nested():  # a concurrent writer may make the same one first
                session.add(feature)
                session.flush()
        except IntegrityError:
            made = session.scalar(
                select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location_id)
            )
            assert made is not None, "the feature that collided"
            features[location_id] = made
            continue
        _announce(session, CREATED, "FeatureOfInterest", feature)
        features[location_id] = feature.id
    return {thing: features[location] for thing, location in located.items()}
