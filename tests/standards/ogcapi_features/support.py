"""Helpers for the OGC API - Features tests."""

from __future__ import annotations

from typing import Any

from httpx import Response

API = "/ogcapi"
GEOJSON = "application/geo+json"


def links(document: dict[str, Any], rel: str) -> list[dict[str, str]]:
    return [link for link in document["links"] if link["rel"] == rel]


def link(document: dict[str, Any], rel: str, kind: str | None = None) -> dict[str, str]:
    found = [x for x in links(document, rel) if kind is None or x["type"] == kind]
    assert len(found) == 1, (rel, kind, document["links"])
    return found[0]


def ids(response: Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["features"]]


def exception(response: Response, status: int) -> dict[str, str]:
    """An OGC API exception with the status; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "description"} and isinstance(body["code"], str)
    return dict(body)
