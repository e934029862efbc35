"""Import from CSV and GeoJSON (all-or-nothing by default, or the valid rows) and export."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allmende.core.errors import ValidationFailed
from allmende.modules.assets.models import AssetObject, Change
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.register import transfer
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, count, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region

pytestmark = pytest.mark.integration

HEADER = "identifier;name;lat;lon;species_de;species_botanical;planting_year;height_m;"
CADASTRE = (
    HEADER
    + """trunk_circumference_cm
B-100;;49,451;8,651;Spitz-Ahorn;Acer platanoides;1985;14,5;160
B-101;Ahorn am Bach;49.452;8.652;Spitz-Ahorn;Acer platanoides;2001;8;90
B-102;;49.453;8.653;Hainbuche;Carpinus betulus;;;
"""
)


def run(database: Database, who, data: bytes, fmt: str = "csv", **kw):  # type: ignore[no-untyped-def]
    return database.write(
        lambda s: transfer.run_import(
            s, principal=who, municipality="a-stadt", type_key="tree", fmt=fmt, data=data, **kw
        )
    )


def test_a_tree_cadastre_is_imported(database: Database, people: People) -> None:
    result = run(database, people.staff_a, CADASTRE.encode())
    assert (result.rows, result.created, result.updated, result.failed) == (3, 3, 0, 0)
    with database.session() as session:
        rows, total = objects.list_objects(
            session, principal=people.staff_a, f=objects.ObjectFilter(q="B-10"), limit=10, offset=0
        )
    by_id = {o.identifier: o for o, _ in rows}
    assert total == 3
    assert by_id["B-100"].name == "B-100" and by_id["B-101"].name == "Ahorn am Bach"
    assert by_id["B-100"].attributes["height_m"] == 14.5
    assert by_id["B-100"].attributes["planting_year"] == 1985
    assert by_id["B-100"].geom is not None and by_id["B-100"].geom.y == pytest.approx(49.451)
    assert "planting_year" not in by_id["B-102"].attributes  # empty cells are absent values
    assert count(database, Change) == 3


def test_one_bad_row_imports_nothing_and_names_every_fault(
    database: Database, people: People
) -> None:
    bad = (
        CADASTRE
        + "B-103;;49.454;x;Linde;;1990;;\nB-104;;49.455;8.655;Linde;;1500;;\nB-100;;49.4;8.6;;;;;\n"
    )
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as caught:
        run(database, people.staff_a, bad.encode())
    fields = [e.field for e in caught.value.errors]
    assert fields == ["rows[5].lon", "rows[6].attributes.planting_year", "rows[7].identifier"]
    assert "nothing was imported" in caught.value.detail
    assert snapshot(database) == before


def test_valid_rows_mode_imports_the_good_rows(database: Database, people: People) -> None:
    bad = CADASTRE + "B-103;;49.454;8.654;Linde;;1990;;9999\n"
    result = run(database, people.staff_a, bad.encode(), mode="valid-rows")
    assert (result.created, result.failed) == (3, 1)
    assert (
        result.errors[0].row == 5 and result.errors[0].field == "attributes.trunk_circumference_cm"
    )


def test_a_second_import_updates_by_identifier(database: Database, people: People) -> None:
    run(database, people.staff_a, CADASTRE.encode())
    changed = CADASTRE.replace("1985;14,5", "1985;15,0")
    result = run(database, people.staff_a, changed.encode())
    assert (result.created, result.updated) == (0, 1)
    with database.session() as session:
        obj = session.query(AssetObject).filter_by(identifier="B-100").one()
        history = objects.history(session, principal=people.staff_a, object_id=obj.id)
    assert obj.attributes["height_m"] == 15.0
    assert history[0].changes["attributes"][1]["height_m"] == 15.0


def test_dry_run_writes_nothing(database: Database, people: People) -> None:
    before = snapshot(database)
    result = run(database, people.staff_a, CADASTRE.encode(), dry_run=True)
    assert result.created == 3
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"identifier;name;lat;lon;colour\nX;y;49.4;8.6;red\n", "rows[2].colour"),
        (b"identifier;name\nX;y\n", "rows[2].geometry"),
        (b"identifier;name;wkt\nX;y;POINT(8.6)\n", "rows[2].wkt"),
        (b"identifier;name;wkt\nX;y;LINESTRING(8.6 49.4, 8.7 49.5)\n", "rows[2].wkt.type"),
        (b"a;a\n1;2\n", "file.columns"),
    ],
)
def test_bad_csv_is_refused(database: Database, people: People, data: bytes, field: str) -> None:
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as caught:
        run(database, people.staff_a, data)
    assert caught.value.errors[0].field == field
    assert snapshot(database) == before


def test_geojson_import(database: Database, people: People) -> None:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [8.61, 49.41]},
                "properties": {"identifier": "G-1", "species_de": "Ginkgo", "planting_year": 2010},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [8.62, 49.42]},
                "properties": {"name": "G-2"},
            },
        ],
    }
    result = run(database, people.staff_a, json.dumps(document).encode(), fmt="geojson")
    assert result.created == 2
    document["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    }
    with pytest.raises(ValidationFailed) as caught:
        run(database, people.staff_a, json.dumps(document).encode(), fmt="geojson")
    assert caught.value.errors[0].field.startswith("rows[1].geometry")


def test_importing_is_for_staff_of_the_municipality(database: Database, people: People) -> None:
    from allmende.core.errors import Forbidden

    with pytest.raises(Forbidden):
        run(database, people.staff_b, CADASTRE.encode())


@given(st.binary(max_size=400))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_csv_reading_never_fails_unexpectedly(data: bytes) -> None:
    with contextlib.suppress(ValidationFailed):
        transfer.read_csv(data)


@given(st.text(max_size=300))
@settings(max_examples=60, deadline=None)
def test_geojson_reading_never_fails_unexpectedly(text: str) -> None:
    with contextlib.suppress(ValidationFailed):
        transfer.read_geojson(text.encode())


# --- export and the API ---------------------------------------------------------------------


def test_export_round_trips_and_hides_internal_data(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    public = client.get(
        "/api/assets/export.csv", params={"municipality": "a-stadt", "type": "tree"}
    )
    assert public.status_code == 200
    assert public.content.startswith("\ufeff".encode())  # German Excel: BOM and semicolons
    rows = list(csv.DictReader(io.StringIO(public.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["name"] for r in rows] == ["Winter-Linde A-1"]
    assert "risk_class" not in rows[0] or rows[0]["risk_class"] == ""
    assert "notes" not in rows[0]
    geo = client.get("/api/assets/export.geojson", params={"municipality": "a-stadt"}).json()
    names = {f["properties"]["name"] for f in geo["features"]}
    assert "Bank intern" not in names and "Marktplatz" in names

    headers = staff_client(client, region.staff_a_email)
    internal = client.get(
        "/api/assets/export.csv", params={"municipality": "a-stadt", "type": "tree"}
    )
    rows = list(csv.DictReader(io.StringIO(internal.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["risk_class"] == "low" and "notes" in rows[0]
    # the export imports again unchanged: the same object, no update
    response = client.post(
        "/api/assets/import",
        files={"file": ("baeume.csv", internal.content, "text/csv")},
        data={"municipality": "a-stadt", "type": "tree", "format": "csv"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (0, 0)


def test_import_api_reports_rows_as_problem_fields(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    headers = staff_client(client, region.staff_a_email)
    before = snapshot(database)
    response = client.post(
        "/api/assets/import",
        files={"file": ("x.csv", b"identifier;name;lat;lon\nQ;;91;8.6\n", "text/csv")},
        data={"municipality": "a-stadt", "type": "tree"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rows[2].lat"
    assert snapshot(database) == before
