"""A harvester's view: it pages through the catalogue (Hydra) with ``modified_since`` and maps
every dataset to a CKAN package with a title, notes, a licence and resources with a URL and a
format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rdflib import Graph

from allmende.core.timeutil import isoformat, utcnow
from tests.standards.dcat import ckan
from tests.standards.dcat.conftest import Demo

pytestmark = pytest.mark.integration


def harvest(demo: Demo, start: str) -> tuple[list[dict], int]:  # type: ignore[type-arg]
    found: list[dict] = []  # type: ignore[type-arg]
    pages = 0
    url: str | None = start
    while url is not None:
        response = demo.client.get(url)
        assert response.status_code == 200, response.text
        graph = Graph().parse(data=response.content, format="xml")
        found.extend(ckan.packages(graph))
        url = ckan.next_page(graph)
        pages += 1
    return found, pages


def test_a_harvester_pages_through_everything(demo: Demo) -> None:
    packages, pages = harvest(demo, "/catalog.rdf")
    assert pages == -(-len(packages) // demo.settings.catalog_page_size) > 1
    ids = [p["identifier"] for p in packages]
    assert len(ids) == len(set(ids))  # every dataset once
    kinds = {i.split("-")[0] for i in ids}
    assert kinds == {"sensors", "assets", "participation"}
    for package in packages:
        assert package["title"] and package["notes"]
        assert package["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
        assert package["contributorID"] == demo.settings.catalog_contributor_id
        assert package["politicalGeocodingURI"].startswith(
            "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/08999"
        )
        assert package["resources"]
        for resource in package["resources"]:
            assert resource["url"].startswith("http://testserver/")
            assert resource["format"] in {"CSV", "GEOJSON", "PARQUET", "JSON"}
            assert resource["licenseAttributionByText"]
    weather = next(p for p in packages if p["identifier"] == "sensors-auenstadt-weather-station")
    assert weather["title"] == "Klimamessnetz Auenstadt"
    assert {r["format"] for r in weather["resources"]} == {"CSV", "PARQUET", "JSON"}


def test_modified_since_gives_only_what_changed(demo: Demo) -> None:
    everything, _ = harvest(demo, "/catalog.rdf")
    latest = max(p["modified"] for p in everything)
    recent, _ = harvest(demo, "/catalog.rdf?modified_since=" + latest.replace("+", "%2B"))
    assert recent and len(recent) < len(everything)
    assert all(p["modified"] >= latest for p in recent)
    future = isoformat(utcnow() + timedelta(days=1))
    nothing, pages = harvest(demo, f"/catalog.rdf?modified_since={future}")
    assert nothing == [] and pages == 1


def test_page_links_keep_the_filter_and_the_format(demo: Demo) -> None:
    response = demo.client.get("/catalog.ttl?modified_since=2020-01-01&page=2")
    graph = Graph().parse(data=response.content, format="turtle")
    assert ckan.next_page(graph) == "http://testserver/catalog.ttl?modified_since=2020-01-01&page=3"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [("page=0", 422, "page"), ("modified_since=gestern", 400, "modified_since")],
)
def test_bad_paging_is_refused_naming_the_parameter(
    demo: Demo, query: str, status: int, field: str
) -> None:
    response = demo.client.get(f"/catalog?{query}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["errors"][0]["field"]
