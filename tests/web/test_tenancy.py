"""Tenancy: staff of one municipality cannot read or change the internal data of another.

Exercised through the example module (a notice board), which uses nothing but the SDK's
permission functions, as every module does.
"""

from __future__ import annotations

import pytest

from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration


def _post(client: TestClient, body: dict, headers: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post("/api/notices", json=body, headers=headers or {})


@pytest.fixture
def notices(client: TestClient, region: Region) -> dict[str, int]:
    admin = bearer(region.key_admin)
    ids = {}
    for municipality in ("a-stadt", "b-dorf"):
        for public in (True, False):
            response = _post(
                client,
                {
                    "municipality": municipality,
                    "title": f"{municipality} {public}",
                    "public": public,
                },
                admin,
            )
            assert response.status_code == 201, response.text
            ids[f"{municipality}-{'public' if public else 'internal'}"] = response.json()["id"]
    return ids


def _titles(client: TestClient, headers: dict | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(n["title"] for n in client.get("/api/notices", headers=headers or {}).json())


def test_the_public_sees_public_notices_only(client: TestClient, notices: dict) -> None:
    assert _titles(client) == ["a-stadt True", "b-dorf True"]
    assert client.get(f"/api/notices/{notices['b-dorf-internal']}").status_code == 404


def test_staff_see_their_internal_notices_not_others(
    client: TestClient, region: Region, notices: dict
) -> None:
    sign_in(client, region.staff_a_email)
    assert _titles(client) == ["a-stadt False", "a-stadt True", "b-dorf True"]
    assert client.get(f"/api/notices/{notices['a-stadt-internal']}").status_code == 200
    assert client.get(f"/api/notices/{notices['b-dorf-internal']}").status_code == 404


def test_staff_cannot_change_another_municipality(
    client: TestClient, region: Region, notices: dict
) -> None:
    sign_in(client, region.staff_a_email)
    token = csrf_from(client.get("/login").text)
    headers = {"X-CSRF-Token": token}
    own = client.patch(
        f"/api/notices/{notices['a-stadt-public']}", json={"title": "neu"}, headers=headers
    )
    assert own.status_code == 200
    other = client.patch(
        f"/api/notices/{notices['b-dorf-public']}", json={"title": "gehackt"}, headers=headers
    )
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("application/problem+json")
    created = _post(client, {"municipality": "b-dorf", "title": "x"}, headers)
    assert created.status_code == 403
    deleted = client.delete(f"/api/notices/{notices['b-dorf-public']}", headers=headers)
    assert deleted.status_code == 403
    assert "b-dorf True" in _titles(client)


def test_integrator_keys_stay_in_their_municipality_and_scope(
    client: TestClient, region: Region, notices: dict
) -> None:
    # The A key has the sensorthings scope, not notices: no writes at all.
    response = _post(
        client, {"municipality": "a-stadt", "title": "x"}, bearer(region.key_sensorthings_a)
    )
    assert response.status_code == 403
    assert "scope 'notices'" in response.json()["detail"]
    # Nor does it read internal notices, of A or of B: it reads only through its scopes.
    assert _titles(client, bearer(region.key_sensorthings_a)) == ["a-stadt True", "b-dorf True"]


def test_citizens_and_anonymous_cannot_write(
    client: TestClient, region: Region, notices: dict
) -> None:
    assert _post(client, {"municipality": "a-stadt", "title": "x"}).status_code == 401
    sign_in(client, region.citizen_email)
    token = csrf_from(client.get("/login").text)
    response = _post(client, {"municipality": "a-stadt", "title": "x"}, {"X-CSRF-Token": token})
    assert response.status_code == 403
    assert _titles(client) == ["a-stadt True", "b-dorf True"]


def test_admin_sees_everything(client: TestClient, region: Region, notices: dict) -> None:
    assert len(_titles(client, bearer(region.key_admin))) == 4
