"""The web shell as a browser without JavaScript sees it: pages, sign-in, language, errors."""

from __future__ import annotations

import re

import pytest

from allmende.app import create_app
from allmende.core.settings import Settings
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import PASSWORD, Region
from tests.support.threads import watch_password_checks
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration


def test_start_page_lists_the_municipalities(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="de"' in page.text
    assert "A-Stadt" in page.text and "B-Dorf" in page.text
    assert 'href="#main"' in page.text and 'id="main"' in page.text  # skip link + target
    assert "Kommunen" in page.text  # German by default


def test_navigation_lists_module_pages(client: TestClient) -> None:
    assert 'href="/notices"' in client.get("/").text


def test_a_module_s_entry_in_the_navigation_keeps_its_words_on_every_page(
    client: TestClient,
) -> None:
    """The heat module's "Heat" is "Hitze"; the energy module's pages translate their own
    "Heat" as "Wärme", which named the heat module's entry there."""
    for path in ("/", "/energy", "/heat"):
        page = client.get(path, headers={"Accept-Language": "de"})
        entry = re.search(r'<a href="/heat"[^>]*>([^<]*)</a>', page.text)
        assert entry is not None and entry.group(1) == "Hitze", path


def test_language_from_accept_language_and_switch(client: TestClient) -> None:
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in english.text and "Municipalities" in english.text
    switched = client.get("/language?lang=en&next=/m/a-stadt", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/m/a-stadt"
    assert "Districts" in client.get("/m/a-stadt").text
    client.get("/language?lang=de&next=/")
    assert "Ortsteile" in client.get("/m/a-stadt").text


def test_language_switch_does_not_redirect_off_site(client: TestClient) -> None:
    response = client.get("/language?lang=en&next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_municipality_page_and_unknown_municipality(client: TestClient) -> None:
    assert "A-Stadt" in client.get("/m/a-stadt").text
    missing = client.get("/m/atlantis", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Nicht gefunden" in missing.text
    api_missing = client.get("/m/atlantis", headers={"Accept": "application/json"})
    assert api_missing.headers["content-type"].startswith("application/problem+json")


def test_sign_in_and_out(client: TestClient, region: Region) -> None:
    sign_in(client, region.staff_a_email)
    account = client.get("/account")
    assert region.staff_a_email in account.text and "A-Stadt" in account.text
    token = csrf_from(account.text)
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_wrong_password_shows_the_form_again(client: TestClient, region: Region) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": region.staff_a_email,
            "password": "falsch",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch" in response.text
    assert 'role="alert"' in response.text


def test_login_without_csrf_token_is_refused(client: TestClient, region: Region) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"email": region.staff_a_email, "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert "allmende_session" not in client.cookies


def test_login_redirects_only_on_site(client: TestClient, region: Region) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": region.staff_a_email,
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def _login(client: TestClient, email: str, password: str, **headers: str) -> int:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    ).status_code


def test_rotating_emails_are_limited_per_address(
    settings: Settings, database: Database, region: Region
) -> None:
    app = create_app(
        settings.model_copy(update={"login_attempts_per_address": 3}), database=database
    )
    with TestClient(app) as client:
        statuses = [_login(client, f"brute{i}@example.org", "wrong password") for i in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert _login(client, region.staff_a_email, PASSWORD) == 429


def test_rotating_addresses_are_limited_per_account(
    settings: Settings, database: Database, region: Region
) -> None:
    """Behind the trusted proxy (127.0.0.1) each request comes from another address."""
    app = create_app(settings, database=database)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        statuses = [
            _login(client, region.staff_a_email, "wrong", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(1, 7)
        ]
        assert statuses == [401] * 5 + [429]
        other = {"X-Forwarded-For": "203.0.113.9"}
        assert _login(client, region.staff_a_email, PASSWORD, **other) == 429  # waits 30 s
        assert _login(client, region.staff_b_email, PASSWORD, **other) == 303  # others don't


def test_passwords_are_checked_outside_the_writer(
    client: TestClient, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = watch_password_checks(monkeypatch)
    assert _login(client, region.staff_a_email, PASSWORD) == 303
    assert len(threads) == 1 and threads[0].startswith("allmende-password")


def test_logout_needs_the_csrf_token(client: TestClient, region: Region) -> None:
    sign_in(client, region.staff_a_email)
    assert client.post("/logout").status_code == 403
    assert client.get("/account", follow_redirects=False).status_code == 200


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "https://tile.openstreetmap.org" in page.headers["content-security-policy"]
    assert page.headers["x-request-id"]


def test_request_id_is_kept_when_sane(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert (
        client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
        != "<script>"
    )


def test_static_pages(client: TestClient) -> None:
    for path, heading in (
        ("/accessibility", "Barrierefreiheit"),
        ("/privacy", "Datenschutz"),
        ("/imprint", "Impressum"),
    ):
        assert heading in client.get(path).text


def test_leaflet_is_served_locally(client: TestClient) -> None:
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/allmende/css/allmende.css").status_code == 200


def test_boundaries_geojson(client: TestClient) -> None:
    data = client.get("/api/region/boundaries").json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["key"] for f in data["features"]} == {"a-stadt", "b-dorf"}
    one = client.get("/api/region/boundaries?municipality=b-dorf").json()
    assert [f["properties"]["name"] for f in one["features"]] == ["B-Dorf"]
    assert client.get("/api/region/boundaries?municipality=nope").status_code == 404


def test_nul_characters_are_a_clear_400(client: TestClient) -> None:
    response = client.get("/api/region/boundaries?municipality=%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_log_lines_carry_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import logging

    from allmende.core.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="allmende.access"):
        response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    records = [r for r in caplog.records if r.name == "allmende.access"]
    assert records, "no access log line"
    line = json.loads(JsonFormatter().format(records[-1]))
    assert response.headers["x-request-id"] == "trace-42"
    assert line["request_id"] == "trace-42"
    assert line["status"] == 200
    assert line["path"] == "/healthz"


def test_405_names_every_allowed_method(client: TestClient) -> None:
    response = client.put("/api/apikeys")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
