"""The independent clients against the demo region with the real ``assets`` module (the
adapter tests use a small provider of their own; these prove the real one plugs in).

civicbot lists the services and posts a report, georeport reads it back in JSON and XML, and
OWSLib pages through the tree cadastre inside a bounding box.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from owslib.ogcapi.features import Features

from allmende.identity import service
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.integration
JURISDICTION = "auenstadt.demo.allmende.example"


@pytest.fixture(scope="module")
def open311_key(live_server: LiveServer) -> str:
    created = live_server.database.write(
        lambda s: service.create_api_key(
            s, name="civicbot", scopes=["open311"], municipality_key="auenstadt"
        )
    )
    return created.key


def test_civicbot_posts_to_the_assets_module_and_georeport_reads_back(
    live_server: LiveServer, open311_key: str
) -> None:
    endpoint = Endpoint(
        id="auenstadt", name="Auenstadt", base_url=f"{live_server.url}/open311/v2", write=True
    )
    civicbot = Open311Client(
        endpoint, transport=HttpTransport(rate_limiter=RateLimiter(0)), jurisdiction_id=JURISDICTION
    )
    codes = {s["service_code"] for s in civicbot.list_services()}
    assert {"strassenbeleuchtung", "baum", "spielplatz"} <= codes
    definition = civicbot.get_service_definition("strassenbeleuchtung")
    assert "fault" in [a["code"] for a in definition["attributes"]]
    prepared = civicbot.create_request(
        "strassenbeleuchtung",
        dry_run=False,
        confirm="SEND",
        api_key=open311_key,
        validate_remote=True,
        lat=49.4705,
        lng=8.7203,
        description="Laterne vor Hausnummer 12 brennt nicht",
        attributes={"fault": "dark"},
        email="meldende@example.org",
    )
    (answer,) = prepared.response
    request_id = answer["service_request_id"]

    as_json = GeoReport(f"{live_server.url}/open311/v2", jurisdiction=JURISDICTION)
    item = as_json.get_service_request(request_id)
    assert item["status"] == "open"
    assert item["description"] == "Laterne vor Hausnummer 12 brennt nicht"
    assert "email" not in item
    as_xml = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction=JURISDICTION, output_format="xml"
    )
    assert as_xml.get_service_request(request_id)["service_request_id"] == request_id


def test_owslib_pages_through_the_tree_cadastre(live_server: LiveServer) -> None:
    api = Features(f"{live_server.url}/ogcapi")
    assert "assets-tree" in api.feature_collections()
    bbox = [8.69, 49.45, 8.75, 49.49]  # the centre of Auenstadt
    kwargs: dict[str, object] = {"bbox": bbox, "limit": 25}
    seen: list[str] = []
    matched = None
    while True:
        page = api.collection_items("assets-tree", **kwargs)
        matched = page["numberMatched"]
        seen += [str(f["id"]) for f in page["features"]]
        following = [link for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        query = parse_qs(urlsplit(following[0]["href"]).query)
        kwargs = {"bbox": bbox, "limit": 25, "offset": int(query["offset"][0])}
    assert matched is not None and matched > 25  # more than one page
    assert len(seen) == matched == len(set(seen))
    first = api.collection_item("assets-tree", seen[0])
    assert first["geometry"]["type"] == "Point"
