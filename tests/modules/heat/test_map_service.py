"""The map end to end on both backends: layers uploaded over the API (and refused with the
reason), the land cover, hourly maps from the stations, their downloads and pages, the
districts in OGC API - Features, the staff pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import rasterio
import shapely
import xarray as xr
from rasterio.io import MemoryFile
from sqlalchemy import delete, func, select

from allmende.core.registry import Registry, discover
from allmende.modules.heat import maps, service, stations
from allmende.modules.heat.catalogue import DEVICE_KINDS
from allmende.modules.heat.models import DistrictHour, HeatSettings, Layer, MapHour
from allmende.modules.heat.service import DatabaseStore
from allmende.sdk import District
from allmende.sensing.models import Datastream, Thing
from allmende.storage.database import Database
from tests.modules.heat.conftest import END, Network, build_network
from tests.modules.heat.files import geotiff, wgs84_raster
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.seeds import app_client, seed
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration

LAYERS = "/api/heat/municipalities/a-stadt/layers"


def upload(
    client: TestClient,
    region: Region,
    content: bytes,
    kind: str = "impervious",
    name: str = "f.tif",
):  # type: ignore[no-untyped-def]
    return client.post(
        LAYERS,
        data={"kind": kind, "name": "Versiegelung"},
        files={"file": (name, content, "application/octet-stream")},
        headers=bearer(region.key_admin),
    )


@seed
def heat_map(database: Database, region: Region) -> Network:
    """A-Stadt with two districts, 100 m cells, an imperviousness layer, the station "full" of
    the station network as the reference, the station indices and the maps of two afternoon
    hours: built once per backend and copied with the database into each test."""
    network = build_network(database, region)
    a = region.municipality_a

    def districts(session) -> None:  # type: ignore[no-untyped-def]
        for name, box in (
            ("West", (8.60, 49.40, 8.65, 49.50)),
            ("Ost", (8.65, 49.40, 8.70, 49.50)),
        ):
            d = District(municipality_id=a, name=name)
            d.geom = shapely.box(*box)
            session.add(d)
        service.update_rules(
            session, municipality_id=a, values={"cell_m": 100.0, "reference_thing_id": network.full}
        )

    database.write(districts)
    sealed = np.zeros((100, 100), dtype=np.uint8)
    sealed[30:70, 30:70] = 90  # a sealed centre in the middle of A
    with app_client(database, Registry.build(discover())) as client:
        response = upload(client, region, wgs84_raster(8.60, 49.50, sealed))
    assert response.status_code == 201, response.text
    stations.update(DatabaseStore(database), now=END)
    with database.session() as session:
        hours = [datetime(2026, 7, 15, 11, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)]
        computed = maps.compute_hours(session, municipality_id=a, hours=hours)
    database.write(lambda s: maps.store_hours(s, municipality_id=a, computed=computed))
    return network


@pytest.fixture
def network(heat_map: Network) -> Network:
    """The station network of the seeded map (in place of the conftest's seed of its own)."""
    return heat_map


@pytest.fixture
def mapped(database: Database, heat_map: Network) -> Database:
    """The test's database, holding the seeded map."""
    return database


def test_uploaded_layers_are_checked_and_rebuild_the_land_cover(
    mapped: Database, client: TestClient, region: Region
) -> None:
    listed = client.get(LAYERS, headers=bearer(region.key_admin)).json()
    assert [(layer["kind"], layer["source_crs"]) for layer in listed] == [
        ("impervious", "EPSG:4326")
    ]
    assert listed[0]["summary"]["reprojected_from"] == "EPSG:4326"
    for content, reason in (
        (b"no raster", "cannot be read as a GeoTIFF"),
        (
            geotiff(
                np.ones((4, 4), dtype=np.float32),
                transform=rasterio.Affine(100, 0, 470000, 0, -100, 5480000),
                crs=None,
            ),
            "has no coordinate reference system; save it with one (e.g. EPSG:25832)",
        ),
        (
            wgs84_raster(13.3, 52.5, np.ones((5, 5), dtype=np.uint8)),
            "does not overlap the municipality",
        ),
    ):
        refused = upload(client, region, content)
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["errors"][0]["field"] == "file"
        assert problem["errors"][0]["reason"].startswith(reason)
    with mapped.session() as session:
        assert session.scalar(select(func.count()).select_from(Layer)) == 1  # nothing half-stored
        land = maps.land_cover(session, municipality_id=region.municipality_a)
        assert land is not None and land.sources["layers"] == [listed[0]["id"]]
        assert 0.1 < land.sources["sealed_share"] < 0.3
    assert (
        client.post(LAYERS, data={"kind": "impervious"}, files={"file": ("f", b"x")}).status_code
        == 401
    )
    staff_b = client.get(LAYERS, headers=bearer(region.key_sensorthings_a))
    assert staff_b.status_code == 403


def test_the_hourly_map_its_districts_and_downloads(
    mapped: Database, client: TestClient, region: Region
) -> None:
    with mapped.session() as session:
        rows = session.scalars(select(DistrictHour).order_by(DistrictHour.hour)).all()
        stored = session.scalars(select(MapHour)).all()
    assert len(stored) == 2 and {r.source for r in stored} == {"measured"}
    assert stored[0].stations_used == 4  # every station with air temperature corrects it
    assert len(rows) == 4 and all(r.cells > 100 for r in rows)
    assert all(r.utci_p50 <= r.utci_p75 <= r.utci_p90 <= r.utci_max for r in rows)
    answer = client.get("/api/heat/municipalities/a-stadt/map").json()
    assert answer["hour"].startswith("2026-07-15T12:00") and len(answer["districts"]) == 2
    (south, west), (north, east) = answer["bounds"]
    assert south < 49.41 and north > 49.49 and west < 8.61 and east > 8.69
    png = client.get("/heat/map/a-stadt/overlay.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    tif = client.get("/heat/map/a-stadt/map.tif", params={"hour": "2026-07-15T11:00:00+00:00"})
    assert tif.status_code == 200
    with MemoryFile(tif.content) as memory, memory.open() as dataset:
        assert dataset.crs.to_epsg() == 25832 and dataset.descriptions == (
            "utci",
            "air_temperature",
        )
        assert dataset.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert dataset.tags()["time"].startswith("2026-07-15T11:00")
    nc = xr.open_dataset(io.BytesIO(client.get("/heat/map/a-stadt/map.nc").content), engine="scipy")
    assert nc.attrs["Conventions"] == "CF-1.8" and nc["utci"].shape == nc["air_temperature"].shape
    missing = client.get("/heat/map/a-stadt/map.tif", params={"hour": "2020-01-01T00:00:00+00:00"})
    assert missing.status_code == 404
    items = client.get(
        "/ogcapi/collections/heat-districts/items", params={"municipality": "a-stadt"}
    ).json()
    assert {f["properties"]["district"] for f in items["features"]} == {"West", "Ost"}
    assert all(f["properties"]["hour"].startswith("2026-07-15T12:00") for f in items["features"])
    one = items["features"][0]["id"]
    assert client.get(f"/ogcapi/collections/heat-districts/items/{one}").status_code == 200


def test_the_public_pages(mapped: Database, client: TestClient, network: Network) -> None:
    page = client.get(
        "/heat", params={"municipality": "a-stadt"}, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "not the German weather service" in page.text
    assert (
        "data-overlay" in page.text and "West" in page.text and "extreme heat stress" in page.text
    )
    german = client.get(
        "/heat", params={"municipality": "a-stadt"}, headers={"Accept-Language": "de"}
    )
    assert "nicht die „Gefühlte Temperatur“" in german.text
    station = client.get(f"/heat/stations/{network.full}")
    assert station.status_code == 200 and '<svg class="heat-chart"' in station.text
    assert client.get(f"/heat/stations/{network.humid}").status_code == 404  # internal
    features = client.get("/heat/map/a-stadt/features.geojson").json()["features"]
    assert {f["properties"]["kind"] for f in features} == {"district", "station"}
    assert client.get("/heat/warnings").status_code == 200
    assert client.get("/heat/method", params={"municipality": "a-stadt"}).status_code == 200


def test_the_staff_page_and_a_refused_upload(
    mapped: Database, client: TestClient, region: Region
) -> None:
    assert client.get("/heat/staff", follow_redirects=False).status_code == 303
    sign_in(client, region.staff_a_email)
    page = client.get("/heat/staff", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "A-Stadt" in page.text
    for language, shown in (
        ("en", "<strong>File (GeoTIFF, GeoPackage or GeoJSON)</strong>: contains no features"),
        ("de", "<strong>Datei (GeoTIFF, GeoPackage oder GeoJSON)</strong>: enthält keine Objekte"),
    ):
        refused = client.post(
            "/heat/staff/a-stadt/layers",
            data={"kind": "buildings", "name": "ALKIS", "csrf_token": csrf_from(page.text)},
            files={
                "file": (
                    "alkis.geojson",
                    b'{"type": "FeatureCollection", "features": []}',
                    "application/geo+json",
                )
            },
            headers={"Accept-Language": language},
        )
        assert refused.status_code == 422 and shown in refused.text
    # A reason that quotes the file (its CRS and extent) is translated around what it quotes.
    paris = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        b'"geometry": {"type": "Polygon", "coordinates": [[[2.35, 48.85], [2.36, 48.85], '
        b"[2.36, 48.86], [2.35, 48.85]]]}}]}"
    )
    elsewhere = client.post(
        "/heat/staff/a-stadt/layers",
        data={"kind": "buildings", "name": "ALKIS", "csrf_token": csrf_from(page.text)},
        files={"file": ("paris.geojson", paris, "application/geo+json")},
        headers={"Accept-Language": "de"},
    )
    assert elsewhere.status_code == 422
    assert (
        "<strong>Datei (GeoTIFF, GeoPackage oder GeoJSON)</strong>: überschneidet sich nicht mit "
        "der Gemeinde (ihre Ausdehnung in EPSG:25832: "
    ) in elsewhere.text
    no_device = client.post(
        "/heat/staff/a-stadt/plan",
        data={
            "thing_id": "99999",
            "name": "Sprühnebel",
            "device_kind": next(iter(DEVICE_KINDS)),
            "csrf_token": csrf_from(page.text),
        },
        headers={"Accept-Language": "de"},
    )
    assert no_device.status_code == 422
    assert "<strong>Gerät (Id seines Things)</strong>: nennt kein Thing, das Sie sehen dürfen" in (
        no_device.text
    )
    settings = {
        "csrf_token": csrf_from(page.text),
        "strong_utci": "33",
        "night_min_ta": "20",
        "extreme_utci": "32",
        "area_share": "0.25",
        "afternoon_from": "12",
        "afternoon_to": "18",
        "night_from": "22",
        "night_to": "6",
        "cell_m": "100",
    }
    saved = client.post(
        "/heat/staff/a-stadt/settings", data=settings, headers={"Accept-Language": "en"}
    )
    assert (
        saved.status_code == 422
        and (
            "<strong>Extreme heat stress: afternoon UTCI above (°C)</strong>: must be above the "
            "threshold of strong stress"
        )
        in saved.text
    )
    german = client.post(
        "/heat/staff/a-stadt/settings", data=settings, headers={"Accept-Language": "de"}
    )
    assert (
        "<strong>Extreme Wärmebelastung: UTCI nachmittags über (°C)</strong>: muss über der "
        "Schwelle für starken Hitzestress liegen"
    ) in german.text
    assert client.get("/heat/staff", params={"municipality": "b-dorf"}).status_code == 403


def test_the_map_is_compared_with_the_stations(mapped: Database, region: Region) -> None:
    with mapped.session() as session:
        results = maps.evaluate(
            session,
            municipality_id=region.municipality_a,
            start=END - timedelta(hours=24),
            end=END,
        )
    assert results is not None and results["stations"] == 4 and results["hours"] > 10
    for method in ("joined", "model", "interpolation"):
        assert np.isfinite(results[method]["rmse"])


def test_the_regional_weather_comes_from_no_internal_station_of_another_municipality(
    database: Database, region: Region, network: Network
) -> None:
    """A station of A marked as the region's reference: B uses it while it is public, not
    once it is internal, not even where B's settings name it (set before it was made
    internal); A, its owner, still does."""
    a, b = region.municipality_a, region.municipality_b

    def mark(session, public: bool) -> None:  # type: ignore[no-untyped-def]
        thing = session.get(Thing, network.full)
        thing.properties = {**(thing.properties or {}), "heat_role": "reference"}
        thing.public = public
        for stream in network.streams["full"].values():
            session.get(Datastream, stream).public = public

    def reference(municipality_id: int) -> int | None:
        with database.session() as session:
            found = maps.reference_station(session, municipality_id=municipality_id)
        return None if found is None else found.thing.id

    database.write(lambda s: mark(s, True))
    assert reference(b) == network.full
    named = {"reference_thing_id": network.full}
    database.write(lambda s: service.update_rules(s, municipality_id=b, values=named))
    database.write(lambda s: mark(s, False))
    assert reference(b) is None
    unnamed = delete(HeatSettings).where(HeatSettings.municipality_id == b)
    database.write(lambda s: s.execute(unnamed))
    assert reference(b) is None
    assert reference(a) == network.full
