"""Independent Open311 clients from PyPI against a live server: civicbot lists the services,
reads a definition and posts a report; georeport reads it back in JSON and in XML."""

from __future__ import annotations

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from tests.standards.conftest import LiveServer
from tests.standards.open311.support import A

pytestmark = pytest.mark.integration


def _civicbot(server: LiveServer) -> Open311Client:
    endpoint = Endpoint(
        id="allmende-test",
        name="Allmende Testregion",
        base_url=f"{server.url}/open311/v2",
        write=True,
    )
    # No politeness delay against our own test server.
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
    return Open311Client(endpoint, transport=transport, jurisdiction_id=A)


def test_civicbot_posts_and_georeport_reads_back(standards_server: LiveServer) -> None:
    civicbot = _civicbot(standards_server)
    services = civicbot.list_services()
    assert {s["service_code"] for s in services} == {"pothole", "tree-damage", "bulky-waste"}
    definition = civicbot.get_service_definition("tree-damage")
    assert [a["code"] for a in definition["attributes"]][:3] == ["object_id", "severity", "parts"]

    tree = standards_server.things.trees_a[2]
    prepared = civicbot.create_request(
        "tree-damage",
        dry_run=False,
        confirm="SEND",
        api_key=standards_server.region.key_open311,
        validate_remote=True,  # civicbot checks the form against our definition first
        lat=49.45,
        lng=8.62,
        description="Großer Ast abgebrochen",
        attributes={"object_id": str(tree), "severity": "high", "parts": ["branch", "trunk"]},
        email="civicbot-user@example.org",
        first_name="Civic",
    )
    (answer,) = prepared.response
    request_id = answer["service_request_id"]
    assert isinstance(request_id, str) and request_id
    assert civicbot.get_request(request_id)["service_code"] == "tree-damage"
    listed = civicbot.list_requests(service_request_ids=[request_id])
    assert [r["service_request_id"] for r in listed] == [request_id]

    as_json = GeoReport(f"{standards_server.url}/open311/v2", jurisdiction=A)
    item = as_json.get_service_request(request_id)
    assert item["service_request_id"] == request_id
    assert item["status"] == "open" and item["description"] == "Großer Ast abgebrochen"
    assert item["lat"] == 49.45 and item["long"] == 8.62
    assert "email" not in item and "first_name" not in item
    found = as_json.get_service_requests(service_request_id=request_id)
    assert [r["service_request_id"] for r in found] == [request_id]
    assert {s["service_code"] for s in as_json.get_service_list()} >= {"tree-damage"}
    assert as_json.get_service_definition("tree-damage")["service_code"] == "tree-damage"

    as_xml = GeoReport(f"{standards_server.url}/open311/v2", jurisdiction=A, output_format="xml")
    xml_item = as_xml.get_service_request(request_id)
    assert xml_item["service_request_id"] == request_id
    assert xml_item["status"] == "open" and xml_item["service_name"] == "Baumschaden"
    assert xml_item["lat"] == "49.45" and xml_item["requested_datetime"].endswith("Z")
    xml_services = as_xml.get_service_list()
    assert [s["service_code"] for s in xml_services] == ["pothole", "tree-damage", "bulky-waste"]
    xml_definition = as_xml.get_service_definition("tree-damage")
    assert xml_definition["attributes"]["attribute"][1]["code"] == "severity"
    assert as_xml.get_service_requests(status="open", service_code="tree-damage")


def test_civicbot_hears_the_refusal_of_a_wrong_key(standards_server: LiveServer) -> None:
    from civicbot.http import HttpError

    civicbot = _civicbot(standards_server)
    with pytest.raises(HttpError) as refused:
        civicbot.create_request(
            "pothole",
            dry_run=False,
            confirm="SEND",
            api_key="alm_wrong_key",
            address_string="Markt 1, A-Stadt",
        )
    assert refused.value.status == 403
    assert '"code":403' in refused.value.body
