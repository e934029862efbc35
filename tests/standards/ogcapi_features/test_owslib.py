"""OWSLib's OGC API - Features client against a live server: the collections, then every
item inside a bounding box, page by page along the next links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from owslib.ogcapi.features import Features

from tests.standards.conftest import LiveServer

pytestmark = pytest.mark.integration


def test_owslib_reads_collections_and_pages_through_a_bbox(standards_server: LiveServer) -> None:
    api = Features(f"{standards_server.url}/ogcapi")
    assert {"conformance", "data", "service-desc"} <= {link["rel"] for link in api.links}
    conformance = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    assert sorted(api.feature_collections()) == ["benches", "trees"]
    trees = api.collection("trees")
    assert trees["extent"]["spatial"]["bbox"][0][0] == pytest.approx(8.61)
    assert api.api()["openapi"].startswith("3.0")

    bbox = [8.60, 49.40, 8.6575, 49.50]  # Linde 0 … 9 (8.61 … 8.655)
    names: list[str] = []
    kwargs: dict[str, object] = {"bbox": bbox, "limit": 4}
    pages = 0
    while True:
        page = api.collection_items("trees", **kwargs)
        pages += 1
        assert page["type"] == "FeatureCollection" and page["numberMatched"] == 10
        names += [f["properties"]["name"] for f in page["features"]]
        following = [link for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        query = parse_qs(urlsplit(following[0]["href"]).query)
        assert query["bbox"] == [",".join(str(v) for v in bbox)]
        kwargs = {"bbox": bbox, "limit": int(query["limit"][0]), "offset": int(query["offset"][0])}
    assert pages == 3
    assert names == [f"Linde {n}" for n in range(10)]
    one = api.collection_item("trees", str(standards_server.things.trees_a[0]))
    assert one["properties"]["name"] == "Linde 0"
