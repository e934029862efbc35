"""The SDK's sensing facade on both backends: visibility, latest values from the Datastream's
pointer, filters, ranges and aggregates, and the batched series ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from allmende.core.errors import Conflict, NotFound, ValidationFailed
from allmende.sdk import sensing
from allmende.sensing import read
from allmende.sensing.times import from_micros, to_micros
from allmende.storage.database import Database
from tests.modules.sensors.conftest import DEFINITION, END, HOURS, Network, times
from tests.support.region import People, Region

pytestmark = pytest.mark.integration


def names(database: Database, who, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return [t.name for t in sensing.list_things(session, principal=who, **filters)]


def test_who_sees_which_things(database: Database, network: Network, people: People) -> None:
    public = ["Bodenfeuchte Eiche", "Wetterstation A"]
    assert names(database, people.anonymous) == public
    assert names(database, people.citizen) == public
    assert names(database, people.staff_b) == public
    everything = ["Bodenfeuchte Eiche", "Stromzähler Bauhof", "Wetterstation A"]
    assert names(database, people.staff_a) == everything
    assert names(database, people.admin) == everything


def test_a_page_of_things_and_their_count(
    database: Database, network: Network, people: People
) -> None:
    """The sensor list pages in the database: the count over all pages, one page by name."""
    everything = ["Bodenfeuchte Eiche", "Stromzähler Bauhof", "Wetterstation A"]
    assert names(database, people.staff_a, offset=1, limit=1) == everything[1:2]
    assert names(database, people.staff_a, offset=2, limit=5) == everything[2:]
    assert names(database, people.anonymous, offset=1, limit=5) == ["Wetterstation A"]
    assert names(database, people.admin, offset=3) == []
    with database.session() as session:
        assert sensing.count_things(session, principal=people.staff_a) == 3
        assert sensing.count_things(session, principal=people.anonymous) == 2
        assert (
            sensing.count_things(
                session,
                principal=people.staff_a,
                definitions=[DEFINITION["air-temperature"]],
            )
            == 1
        )


def test_latest_values_position_and_units(
    database: Database, network: Network, people: People
) -> None:
    with database.session() as session:
        station = sensing.get_thing(session, principal=people.anonymous, thing_id=network.station)
        probe = sensing.get_thing(session, principal=people.anonymous, thing_id=network.probe)
    assert (station.lon, station.lat) == pytest.approx((8.65, 49.45))
    assert station.properties == {"kind": "weather-station"}
    temperature, precipitation = station.streams
    assert temperature.latest_value == pytest.approx(10 + 0.1 * (HOURS - 1))
    assert temperature.latest_time == END
    assert temperature.unit_symbol == "Cel"
    assert temperature.definition == DEFINITION["air-temperature"]
    assert temperature.observation_count == HOURS
    assert precipitation.latest_value == 0.0
    assert station.latest_time == END
    assert probe.streams[0].latest_value is None and probe.streams[0].latest_time is None
    assert probe.latest_time is None


def test_an_internal_thing_does_not_exist_for_the_public(
    database: Database, network: Network, people: People
) -> None:
    with database.session() as session:
        with pytest.raises(NotFound):
            sensing.get_thing(session, principal=people.anonymous, thing_id=network.meter)
        with pytest.raises(NotFound):
            sensing.get_thing(session, principal=people.staff_b, thing_id=network.meter)
        meter = sensing.get_thing(session, principal=people.staff_a, thing_id=network.meter)
    assert not meter.public and meter.streams[0].latest_value == 5.0


def test_filters(database: Database, network: Network, people: People, region: Region) -> None:
    assert names(database, people.admin, municipality_ids=[region.municipality_b]) == [
        "Bodenfeuchte Eiche"
    ]
    assert names(database, people.admin, definitions=[DEFINITION["power"]]) == [
        "Stromzähler Bauhof"
    ]
    # the internal meter's Datastream does not make it appear for the public
    assert names(database, people.anonymous, definitions=[DEFINITION["power"]]) == []
    assert names(database, people.anonymous, definitions=[DEFINITION["precipitation"]]) == [
        "Wetterstation A"
    ]


def test_observations_in_a_range(database: Database, network: Network) -> None:
    with database.session() as session:
        points = sensing.observations(
            session,
            datastream_id=network.temperature,
            start=END - timedelta(hours=5),
            end=END,
        )
    assert [p.time for p in points] == times()[-6:-1]  # the end is excluded
    assert points[-1].value == pytest.approx(10 + 0.1 * (HOURS - 2))


def test_aggregates_per_day(database: Database, network: Network) -> None:
    with database.session() as session:
        days = sensing.aggregate(
            session,
            datastream_id=network.precipitation,
            start=END - timedelta(days=4),
            end=END + timedelta(hours=1),
            step=timedelta(days=1),
        )
        hours = sensing.aggregate(
            session,
            datastream_id=network.temperature,
            start=END - timedelta(hours=4),
            end=END,
            step=timedelta(hours=2),
        )
    assert sum(d.count for d in days) == HOURS
    assert sum(d.total for d in days) == pytest.approx(HOURS / 6)
    assert all(d.start.hour == 0 for d in days)  # UTC days
    assert [h.count for h in hours] == [2, 2]
    first = 10 + 0.1 * (HOURS - 5)  # 08:00, the start of an even hour
    assert hours[0].low == pytest.approx(first) and hours[0].high == pytest.approx(first + 0.1)
    assert hours[0].mean == pytest.approx(first + 0.05)


def test_days_of_the_local_clock_across_the_end_of_summer_time(
    database: Database, network: Network
) -> None:
    """Berlin's days begin at local midnight: 22:00 UTC in summer, 23:00 UTC in winter, and the
    day summer time ends lasts 25 hours (a 30-day table no longer starts its days at 01:00)."""
    berlin = ZoneInfo("Europe/Berlin")
    with database.session() as session:
        days = sensing.aggregate(
            session,
            datastream_id=network.precipitation,
            start=END - timedelta(days=4),
            end=END + timedelta(hours=1),
            step=timedelta(days=1),
            zone=berlin,
        )
    local = [d.start.astimezone(berlin) for d in days]
    assert all((t.hour, t.minute) == (0, 0) for t in local)
    assert [t.date() for t in local] == sorted({t.date() for t in local})
    assert sum(d.count for d in days) == HOURS
    with database.session() as session:
        autumn = sensing.aggregate(
            session,
            datastream_id=network.precipitation,
            start=datetime(2026, 10, 24, 22, tzinfo=UTC),
            end=datetime(2026, 10, 26, 23, tzinfo=UTC),
            step=timedelta(days=1),
            zone=berlin,
        )
    assert autumn == []  # no data then: nothing invented
    parts = read._constant_offsets(  # 25 October 2026, 01:00 UTC: CEST → CET
        to_micros(datetime(2026, 10, 24, 22, tzinfo=UTC)),
        to_micros(datetime(2026, 10, 26, 23, tzinfo=UTC)),
        berlin,
    )
    assert [(from_micros(a), o // 3_600_000_000) for a, _, o in parts] == [
        (datetime(2026, 10, 24, 22, tzinfo=UTC), 2),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 1),
    ]


def test_many_streams_in_one_read_as_each_alone(database: Database, network: Network) -> None:
    """Points and aggregates of several Datastreams (one without values, one id twice) read
    at once are those of each read alone, in UTC and local days, also where ``limit`` cuts
    a stream that holds more than its share."""
    berlin = ZoneInfo("Europe/Berlin")
    ids = [network.temperature, network.precipitation, network.soil, network.temperature]
    start, end = END - timedelta(days=3), END + timedelta(hours=1)
    with database.session() as session:
        # 5: the first stream fills the query, the others are read again; 30: the second one
        # is cut short by the query and read again; 50: two cut at their limit; 1 000: none
        for limit in (5, 30, 50, 1_000):
            together = sensing.observations_of(
                session, datastream_ids=ids, start=start, end=end, limit=limit
            )
            alone = {
                i: sensing.observations(session, datastream_id=i, start=start, end=end, limit=limit)
                for i in ids
            }
            assert together == alone
            assert len(together[network.temperature]) == min(limit, HOURS)
        assert together[network.soil] == []
        for zone, step in ((UTC, timedelta(hours=3)), (berlin, timedelta(days=1))):
            buckets = sensing.aggregate_of(
                session, datastream_ids=ids, start=start, end=end, step=step, zone=zone
            )
            assert buckets == {
                i: sensing.aggregate(
                    session, datastream_id=i, start=start, end=end, step=step, zone=zone
                )
                for i in ids
            }
            assert buckets[network.soil] == [] and buckets[network.temperature]


def test_coarse_buckets_merged_from_fine_ones_are_those_the_database_makes(
    database: Database, network: Network
) -> None:
    """Hours and local days from one pass over the Observations, across the end of summer time
    (a day of 25 hours), are the hours and days asked one by one; a step that is no multiple
    of the finest is refused."""
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 23, 20, 30, tzinfo=UTC)
    moments = [first + timedelta(minutes=20 * i) for i in range(3 * 24 * 4)]
    database.write(
        lambda s: sensing.ingest_series(
            s, datastream_id=network.soil, times=moments,
            values=[round(30 + 5 * ((i * 7) % 11) / 11, 2) for i in range(len(moments))],
        )
    )  # fmt: skip
    ids = [network.soil, network.temperature]
    start, end = datetime(2026, 10, 23, 22, tzinfo=UTC), datetime(2026, 10, 27, 5, tzinfo=UTC)
    hour, day = timedelta(hours=1), timedelta(days=1)
    with database.session() as session:
        both = sensing.aggregates_of(
            session, datastream_ids=ids, start=start, end=end, steps=[hour, day], zone=berlin
        )
        for step in (hour, day):
            alone = {
                i: sensing.aggregate(
                    session, datastream_id=i, start=start, end=end, step=step, zone=berlin
                )
                for i in ids
            }
            assert {i: [b.start for b in alone[i]] for i in ids} == {
                i: [b.start for b in both[step][i]] for i in ids
            }
            for i in ids:
                for merged, asked in zip(both[step][i], alone[i], strict=True):
                    assert (merged.count, merged.low, merged.high) == (
                        asked.count, asked.low, asked.high,
                    )  # fmt: skip
                    assert merged.total == pytest.approx(asked.total)
        days = both[day][network.soil]
        assert [d.count for d in days][:2] == [24 * 3, 25 * 3]  # 24 October, 25 October
        with pytest.raises(ValidationFailed):
            sensing.aggregates_of(
                session, datastream_ids=ids, start=start, end=end,
                steps=[timedelta(hours=2), timedelta(hours=3)],
            )  # fmt: skip


def test_refusals(database: Database, network: Network) -> None:
    with database.session() as session:
        with pytest.raises(ValidationFailed):
            sensing.aggregate(
                session,
                datastream_id=network.temperature,
                start=END,
                end=END - timedelta(hours=1),
                step=timedelta(hours=1),
            )
        with pytest.raises(ValidationFailed):
            sensing.aggregate(
                session,
                datastream_id=network.temperature,
                start=END - timedelta(hours=1),
                end=END,
                step=timedelta(milliseconds=10),
            )
    with pytest.raises(Conflict):
        database.write(
            lambda s: sensing.ingest_series(
                s, datastream_id=network.temperature, times=[END], values=[1.0]
            )
        )
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: sensing.ingest_series(
                s, datastream_id=network.temperature, times=[END], values=[]
            )
        )


def test_series_appended_later_move_the_latest_value(
    database: Database, network: Network, people: People
) -> None:
    later = [END + timedelta(hours=1), END + timedelta(hours=2)]
    stored = database.write(
        lambda s: sensing.ingest_series(
            s, datastream_id=network.soil, times=later, values=[31.5, 30.9]
        )
    )
    assert stored == 2
    with database.session() as session:
        probe = sensing.get_thing(session, principal=people.anonymous, thing_id=network.probe)
    assert probe.streams[0].latest_value == 30.9
    assert probe.streams[0].latest_time == later[-1]


def test_the_list_reads_latest_values_by_pointer_not_by_scanning(
    database: Database, network: Network, people: People
) -> None:
    """The latest value is a primary-key join on the Datastream's pointer: no statement of the
    list aggregates, orders or filters Observations by time."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.session() as session:
            sensing.list_things(session, principal=people.admin)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    touching = [s for s in statements if "sensing_observations" in s]
    assert len(touching) == 1
    assert "sensing_observations.id = sensing_datastreams.latest_observation_id" in touching[0]
    assert "max(" not in touching[0].lower() and "phenomenon_time <" not in touching[0]
