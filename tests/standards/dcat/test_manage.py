"""Staff describe, withdraw and add datasets (JSON API and page); permissions come from
``identity.permissions``: staff of the municipality, admins, keys with the scope ``catalog``."""

from __future__ import annotations

import importlib
import re

import pytest

from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration

OWN = {
    "municipality": "a-stadt",
    "key": "haushalt-a-stadt-2026",
    "title": "Haushaltsplan 2026",
    "description": "Der Haushaltsplan der A-Stadt.",
    "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
    "themes": ["GOVE", "ECON"],
    "links": [
        {
            "title": "Haushaltsplan (PDF)",
            "url": "https://a-stadt.example/haushalt.pdf",
            "format": "PDF",
        }
    ],
}


def _station(client: TestClient, region: Region) -> str:
    created = client.post(
        "/v1.1/Things",
        headers=bearer(region.key_sensorthings_a),
        json={
            "name": "Station",
            "description": "-",
            "properties": {"kind": "weather-station"},
            "Datastreams": [
                {
                    "name": "T",
                    "description": "-",
                    "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                    "unitOfMeasurement": {"name": "Grad", "symbol": "Cel", "definition": "ucum"},
                    "Sensor": {
                        "name": "s",
                        "description": "-",
                        "encodingType": "text/plain",
                        "metadata": "-",
                    },
                    "ObservedProperty": {"name": "T", "definition": "urn:t", "description": "-"},
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    return "sensors-a-stadt-weather-station"


@pytest.mark.parametrize("backend", ["sqlite"])  # the page test below adds on both
def test_staff_add_a_dataset_of_their_own(client: TestClient, region: Region) -> None:
    sign_in(client, region.staff_a_email)
    token = csrf_from(client.get("/open-data").text)
    response = client.post("/api/catalog/datasets", json=OWN, headers={"X-CSRF-Token": token})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["origin"] == "staff" and body["license"] == OWN["license"]
    assert body["attribution"] is None  # dl-zero needs none
    assert body["downloads"] == []
    catalogue = client.get("/catalog.ttl").text
    assert "https://a-stadt.example/haushalt.pdf" in catalogue
    assert "file-type/PDF" in catalogue
    again = client.post("/api/catalog/datasets", json=OWN, headers={"X-CSRF-Token": token})
    assert again.status_code == 409


def test_staff_describe_and_withdraw_an_automatic_dataset(
    client: TestClient, region: Region
) -> None:
    dataset = _station(client, region)
    key = bearer(region.key_admin)
    edited = client.patch(
        f"/api/catalog/datasets/{dataset}",
        json={"title": "Wetter in A-Stadt", "license": "http://dcat-ap.de/def/licenses/cc-by/4.0"},
        headers=key,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Wetter in A-Stadt" and edited.json()["edited"]
    assert "Wetter in A-Stadt" in client.get("/catalog.ttl").text
    assert "licenses/cc-by/4.0" in client.get("/catalog.ttl").text
    hidden = client.patch(f"/api/catalog/datasets/{dataset}", json={"hidden": True}, headers=key)
    assert hidden.json()["hidden"] is True
    assert dataset not in client.get("/catalog.ttl").text
    assert client.get(f"/catalog/datasets/{dataset}/data.csv").status_code == 404
    assert dataset not in [d["id"] for d in client.get("/api/catalog/datasets").json()]
    assert client.delete(f"/api/catalog/datasets/{dataset}", headers=key).status_code == 204
    assert "Wetter in A-Stadt" not in client.get("/catalog.ttl").text
    assert dataset in client.get("/catalog.ttl").text  # the module's description again


REFUSED = [("anonymous", 401), ("citizen", 403), ("staff_b", 403), ("sensorthings_key", 403)]
BAD = [
    ({"license": "http://example.org/meine-lizenz"}, "license"),
    ({"themes": ["WEATHER"]}, "themes"),
    ({"frequency": "SOMETIMES"}, "frequency"),
    ({"contact_email": "kein-mail"}, "contact_email"),
    ({"links": [{"title": "x", "url": "ftp://a-stadt.example/x", "format": "PDF"}]}, "links.url"),
    ({"links": [{"title": "x", "url": "https://x.example", "format": "DOCX"}]}, "links.format"),
    ({"key": "A B"}, "key"),
]


@pytest.mark.parametrize("backend", ["sqlite"])  # rules, not storage
def test_only_who_may_edit_the_municipality_changes_its_catalogue(
    app: object, region: Region
) -> None:
    for who, status in REFUSED:
        with TestClient(app) as client:  # type: ignore[arg-type]
            headers: dict[str, str] = {}
            if who in ("citizen", "staff_b"):
                sign_in(client, region.citizen_email if who == "citizen" else region.staff_b_email)
                headers["X-CSRF-Token"] = csrf_from(client.get("/open-data").text)
            elif who == "sensorthings_key":
                headers = bearer(region.key_sensorthings_a)
            response = client.post("/api/catalog/datasets", json=OWN, headers=headers)
            assert response.status_code == status, who


@pytest.mark.parametrize("backend", ["sqlite"])  # rules, not storage
def test_a_withdrawn_dataset_is_not_found_by_who_may_not_edit_it(
    client: TestClient, region: Region
) -> None:
    """Withdrawn means gone for everyone else: changing or deleting it answers 404, not the
    401 or 403 that would tell that it exists."""
    admin = bearer(region.key_admin)
    created = client.post("/api/catalog/datasets", json={**OWN, "hidden": True}, headers=admin)
    assert created.status_code == 201, created.text
    path = f"/api/catalog/datasets/{OWN['key']}"
    others = {"anonymous": {}, "sensorthings key of A": bearer(region.key_sensorthings_a)}
    for who, headers in others.items():
        assert client.patch(path, json={"title": "x"}, headers=headers).status_code == 404, who
        assert client.delete(path, headers=headers).status_code == 404, who
    assert client.patch(path, json={"title": "x"}).json()["errors"][0]["field"] == "datasetId"
    edited = client.patch(path, json={"description": "Entwurf"}, headers=admin)
    assert edited.status_code == 200 and edited.json()["hidden"] is True
    assert client.delete(path, headers=admin).status_code == 204


@pytest.mark.parametrize("backend", ["sqlite"])  # rules, not storage
def test_bad_input_is_a_422_naming_the_field(client: TestClient, region: Region) -> None:
    for change, field in BAD:
        response = client.post(
            "/api/catalog/datasets", json={**OWN, **change}, headers=bearer(region.key_admin)
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert client.get("/api/catalog/datasets").json() == []  # nothing half-written


def test_the_page_lists_downloads_and_edits_without_javascript(
    client: TestClient, region: Region
) -> None:
    dataset = _station(client, region)
    page = client.get("/open-data")
    assert page.status_code == 200
    assert f"/catalog/datasets/{dataset}/data-excel.csv" in page.text
    assert "<summary>" not in page.text  # the public may not edit
    sign_in(client, region.staff_a_email)
    page = client.get("/open-data")
    response = client.post(
        f"/open-data/datasets/{dataset}",
        data={
            "csrf_token": csrf_from(page.text),
            "title": "Klimamessnetz A-Stadt",
            "description": "Messwerte",
            "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Klimamessnetz A-Stadt" in client.get("/open-data").text
    response = client.post(
        "/open-data/datasets",
        data={
            "csrf_token": csrf_from(page.text),
            "municipality": "a-stadt",
            "key": "baumschnitt",
            "title": "Baumschnitt",
            "description": "Termine",
            "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
            "link_title": "Termine",
            "link_url": "https://a-stadt.example/baumschnitt.csv",
            "link_format": "CSV",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "baumschnitt" in client.get("/catalog.ttl").text


def test_the_page_is_paged_and_a_change_lands_on_its_dataset(
    client: TestClient, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the module, not the router of the same name
    monkeypatch.setattr(importlib.import_module("allmende.standards.dcat.pages"), "PAGE_SIZE", 1)
    _station(client, region)
    sign_in(client, region.staff_a_email)
    created = client.post(
        "/open-data/datasets",
        data={
            "csrf_token": csrf_from(client.get("/open-data").text),
            **{k: OWN[k] for k in ("municipality", "key", "title", "description", "license")},
            "link_title": "Haushaltsplan (PDF)",
            "link_url": "https://a-stadt.example/haushalt.pdf",
            "link_format": "PDF",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    shown = []
    for page in (1, 2):
        html = client.get(f"/open-data?page={page}", headers={"Accept-Language": "en"}).text
        shown += re.findall(r'<section class="dataset" id="([^"]+)"', html)
        pager = re.search(r'<nav class="pager" aria-label="Pages"><ul>(.*?)</ul></nav>', html, re.S)
        assert pager is not None
        assert f'<a href="/open-data?page={page}" aria-current="page">' in pager[1]
    assert sorted(shown) == ["haushalt-a-stadt-2026", "sensors-a-stadt-weather-station"]
    # each change lands on the page that lists the dataset
    at = {dataset: page for page, dataset in enumerate(shown, 1)}
    landing = {1: "/open-data#{}", 2: "/open-data?page=2#{}"}
    assert created.headers["location"] == landing[at["haushalt-a-stadt-2026"]].format(
        "haushalt-a-stadt-2026"
    )
    edited = client.post(
        "/open-data/datasets/sensors-a-stadt-weather-station",
        data={"csrf_token": csrf_from(html), "title": "Klimamessnetz A-Stadt"},
        follow_redirects=False,
    )
    assert edited.headers["location"] == landing[at["sensors-a-stadt-weather-station"]].format(
        "sensors-a-stadt-weather-station"
    )
    german = client.get("/open-data?page=2", headers={"Accept-Language": "de"}).text
    assert 'aria-label="Seiten"' in german and "Vorherige Seite" in german
    assert client.get("/open-data?page=0").status_code == 422
