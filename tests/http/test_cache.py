"""The read cache: anonymous GETs served from memory until the data changes, nobody else's."""

from __future__ import annotations

import pytest

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.http.cache import HIT_HEADER
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, sign_in

pytestmark = pytest.mark.integration

THINGS = "/v1.1/Things?$select=name"

#: Hits are promised on SQLite, whose data version moves only with this database's commits. On
#: PostgreSQL the version is the cluster's snapshot, which any writer in the cluster moves (here:
#: the other tests' databases being created), so there a hit cannot be promised; the tests that
#: run on both backends check that nothing stale or private is ever served.
HITS_PROMISED = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@HITS_PROMISED
def test_a_repeated_anonymous_read_is_a_hit_with_an_etag(client: TestClient) -> None:
    first = client.get("/")
    second = client.get("/")
    assert first.headers[HIT_HEADER] == "miss"
    assert second.headers[HIT_HEADER] == "hit"
    assert second.text == first.text
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == "no-cache"
    assert "Cookie" in second.headers["vary"]
    assert "x-request-id" in second.headers
    assert "content-security-policy" in second.headers


@HITS_PROMISED
def test_if_none_match_answers_304_without_a_body(client: TestClient) -> None:
    etag = client.get("/").headers["etag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@HITS_PROMISED
def test_a_read_after_a_write_sees_the_write(client: TestClient, region: Region) -> None:
    client.get(THINGS)
    assert client.get(THINGS).headers[HIT_HEADER] == "hit"
    created = client.post(
        "/v1.1/Things",
        json={"name": "Pegel Neckarbrücke", "description": "gauge"},
        headers=bearer(region.key_sensorthings_a),
    )
    assert created.status_code == 201, created.text
    after = client.get(THINGS)
    assert after.headers[HIT_HEADER] == "miss"
    assert "Pegel Neckarbrücke" in after.text


def test_languages_are_kept_apart(client: TestClient) -> None:
    german = client.get("/", headers={"Accept-Language": "de"})
    english = client.get("/", headers={"Accept-Language": "en"})
    assert english.headers[HIT_HEADER] == "miss"
    assert english.text != german.text
    assert client.get("/", headers={"Accept-Language": "en"}).text == english.text


def test_signed_in_readers_are_never_served_or_stored(client: TestClient, region: Region) -> None:
    sign_in(client, region.citizen_email)
    for _ in range(2):
        page = client.get("/")
        assert HIT_HEADER not in page.headers
        assert "Citizen" in page.text
    client.cookies.clear()
    anonymous = client.get("/")
    assert "Citizen" not in anonymous.text
    assert anonymous.headers[HIT_HEADER] == "miss"


def test_a_page_with_a_form_is_never_shared(client: TestClient) -> None:
    seeds = set()
    for _ in range(2):
        client.cookies.clear()
        page = client.get("/login")
        assert HIT_HEADER not in page.headers
        seeds.add(page.cookies["allmende_csrf"])
    assert len(seeds) == 2


def test_a_credential_bypasses_the_cache(client: TestClient, region: Region) -> None:
    client.get(THINGS)
    response = client.get(THINGS, headers=bearer(region.key_sensorthings_a))
    assert HIT_HEADER not in response.headers


def test_zero_seconds_switches_it_off(
    settings: Settings, database: Database, registry: Registry
) -> None:
    app = create_app(
        settings.model_copy(update={"read_cache_seconds": 0}),
        database=database,
        registry=registry,
    )
    with TestClient(app) as client:
        client.get("/")
        assert HIT_HEADER not in client.get("/").headers
