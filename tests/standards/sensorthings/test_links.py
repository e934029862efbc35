"""Absolute links match the address the client called: behind a reverse proxy (forwarded
scheme, host and prefix), with a configured base URL, and in next-page links."""

from __future__ import annotations

import pytest

from allmende.app import create_app
from allmende.core.settings import Settings
from allmende.storage.database import Database
from tests.standards.sensorthings.conftest import Sta
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration

PROXY = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "daten.example.de:8443",
    "X-Forwarded-Prefix": "/allmende",
}


def _client(
    settings: Settings, database: Database, registry: object, **changes: object
) -> TestClient:
    changed = Settings(**{**settings.model_dump(), **changes})
    return TestClient(create_app(changed, database=database, registry=registry))  # type: ignore[arg-type]


def _seed(client: TestClient, region: Region) -> None:
    sta = Sta(client, bearer(region.key_sensorthings_a))
    for index in range(3):
        sta.post("Things", {"name": f"thing {index}", "description": "x"})


def test_links_behind_a_proxy(
    settings: Settings, database: Database, region: Region, registry: object
) -> None:
    with _client(settings, database, registry, trusted_proxies=["*"]) as client:
        _seed(client, region)
        root = client.get("/v1.1", headers=PROXY).json()
        base = "https://daten.example.de:8443/allmende/v1.1"
        assert root["value"][0]["url"] == f"{base}/Things"
        page = client.get("/v1.1/Things?$top=1&$filter=name ne 'x'", headers=PROXY).json()
        assert page["value"][0]["@iot.selfLink"].startswith(f"{base}/Things(")
        assert page["value"][0]["Datastreams@iot.navigationLink"].startswith(f"{base}/Things(")
        assert page["@iot.nextLink"].startswith(f"{base}/Things?")
        assert "$filter=name%20ne%20'x'" in page["@iot.nextLink"]
        created = client.post(
            "/v1.1/Things",
            json={"name": "via proxy", "description": "x"},
            headers={**PROXY, **bearer(region.key_sensorthings_a)},
        )
        assert created.headers["location"].startswith(f"{base}/Things(")


def test_links_from_the_configured_base_url(
    settings: Settings, database: Database, region: Region, registry: object
) -> None:
    with _client(settings, database, registry, base_url="https://open.example.de/p") as client:
        _seed(client, region)
        body = client.get("/v1.1/Things?$top=2").json()
        assert body["value"][0]["@iot.selfLink"].startswith("https://open.example.de/p/v1.1/")
        assert body["@iot.nextLink"].startswith("https://open.example.de/p/v1.1/Things?")


def test_next_links_keep_the_query_and_decode_plus_as_space(anonymous: Sta, sta: Sta) -> None:
    for index in range(5):
        sta.post("Things", {"name": f"thing {index}", "description": "x"})
    first = anonymous.get("Things?$filter=startswith(name,'thing+')&$top=2&$orderby=name%20desc")
    names = [t["name"] for t in first["value"]]
    link = first["@iot.nextLink"]
    while link:
        page = anonymous.get(link)
        names.extend(t["name"] for t in page["value"])
        link = page.get("@iot.nextLink")
    assert names == [f"thing {i}" for i in range(4, -1, -1)]
