"""The batched ingest and the rules of the observation core, on both backends."""

from __future__ import annotations

import functools
import re
import threading
import time
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.events import Event
from allmende.identity import service as identity
from allmende.sensing import service
from allmende.sensing.ingest import (
    OBSERVATIONS_CREATED,
    DuplicatePolicy,
    IngestError,
    NewObservation,
    StoredObservation,
    ingest_datastream,
    ingest_observations,
)
from allmende.sensing.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    MultiDatastream,
    Observation,
)
from allmende.storage.database import Database

pytestmark = pytest.mark.integration

HOUR = 3_600_000_000
START = 1_700_000_000_000_000
POINT = {"type": "Point", "coordinates": [8.65, 49.45]}


def _network(session: Session, *, located: bool = True) -> dict[str, int]:
    municipality = identity.create_municipality(
        session, key="probe", name="Probe", boundary=box(8, 49, 9, 50)
    )
    owned = {"municipality_id": municipality.id, "public": True}
    thing = service.create_entity(session, kind="Thing", values={**owned, "name": "t"})
    ids = {"municipality": municipality.id, "thing": thing.id}
    if located:
        location = service.create_entity(
            session,
            kind="Location",
            values={
                **owned,
                "name": "l",
                "encoding_type": "application/geo+json",
                "location": POINT,
            },
        )
        service.set_thing_locations(session, thing_id=thing.id, location_ids=[location.id])
        ids["location"] = location.id
    sensor = service.create_entity(
        session,
        kind="Sensor",
        values={**owned, "name": "s", "encoding_type": "text", "metadata_": "m"},
    )
    prop = service.create_entity(
        session, kind="ObservedProperty", values={**owned, "name": "o", "definition": "d"}
    )
    for name in ("first", "second"):
        stream = service.create_entity(
            session,
            kind="Datastream",
            values={
                **owned,
                "name": name,
                "observation_type": "x",
                "unit_of_measurement": {},
                "thing_id": thing.id,
                "sensor_id": sensor.id,
                "observed_property_id": prop.id,
            },
        )
        ids[name] = stream.id
    multi = service.create_entity(
        session,
        kind="MultiDatastream",
        values={
            **owned,
            "name": "multi",
            "observation_type": "x",
            "multi_observation_data_types": ["a", "b"],
            "unit_of_measurements": [{}, {}],
            "thing_id": thing.id,
            "sensor_id": sensor.id,
        },
    )
    ids["multi"] = multi.id
    return ids


def _rows(stream: int, count: int, *, offset: int = 0, **fields: Any) -> list[NewObservation]:
    return [
        NewObservation(
            datastream_id=stream,
            multi_datastream_id=None,
            feature_id=None,
            phenomenon_time=START + (offset + i) * HOUR,
            phenomenon_time_end=None,
            result_time=None,
            valid_time_start=None,
            valid_time_end=None,
            result=float(offset + i),
            **fields,
        )
        for i in range(count)
    ]


@pytest.fixture
def network(database: Database) -> dict[str, int]:
    return database.write(_network)


def _stream(database: Database, stream_id: int) -> Datastream:
    with database.session() as session:
        found = session.get(Datastream, stream_id)
        assert found is not None
        session.expunge(found)
        return found


def test_a_batch_is_stored_and_counted(database: Database, network: dict[str, int]) -> None:
    events: list[Event] = []
    database.bus.subscribe(OBSERVATIONS_CREATED, events.append)
    outcome = database.write(
        lambda s: ingest_observations(
            s, rows=_rows(network["first"], 500) + _rows(network["second"], 10)
        )
    )
    assert all(isinstance(o, int) for o in outcome) and len(set(outcome)) == 510
    first = _stream(database, network["first"])
    assert first.observation_count == 500
    assert (first.phenomenon_time_start, first.phenomenon_time_end) == (START, START + 499 * HOUR)
    assert first.latest_phenomenon_time == START + 499 * HOUR
    assert first.latest_observation_id == outcome[499]
    assert first.geom is not None and first.geom.equals(first.geom.__class__((8.65, 49.45)))
    [event] = events
    assert len(event.payload["rows"]) == 510
    assert ("Datastream", network["first"]) in event.payload["streams"]
    # One feature, made from the Thing's Location, is reused by every Observation.
    with database.session() as session:
        features = session.scalars(select(FeatureOfInterest.location_id)).all()
        assert features == [network["location"]]
    # Older data arriving late does not move the latest value.
    database.write(lambda s: ingest_observations(s, rows=_rows(network["first"], 5, offset=-10)))
    assert _stream(database, network["first"]).latest_observation_id == outcome[499]
    assert _stream(database, network["first"]).phenomenon_time_start == START - 10 * HOUR


