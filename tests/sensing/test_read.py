"""The modules' facade: get-or-create of Things and Datastreams, and many series in one read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.core.errors import Conflict, ValidationFailed
from allmende.identity.principal import Principal
from allmende.sensing import read, vocabulary
from allmende.sensing.models import Datastream, Observation, ObservedProperty, Sensor, Thing
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration

START = datetime(2026, 7, 1, tzinfo=UTC)
UTCI = {
    "definition": vocabulary.UTCI,
    "observed_property_name": "UTCI",
    "unit_name": "degree Celsius",
    "unit_symbol": "Cel",
    "unit_definition": "http://unitsofmeasure.org/ucum.html#para-30",
}


def _station(database: Database, region: Region, *, public: bool = True) -> int:
    return database.write(
        lambda s: read.ensure_thing(
            s,
            name="Station Markt",
            municipality_id=region.municipality_a,
            public=public,
            lon=8.65,
            lat=49.45,
            properties={"kind": "weather-station"},
        )
    )


def test_ensure_thing_creates_once_and_follows_visibility(
    database: Database, region: Region
) -> None:
    first = _station(database, region)
    again = _station(database, region, public=False)
    assert again == first
    with database.session() as session:
        thing = session.get(Thing, first)
        assert thing is not None and thing.public is False
        assert session.scalar(select(func.count()).select_from(Thing)) == 1
        summary = read.list_things(session, principal=_admin(), thing_ids=[first])[0]
    assert (summary.lon, summary.lat) == (8.65, 49.45)


def _admin() -> Principal:
    return Principal(kind="user", user_id=0, is_admin=True)


def test_every_thing_reads_every_page(
    database: Database, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Region-wide work reads past one page of the listing (5 000 Things; here 2)."""

    def build(session: Session) -> list[int]:
        return [
            read.ensure_thing(
                session,
                name=f"Messpunkt {n}",
                municipality_id=region.municipality_a,
                public=True,
                lon=8.65,
                lat=49.45,
            )
            for n in range(5)
        ]

    built = database.write(build)
    monkeypatch.setattr(read, "MAX_THINGS", 2)
    with database.session() as session:
        assert len(read.list_things(session, principal=_admin())) == 2
        every = read.every_thing(session, principal=_admin())
    assert [t.id for t in every] == built  # by name, each once


def test_ensure_datastream_is_idempotent_and_shares_property_and_sensor(
    database: Database, region: Region
) -> None:
    thing = _station(database, region)

    def ensure(name: str, public: bool) -> int:
        return database.write(
            lambda s: read.ensure_datastream(s, thing_id=thing, name=name, public=public, **UTCI)
        )

    utci = ensure("UTCI", True)
    assert ensure("UTCI", True) == utci
    other = ensure("UTCI (Prognose)", True)
    assert other != utci
    assert ensure("UTCI", False) == utci  # visibility follows the caller
    with database.session() as session:
        streams = {d.id: d for d in session.scalars(select(Datastream))}
        assert streams[utci].public is False and streams[other].public is True
        assert streams[utci].municipality_id == region.municipality_a
        assert streams[utci].unit_of_measurement["symbol"] == "Cel"
        assert streams[utci].observed_property_id == streams[other].observed_property_id
        assert streams[utci].sensor_id == streams[other].sensor_id
        assert session.scalar(select(func.count()).select_from(ObservedProperty)) == 1
        sensor = session.scalars(select(Sensor)).one()
        assert (sensor.name, sensor.encoding_type) == ("Allmende", "text/html")
        assert sensor.metadata_.startswith("https://")


def test_each_reader_is_listed_the_datastreams_it_may_read(
    database: Database, region: Region
) -> None:
    """A public station with a public and an internal Datastream, listed, counted and filtered
    by kind for readers in turn (the listing's statements are kept per set of readable
    municipalities): staff of A see both, the public and staff of B only the public one."""
    thing = _station(database, region)
    public = database.write(
        lambda s: read.ensure_datastream(s, thing_id=thing, name="UTCI", public=True, **UTCI)
    )
    internal = database.write(
        lambda s: read.ensure_datastream(
            s, thing_id=thing, name="UTCI intern", public=False,
            **{**UTCI, "definition": vocabulary.AIR_TEMPERATURE, "observed_property_name": "Ta"},
        )
    )  # fmt: skip
    staff_a = Principal(kind="user", user_id=1, staff_of=frozenset({region.municipality_a}))
    staff_b = Principal(kind="user", user_id=2, staff_of=frozenset({region.municipality_b}))
    anonymous = Principal()
    expected = {staff_a: [public, internal], anonymous: [public], staff_b: [public]}
    with database.session() as session:
        for who in (staff_a, anonymous, staff_b, staff_a, anonymous):
            listed = read.list_things(session, principal=who)
            assert [[d.id for d in t.streams] for t in listed] == [expected[who]]
            assert read.count_things(session, principal=who) == 1
            by_kind = read.list_things(
                session, principal=who, definitions=[vocabulary.AIR_TEMPERATURE]
            )
            assert len(by_kind) == (1 if who is staff_a else 0)
            assert read.count_things(
                session, principal=who, definitions=[vocabulary.AIR_TEMPERATURE],
                municipality_ids=[region.municipality_a],
            ) == len(by_kind)  # fmt: skip
            one = {
                ds: read.get_datastream(session, principal=who, datastream_id=ds)
                for ds in (public, internal, internal + 1000)
            }
            assert {ds: (v[0].id, v[1].id) for ds, v in one.items() if v is not None} == {
                ds: (thing, ds) for ds in expected[who]
            }


