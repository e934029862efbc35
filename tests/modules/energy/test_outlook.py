"""What a live plan sees, on both backends: a weather forecast Datastream where one exists
(persistence for the steps it does not cover), solar gains from the station's global radiation,
demand-response prices over the tariff; the municipality's tariffs; the calibration of a zone
on its measurements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from allmende.modules.energy import calibrate, calibration, catalogue, outlook, rc, service, tariffs
from allmende.modules.energy.models import DemandEvent, Meter, VenLink, Zone
from allmende.sdk import ValidationFailed, sensing, vocabulary
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration
NOW = datetime(2025, 3, 12, 6, 0, tzinfo=UTC)  # a Wednesday, 07:00 local
HOUR = timedelta(hours=1)


def _stream(session, thing: int, name: str, definition: str, unit: str) -> int:  # type: ignore[no-untyped-def]
    return sensing.ensure_datastream(
        session,
        thing_id=thing,
        name=name,
        definition=definition,
        observed_property_name=name,
        unit_name=unit,
        unit_symbol=unit,
        unit_definition=unit,
        public=True,
    )


def _world(database: Database, region: Region, *, forecast_hours: int = 0) -> int:
    """A station with a day of temperature (a sine) and radiation (a midday bell), a forecast
    of ``forecast_hours`` hours (2 °C warmer than persistence), a school with one zone."""

    def run(session) -> int:  # type: ignore[no-untyped-def]
        station = sensing.ensure_thing(
            session,
            name="Wetterstation",
            municipality_id=region.municipality_a,
            public=True,
            lon=8.65,
            lat=49.45,
        )
        air = _stream(session, station, "Luft", vocabulary.AIR_TEMPERATURE, "°C")
        sun = _stream(session, station, "Strahlung", vocabulary.GLOBAL_RADIATION, "W/m²")
        past = [NOW - timedelta(days=1) + HOUR * h for h in range(24)]
        utc_hours = np.array([t.hour for t in past])
        sensing.ingest_series(
            session,
            datastream_id=air,
            times=past,
            values=[float(3 + 4 * np.sin((h - 9) / 24 * 2 * np.pi)) for h in utc_hours],
        )
        sensing.ingest_series(
            session,
            datastream_id=sun,
            times=past,
            values=[float(max(0.0, 500 * np.sin((h - 6) / 12 * np.pi))) for h in utc_hours],
        )
        if forecast_hours:
            feed = sensing.ensure_thing(
                session,
                name="Vorhersage",
                municipality_id=region.municipality_a,
                public=True,
                lon=8.65,
                lat=49.45,
            )
            stream = _stream(
                session, feed, "Luft (Vorhersage)", catalogue.AIR_TEMPERATURE_FORECAST, "°C"
            )
            ahead = [NOW + HOUR * h for h in range(forecast_hours)]
            sensing.ingest_series(
                session,
                datastream_id=stream,
                times=ahead,
                values=[float(5 + 4 * np.sin((t.hour - 9) / 24 * 2 * np.pi)) for t in ahead],
            )
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
        zone = service.add_zone(
            session,
            building_id=building.id,
            name="Hauptzone",
            floor_area=1800.0,
            volume=5800.0,
            window_area=400.0,
            opaque_area=2600.0,
            heating_kw=150.0,
            control="mpc",
        )
        return zone.id

    return database.write(run)


def _inputs(database: Database, zone_id: int) -> outlook.Inputs:
    with database.session() as session:
        zone = session.get(Zone, zone_id)
        building = service.get_building(session, zone.building_id)
        return service.plan_inputs(session, zone=zone, building=building, now=NOW)


def test_without_a_forecast_the_last_day_repeats_and_the_sun_warms(
    database: Database, region: Region
) -> None:
    inputs = _inputs(database, _world(database, region))
    f = inputs.forecast
    expected = [3 + 4 * np.sin((t.hour - 9) / 24 * 2 * np.pi) for t in inputs.grid[::4]]
    assert f.t_out[::4] == pytest.approx(expected)
    assert "outdoor temperature: persistence (the last 24 hours repeated)" in inputs.notes
    assert "global radiation: persistence (the last 24 hours repeated)" in inputs.notes
    noon = inputs.grid.index(NOW + 6 * HOUR)  # 12:00 UTC
    night = inputs.grid.index(NOW + 16 * HOUR)  # 22:00 UTC
    assert f.solar_gains[noon] > 20_000  # 400 m² of windows at 500 W/m² global
    assert f.solar_gains[night] < 0  # only the radiation to the night sky
    assert f.low[:4] == pytest.approx([20.0] * 4)  # occupied from 07:00 local, band 20–24
    assert inputs.thermostat[0] == 20.0


def test_a_forecast_datastream_is_used_where_it_covers_the_horizon(
    database: Database, region: Region
) -> None:
    inputs = _inputs(database, _world(database, region, forecast_hours=12))
    f = inputs.forecast
    covered = [t for t in inputs.grid if t <= NOW + 11 * HOUR]
    assert len(covered) == 45  # 11 hours of quarter-hours and the last forecast hour
    hours = inputs.grid[: len(covered) : 4]
    assert f.t_out[: len(covered) : 4] == pytest.approx(
        [5 + 4 * np.sin((t.hour - 9) / 24 * 2 * np.pi) for t in hours]
    )
    later = inputs.grid[60]
    assert f.t_out[60] == pytest.approx(3 + 4 * np.sin((later.hour - 9) / 24 * 2 * np.pi))
    assert "outdoor temperature: forecast for 45 of 96 steps, then persistence" in inputs.notes


def test_a_demand_response_price_replaces_the_tariff_in_its_intervals(
    database: Database, region: Region
) -> None:
    zone_id = _world(database, region)

    def add_event(session) -> None:  # type: ignore[no-untyped-def]
        zone = session.get(Zone, zone_id)
        link = VenLink(
            municipality_id=region.municipality_a,
            vtn_url="https://vtn.example",
            client_id="c",
            client_secret="s",
            ven_name="ven",
            building_id=zone.building_id,
        )
        session.add(link)
        session.flush()
        start = NOW + 2 * HOUR
        session.add(
            DemandEvent(
                link_id=link.id,
                event_id="price-1",
                program_id="p",
                payload_type="PRICE",
                start=start,
                end=start + HOUR,
                intervals=[
                    {"start": "2025-03-12T08:00:00Z", "seconds": 1800, "value": 0.9, "price": 0.9},
                    {
                        "start": "2025-03-12T08:30:00Z",
                        "seconds": 1800,
                        "value": 0.05,
                        "price": 0.05,
                    },
                ],
                received_at=NOW,
            )
        )

    database.write(add_event)
    inputs = _inputs(database, zone_id)
    price = inputs.forecast.price
    at = inputs.grid.index(NOW + 2 * HOUR)
    assert list(price[at : at + 4]) == [0.9, 0.9, 0.05, 0.05]
    fixed = catalogue.CARRIER_BY_KEY["electricity"].price
    assert price[at - 1] == fixed and price[at + 4] == fixed  # no dynamic tariff here
    assert inputs.event is not None and inputs.event.event_id == "price-1"
    assert inputs.forecast.limit is None
    plan = database.write(lambda s: service.replan_zone(s, zone=s.get(Zone, zone_id), now=NOW))
    assert plan.source == "demand_response"
    heat = np.asarray(plan.heating_kw)
    assert heat[at : at + 2].sum() < heat[at + 2 : at + 4].sum()  # it heats when it is cheap


def test_tariffs_bill_the_year_and_refuse_what_they_cannot_be(
    database: Database, region: Region
) -> None:
    def setup(session) -> int:  # type: ignore[no-untyped-def]
        building = service.create_building(
            session,
            municipality_id=region.municipality_a,
            name="Rathaus",
            use="town_hall",
            floor_area=1000.0,
            heating_system="gas",
            lon=8.65,
            lat=49.45,
        )
        meter = service.add_meter(
            session, building_id=building.id, name="Gas", carrier="gas", nominal_seconds=86400
        )
        days = [datetime(2025, 6, 28, tzinfo=UTC) + timedelta(days=d) for d in range(6)]
        sensing.ingest_series(
            session,
            datastream_id=meter.datastream_id,
            times=days,
            values=[100.0 * d for d in range(6)],
        )
        tariffs.save_tariff(
            session,
            municipality_id=region.municipality_a,
            carrier="gas",
            valid_from=date(2025, 7, 1),
            price=0.2,
            co2=0.24,
        )
        return building.id

    building_id = database.write(setup)
    with database.session() as session:
        year = service.building_year(
            session, building=service.get_building(session, building_id), year=2025
        )
    gas = year.carriers[0]
    # Two days at the default 0.11 €/kWh (ending 29 and 30 June UTC), three at 0.20 from July.
    assert gas.cost == pytest.approx(200 * 0.11 + 300 * 0.2)
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: tariffs.save_tariff(
                s,
                municipality_id=region.municipality_a,
                carrier="coal",
                valid_from=date(2025, 1, 1),
                price=0.1,
                co2=0.4,
            )
        )
    assert refused.value.errors[0].field == "carrier"
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: tariffs.save_tariff(
                s,
                municipality_id=region.municipality_a,
                carrier="gas",
                valid_from=date(2025, 7, 1),
                price=0.3,
                co2=0.24,
            )
        )
    assert refused.value.errors[0].field == "valid_from"


def test_a_zone_is_calibrated_on_its_measurements_or_told_why_not(
    database: Database, region: Region
) -> None:
    zone_id = _world(database, region)
    with database.session() as session:
        outcome = calibrate.calibrate_zone(session, zone_id=zone_id, now=NOW)
    assert outcome.stored is None
    assert outcome.reason == "the building has no heat, gas or oil meter"

    def measure(session) -> None:  # type: ignore[no-untyped-def]
        """Three weeks of a building leakier than its register, heated by a heat meter's
        readings, its room temperature measured with 0.1 K noise."""
        zone = session.get(Zone, zone_id)
        meter = service.add_meter(
            session,
            building_id=zone.building_id,
            name="Wärmemenge",
            carrier="heat",
            nominal_seconds=3600,
        )
        hours = [NOW - timedelta(days=21) + HOUR * k for k in range(21 * 24)]
        rng = np.random.default_rng(5)
        h = np.arange(len(hours))
        t_out = 4 + 4 * np.sin(2 * np.pi * (h - 9) / 24) + rng.normal(0, 0.5, len(h))
        # The last day is what the station measured already (see _world).
        t_out[-24:] = [3 + 4 * np.sin((t.hour - 9) / 24 * 2 * np.pi) for t in hours[-24:]]
        truth = calibration.scaled(service.zone_model(zone), 1.35, 1.0, 0.8)
        on = outlook.occupied(zone, hours)
        gains = zone.floor_area * np.where(on, outlook.GAINS_OCCUPIED, outlook.GAINS_EMPTY)
        heat = np.where(on | (h % 24 == 5), 90_000.0, 25_000.0)
        run = rc.simulate(
            truth,
            t_out=t_out,
            internal_gains=gains,
            solar_gains=0.0,
            air_gains=heat,
            t_set_heating=-np.inf,
            t_set_cooling=np.inf,
            t_m0=19.0,
        )
        station = outlook.streams(session, municipality_id=region.municipality_a).outdoor
        sensing.ingest_series(
            session,
            datastream_id=station,
            times=hours[:-24],
            values=[float(v) for v in t_out[:-24]],
        )
        sensing.ingest_series(
            session,
            datastream_id=zone.indoor_stream_id,
            times=hours,
            values=[float(v) for v in run.t_air + rng.normal(0, 0.1, len(h))],
        )
        ends = [t + HOUR for t in hours]
        sensing.ingest_series(
            session,
            datastream_id=meter.datastream_id,
            times=[hours[0], *ends],
            values=[0.0, *(float(v) for v in np.cumsum(heat / 1000.0))],
        )

    database.write(measure)
    outcome = database.write(lambda s: calibrate.calibrate_zone(s, zone_id=zone_id, now=NOW))
    assert outcome.reason is None
    stored = outcome.stored
    assert stored["hours"] >= 21 * 24 - 48
    assert stored["multipliers"]["envelope"] == pytest.approx(1.35, rel=0.15)
    assert stored["rmse_k"] < 0.3
    with database.session() as session:
        zone = session.get(Zone, zone_id)
        assert zone.calibration == stored
        assert session.scalars(select(Meter)).all()


def test_bad_zone_and_meter_edits_are_refused_naming_the_field(
    database: Database, region: Region
) -> None:
    zone_id = _world(database, region)
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: service.update_control(
                s,
                zone_id=zone_id,
                occupied_start=8,
                occupied_end=7,
                comfort_low=20,
                comfort_high=24,
                setback=16,
                preheat_hours=2,
                control="mpc",
                objective="cost",
            )
        )
    assert refused.value.errors[0].field == "occupied_end"
    with pytest.raises(ValidationFailed) as refused:
        database.write(lambda s: service.update_zone(s, zone_id=zone_id, u_window=12.0))
    assert (refused.value.errors[0].field, refused.value.errors[0].reason) == (
        "u_window",
        "must be between 0.1 and 7",
    )
    with database.session() as session:
        assert session.get(Zone, zone_id).u_window == 1.3
