"""The energy service on both backends: buildings and meters, consumption with plausibility
checks, the report, baselines that refuse thin data, and plans with their fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from allmende.delivery.models import Notification
from allmende.modules.energy import service
from allmende.modules.energy.models import Building, Meter, Zone
from allmende.sdk import ValidationFailed, sensing, vocabulary
from allmende.sensing import read as sensing_read
from allmende.sensing.models import Task
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday


def _building(database: Database, region: Region, **zone: float) -> tuple[int, int, int]:
    def run(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
        building = service.create_building(
            session,
            municipality_id=region.municipality_a,
            name="Grundschule Test",
            use="school",
            floor_area=1800.0,
            heating_system="heat_pump",
            lon=8.65,
            lat=49.45,
        )
        meter = service.add_meter(
            session, building_id=building.id, name="Wärmezähler", carrier="heat"
        )
        made = service.add_zone(
            session,
            building_id=building.id,
            name="Hauptzone",
            floor_area=1800.0,
            volume=5800.0,
            window_area=400.0,
            opaque_area=2600.0,
            heating_kw=zone.get("heating_kw", 120.0),
            control="mpc",
        )
        return building.id, meter.id, made.id

    return database.write(run)


def test_a_meter_that_jumps_backwards_is_a_counter_reset(
    database: Database, region: Region
) -> None:
    building_id, meter_id, _ = _building(database, region)
    times = [START + timedelta(minutes=15 * k) for k in range(12)]
    readings = [1000.0, 1002.0, 1004.0, 1006.0, 1.5, 3.5, 5.5, 7.5, 9.5, 11.5, 13.5, 15.5]

    def ingest(session) -> None:  # type: ignore[no-untyped-def]
        meter = session.get(Meter, meter_id)
        sensing.ingest_series(
            session, datastream_id=meter.datastream_id, times=times, values=readings
        )

    database.write(ingest)
    with database.session() as session:
        meter = session.get(Meter, meter_id)
        used = service.consumption(session, meter=meter, start=START, end=times[-1] + timedelta(1))
        assert np.nanmin(used.value) >= 0
        assert used.total() == pytest.approx(6.0 + 1.5 + 7 * 2.0)
        assert [i.kind for i in used.issues] == ["counter_reset"]
        hourly = service.buckets(
            session, meter=meter, start=START, end=START + timedelta(hours=3), resolution="hour"
        )
        # Local hours (UTC+1); the reset interval ends at 01:00 local.
        assert hourly.values == [pytest.approx(7.5), pytest.approx(8.0), pytest.approx(6.0)]
        assert building_id == meter.building_id


def test_a_building_without_enough_data_gets_no_baseline_and_says_why(
    database: Database, region: Region
) -> None:
    _, meter_id, _ = _building(database, region)

    def add(session) -> None:  # type: ignore[no-untyped-def]
        station = sensing.ensure_thing(
            session,
            name="Wetterstation",
            municipality_id=region.municipality_a,
            public=True,
            lon=8.6,
            lat=49.4,
        )
        stream = sensing.ensure_datastream(
            session,
            thing_id=station,
            name="Lufttemperatur",
            definition=sensing_vocabulary_air(),
            observed_property_name="Lufttemperatur",
            unit_name="degree Celsius",
            unit_symbol="°C",
            unit_definition="ucum:Cel",
            public=True,
        )
        hours = [START + timedelta(hours=h) for h in range(24 * 40)]
        sensing.ingest_series(
            session,
            datastream_id=stream,
            times=hours,
            values=[float(3 + 4 * np.sin(h / 24 * 2 * np.pi)) for h in range(len(hours))],
        )
        meter = session.get(Meter, meter_id)
        steps = [START + timedelta(minutes=15 * k) for k in range(96 * 40 + 1)]
        sensing.ingest_series(
            session,
            datastream_id=meter.datastream_id,
            times=steps,
            values=[float(k * 5) for k in range(len(steps))],
        )

    database.write(add)
    with database.session() as session:
        meter = session.get(Meter, meter_id)
        result = service.meter_baseline(
            session, meter=meter, start=START, end=START + timedelta(days=40)
        )
    assert result.model is None
    assert result.reason == "40 days with both usage and temperature; a baseline needs at least 328"


def sensing_vocabulary_air() -> str:
    from allmende.sdk import vocabulary

    return vocabulary.AIR_TEMPERATURE


def test_a_plan_goes_out_as_a_task_to_the_set_point_actuator(
    database: Database, region: Region
) -> None:
    _, _, zone_id = _building(database, region)
    plan = database.write(
        lambda s: service.replan_zone(s, zone=s.get(Zone, zone_id), now=START + timedelta(hours=5))
    )
    assert plan.status == "optimal"
    assert plan.source == "mpc"
    assert len(plan.setpoints) == 96
    with database.session() as session:
        task = session.get(Task, plan.task_id)
        assert task.tasking_parameters == {"setpoint": plan.setpoints[0]}
        zone = session.get(Zone, zone_id)
        sent = sensing.series(
            session, datastream_ids=[zone.setpoint_stream_id], start=START, end=START + timedelta(1)
        )[zone.setpoint_stream_id]
        assert list(sent.values) == [plan.setpoints[0]]


def test_an_infeasible_plan_falls_back_to_the_schedule_and_tells_staff(
    database: Database, region: Region
) -> None:
    _, _, zone_id = _building(database, region, heating_kw=0.5)
    plan = database.write(
        lambda s: service.replan_zone(s, zone=s.get(Zone, zone_id), now=START + timedelta(hours=5))
    )
    assert plan.status == "fallback"
    assert plan.source == "schedule"
    assert plan.message.startswith("Plan infeasible (the comfort band cannot be held")
    assert plan.setpoints[0] == 20.0  # 06:00 local: the thermostat starts two hours early
    with database.session() as session:
        notes = session.scalars(
            select(Notification).where(Notification.kind == "energy.plan.fallback")
        ).all()
        assert [n.municipality_id for n in notes] == [region.municipality_a]
        assert session.get(Task, plan.task_id).tasking_parameters == {"setpoint": 20.0}


def test_bad_building_data_is_refused_naming_the_field(database: Database, region: Region) -> None:
    def run(session) -> None:  # type: ignore[no-untyped-def]
        service.create_building(
            session,
            municipality_id=region.municipality_a,
            name="X",
            use="castle",
            floor_area=100,
            heating_system="gas",
            lon=8.6,
            lat=49.4,
        )

    with pytest.raises(ValidationFailed) as raised:
        database.write(run)
    assert raised.value.errors[0].field == "use"
    with database.session() as session:
        assert session.scalars(select(Building)).all() == []


def test_report_csv_follows_the_german_excel_convention(database: Database, region: Region) -> None:
    _building(database, region)
    with database.session() as session:
        rows = service.portfolio(session, municipality_id=region.municipality_a, year=2025)
    data = service.report_csv(rows)
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig").splitlines()
    assert text[0].split(";")[0] == "Gebäude"
    assert text[1].startswith("Grundschule Test;Schulen;1800,0;")


def _stream(session, name: str, municipality: int, definition: str) -> int:  # type: ignore[no-untyped-def]
    """A public Datastream of its own public Thing called ``name``."""
    thing = sensing.ensure_thing(
        session, name=name, municipality_id=municipality, public=True, lon=8.65, lat=49.45
    )
    return sensing.ensure_datastream(
        session, thing_id=thing, name=name, definition=definition,
        observed_property_name=name, unit_name="kilowatt hour", unit_symbol="kWh",
        unit_definition="ucum:kW.h", public=True,
    )  # fmt: skip


def test_a_meter_reads_a_stream_of_the_network_of_its_municipality(
    database: Database, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An energy, heat, gas or water Datastream of the building's municipality, checked on
    its own: one of a Thing past the first page of the listing is taken (here a page of one
    Thing), one of another municipality or that measures something else is refused."""
    building_id, _, _ = _building(database, region)

    def build(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
        a, b = region.municipality_a, region.municipality_b
        return {
            "first": _stream(session, "A-Zähler", a, vocabulary.ENERGY),
            "late": _stream(session, "Zähler Turnhalle", a, vocabulary.ENERGY),
            "theirs": _stream(session, "Zähler B", b, vocabulary.ENERGY),
            "air": _stream(session, "Luft", a, vocabulary.AIR_TEMPERATURE),
        }

    made = database.write(build)
    monkeypatch.setattr(sensing_read, "MAX_THINGS", 1)

    def add(stream_id: int) -> Meter:
        return database.write(
            lambda s: service.add_meter(
                s,
                building_id=building_id,
                name="Zähler",
                carrier="electricity",
                datastream_id=stream_id,
            )
        )

    assert add(made["late"]).datastream_id == made["late"]
    for refused in (made["theirs"], made["air"]):
        with pytest.raises(ValidationFailed) as caught:
            add(refused)
        assert caught.value.errors[0].field == "datastream_id"


def test_a_new_meter_chooses_from_the_free_streams_a_page_of_things_at_a_time(
    database: Database, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form's list: the municipality's meterable Datastreams that are no meter yet, by
    their Thing's name, read past the first page of the listing (here a page of one Thing),
    at most ``limit`` of them and whether there are more."""
    building_id, _, _ = _building(database, region)  # its heat meter's stream is taken

    def build(session) -> list[int]:  # type: ignore[no-untyped-def]
        a, b = region.municipality_a, region.municipality_b
        _stream(session, "Zähler B", b, vocabulary.ENERGY)
        _stream(session, "Luft", a, vocabulary.AIR_TEMPERATURE)
        names = ("Zähler Bad", "Zähler Aula", "Zähler Café")
        return [_stream(session, name, a, vocabulary.ENERGY) for name in names]

    bad, aula, cafe = database.write(build)
    monkeypatch.setattr(sensing_read, "MAX_THINGS", 1)

    def choices(limit: int) -> service.MeterStreams:
        with database.session() as session:
            building = session.get(Building, building_id)
            return service.meter_streams(session, building=building, principal=None, limit=limit)

    every = choices(3)
    assert [s.id for s in every.streams] == [aula, bad, cafe] and not every.more
    first = choices(2)
    assert [s.id for s in first.streams] == [aula, bad] and first.more
    database.write(
        lambda s: service.add_meter(
            s, building_id=building_id, name="Aula", carrier="electricity", datastream_id=aula
        )
    )
    assert [s.id for s in choices(2).streams] == [bad, cafe] and not choices(2).more
