"""POST requests: the API key, the jurisdiction, the location, the attributes of the service
definition. Every refusal has the specification's status and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from allmende.identity import service as identity
from allmende.storage.database import Database
from tests.standards.conftest import Things
from tests.standards.open311 import spec
from tests.standards.open311.support import V2, A, B, post, valid, xml_list
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def _stored(database: Database) -> list[reports_module.Report]:
    with database.session() as session:
        return list(
            session.scalars(select(reports_module.Report).order_by(reports_module.Report.id))
        )


def _count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count(reports_module.Report.id))) or 0)


def test_a_report_with_attributes_and_personal_data(
    client: TestClient, region: Region, database: Database, things: Things
) -> None:
    response = client.post(
        f"{V2}/requests.json",
        data={
            "api_key": region.key_open311,
            "jurisdiction_id": A,
            "service_code": "tree-damage",
            "lat": "49.45",
            "long": "8.615",
            "attribute[object_id]": str(things.trees_a[1]),
            "attribute[severity]": "high",
            "attribute[parts][]": ["branch", "trunk"],
            "attribute[girth]": "120",
            "description": "Ein Ast hängt\nüber dem Radweg",
            "email": "melderin@example.org",
            "first_name": "Erika",
            "last_name": "Muster",
            "phone": "+49 6221 123",
            "device_id": "device-1",
            "account_id": "acc-1",
            "media_url": "https://example.org/foto.jpg",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    (item,) = valid(response.json(), spec.POSTED)
    assert item["service_notice"] == "Wir prüfen Ihre Meldung." and item["account_id"] is None
    (report,) = _stored(database)
    assert str(report.id) == item["service_request_id"]
    assert report.attributes == {
        "object_id": str(things.trees_a[1]),
        "severity": "high",
        "parts": ["branch", "trunk"],
        "girth": "120",
    }
    assert report.description == "Ein Ast hängt\nüber dem Radweg"
    assert (report.email, report.first_name, report.phone) == (
        "melderin@example.org",
        "Erika",
        "+49 6221 123",
    )


def test_posting_in_xml(client: TestClient, region: Region) -> None:
    response = post(client, region.key_open311, fmt="xml", service_code="pothole")
    assert response.status_code == 200
    (item,) = xml_list(response, "service_requests")
    assert item["service_request_id"] and item["account_id"] is None


@pytest.mark.parametrize("where", ["header-bearer", "header-x-api-key", "query"])
def test_the_key_may_come_as_our_headers_too(
    client: TestClient, region: Region, where: str
) -> None:
    form = {"jurisdiction_id": A, "service_code": "pothole", "address_string": "Markt 1, A-Stadt"}
    url, headers = f"{V2}/requests.json", {}
    if where == "header-bearer":
        headers = {"Authorization": f"Bearer {region.key_open311}"}
    elif where == "header-x-api-key":
        headers = {"X-API-Key": region.key_open311}
    else:
        url += f"?api_key={region.key_open311}"
    response = client.post(url, data=form, headers=headers)
    assert response.status_code == 200, response.text


def _key(database: Database, scopes: list[str], municipality: str | None) -> str:
    return database.write(
        lambda s: (
            identity.create_api_key(
                s, name="test", scopes=scopes, municipality_key=municipality
            ).key
        )
    )


def test_keys_bound_to_a_municipality(
    client: TestClient, region: Region, database: Database
) -> None:
    key_b = _key(database, ["open311"], "b-dorf")
    assert post(client, key_b, service_code="pothole").status_code == 403
    assert post(client, key_b, service_code="pothole", jurisdiction_id=B).status_code == 200
    assert post(client, region.key_admin, service_code="pothole").status_code == 200


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "api_key: "),
        ("", "api_key: "),
        ("alm_unknown_key", "api_key: "),
        ("sensorthings", "api_key: "),
    ],
)
def test_missing_or_wrong_keys_are_403(
    client: TestClient, region: Region, database: Database, key: str | None, reason: str
) -> None:
    if key == "sensorthings":
        key = region.key_sensorthings_a
    for fmt in ("json", "xml"):
        response = post(client, key, fmt=fmt, service_code="pothole")
        assert response.status_code == 403, response.text
    body = post(client, key, service_code="pothole").json()
    valid(body, spec.ERRORS)
    assert body[0]["code"] == 403 and body[0]["description"].startswith(reason)
    assert _count(database) == 0


def test_a_wrong_bearer_header_is_403(
    client: TestClient, region: Region, database: Database
) -> None:
    response = client.post(
        f"{V2}/requests.json",
        data={"jurisdiction_id": A, "service_code": "pothole", "address_string": "Markt"},
        headers={"Authorization": "Bearer alm_nothing_here"},
    )
    assert response.status_code == 403
    assert valid(response.json(), spec.ERRORS)[0]["code"] == 403
    assert _count(database) == 0


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "nothing"}, 404, "service_code"),
        ({"jurisdiction_id": None}, 400, "jurisdiction_id"),
        ({"jurisdiction_id": "nowhere.example"}, 404, "jurisdiction_id"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"long": None}, 400, "long"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "abc"}, 400, "long"),
        ({"lat": "nan"}, 400, "lat"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"attribute[severity]": None}, 400, "attribute[severity]"),
        ({"attribute[severity]": "medium"}, 400, "attribute[severity]"),
        ({"attribute[parts][]": ["branch", "leaf"]}, 400, "attribute[parts]"),
        ({"attribute[girth]": "dick"}, 400, "attribute[girth]"),
        ({"attribute[colour]": "grün"}, 400, "attribute[colour]"),
        ({"attribute[severity][x]": "high"}, 400, "attribute[severity][x]"),
        ({"attribute[severity][]": ["high", "low"]}, 400, "attribute[severity]"),
        ({"attribute[object_id]": "424242"}, 400, "attribute[object_id]"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient,
    region: Region,
    database: Database,
    fields: dict[str, Any],
    status: int,
    field: str,
) -> None:
    base: dict[str, Any] = {"service_code": "tree-damage", "attribute[severity]": "high"}
    response = post(client, region.key_open311, **{**base, **fields})
    assert response.status_code == status, response.text
    (error,) = valid(response.json(), spec.ERRORS)
    assert error["code"] == status
    assert error["description"].startswith(f"{field}: "), error
    assert _count(database) == 0


def test_address_only_and_empty_optional_fields(
    client: TestClient, region: Region, database: Database
) -> None:
    response = post(
        client,
        region.key_open311,
        service_code="pothole",
        lat="",
        long="",
        address_string="Hauptstraße 5, A-Stadt",
        email="",
        description="",
    )
    assert response.status_code == 200, response.text
    (report,) = _stored(database)
    assert report.lat is None and report.email is None and report.description is None
    assert (
        post(
            client, region.key_open311, service_code="pothole", lat="", long="", address_id="4711"
        ).status_code
        == 200
    )


def test_the_body_must_be_a_form(client: TestClient, region: Region, database: Database) -> None:
    response = client.post(
        f"{V2}/requests.json",
        json={"api_key": region.key_open311, "jurisdiction_id": A, "service_code": "pothole"},
    )
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("Content-Type: ")
    with_file = client.post(
        f"{V2}/requests.json",
        data={"api_key": region.key_open311, "jurisdiction_id": A, "service_code": "pothole"},
        files={"media": ("foto.jpg", b"\xff\xd8\xff", "image/jpeg")},
    )
    assert with_file.status_code == 400
    assert with_file.json()[0]["description"].startswith("media: ")
    assert _count(database) == 0


def test_multipart_without_files_is_read_like_a_form(client: TestClient, region: Region) -> None:
    response = client.post(
        f"{V2}/requests.json",
        data={
            "api_key": region.key_open311,
            "jurisdiction_id": A,
            "service_code": "pothole",
            "address_string": "Markt",
        },
        files={"unused": (None, "")},
    )
    assert response.status_code == 200, response.text
