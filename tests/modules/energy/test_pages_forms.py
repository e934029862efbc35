"""The staff forms through the app: a building, a zone, its control settings and a meter made
and changed without JavaScript; refusals beside their fields with nothing stored; who may use
them; tariffs; the calibration action; the annual report as PDF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from allmende.modules.energy.models import Building, Meter, Tariff, Zone
from allmende.sdk import sensing, vocabulary
from allmende.storage.database import Database
from tests.support.region import Region
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration

BUILDING = {
    "municipality": "a-stadt",
    "name": "Grundschule Am Park",
    "use": "school",
    "floor_area": "1800",
    "year_built": "1974",
    "heating_system": "heat_pump",
    "pv_kwp": "12,5",
    "public": "on",
}
ZONE = {
    "name": "Hauptzone",
    "floor_area": "1800",
    "volume": "5800",
    "window_area": "400",
    "opaque_area": "2600",
    "u_window": "1,3",
    "u_opaque": "0.4",
    "air_changes": "0.6",
    "heat_capacity": "165000",
    "heating_kw": "150",
    "cooling_kw": "0",
}


def _post(client, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path, data={**data, "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )


def _smart_meter(session, region: Region, place: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A public electricity meter of the sensors network: its Thing and its Datastream."""
    thing = sensing.ensure_thing(
        session, name=f"Stromzähler {place}", municipality_id=region.municipality_a,
        public=True, lon=8.65, lat=49.45,
    )  # fmt: skip
    stream = sensing.ensure_datastream(
        session, thing_id=thing, name="Wirkarbeit", definition=vocabulary.ENERGY,
        observed_property_name="Energie", unit_name="kilowatt hour", unit_symbol="kWh",
        unit_definition="ucum:kW.h", public=True,
    )  # fmt: skip
    return thing, stream


def test_staff_make_a_building_with_a_zone_and_a_meter(
    client, database: Database, region: Region
) -> None:  # type: ignore[no-untyped-def]
    client.headers["Accept-Language"] = "en"
    assert (
        client.get("/energy/buildings/new", follow_redirects=False)
        .headers["location"]
        .startswith("/login?next=")
    )
    sign_in(client, region.staff_a_email)
    made = _post(client, "/energy/buildings/new", BUILDING)
    assert made.status_code == 303
    building_path = made.headers["location"].split("?")[0]
    page = client.get(made.headers["location"])
    assert "The building was saved." in page.text and "Grundschule Am Park" in page.text
    with database.session() as session:
        building = session.scalars(select(Building)).one()
        assert (building.pv_kwp, building.heat_pump, building.floor_area) == (12.5, True, 1800.0)
    zone = _post(client, f"/energy/buildings/{building.id}/zones/new", ZONE)
    assert zone.status_code == 303
    with database.session() as session:
        zone_id = session.scalars(select(Zone.id)).one()
    control = _post(
        client,
        f"/energy/zones/{zone_id}/control",
        {
            "control": "mpc",
            "objective": "co2",
            "occupied_start": "07:30",
            "occupied_end": "16:00",
            "comfort_low": "20",
            "comfort_high": "24",
            "setback": "16",
            "preheat_hours": "1,5",
        },
    )
    assert control.status_code == 303
    with database.session() as session:
        stored = session.get(Zone, zone_id)
        assert (stored.control, stored.objective, stored.occupied_start, stored.preheat_hours) == (
            "mpc",
            "co2",
            7.5,
            1.5,
        )
    stopped = _post(
        client,
        f"/energy/zones/{zone_id}/control",
        {"objective": "cost", "control": "schedule", "occupied_start": "07:00",
         "occupied_end": "16:00", "comfort_low": "20", "comfort_high": "24", "setback": "16",
         "preheat_hours": "2"},
    )  # fmt: skip
    assert stopped.status_code == 303
    with database.session() as session:
        assert session.get(Zone, zone_id).control == "schedule"  # predictive control stopped

    _, stream = database.write(lambda session: _smart_meter(session, region, "Am Park"))
    form = client.get(f"/energy/buildings/{building.id}/meters/new")
    assert f'<option value="{stream}">Wirkarbeit (kWh, Datastream {stream})</option>' in form.text
    meter = _post(
        client,
        f"/energy/buildings/{building.id}/meters/new",
        {
            "name": "Hauptzähler",
            "carrier": "electricity",
            "datastream_id": str(stream),
            "reading": "counter",
            "nominal_minutes": "15",
        },
    )
    assert meter.status_code == 303 and meter.headers["location"].startswith(building_path)
    with database.session() as session:
        assert session.scalars(select(Meter.datastream_id)).one() == stream
    edited = _post(client, f"/energy/buildings/{building.id}/edit", {**BUILDING, "name": "GS"})
    assert edited.status_code == 303
    with database.session() as session:
        assert session.get(Building, building.id).name == "GS"


