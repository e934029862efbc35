"""OGC API - Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over the provider module."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from openapi_spec_validator import validate

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.storage.database import Database
from tests.standards.conftest import Things
from tests.standards.ogcapi_features.support import API, GEOJSON, exception, link, links
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import sign_in

pytestmark = pytest.mark.integration
CONFORMANCE = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
}


def test_landing_page_links(client: TestClient, things: Things) -> None:
    for path in (API, f"{API}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
    document = client.get(API).json()
    assert document["title"] and document["description"]
    for item in document["links"]:
        assert set(item) == {"href", "rel", "type", "title"}
        assert item["href"].startswith("http://testserver/ogcapi")
    assert link(document, "self")["type"] == "application/json"
    assert link(document, "alternate")["type"] == "text/html"
    desc = link(document, "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert link(document, "service-doc")["type"] == "text/html"
    assert link(document, "conformance")["href"] == "http://testserver/ogcapi/conformance"
    assert link(document, "data")["href"] == "http://testserver/ogcapi/collections"


def test_conformance(client: TestClient) -> None:
    document = client.get(f"{API}/conformance").json()
    assert set(document["conformsTo"]) == CONFORMANCE


def test_collections_and_their_metadata(client: TestClient, things: Things) -> None:
    document = client.get(f"{API}/collections").json()
    link(document, "self")
    collections = {c["id"]: c for c in document["collections"]}
    assert set(collections) == {"trees", "benches"}
    trees = collections["trees"]
    assert trees["title"] == "Bäume" and trees["itemType"] == "feature"
    assert trees["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    spatial = trees["extent"]["spatial"]
    assert spatial["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert spatial["bbox"] == [[8.61, 49.45, 8.75, 49.45]]  # public trees of A and B only
    interval = trees["extent"]["temporal"]["interval"]
    assert interval == [["2025-06-01T12:00:00Z", "2025-06-12T12:00:00Z"]]
    items = links(trees, "items")
    assert {x["type"] for x in items} == {GEOJSON, "text/html"}
    one = client.get(f"{API}/collections/trees").json()
    assert one["id"] == "trees" and one["extent"] == trees["extent"]
    assert link(one, "self")["href"] == "http://testserver/ogcapi/collections/trees?f=json"
    exception(client.get(f"{API}/collections/nothing"), 404)


def test_items_page_through_with_next_and_prev(client: TestClient, things: Things) -> None:
    first = client.get(f"{API}/collections/trees/items")
    assert first.headers["content-type"] == GEOJSON
    document = first.json()
    assert document["type"] == "FeatureCollection"
    assert document["numberMatched"] == 13 and document["numberReturned"] == 10
    assert document["timeStamp"].endswith("Z")
    assert links(document, "prev") == []
    next_link = link(document, "next")
    assert next_link["type"] == GEOJSON
    query = parse_qs(urlsplit(next_link["href"]).query)
    assert query == {"limit": ["10"], "offset": ["10"], "f": ["json"]}
    second = client.get(next_link["href"]).json()
    assert second["numberReturned"] == 3
    assert links(second, "next") == []
    prev = link(second, "prev")
    assert parse_qs(urlsplit(prev["href"]).query) == {"limit": ["10"], "f": ["json"]}
    seen = [f["id"] for f in document["features"]] + [f["id"] for f in second["features"]]
    assert len(set(seen)) == 13
    feature = document["features"][0]
    assert feature["type"] == "Feature" and isinstance(feature["id"], str)
    assert feature["geometry"] == {"type": "Point", "coordinates": [8.61, 49.45]}
    assert feature["properties"]["name"] == "Linde 0"
    assert feature["properties"]["updated"] == "2025-06-01T12:00:00Z"
    # exactly at the end: no next link
    exact = client.get(f"{API}/collections/trees/items?limit=13").json()
    assert exact["numberReturned"] == 13 and links(exact, "next") == []
    beyond = client.get(f"{API}/collections/trees/items?offset=50").json()
    assert beyond["features"] == [] and beyond["numberReturned"] == 0
    assert link(beyond, "prev")


def test_bbox_and_other_parameters_stay_in_the_paging_links(
    client: TestClient, things: Things
) -> None:
    url = (
        f"{API}/collections/trees/items?bbox=8.60,49.40,8.64,49.50&limit=2&species=Tilia%20cordata"
    )
    document = client.get(url).json()
    assert document["numberMatched"] == 3  # Linde 1, 3, 5 lie west of 8.64
    assert [f["properties"]["name"] for f in document["features"]] == ["Linde 1", "Linde 3"]
    query = parse_qs(urlsplit(link(document, "next")["href"]).query)
    assert query["bbox"] == ["8.60,49.40,8.64,49.50"] and query["species"] == ["Tilia cordata"]
    following = client.get(link(document, "next")["href"]).json()
    assert [f["properties"]["name"] for f in following["features"]] == ["Linde 5"]
    assert links(following, "next") == []


def test_datetime_filters(client: TestClient, things: Things) -> None:
    def count(value: str) -> int:
        response = client.get(f"{API}/collections/trees/items", params={"datetime": value})
        assert response.status_code == 200, response.text
        return int(response.json()["numberMatched"])

    assert count("2025-06-03T12:00:00Z") == 1
    assert count("2025-06-03") == 1  # the whole day
    assert count("2025-06-01T00:00:00Z/2025-06-03T23:00:00Z") == 4  # incl. the tree in B
    assert count("../2025-06-02T12:00:00Z") == 3
    assert count("2025-06-11T00:00:00Z/..") == 2
    assert count("2025-06-11T00:00:00Z/") == 2


def test_property_filters_by_type(client: TestClient, things: Things) -> None:
    def names(**params: str) -> list[str]:
        response = client.get(f"{API}/collections/trees/items", params={"limit": 50, **params})
        assert response.status_code == 200, response.text
        return [f["properties"]["name"] for f in response.json()["features"]]

    assert names(species="Quercus robur") == ["Dorfeiche"]
    assert names(planted="1992") == ["Linde 2"]
    assert names(height="13") == ["Linde 3"]
    assert names(protected="true") == ["Linde 3"]
    assert names(protected="true", planted="1990") == []
    body = exception(client.get(f"{API}/collections/trees/items?height=hoch"), 400)
    assert body["code"] == "InvalidParameterValue" and body["description"].startswith("height: ")
    # benches have other queryables: species is unknown there
    exception(client.get(f"{API}/collections/benches/items?species=x"), 400)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("offset=-3", "offset"),
        ("bbox=8,49,9", "bbox"),
        ("bbox=8,49,0,9,50,10", "bbox"),
        ("datetime=morgen", "datetime"),
        ("f=xml", "f"),
        ("unknown=1", "unknown"),
        ("bbox-crs=http://www.opengis.net/def/crs/EPSG/0/25832", "bbox-crs"),
        ("limit=1&limit=2", "limit"),
    ],
)
def test_invalid_parameters_are_400(
    client: TestClient, things: Things, query: str, field: str
) -> None:
    body = exception(client.get(f"{API}/collections/trees/items?{query}"), 400)
    assert body["description"].startswith(f"{field}: "), body


def test_unknown_parameters_elsewhere_too(client: TestClient, things: Things) -> None:
    for path in ("", "/conformance", "/collections", "/collections/trees", "/api"):
        exception(client.get(f"{API}{path}?foo=bar"), 400)
    exception(client.get(f"{API}/collections/trees/items/1?limit=1"), 400)


def test_one_feature(client: TestClient, things: Things) -> None:
    tree = things.trees_a[3]
    response = client.get(f"{API}/collections/trees/items/{tree}")
    assert response.headers["content-type"] == GEOJSON
    feature = response.json()
    assert feature["id"] == str(tree) and feature["properties"]["protected"] is True
    assert link(feature, "self")["href"] == (
        f"http://testserver/ogcapi/collections/trees/items/{tree}?f=json"
    )
    assert link(feature, "alternate")["type"] == "text/html"
    assert (
        link(feature, "collection")["href"] == "http://testserver/ogcapi/collections/trees?f=json"
    )
    exception(client.get(f"{API}/collections/trees/items/999999"), 404)
    exception(client.get(f"{API}/collections/benches/items/{tree}"), 404)  # not a bench
    exception(client.get(f"{API}/collections/trees/items/%C3%A4%20x"), 404)


def test_internal_objects_only_for_staff_of_their_town(
    client: TestClient, region: Region, things: Things
) -> None:
    url = f"{API}/collections/trees/items/{things.internal_tree_a}"
    exception(client.get(url), 404)
    assert client.get(f"{API}/collections/trees/items").json()["numberMatched"] == 13
    sign_in(client, region.staff_b_email)
    exception(client.get(url), 404)
    client.cookies.clear()
    sign_in(client, region.staff_a_email)
    assert client.get(url).status_code == 200
    assert client.get(f"{API}/collections/trees/items").json()["numberMatched"] == 14


def test_html_by_parameter_and_by_accept_header(client: TestClient, things: Things) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path in (
        "",
        "/conformance",
        "/collections",
        "/collections/trees",
        "/collections/trees/items",
        f"/collections/trees/items/{things.trees_a[0]}",
        "/api",
    ):
        by_parameter = client.get(f"{API}{path}?f=html")
        assert by_parameter.status_code == 200, path
        assert by_parameter.headers["content-type"].startswith("text/html")
        assert (
            client.get(f"{API}{path}", headers=browser)
            .headers["content-type"]
            .startswith("text/html")
        )
        json_anyway = client.get(f"{API}{path}?f=json", headers=browser)
        assert not json_anyway.headers["content-type"].startswith("text/html")
        assert (
            not client.get(f"{API}{path}", headers={"Accept": "*/*"})
            .headers["content-type"]
            .startswith("text/html")
        )
    page = client.get(f"{API}/collections/trees/items?f=html&limit=5").text
    assert "Linde 0" in page and "Linde 5" not in page
    assert (
        'data-geojson-url="http://testserver/ogcapi/collections/trees/items?limit=5&amp;f=json"'
        in page
    )
    assert 'rel="next"' in page and "offset=5" in page


def test_links_follow_the_proxy(settings: Settings, database: Database, things: Things) -> None:
    behind_proxy = Settings(**{**settings.model_dump(), "trusted_proxies": ["*"]})
    app = create_app(behind_proxy, database=database, registry=Registry([reports_module.MODULE]))
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "geodaten.example.de",
        "X-Forwarded-Prefix": "/allmende",
    }
    with TestClient(app) as client:
        document = client.get(f"{API}/collections/trees/items?limit=2", headers=headers).json()
        landing = client.get(API, headers=headers).json()
        page = client.get(f"{API}/collections?f=html", headers=headers).text
    assert link(document, "next")["href"].startswith(
        "https://geodaten.example.de/allmende/ogcapi/collections/trees/items?"
    )
    assert link(landing, "data")["href"] == (
        "https://geodaten.example.de/allmende/ogcapi/collections"
    )
    assert 'href="https://geodaten.example.de/allmende/ogcapi/collections/trees?f=html"' in page


def test_the_api_definition(client: TestClient, things: Things) -> None:
    response = client.get(f"{API}/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "http://testserver/ogcapi"}]
    items = document["paths"]["/collections/trees/items"]["get"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in items["parameters"]}
    assert names == {"limit", "offset", "bbox", "datetime", "f"} | {
        "species",
        "height",
        "planted",
        "protected",
    }
    assert "/collections/benches/items/{featureId}" in document["paths"]


def test_errors_speak_the_readers_language(client: TestClient, things: Things) -> None:
    german = exception(client.get(f"{API}/collections/nothing"), 404)
    assert german == {
        "code": "NotFound",
        "description": "collectionId: diese Sammlung gibt es nicht",
    }
    english = exception(
        client.get(f"{API}/collections/nothing", headers={"Accept-Language": "en"}), 404
    )
    assert english["description"] == "collectionId: no such collection"
    assert exception(client.post(f"{API}/collections"), 405)["code"] == "MethodNotAllowed"
    assert exception(client.get(f"{API}/collections?f=%00"), 400)["code"] == (
        "InvalidParameterValue"
    )
    wrong_key = client.get(f"{API}/collections", headers={"X-API-Key": "alm_wrong"})
    assert exception(wrong_key, 401)["code"] == "Unauthorized"


def test_no_collections_without_sources(client: TestClient) -> None:
    document = client.get(f"{API}/collections").json()
    assert document["collections"] == []
    exception(client.get(f"{API}/collections/trees/items"), 404)