def test_a_large_batch_is_stored_row_by_row_as_given(
    database: Database, network: dict[str, int]
) -> None:
    """More rows than one INSERT of SQLite takes (several statements and a remainder)."""
    rows = _rows(network["first"], 2_500) + _rows(network["second"], 3)
    outcome = database.write(lambda s: ingest_observations(s, rows=rows))
    with database.session() as session:
        stored = session.execute(
            select(Observation.id, Observation.datastream_id, Observation.phenomenon_time)
        ).all()
    assert sorted(stored) == sorted(
        (i, r.datastream_id, r.phenomenon_time) for i, r in zip(outcome, rows, strict=True)
    )
    assert _stream(database, network["first"]).observation_count == 2_500


def test_duplicates_are_refused_or_answered_with_the_existing_row(
    database: Database, network: dict[str, int]
) -> None:
    stream = network["first"]
    first = database.write(lambda s: ingest_observations(s, rows=_rows(stream, 3)))
    again = _rows(stream, 3)
    refused = database.write(lambda s: ingest_observations(s, rows=[*again, again[0]]))
    assert all(isinstance(o, IngestError) and o.status == 409 for o in refused)
    assert "Observations(" in refused[0].message  # type: ignore[union-attr]
    idempotent = database.write(
        lambda s: ingest_observations(
            s,
            rows=[*again, *_rows(stream, 1, offset=7), _rows(stream, 1, offset=7)[0]],
            duplicates=DuplicatePolicy.IGNORE,
        )
    )
    assert idempotent[:3] == first
    assert isinstance(idempotent[3], int) and idempotent[4] == idempotent[3]
    assert _stream(database, stream).observation_count == 4
    interval = _rows(stream, 1)[0]._replace(phenomenon_time_end=START + HOUR)
    [other] = database.write(lambda s: ingest_observations(s, rows=[interval]))
    assert isinstance(other, int)


def _answers(outcome: list[int | IngestError], stream: int) -> list[object]:
    """Each row's answer, ids left out (the streams differ): stored, or the error."""
    return [
        (o.status, re.sub(r"\(Observations\(\d+\)\)", "", o.message).replace(f" {stream} ", " _ "))
        if isinstance(o, IngestError)
        else "stored"
        for o in outcome
    ]


def _ingest_datastream(session: Session, **arguments: Any) -> list[int | IngestError]:
    return ingest_datastream(session, **arguments)


def _ingest_observations(session: Session, **arguments: Any) -> list[int | IngestError]:
    return ingest_observations(session, **arguments)


def _stored(record: StoredObservation) -> tuple[Any, ...]:
    return record._replace(id=0, datastream_id=0)


