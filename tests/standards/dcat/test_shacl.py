"""The catalogue validates against the official DCAT-AP.de 3.0 shapes with no violation: on
the demo region (every kind of dataset) and on the test region (both backends), in every
serialisation. The one accepted warning is the deprecated political geocoding property that
DCAT-AP.de 2.0 harvesters still read."""

from __future__ import annotations

import pytest

from tests.standards.dcat.conftest import Demo
from tests.standards.dcat.shacl import unexpected_warnings, validate, violations
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration


def _everything(client: TestClient, path: str = "/catalog.ttl") -> bytes:
    """The whole catalogue: every page merged (a harvester's view)."""
    from rdflib import Graph

    from allmende.standards.dcat.vocabulary import HYDRA

    graph = Graph()
    url: str | None = path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        page = Graph().parse(data=response.content, format="turtle")
        graph += page
        url = next((str(o) for o in page.objects(None, HYDRA.next)), None)
    return graph.serialize(format="turtle").encode()


@pytest.fixture(scope="module")
def demo_findings(demo: Demo) -> list:  # type: ignore[type-arg]
    return validate(_everything(demo.client))


def test_the_demo_catalogue_has_no_violation(demo_findings: list) -> None:  # type: ignore[type-arg]
    assert violations(demo_findings) == []
    assert unexpected_warnings(demo_findings) == []


def test_rdf_xml_and_json_ld_describe_the_same_graph(demo: Demo) -> None:
    from rdflib import Graph
    from rdflib.compare import isomorphic

    formats = {
        "text/turtle": "turtle",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
    }
    graphs = []
    for media_type, name in formats.items():
        response = demo.client.get("/catalog", headers={"Accept": media_type})
        assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
        graphs.append(Graph().parse(data=response.content, format=name))
    assert isomorphic(graphs[0], graphs[1])
    assert isomorphic(graphs[0], graphs[2])
    for suffix, name in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")):
        by_suffix = Graph().parse(data=demo.client.get(f"/catalog.{suffix}").content, format=name)
        assert len(by_suffix) == len(graphs[0])


def test_the_test_region_catalogue_has_no_violation(client: TestClient, region: Region) -> None:
    """A small region: one public weather station with a value, one internal station."""
    key = bearer(region.key_sensorthings_a)
    for public in ("true", "false"):
        created = client.post(
            f"/v1.1/Things?public={public}",
            headers=key,
            json={
                "name": f"Station {public}",
                "description": "Dach",
                "properties": {"kind": "weather-station"},
                "Locations": [
                    {
                        "name": "Dach",
                        "description": "Dach",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.65, 49.45]},
                    }
                ],
                "Datastreams": [
                    {
                        "name": "Lufttemperatur",
                        "description": "2 m",
                        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                        "unitOfMeasurement": {
                            "name": "Grad",
                            "symbol": "Cel",
                            "definition": "ucum",
                        },
                        "Sensor": {
                            "name": "PT100",
                            "description": "-",
                            "encodingType": "text/plain",
                            "metadata": "-",
                        },
                        "ObservedProperty": {
                            "name": "Lufttemperatur",
                            "definition": "urn:t",
                            "description": "-",
                        },
                        "Observations": [{"phenomenonTime": "2026-05-01T10:00:00Z", "result": 21}],
                    }
                ],
            },
        )
        assert created.status_code == 201, created.text
    catalogue = client.get("/catalog.ttl")
    assert catalogue.content.count(b"a dcat:Dataset") == 1  # the internal station is not public
    findings = validate(catalogue.content)
    assert violations(findings) == []
    assert unexpected_warnings(findings) == []
