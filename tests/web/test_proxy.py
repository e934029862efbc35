"""Absolute links are right behind a reverse proxy and with a configured base URL."""

from __future__ import annotations

import pytest
from fastapi import Request

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.http.links import absolute_url
from allmende.storage.database import Database
from tests.support.client import TestClient

# Links are HTTP alone: SQLite only (docs/architecture.md, Tests).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


def _app(settings: Settings, database: Database, **changes: object):  # type: ignore[no-untyped-def]
    changed = Settings(**{**settings.model_dump(), **changes})
    app = create_app(changed, database=database, registry=Registry([]))

    @app.get("/probe")
    def probe(request: Request) -> dict[str, str]:
        return {"link": absolute_url(request, "/v1.1/Things")}

    return app


def test_links_follow_forwarded_headers_from_trusted_proxies(
    settings: Settings, database: Database
) -> None:
    app = _app(settings, database, trusted_proxies=["127.0.0.1"])
    app2 = _app(settings, database, trusted_proxies=["*"])
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "daten.example.de",
        "X-Forwarded-Prefix": "/allmende",
    }
    with TestClient(app2) as client:
        link = client.get("/probe", headers=headers).json()["link"]
        assert link == "https://daten.example.de/allmende/v1.1/Things"
        forwarded = client.get(
            "/probe", headers={"Forwarded": 'for=10.0.0.1;proto=https;host="stadt.example"'}
        ).json()["link"]
        assert forwarded == "https://stadt.example/v1.1/Things"
    with TestClient(app) as client:  # the test client's address is not a trusted proxy
        assert client.get("/probe", headers=headers).json()["link"] == (
            "http://testserver/v1.1/Things"
        )


def test_configured_base_url_wins(settings: Settings, database: Database) -> None:
    app = _app(settings, database, base_url="https://open.example.de/plattform/")
    with TestClient(app) as client:
        assert client.get("/probe").json()["link"] == (
            "https://open.example.de/plattform/v1.1/Things"
        )


def _client_probe(settings: Settings, database: Database, trusted: list[str]):  # type: ignore[no-untyped-def]
    changed = Settings(**{**settings.model_dump(), "trusted_proxies": trusted})
    app = create_app(changed, database=database, registry=Registry([]))

    @app.get("/client")
    def client(request: Request) -> dict[str, str]:
        assert request.client is not None
        return {"client": request.client.host, "link": absolute_url(request, "/")}

    return app


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        # nginx appends the address it saw: what the client wrote stays on the left
        ("X-Forwarded-For", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        ("X-Forwarded-For", "1.2.3.4,203.0.113.7, 10.0.0.2", "203.0.113.7"),
        ("X-Forwarded-For", "203.0.113.7", "203.0.113.7"),
        ("X-Forwarded-For", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # only proxies: the farthest
        ("Forwarded", 'for=1.2.3.4, for="203.0.113.7:4711";proto=https', "203.0.113.7"),
        ("Forwarded", 'for=1.2.3.4, for="[2001:db8::7]:80", for=10.0.0.2', "2001:db8::7"),
        ("Forwarded", "for=unknown", "unknown"),
    ],
)
def test_the_client_is_the_right_most_untrusted_address(
    settings: Settings, database: Database, header: str, value: str, expected: str
) -> None:
    app = _client_probe(settings, database, ["127.0.0.1", "10.0.0.0/8"])
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        assert client.get("/client", headers={header: value}).json()["client"] == expected


def test_scheme_and_host_come_from_the_entry_of_the_client(
    settings: Settings, database: Database
) -> None:
    app = _client_probe(settings, database, ["127.0.0.1", "10.0.0.0/8"])
    forwarded = 'for=1.2.3.4;host=evil.example, for=203.0.113.7;proto=https;host="stadt.example"'
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        seen = client.get("/client", headers={"Forwarded": forwarded}).json()
        assert seen == {"client": "203.0.113.7", "link": "https://stadt.example/"}


def test_an_untrusted_peer_keeps_its_own_address(settings: Settings, database: Database) -> None:
    app = _client_probe(settings, database, ["10.0.0.0/8"])
    with TestClient(app, client=("198.51.100.9", 40000)) as client:
        seen = client.get("/client", headers={"X-Forwarded-For": "1.2.3.4"}).json()["client"]
        assert seen == "198.51.100.9"


def test_https_answers_carry_hsts(settings: Settings, database: Database) -> None:
    with TestClient(_app(settings, database), base_url="https://daten.example.de") as client:
        assert client.get("/probe").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(_app(settings, database, trusted_proxies=["*"])) as client:
        behind = client.get("/probe", headers={"X-Forwarded-Proto": "https"})
        assert behind.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in client.get("/probe").headers  # plain http
    quiet = _app(settings, database, hsts_max_age_seconds=0)
    with TestClient(quiet, base_url="https://daten.example.de") as client:
        assert "strict-transport-security" not in client.get("/probe").headers


def test_other_hosts_are_refused_when_hosts_are_listed(
    settings: Settings, database: Database
) -> None:
    app = _app(settings, database, allowed_hosts=["daten.example.de", "*.stadt.example"])
    with TestClient(app, base_url="http://daten.example.de:8000") as client:
        assert client.get("/probe").json()["link"] == "http://daten.example.de:8000/v1.1/Things"
        assert client.get("/probe", headers={"Host": "karte.stadt.example"}).status_code == 200
        evil = client.get("/probe", headers={"Host": "evil.example"})
        assert evil.status_code == 400
        assert evil.json()["detail"] == "The Host header names no host of this installation."
        assert client.get("/probe", headers={"Host": "stadt.example.evil"}).status_code == 400
        assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200
    with TestClient(_app(settings, database)) as client:  # dev and tests: any host
        assert client.get("/probe", headers={"Host": "evil.example"}).status_code == 200