def test_a_series_of_one_datastream_is_stored_as_the_general_ingest_stores_it(
    database: Database, network: dict[str, int]
) -> None:
    """``ingest_datastream`` (its own way for plain series, the general one otherwise) answers,
    stores, counts and announces as ``ingest_observations`` does: the same calls on the two
    streams of one Thing, the first of which makes the Thing's FeatureOfInterest."""
    events: list[Event] = []
    database.bus.subscribe(OBSERVATIONS_CREATED, events.append)
    one, other = network["first"], network["second"]
    calls: list[tuple[list[int], list[Any], list[Any] | None, DuplicatePolicy]] = [
        (
            [START + h * HOUR for h in range(10, 15)],
            [1.5, 2, True, "x", {"a": 1}],
            None,
            DuplicatePolicy.REJECT,
        ),
        (
            [START + h * HOUR for h in (16, 15)],
            [3.0, 4.0],
            [{"p": 1}, None],
            DuplicatePolicy.REJECT,
        ),
        ([START + h * HOUR for h in range(3)], [5.0, 6.0, 7.0], None, DuplicatePolicy.REJECT),
        ([START + h * HOUR for h in (2, 3, 3)], [8.0, 9.0, 9.5], None, DuplicatePolicy.REJECT),
        ([START + h * HOUR for h in (4, 5, 4)], [1.0, 2.0, 3.0], None, DuplicatePolicy.IGNORE),
        ([START + h * HOUR for h in (20, 21)], [float("nan"), 1.0], None, DuplicatePolicy.REJECT),
        ([START + 22 * HOUR, -(2**62)], [1.0, 2.0], None, DuplicatePolicy.REJECT),
        ([], [], None, DuplicatePolicy.REJECT),
    ]
    for times, values, parameters, policy in calls:
        fast = database.write(
            functools.partial(
                _ingest_datastream,
                datastream_id=one,
                times=times,
                values=values,
                parameters=parameters,
                duplicates=policy,
            )
        )
        rows = [
            NewObservation(other, None, None, t, None, None, None, None, v, None, p)
            for t, v, p in zip(times, values, parameters or [None] * len(times), strict=True)
        ]
        general = database.write(
            functools.partial(_ingest_observations, rows=rows, duplicates=policy)
        )
        assert _answers(fast, one) == _answers(general, other)
    assert len(events) % 2 == 0
    for fast_event, general_event in zip(events[::2], events[1::2], strict=True):
        assert [_stored(r) for r in fast_event.payload["rows"]] == [
            _stored(r) for r in general_event.payload["rows"]
        ]
    mine, theirs = _stream(database, one), _stream(database, other)
    for name in (
        "observation_count",
        "phenomenon_time_start",
        "phenomenon_time_end",
        "latest_phenomenon_time",
        "bbox_minx",
        "bbox_maxy",
    ):
        assert getattr(mine, name) == getattr(theirs, name), name
    assert mine.observation_count == 15
    with database.session() as session:
        features = session.scalars(select(FeatureOfInterest.id)).all()
        stored = [
            session.execute(
                select(
                    Observation.phenomenon_time,
                    Observation.feature_id,
                    Observation.result_kind,
                    Observation.result_number,
                    Observation.result_text,
                    Observation.result_json,
                    Observation.parameters,
                )
                .where(Observation.datastream_id == stream)
                .order_by(Observation.phenomenon_time)
            ).all()
            for stream in (one, other)
        ]
    assert len(features) == 1
    assert stored[0] == stored[1]


def test_a_series_of_a_datastream_that_is_missing_or_has_no_place_is_refused(
    database: Database,
) -> None:
    ids = database.write(lambda s: _network(s, located=False))
    times = [START, START + HOUR]
    for stream, status in ((ids["first"], 400), (2**62, 404)):
        outcome = database.write(
            functools.partial(
                _ingest_datastream, datastream_id=stream, times=times, values=[1.0, 2.0]
            )
        )
        assert [o.status if isinstance(o, IngestError) else o for o in outcome] == [status] * 2


def test_rows_that_cannot_be_stored_do_not_stop_the_others(
    database: Database, network: dict[str, int]
) -> None:
    rows = _rows(network["first"], 3)
    rows[1] = rows[1]._replace(feature_id=2**62)
    rows.append(rows[0]._replace(datastream_id=2**62, phenomenon_time=0))
    rows.append(
        rows[0]._replace(datastream_id=None, multi_datastream_id=network["multi"], result=[1, 2])
    )
    rows.append(
        rows[0]._replace(
            datastream_id=None, multi_datastream_id=network["multi"], result=[1], phenomenon_time=1
        )
    )
    rows.append(rows[0]._replace(datastream_id=None))
    outcome = database.write(lambda s: ingest_observations(s, rows=rows))
    kinds = [o.status if isinstance(o, IngestError) else "ok" for o in outcome]
    assert kinds == ["ok", 404, "ok", 404, "ok", 400, 400]
    with database.session() as session:
        multi = session.get(MultiDatastream, network["multi"])
        assert multi is not None and multi.observation_count == 1