def test_refusals_stand_beside_their_fields_and_nothing_is_stored(
    client, database: Database, region: Region
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, region.staff_a_email)
    client.headers["Accept-Language"] = "en"
    refused = _post(
        client,
        "/energy/buildings/new",
        {**BUILDING, "floor_area": "viel", "year_built": "1974.5", "use": "castle"},
    )
    assert refused.status_code == 422
    html = refused.text
    assert 'id="f-floor-area-error">must be a number</p>' in html
    assert 'id="f-year-built-error">must be a whole number</p>' in html
    assert 'id="f-use-error">is not one of the choices</p>' in html
    assert re.search(r'id="f-floor-area"[^>]*aria-invalid="true"', html)
    assert 'value="viel"' in html  # what was typed stays
    with database.session() as session:
        assert session.scalars(select(Building)).all() == []
    client.headers["Accept-Language"] = "de"
    german = client.post(
        "/energy/buildings/new",
        data={**BUILDING, "floor_area": "5", "csrf_token": csrf_from(html)},
    )
    assert german.status_code == 422
    assert 'id="f-floor-area-error">muss zwischen 10 und 1 000 000 m² liegen</p>' in german.text


def test_only_editors_of_the_municipality_use_the_forms(
    client, database: Database, region: Region
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, region.staff_b_email)
    page = client.get("/energy/buildings/new")
    token = csrf_from(page.text)
    refused = client.post("/energy/buildings/new", data={**BUILDING, "csrf_token": token})
    assert refused.status_code == 403
    no_token = client.post("/energy/buildings/new", data={**BUILDING, "municipality": "b-dorf"})
    assert no_token.status_code == 403
    with database.session() as session:
        assert session.scalars(select(Building)).all() == []
    sign_in(client, region.citizen_email)
    assert client.get("/energy/buildings/new").status_code == 403


def test_tariffs_and_a_calibration_without_data(client, database: Database, region: Region) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, region.staff_a_email)
    client.headers["Accept-Language"] = "en"
    saved = _post(
        client,
        "/energy/tariffs?municipality=a-stadt",
        {"carrier": "gas", "valid_from": "2025-01-01", "price": "0,125", "co2": "0.24"},
    )
    assert saved.status_code == 303
    listed = client.get(saved.headers["location"])
    assert "The tariff was saved." in listed.text and "0.1250" in listed.text
    refused = _post(
        client,
        "/energy/tariffs?municipality=a-stadt",
        {"carrier": "gas", "valid_from": "2025-01-01", "price": "0.2", "co2": "0.24"},
    )
    assert refused.status_code == 422
    assert 'id="f-valid-from-error">a tariff of this carrier starts on this day already' in (
        refused.text
    )
    with database.session() as session:
        assert [t.price for t in session.scalars(select(Tariff))] == [0.125]
    assert client.get("/energy/tariffs?municipality=b-dorf").status_code == 403

    made = _post(client, "/energy/buildings/new", BUILDING)
    building_id = int(made.headers["location"].split("/")[3].split("?")[0])
    _post(client, f"/energy/buildings/{building_id}/zones/new", ZONE)
    with database.session() as session:
        zone_id = session.scalars(select(Zone.id)).one()
    page = client.get(f"/energy/buildings/{building_id}")
    assert f'action="/energy/zones/{zone_id}/calibrate"' in page.text
    calibrated = client.post(
        f"/energy/zones/{zone_id}/calibrate", data={"csrf_token": csrf_from(page.text)}
    )
    assert calibrated.status_code == 422
    assert "the building has no heat, gas or oil meter" in calibrated.text
    with database.session() as session:
        assert session.get(Zone, zone_id).calibration is None


def test_the_annual_report_as_pdf(client, database: Database, region: Region) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, region.staff_a_email)
    client.headers["Accept-Language"] = "en"
    _post(client, "/energy/buildings/new", {**BUILDING, "name": "Schule – Süd"})
    response = client.get("/api/energy/report/a-stadt/2025.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"/Title (Annual energy report 2025: A-Stadt)" in response.content
    client.headers["Accept-Language"] = "de"
    german = client.get("/api/energy/report/a-stadt/2025.pdf")
    assert b"/Title (Energiebericht 2025: A-Stadt)" in german.content


def test_past_the_list_a_new_meter_names_its_datastream_by_number(
    client, database: Database, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """With more meterable Datastreams than the form lists, it asks for the Datastream's
    number instead (the sensor's page names it), in German; a wrong one is refused beside
    the field, the right one is read."""
    sign_in(client, region.staff_a_email)
    made = _post(client, "/energy/buildings/new", BUILDING)
    building_id = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])

    thing, stream = database.write(lambda session: _smart_meter(session, region, "Aula"))
    monkeypatch.setattr("allmende.modules.energy.service.METER_CHOICES", 0)
    path = f"/energy/buildings/{building_id}/meters/new"
    form = client.get(path).text
    assert "<select" not in form.split('id="f-datastream-id"')[0].rsplit('class="field', 1)[1]
    assert re.search(r'<input id="f-datastream-id" name="datastream_id" type="text"', form)
    assert "mehr als 0 Datastreams" in form
    sensor = client.get(f"/sensors/{thing}").text
    assert f"Datenstrom {stream} in der SensorThings API" in sensor
    meter = {"name": "Aula", "carrier": "electricity", "reading": "counter"}
    refused = _post(client, path, {**meter, "nominal_minutes": "15", "datastream_id": "Aula"})
    assert refused.status_code == 422
    assert 'id="f-datastream-id-error">' in refused.text and 'value="Aula"' in refused.text
    saved = _post(client, path, {**meter, "nominal_minutes": "15", "datastream_id": str(stream)})
    assert saved.status_code == 303
    with database.session() as session:
        assert session.scalars(select(Meter.datastream_id)).one() == stream