def test_stream_sets_sum_up_each_municipality_and_kind(database: Database, region: Region) -> None:
    """Streams grouped by their Thing's municipality and kind, as each reader may see them;
    a stream's ids by kind, by none of some kinds, or of Things without a kind."""

    def build(session: Session) -> dict[str, int]:
        def stream(name: str, kind: str | None, *, place: int, lon: float, public: bool = True,
                   thing_public: bool = True) -> int:  # fmt: skip
            thing = read.ensure_thing(
                session, name=name, municipality_id=place, public=thing_public, lon=lon,
                lat=49.4, properties=None if kind is None else {"kind": kind},
            )  # fmt: skip
            made = read.ensure_datastream(session, thing_id=thing, name=name, public=public, **UTCI)
            read.ingest_series(
                session, datastream_id=made, times=[START, START + timedelta(hours=lon)],
                values=[1.0, 2.0],
            )  # fmt: skip
            return made

        a, b = region.municipality_a, region.municipality_b
        return {
            "west": stream("West", "weather-station", place=a, lon=8.0),
            "east": stream("Ost", "weather-station", place=a, lon=9.0),
            "internal": stream("Intern", "weather-station", place=a, lon=10.0, public=False),
            "hidden": stream("Versteckt", "weather-station", place=a, lon=11.0, thing_public=False),
            "hive": stream("Bienen", "bee-hive", place=a, lon=8.5),
            "plain": stream("Ohne Art", None, place=a, lon=8.6),
            "theirs": stream("Dort", "weather-station", place=b, lon=7.0),
        }

    made = database.write(build)
    a, b = region.municipality_a, region.municipality_b
    staff_a = Principal(kind="user", user_id=1, staff_of=frozenset({a}))
    with database.session() as session:
        public = {
            (s.municipality_id, s.kind): s for s in read.stream_sets(session, principal=Principal())
        }
        assert set(public) == {
            (a, "weather-station"),
            (a, "bee-hive"),
            (a, None),
            (b, "weather-station"),
        }
        weather = public[(a, "weather-station")]
        assert weather.bbox == (8.0, 49.4, 9.0, 49.4)
        assert (weather.first_time, weather.latest_time) == (START, START + timedelta(hours=9))
        assert weather.observed_properties == ("UTCI",)
        assert public[(a, None)].bbox == (8.6, 49.4, 8.6, 49.4)
        inside = {
            (s.municipality_id, s.kind): s for s in read.stream_sets(session, principal=staff_a)
        }
        assert inside[(a, "weather-station")].bbox == (8.0, 49.4, 11.0, 49.4)

        def ids(**kw: object) -> list[int]:
            return read.stream_ids(session, principal=Principal(), municipality_id=a, **kw)  # type: ignore[arg-type]

        assert ids(kinds=["weather-station"]) == sorted([made["west"], made["east"]])
        assert ids(other_than=["weather-station"]) == sorted([made["hive"], made["plain"]])
        assert ids() == sorted([made["west"], made["east"], made["hive"], made["plain"]])
        assert read.stream_ids(
            session, principal=staff_a, municipality_id=a, kinds=["weather-station"]
        ) == sorted([made["west"], made["east"], made["internal"], made["hidden"]])  # fmt: skip


def test_busiest_streams_pick_the_stream_with_most_observations(
    database: Database, region: Region
) -> None:
    """Per definition the municipality's stream with the most Observations the caller may
    see; the older among equals; none for a definition without streams."""

    def build(session: Session) -> dict[str, int]:
        def stream(name: str, values: int, *, place: int, public: bool = True) -> int:
            thing = read.ensure_thing(
                session, name=name, municipality_id=place, public=True, lon=8.6, lat=49.4
            )
            made = read.ensure_datastream(session, thing_id=thing, name=name, public=public, **UTCI)
            if values:
                read.ingest_series(
                    session,
                    datastream_id=made,
                    times=[START + timedelta(hours=h) for h in range(values)],
                    values=[1.0] * values,
                )
            return made

        a, b = region.municipality_a, region.municipality_b
        return {
            "street": stream("Straße", 1, place=a),
            "station": stream("Station", 3, place=a),
            "twin": stream("Zwilling", 3, place=a),
            "internal": stream("Intern", 9, place=a, public=False),
            "theirs": stream("Dort", 20, place=b),
        }

    made = database.write(build)
    staff_a = Principal(kind="user", user_id=1, staff_of=frozenset({region.municipality_a}))
    wanted = [vocabulary.UTCI, vocabulary.AIR_TEMPERATURE]
    with database.session() as session:
        public = read.busiest_streams(
            session, principal=Principal(), municipality_id=region.municipality_a,
            definitions=wanted,
        )  # fmt: skip
        inside = read.busiest_streams(
            session, principal=staff_a, municipality_id=region.municipality_a, definitions=wanted
        )
    assert public == {vocabulary.UTCI: made["station"]}
    assert inside == {vocabulary.UTCI: made["internal"]}