def test_statistics_merge_batch_by_batch(database: Database, network: dict[str, int]) -> None:
    stream = network["first"]
    rows = _rows(stream, 3, offset=5)
    rows[1] = rows[1]._replace(phenomenon_time_end=START + 20 * HOUR, result_time=START + HOUR)
    database.write(lambda s: ingest_observations(s, rows=rows))
    later = _rows(stream, 1, offset=30)[0]._replace(result_time=START + 40 * HOUR)
    earlier = _rows(stream, 1, offset=1)[0]._replace(result_time=START - HOUR)
    database.write(lambda s: ingest_observations(s, rows=[later]))
    database.write(lambda s: ingest_observations(s, rows=[earlier]))
    stored = _stream(database, stream)
    assert stored.observation_count == 5
    assert (stored.phenomenon_time_start, stored.phenomenon_time_end) == (
        START + HOUR,
        START + 30 * HOUR,
    )
    assert (stored.result_time_start, stored.result_time_end) == (START - HOUR, START + 40 * HOUR)
    assert stored.latest_phenomenon_time == START + 30 * HOUR


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has one writer
def test_concurrent_writers_keep_the_statistics_of_a_stream(
    database: Database, network: dict[str, int]
) -> None:
    """Each batch's statistics are merged into the stored row by the database: a writer that
    read the stream before another committed newer data neither undoes the other's count nor
    moves the latest value back (PostgreSQL runs writers concurrently; SQLite has one)."""
    stream = network["first"]
    newer_written = threading.Event()

    def newer(session: Session) -> list[int | IngestError]:
        outcome = ingest_observations(session, rows=_rows(stream, 10, offset=100))
        newer_written.set()
        time.sleep(0.5)  # meanwhile the other writer reads the stream and waits for its row
        return outcome

    worker = threading.Thread(target=database.write, args=(newer,))
    worker.start()
    assert newer_written.wait(30)
    older = database.write(lambda s: ingest_observations(s, rows=_rows(stream, 10)))
    worker.join()
    assert all(isinstance(o, int) for o in older)
    stored = _stream(database, stream)
    assert stored.observation_count == 20
    assert (stored.phenomenon_time_start, stored.phenomenon_time_end) == (
        START,
        START + 109 * HOUR,
    )
    assert stored.latest_phenomenon_time == START + 109 * HOUR


def test_no_feature_without_a_location(database: Database) -> None:
    ids = database.write(lambda s: _network(s, located=False))
    [outcome] = database.write(lambda s: ingest_observations(s, rows=_rows(ids["first"], 1)))
    assert isinstance(outcome, IngestError) and "Location" in outcome.message


def test_moving_a_location_makes_a_new_feature(database: Database, network: dict[str, int]) -> None:
    database.write(lambda s: ingest_observations(s, rows=_rows(network["first"], 1)))
    database.write(
        lambda s: service.update_entity(
            s,
            kind="Location",
            entity_id=network["location"],
            values={"location": {"type": "Point", "coordinates": [8.7, 49.5]}},
        )
    )
    database.write(lambda s: ingest_observations(s, rows=_rows(network["first"], 1, offset=1)))
    with database.session() as session:
        features = session.scalars(select(Observation.feature_id).distinct()).all()
        assert len(features) == 2
    area = _stream(database, network["first"]).geom
    assert area is not None and area.bounds == (8.65, 49.45, 8.7, 49.5)


