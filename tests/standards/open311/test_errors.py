"""Errors as the specification wants them: arrays of {code, description} (XML errors/error),
404/403/400, German by default and English on request, also for the framework's own errors."""

from __future__ import annotations

import pytest

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.identity import service as identity
from allmende.storage.database import Database
from tests.standards.open311 import spec
from tests.standards.open311.support import V2, A, valid, xml
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def test_missing_jurisdiction_in_a_region_of_several(client: TestClient, region: Region) -> None:
    for path in ("services.json", "services/pothole.json", "requests.json", "requests/1.json"):
        response = client.get(f"{V2}/{path}")
        assert response.status_code == 400, path
        (error,) = valid(response.json(), spec.ERRORS)
        assert error == {
            "code": 400,
            "description": "jurisdiction_id: ist erforderlich: Dieser Dienst bedient mehrere "
            "Kommunen (a-stadt.example, b-dorf.example)",
        }
    # "optional" means empty is absent
    assert client.get(f"{V2}/services.json?jurisdiction_id=").status_code == 400


def test_unknown_jurisdiction_is_404(client: TestClient, region: Region) -> None:
    response = client.get(f"{V2}/services.xml?jurisdiction_id=nowhere.example")
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "errors"
    assert [e.tag for e in root] == ["error"]
    assert [e.tag for e in root[0]] == ["code", "description"]
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description") == "jurisdiction_id: diese Kommune gibt es nicht"


def test_english_on_request(client: TestClient, region: Region) -> None:
    response = client.get(
        f"{V2}/services.json?jurisdiction_id=nowhere.example",
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.json() == [
        {"code": 404, "description": "jurisdiction_id: no such jurisdiction"}
    ]


def test_several_errors_and_query_errors(client: TestClient, region: Region) -> None:
    for params, field in (
        ({"status": "pending"}, "status"),
        ({"start_date": "gestern"}, "start_date"),
        ({"start_date": "2025-01-01T10:00:00"}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"end_date": "9999-12-31T23:59:59-01:00"}, "end_date"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2025-02-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}, "end_date"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "zehn"}, "page_size"),
        ({"extensions": "vielleicht"}, "extensions"),
        ({"service_request_id": ",".join(str(n) for n in range(1001))}, "service_request_id"),
    ):
        response = client.get(f"{V2}/requests.json", params={"jurisdiction_id": A, **params})
        assert response.status_code == 400, params
        assert response.json()[0]["description"].startswith(f"{field}: "), response.json()


def test_time_refusals_of_the_one_parser_are_german_by_default(
    client: TestClient, region: Region
) -> None:
    for start, reason in (
        ("9999-12-31", "liegt außerhalb der unterstützten Jahre 1583 bis 2999"),
        ("2025-01-01T10:00:00", "braucht eine Zeitzone (Z oder +HH:MM)"),
    ):
        response = client.get(
            f"{V2}/requests.json", params={"jurisdiction_id": A, "start_date": start}
        )
        assert response.json() == [{"code": 400, "description": f"start_date: {reason}"}]


def test_dates_as_clients_send_them(client: TestClient, region: Region) -> None:
    for start in ("2025-01-01", "2025-01-01T00:00:00+01:00", "2025-01-01T00:00:00 01:00"):
        response = client.get(
            f"{V2}/requests.json", params={"jurisdiction_id": A, "start_date": start}
        )
        assert response.status_code == 200, (start, response.text)


def test_framework_errors_are_open311_arrays(client: TestClient, region: Region) -> None:
    response = client.delete(f"{V2}/requests.json")
    assert response.status_code == 405
    assert valid(response.json(), spec.ERRORS)[0] == {
        "code": 405,
        "description": "Methode nicht erlaubt",
    }
    response = client.get(f"{V2}/nothing.xml")
    assert response.status_code == 404
    assert xml(response).findtext("error/description") == "Nicht gefunden"
    response = client.get(f"{V2}/services")  # no format suffix
    assert response.status_code == 404
    valid(response.json(), spec.ERRORS)
    response = client.get(f"{V2}/services.json?jurisdiction_id=%00")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    valid(response.json(), spec.ERRORS)
    response = client.get(f"{V2}/services.xml?jurisdiction_id=%00")
    assert response.status_code == 400 and xml(response).tag == "errors"


def test_a_wrong_credential_on_a_read_is_403(client: TestClient, region: Region) -> None:
    response = client.get(
        f"{V2}/services.json?jurisdiction_id={A}", headers={"X-API-Key": "alm_wrong_key"}
    )
    assert response.status_code == 403
    assert valid(response.json(), spec.ERRORS)[0]["code"] == 403


def test_oversized_bodies_are_refused_in_open311_form(
    client: TestClient, region: Region, settings: Settings
) -> None:
    too_big = settings.upload_max_bytes + 2 * 1024 * 1024
    response = client.post(
        f"{V2}/requests.xml",
        content=b"a=" + b"x" * too_big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert xml(response).findtext("error/code") == "413"


def _single(settings: Settings, database: Database) -> TestClient:
    return TestClient(
        create_app(settings, database=database, registry=Registry([reports_module.MODULE]))
    )


def test_one_jurisdiction_needs_no_jurisdiction_id(settings: Settings, database: Database) -> None:
    client = _single(settings, database)
    response = client.get(f"{V2}/services.json")
    assert response.status_code == 404  # no municipality yet: nothing to serve
    valid(response.json(), spec.ERRORS)
    database.write(
        lambda s: identity.create_municipality(
            s, key="solo", name="Solostadt", jurisdiction_id="solo.example"
        )
    )
    key = database.write(lambda s: identity.create_api_key(s, name="app", scopes=["open311"]).key)
    services = client.get(f"{V2}/services.json").json()
    assert [s["service_code"] for s in services] == ["pothole", "tree-damage", "bulky-waste"]
    assert client.get(f"{V2}/services.json?jurisdiction_id=solo.example").status_code == 200
    assert client.get(f"{V2}/services.json?jurisdiction_id=other.example").status_code == 404
    posted = client.post(
        f"{V2}/requests.json",
        data={"api_key": key, "service_code": "pothole", "address_string": "Markt 1"},
    )
    assert posted.status_code == 200, posted.text
    new_id = posted.json()[0]["service_request_id"]
    assert client.get(f"{V2}/requests/{new_id}.json").status_code == 200
