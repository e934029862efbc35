"""The energy pages and JSON API through the app: what anyone and what staff see, refused
input with the field named, the report as HTML and as CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from allmende.modules.energy import service
from allmende.modules.energy.models import Zone
from allmende.sdk import sensing
from allmende.storage.database import Database
from tests.support.region import Region
from tests.support.web import bearer, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def school(database: Database, region: Region) -> int:
    def run(session) -> int:  # type: ignore[no-untyped-def]
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
            session, building_id=building.id, name="Strom", carrier="electricity"
        )
        start = datetime(2025, 1, 1, tzinfo=UTC)
        times = [start + timedelta(hours=h) for h in range(24 * 30)]
        sensing.ingest_series(
            session,
            datastream_id=meter.datastream_id,
            times=times,
            values=[1000.0 + 12.5 * h for h in range(len(times))],
        )
        zone = service.add_zone(
            session,
            building_id=building.id,
            name="Hauptzone",
            floor_area=1800.0,
            volume=5800.0,
            window_area=400.0,
            opaque_area=2600.0,
            heating_kw=120.0,
            control="mpc",
        )
        service.replan_zone(session, zone=session.get(Zone, zone.id), now=datetime.now(UTC))
        return building.id

    return database.write(run)


def test_pages_for_anyone_and_for_staff(client, school: int, region: Region) -> None:  # type: ignore[no-untyped-def]
    assert "Grundschule Test" in client.get("/energy?municipality=a-stadt&year=2025").text
    public = client.get(f"/energy/buildings/{school}?year=2025")
    assert public.status_code == 200
    assert "Hauptzone" not in public.text  # plans are for staff
    sign_in(client, region.staff_a_email)
    staff = client.get(f"/energy/buildings/{school}?year=2025")
    assert "Hauptzone" in staff.text and "<svg" in staff.text
    report = client.get("/energy/report/a-stadt/2025")
    assert report.status_code == 200 and "Grundschule Test" in report.text


def test_the_building_page_reports_the_calibration_and_its_error(  # type: ignore[no-untyped-def]
    client, database: Database, school: int, region: Region
) -> None:
    def calibrated(session) -> None:  # type: ignore[no-untyped-def]
        zone = session.scalars(select(Zone).where(Zone.building_id == school)).one()
        zone.calibration = {
            "multipliers": {"envelope": 1.11, "ventilation": 1.19, "capacity": 0.81, "solar": 1.02},
            "rmse_k": 0.142,
            "bias_k": -0.002,
            "cv_rmse": 12.44,
            "nmbe": -7.77,
            "meets_guideline14": True,
            "converged": True,
            "hours": 648,
            "start": "2026-11-07T04:00:00Z",
            "end": "2026-12-05T04:00:00Z",
        }

    database.write(calibrated)
    sign_in(client, region.staff_a_email)
    client.headers["Accept-Language"] = "en"
    english = client.get(f"/energy/buildings/{school}?year=2025").text
    assert "Calibration on 648 hours of measurements up to 2026-12-05" in english
    assert (
        "Calibration error: indoor temperature RMSE 0.14 K, bias -0.00 K; daily heat CV(RMSE) "
        "12.4 %, NMBE -7.8 % (ASHRAE Guideline 14: met)."
    ) in english
    client.headers["Accept-Language"] = "de"
    german = client.get(f"/energy/buildings/{school}?year=2025").text
    assert "Kalibrierfehler: Raumtemperatur RMSE 0,14 K" in german


def test_report_csv_download(client, school: int) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/energy/report/a-stadt/2025.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    assert ";" in response.text.splitlines()[0]


def test_bad_input_gets_a_clear_error_and_nothing_is_stored(client, region: Region) -> None:  # type: ignore[no-untyped-def]
    body = {
        "municipality": "a-stadt",
        "name": "Neubau",
        "use": "castle",
        "floor_area": 500,
        "heating_system": "gas",
        "lon": 8.6,
        "lat": 49.4,
    }
    refused = client.post("/api/energy/buildings", json=body, headers=bearer(region.key_admin))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "use",
            "reason": "must be one of "
            + ", ".join(
                [
                    "town_hall",
                    "office",
                    "fire_station",
                    "school",
                    "daycare",
                    "sports_hall",
                    "swimming_pool",
                    "community_hall",
                    "library",
                    "depot",
                ]
            ),
        }
    ]
    assert client.get("/api/energy/buildings").json() == []
    anonymous = client.post("/api/energy/buildings", json={**body, "use": "school"})
    assert anonymous.status_code == 401
    made = client.post(
        "/api/energy/buildings", json={**body, "use": "school"}, headers=bearer(region.key_admin)
    )
    assert made.status_code == 201
    naive = client.get(
        "/api/energy/meters/1/consumption?start=2025-01-01T00:00:00&end=2025-02-01T00:00:00Z"
    )
    assert naive.status_code == 422
    assert naive.json()["errors"] == [
        {"field": "query.start", "reason": "needs a time zone (…Z or +01:00)"}
    ]


def test_a_meter_whose_main_meter_is_out_of_range_is_refused(client, region: Region) -> None:  # type: ignore[no-untyped-def]
    """A parent id past the database's integers was a 500 (the fuzzer found it): now 422,
    naming the field, and no meter."""
    body = {"municipality": "a-stadt", "name": "Neubau", "use": "school", "floor_area": 500,
            "heating_system": "gas", "lon": 8.6, "lat": 49.4}  # fmt: skip
    made = client.post("/api/energy/buildings", json=body, headers=bearer(region.key_admin))
    meters = f"/api/energy/buildings/{made.json()['id']}/meters"
    for parent in (2**63, 0, -1):
        refused = client.post(
            meters,
            json={"name": "Strom", "carrier": "electricity", "parent_id": parent},
            headers=bearer(region.key_admin),
        )
        assert refused.status_code == 422, parent
        assert [e["field"] for e in refused.json()["errors"]] == ["body.parent_id"]
    assert client.get(meters, headers=bearer(region.key_admin)).json() == []