def test_refreshing_recomputes_what_the_ingest_kept(
    database: Database, network: dict[str, int]
) -> None:
    """After a bulk load past the API the statistics are recomputed for many streams at once;
    they come out as the ingest kept them (a stream emptied by deletes: the test below)."""
    first, second = network["first"], network["second"]
    rows = _rows(first, 20) + _rows(second, 5, offset=3)
    rows[4] = rows[4]._replace(result_time=START + 50 * HOUR, phenomenon_time_end=START + 90 * HOUR)
    database.write(lambda s: ingest_observations(s, rows=rows))
    database.write(
        lambda s: service.update_entity(
            s,
            kind="Location",
            entity_id=network["location"],
            values={"location": {"type": "Point", "coordinates": [8.7, 49.5]}},
        )
    )
    database.write(lambda s: ingest_observations(s, rows=_rows(first, 2, offset=40)))
    columns = (
        "observation_count",
        "phenomenon_time_start",
        "phenomenon_time_end",
        "result_time_start",
        "result_time_end",
        "latest_observation_id",
        "latest_phenomenon_time",
        "bbox_minx",
        "bbox_miny",
        "bbox_maxx",
        "bbox_maxy",
    )

    def snapshot() -> list[tuple[Any, ...]]:
        streams = [_stream(database, i) for i in (first, second)]
        return [tuple(getattr(s, c) for c in columns) for s in streams]

    kept = snapshot()
    assert kept[0][0] == 22 and kept[0][7:] == (8.65, 49.45, 8.7, 49.5)
    database.write(
        lambda s: s.execute(
            Datastream.__table__.update().values(
                observation_count=0, latest_observation_id=None, phenomenon_time_start=None
            )
        )
    )
    database.write(lambda s: service.refresh_statistics(s, datastream_ids=[first, second, first]))
    assert snapshot() == kept


def test_deleting_observations_refreshes_the_statistics(
    database: Database, network: dict[str, int]
) -> None:
    stream = network["first"]
    ids = database.write(lambda s: ingest_observations(s, rows=_rows(stream, 10)))
    database.write(lambda s: service.delete_observations(s, ids=ids[5:]))
    kept = _stream(database, stream)
    assert kept.observation_count == 5 and kept.latest_observation_id == ids[4]
    feature = database.write(
        lambda s: s.scalar(select(Observation.feature_id).where(Observation.id == ids[0]))
    )
    database.write(lambda s: service.delete_entity(s, kind="FeatureOfInterest", entity_id=feature))
    emptied = _stream(database, stream)
    assert emptied.observation_count == 0 and emptied.latest_observation_id is None
    assert emptied.phenomenon_time_start is None and emptied.geom is None


def test_history_and_deleting_a_location(database: Database, network: dict[str, int]) -> None:
    def move(session: Session) -> None:
        other = service.create_entity(
            session,
            kind="Location",
            values={
                "municipality_id": network["municipality"],
                "public": True,
                "name": "x",
                "encoding_type": "text/plain",
                "location": "at the pond",
            },
        )
        assert other.geom is None
        service.set_thing_locations(
            session, thing_id=network["thing"], location_ids=[network["location"], other.id]
        )
        service.set_thing_locations(
            session, thing_id=network["thing"], location_ids=[network["location"], other.id]
        )

    database.write(move)
    with database.session() as session:
        assert len(session.scalars(select(HistoricalLocation.id)).all()) == 2
    database.write(
        lambda s: service.delete_entity(s, kind="Location", entity_id=network["location"])
    )
    with database.session() as session:
        assert session.scalars(select(HistoricalLocation.id)).all() == []


def test_events_carry_enough_to_render_the_entity(
    database: Database, network: dict[str, int]
) -> None:
    from allmende.standards.sensorthings.model import entity_type
    from allmende.standards.sensorthings.render import Renderer, Selection

    events: list[Event] = []
    database.bus.subscribe(service.CREATED, events.append)
    database.bus.subscribe(service.UPDATED, events.append)
    database.write(
        lambda s: service.create_entity(
            s,
            kind="Sensor",
            values={
                "municipality_id": network["municipality"],
                "public": False,
                "name": "n",
                "encoding_type": "text",
                "metadata_": "spec sheet",
            },
        )
    )
    database.write(
        lambda s: service.update_entity(
            s, kind="Datastream", entity_id=network["first"], values={"name": "renamed"}
        )
    )
    sensor, stream = events
    assert (sensor.payload["entity"], sensor.payload["public"]) == ("Sensor", False)
    renderer = Renderer("https://x/v1.1")
    etype = entity_type("Sensor")
    rendered = renderer.entity(etype, sensor.payload["row"], Selection.of(etype, None), links=True)
    assert rendered["metadata"] == "spec sheet"
    assert rendered["@iot.selfLink"] == f"https://x/v1.1/Sensors({sensor.payload['id']})"
    datastream = entity_type("Datastream")
    rendered = renderer.entity(
        datastream, stream.payload["row"], Selection.of(datastream, None), links=False
    )
    assert rendered["name"] == "renamed"
