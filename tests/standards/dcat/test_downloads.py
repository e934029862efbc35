"""Every distribution of every dataset of the demo region downloads and parses: CSV in both
dialects, GeoJSON, GeoParquet 1.1 and Parquet; Observations by period, streamed; a
Datastream's own download honours visibility."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
import shapely
from rdflib import Graph
from rdflib.namespace import RDF

from allmende.core.timeutil import isoformat, utcnow
from allmende.standards.dcat.vocabulary import DCAT, HYDRA
from tests.standards.dcat.conftest import Demo
from tests.support.region import Region

pytestmark = pytest.mark.integration


def _distributions(demo: Demo) -> list[tuple[str, str]]:
    graph = Graph()
    url: str | None = "/catalog.ttl"
    while url:
        page = Graph().parse(data=demo.client.get(url).content, format="turtle")
        graph += page
        url = next((str(o) for o in page.objects(None, HYDRA.next)), None)
    found = []
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        access = graph.value(distribution, DCAT.downloadURL) or graph.value(
            distribution, DCAT.accessURL
        )
        media = str(graph.value(distribution, DCAT.mediaType)).split("media-types/")[-1]
        found.append((str(access), media))
    return found


def _check(content: bytes, media: str) -> int:
    """Parses a download; returns how many rows or features it has."""
    if media == "text/csv":
        text = content.decode("utf-8-sig")
        delimiter = ";" if content.startswith(b"\xef\xbb\xbf") else ","
        return len(list(csv.reader(io.StringIO(text), delimiter=delimiter))) - 1
    if media in ("application/geo+json", "application/json"):
        body = json.loads(content)
        if isinstance(body, list):  # Open311
            return len(body)
        return len(body.get("features", body.get("value", [])))
    assert media == "application/vnd.apache.parquet", media
    return int(pq.read_table(io.BytesIO(content)).num_rows)


def test_every_distribution_downloads(demo: Demo) -> None:
    found = _distributions(demo)
    assert len(found) > 150
    # Observations of the last day only: every file is asked for, a month each is slow.
    day = "?start=" + isoformat(utcnow() - timedelta(days=1))
    for url, media in found:
        observations = "/catalog/datasets/sensors-" in url
        response = demo.client.get(url + day if observations else url)
        assert response.status_code == 200, (url, response.text)
        assert response.headers["content-type"].split(";")[0] == media, url
        assert _check(response.content, media) > 0, url


def test_objects_as_geoparquet_and_geojson(demo: Demo) -> None:
    base = "/catalog/datasets/assets-auenstadt-tree"
    geojson = demo.client.get(f"{base}/data.geojson").json()
    parquet = demo.client.get(f"{base}/data.parquet")
    assert 'filename="assets-auenstadt-tree.parquet"' in parquet.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(parquet.content))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
    shapes = shapely.from_wkb(table.column("geometry").to_pylist())
    assert table.num_rows == len(geojson["features"])
    first = geojson["features"][0]
    assert table.column("identifier")[0].as_py() == first["properties"]["identifier"]
    assert shapes[0].equals(shapely.geometry.shape(first["geometry"]))
    assert list(shapely.total_bounds(shapes)) == pytest.approx(column["bbox"])
    assert str(table.schema.field("updated").type) == "timestamp[us, tz=UTC]"


def test_the_two_csv_dialects(demo: Demo) -> None:
    base = "/catalog/datasets/assets-auenstadt-tree"
    plain = demo.client.get(f"{base}/data.csv").content.decode()
    excel = demo.client.get(f"{base}/data-excel.csv").content
    assert excel.startswith(b"\xef\xbb\xbf")
    plain_rows = list(csv.DictReader(io.StringIO(plain)))
    excel_rows = list(csv.DictReader(io.StringIO(excel.decode("utf-8-sig")), delimiter=";"))
    assert len(plain_rows) == len(excel_rows)
    height = next(r["height_m"] for r in plain_rows if r["height_m"])
    assert "." in height
    assert excel_rows[plain_rows.index(next(r for r in plain_rows if r["height_m"]))][
        "height_m"
    ] == height.replace(".", ",")
    assert plain_rows[0]["wkt"].startswith("POINT (")


def test_observations_of_a_period(demo: Demo) -> None:
    base = "/catalog/datasets/sensors-auenstadt-weather-station"
    window = "?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00Z"
    empty = demo.client.get(f"{base}/data.csv{window}")
    assert empty.status_code == 200 and empty.text.count("\r\n") == 1  # the header alone
    csv_rows = list(csv.DictReader(io.StringIO(demo.client.get(f"{base}/data.csv").text)))
    table = pq.read_table(io.BytesIO(demo.client.get(f"{base}/data.parquet").content))
    assert table.num_rows == len(csv_rows) > 1000
    assert str(table.schema.field("phenomenon_time").type) == "timestamp[us, tz=UTC]"
    assert table.column("result")[0].as_py() == float(csv_rows[0]["result"])
    assert {r["datastream"] for r in csv_rows} >= {"Lufttemperatur 2 m"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?start=2024-01-01T00:00:00Z&end=2025-06-01T00:00:00Z", "start"),
        ("?start=2024-01-02T00:00:00Z&end=2024-01-01T00:00:00Z", "end"),
        ("?start=morgen", "start"),
    ],
)
def test_a_bad_period_is_a_400_naming_it(demo: Demo, query: str, field: str) -> None:
    response = demo.client.get(
        f"/catalog/datasets/sensors-auenstadt-weather-station/data.csv{query}"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_unknown_datasets_and_files_are_404(demo: Demo) -> None:
    assert demo.client.get("/catalog/datasets/nichts").status_code == 404
    assert demo.client.get("/catalog/datasets/assets-auenstadt-tree/data.xls").status_code == 404
    response = demo.client.get("/catalog/datasets/sensors-auenstadt-weather-station/data.geojson")
    assert response.status_code == 404


def test_a_dataset_describes_itself(demo: Demo) -> None:
    response = demo.client.get("/catalog/datasets/assets-auenstadt-tree.jsonld")
    assert response.headers["content-type"] == "application/ld+json; charset=utf-8"
    graph = Graph().parse(data=response.content, format="json-ld")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1


def test_a_datastream_download_honours_visibility(client, region: Region) -> None:  # type: ignore[no-untyped-def]
    from tests.support.web import bearer

    key = bearer(region.key_sensorthings_a)
    thing = {
        "name": "Zähler",
        "description": "-",
        "Locations": [
            {
                "name": "Keller",
                "description": "-",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [8.65, 49.45]},
            }
        ],
        "Datastreams": [
            {
                "name": "Strom",
                "description": "-",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "kWh", "symbol": "kW.h", "definition": "ucum"},
                "Sensor": {
                    "name": "s",
                    "description": "-",
                    "encodingType": "text/plain",
                    "metadata": "-",
                },
                "ObservedProperty": {"name": "E", "definition": "urn:e", "description": "-"},
            }
        ],
    }
    created = client.post("/v1.1/Things?public=false", json=thing, headers=key)
    assert created.status_code == 201
    stream = client.get("/v1.1/Datastreams", headers=key).json()["value"][0]["@iot.id"]
    rows = [{"phenomenonTime": f"2026-05-01T10:0{m}:00Z", "result": m + 0.5} for m in range(3)]
    for row in rows:
        posted = client.post(f"/v1.1/Datastreams({stream})/Observations", json=row, headers=key)
        assert posted.status_code == 201, posted.text
    path = f"/catalog/datastreams/{stream}/observations-excel.csv"
    period = "?start=2026-05-01T00:00:00Z&end=2026-05-02T00:00:00Z"
    assert client.get(path + period).status_code == 404  # internal: not for the public
    response = client.get(path + period, headers=key)
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "datastream_id;datastream;unit;phenomenon_time;result"
    assert lines[1] == f"{stream};Strom;kW.h;2026-05-01T10:00:00Z;0,5"
    assert 'filename="datastream-' in response.headers["content-disposition"]
