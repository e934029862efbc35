"""Absolute links are right behind a reverse proxy and with a configured base URL."""

from __future__ import annotations

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.http.links import absolute_url
from allmende.storage.database import Database

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