def test_a_public_stream_never_reuses_an_internal_property(
    database: Database, region: Region
) -> None:
    thing = _station(database, region)
    internal = database.write(
        lambda s: read.ensure_datastream(s, thing_id=thing, name="a", public=False, **UTCI)
    )
    public = database.write(
        lambda s: read.ensure_datastream(s, thing_id=thing, name="b", public=True, **UTCI)
    )
    with database.session() as session:
        a, b = session.get(Datastream, internal), session.get(Datastream, public)
        assert a is not None and b is not None
        assert a.observed_property_id != b.observed_property_id
        made = session.get(ObservedProperty, b.observed_property_id)
        assert made is not None and made.public is True


def test_ensure_datastream_refuses_another_definition_under_the_same_name(
    database: Database, region: Region
) -> None:
    thing = _station(database, region)
    database.write(
        lambda s: read.ensure_datastream(s, thing_id=thing, name="x", public=True, **UTCI)
    )
    other = {**UTCI, "definition": vocabulary.HEAT_INDEX}
    with pytest.raises(Conflict):
        database.write(
            lambda s: read.ensure_datastream(s, thing_id=thing, name="x", public=True, **other)
        )


def test_series_reads_many_streams_in_one_go(database: Database, region: Region) -> None:
    thing = _station(database, region)
    names = ("a", "b", "empty", "text")
    ids = {
        n: database.write(
            lambda s, n=n: read.ensure_datastream(s, thing_id=thing, name=n, public=True, **UTCI)
        )
        for n in names
    }
    hours = [START + timedelta(hours=h) for h in range(5)]

    def fill(s):  # type: ignore[no-untyped-def]
        read.ingest_series(s, datastream_id=ids["a"], times=hours, values=[1.5, 2, 3, 4, 5])
        read.ingest_series(s, datastream_id=ids["b"], times=hours[:2], values=[True, False])
        read.ingest_series(s, datastream_id=ids["text"], times=hours[:1], values=["high"])

    database.write(fill)
    with database.session() as session:
        found = read.series(
            session,
            datastream_ids=list(ids.values()),
            start=START + timedelta(hours=1),
            end=START + timedelta(hours=4),
        )
    assert set(found) == set(ids.values())
    times, values = found[ids["a"]]
    assert times.dtype == np.dtype("datetime64[us]")
    assert times.tolist() == [h.replace(tzinfo=None) for h in hours[1:4]]
    assert values.tolist() == [2.0, 3.0, 4.0]
    assert found[ids["b"]].values.tolist() == [0.0]
    assert len(found[ids["empty"]].times) == 0
    assert len(found[ids["text"]].values) == 0
    with database.session() as session, pytest.raises(ValidationFailed):
        read.series(
            session, datastream_ids=[ids["a"]], start=START, end=START + timedelta(days=1), limit=3
        )


def test_ingest_series_stores_parameters_per_value(database: Database, region: Region) -> None:
    thing = _station(database, region)
    stream = database.write(
        lambda s: read.ensure_datastream(s, thing_id=thing, name="p", public=True, **UTCI)
    )
    hours = [START + timedelta(hours=h) for h in range(2)]
    database.write(
        lambda s: read.ingest_series(
            s,
            datastream_id=stream,
            times=hours,
            values=[1.0, 2.0],
            parameters=[None, {"estimated": ["radiation"]}],
        )
    )
    with database.session() as session:
        rows = session.execute(
            select(Observation.parameters)
            .where(Observation.datastream_id == stream)
            .order_by(Observation.phenomenon_time)
        ).all()
    assert [r[0] for r in rows] == [None, {"estimated": ["radiation"]}]
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: read.ingest_series(
                s, datastream_id=stream, times=hours, values=[1.0, 2.0], parameters=[None]
            )
        )


def test_vocabulary_is_one_list_of_distinct_kinds() -> None:
    keys = [k.key for k in vocabulary.KINDS]
    definitions = [k.definition for k in vocabulary.KINDS]
    assert len(set(keys)) == len(keys) and len(set(definitions)) == len(definitions)
    assert all(k.style in ("line", "bar") for k in vocabulary.KINDS)
    assert vocabulary.kind_of(vocabulary.AIR_TEMPERATURE) is vocabulary.BY_KEY["air-temperature"]
    for uri in (vocabulary.GLOBE_TEMPERATURE, vocabulary.UTCI, vocabulary.SOIL_WATER_TENSION):
        assert vocabulary.kind_of(uri) is not None
