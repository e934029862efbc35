"""Demand response: the VEN against an OpenADR 3.0 VTN on loopback. It registers, takes an
import-capacity-limit event, re-plans within a poll, the building (simulated by its own model
following the plan) stays under the limit, and the VEN reports the metered import back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from allmende.modules.energy import demand, service
from allmende.modules.energy.models import DemandEvent, Meter, Plan, Zone
from allmende.sdk import ValidationFailed, sensing
from allmende.storage.database import Database
from tests.modules.energy import vtn
from tests.support.region import Region

pytestmark = pytest.mark.integration
NOW = datetime(2025, 1, 8, 10, 0, tzinfo=UTC)


def _event(start: datetime, limit_kw: float) -> dict[str, object]:
    return {
        "id": "ev-1",
        "objectType": "EVENT",
        "programID": "p-1",
        "eventName": "Netzengpass Mittag",
        "intervalPeriod": {"start": start.isoformat().replace("+00:00", "Z"), "duration": "PT15M"},
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "IMPORT_CAPACITY_LIMIT",
                "units": "KW",
            }
        ],
        "intervals": [
            {"id": i, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [limit_kw]}]}
            for i in range(8)
        ],
    }


def test_event_times_are_read_by_the_one_time_parser() -> None:
    """Starts and durations go through the SDK's parser; a bad one names its place."""
    event = _event(NOW, 18.0)
    kind, intervals = demand.intervals_of(event, reference=50.0)
    assert kind == "IMPORT_CAPACITY_LIMIT"
    assert [i["start"] for i in intervals[:2]] == ["2025-01-08T10:00:00Z", "2025-01-08T10:15:00Z"]
    assert {i["seconds"] for i in intervals} == {900}
    event["intervalPeriod"] = {"start": "2025-01-08T10:00:00", "duration": "PT15M"}
    with pytest.raises(ValidationFailed) as refused:
        demand.intervals_of(event, reference=50.0)
    assert (refused.value.errors[0].field, refused.value.errors[0].reason) == (
        "intervalPeriod.start",
        "needs a time zone (Z or +HH:MM)",
    )
    event["intervalPeriod"] = {"start": "2025-01-08T10:00:00Z", "duration": "P1M"}
    with pytest.raises(ValidationFailed) as refused:
        demand.intervals_of(event, reference=50.0)
    assert refused.value.errors[0].field == "intervalPeriod.duration"


def test_ven_keeps_an_import_limit_and_reports_back(database: Database, region: Region) -> None:
    def setup(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
        building = service.create_building(
            session,
            municipality_id=region.municipality_a,
            name="Rathaus Test",
            use="town_hall",
            floor_area=1500.0,
            heating_system="heat_pump",
            lon=8.65,
            lat=49.45,
        )
        meter = service.add_meter(
            session, building_id=building.id, name="Strom", carrier="electricity"
        )
        zone = service.add_zone(
            session,
            building_id=building.id,
            name="Büros",
            floor_area=1500.0,
            volume=4600.0,
            window_area=330.0,
            opaque_area=2300.0,
            heating_kw=80.0,
            control="mpc",
        )
        return building.id, meter.id, zone.id

    building_id, meter_id, zone_id = database.write(setup)
    with vtn.serve() as (base, state):
        state.programs.append({"id": "p-1", "objectType": "PROGRAM", "programName": "Engpass"})
        event_start = NOW + timedelta(minutes=30)
        state.events.append(_event(event_start, 18.0))
        link_id = database.write(
            lambda s: (
                demand.link_ven(
                    s,
                    municipality_id=region.municipality_a,
                    building_id=building_id,
                    vtn_url=base,
                    client_id=vtn.CLIENT_ID,
                    client_secret=vtn.CLIENT_SECRET,
                    ven_name="allmende-a-stadt",
                ).id
            )
        )
        client = demand.VtnClient(base, vtn.CLIENT_ID, vtn.CLIENT_SECRET)
        try:
            stored = demand.poll(database, link_id=link_id, now=NOW, client=client)
            assert len(stored) == 1
            assert [v["venName"] for v in state.vens] == ["allmende-a-stadt"]
            with database.session() as session:
                event = session.get(DemandEvent, stored[0])
                assert event.replanned_at == NOW  # re-planned in the same poll
                plan = service.latest_plan(session, zone_id=zone_id)
                assert plan.source == "demand_response"
                assert plan.import_limit_kw == 18.0
                meter = session.get(Meter, meter_id)
            # The building follows the plan: its meter reads the planned import each step.
            imports = _planned_import(database, zone_id)
            readings = np.concatenate([[5000.0], 5000.0 + np.cumsum(imports * 0.25)])
            times = [NOW + timedelta(minutes=15 * k) for k in range(len(readings))]
            database.write(
                lambda s: sensing.ingest_series(
                    s, datastream_id=meter.datastream_id, times=times, values=readings.tolist()
                )
            )
            later = NOW + timedelta(hours=4)
            demand.poll(database, link_id=link_id, now=later, client=client)
        finally:
            client.close()
        assert len(state.reports) == 1
        report = state.reports[0]
        assert report["eventID"] == "ev-1"
        values = [i["payloads"][0]["values"][0] for i in report["resources"][0]["intervals"]]
        assert len(values) == 8
        with database.session() as session:
            event = session.get(DemandEvent, stored[0])
            assert event.reported_at == later
            assert event.share_kept >= 0.95


def _planned_import(database: Database, zone_id: int) -> np.ndarray:
    """The plan's electric import per step (heat pump power over its COP plus base load)."""
    with database.session() as session:
        zone = session.get(Zone, zone_id)
        plan = session.query(Plan).filter(Plan.zone_id == zone_id).order_by(Plan.id.desc()).first()
        building = service.get_building(session, zone.building_id)
        inputs = service.plan_inputs(session, zone=zone, building=building, now=plan.start)
        plant = service.plant_of(session, zone=zone, building=building, when=plan.start)
        heat = np.asarray(plan.heating_kw)
        return plant.electricity(heat, inputs.forecast.t_out) + inputs.forecast.base_load
