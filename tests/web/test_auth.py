"""Credentials: missing, wrong, expired or insufficient ones get 401/403 as problem+json."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from allmende.core.timeutil import utcnow
from allmende.identity.models import ApiKey
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, sign_in

pytestmark = pytest.mark.integration


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_no_credential_is_401(client: TestClient) -> None:
    response = client.get("/api/users")
    _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer alm_aaaaaaaa_" + "x" * 43},  # well-formed, unknown
        {"Authorization": "Bearer not-a-key"},  # malformed
        {"Authorization": "Basic dXNlcjpwdw=="},  # wrong scheme
        {"Authorization": "Bearer"},  # empty
        {"X-API-Key": "alm_aaaaaaaa_" + "y" * 43},
        {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"},  # JWT, no OIDC
    ],
)
def test_wrong_credentials_are_401_even_on_public_endpoints(
    client: TestClient, headers: dict[str, str]
) -> None:
    _problem(client.get("/api/municipalities", headers=headers), 401)


def test_expired_and_revoked_keys_are_401(
    client: TestClient, database: Database, region: Region
) -> None:
    assert client.get("/api/users", headers=bearer(region.key_admin)).status_code == 200
    database.write(
        lambda s: s.execute(update(ApiKey).values(expires_at=utcnow() - timedelta(days=1)))
    )
    body = _problem(client.get("/api/users", headers=bearer(region.key_admin)), 401)
    assert "expired" in body["detail"]


def test_revoking_a_key_stops_it_at_once(client: TestClient, region: Region) -> None:
    admin = bearer(region.key_admin)
    keys = client.get("/api/apikeys", headers=admin).json()
    target = next(k for k in keys if k["name"] == "open311")
    assert client.get("/api/me", headers=bearer(region.key_open311)).json()["kind"] == "api_key"
    assert client.delete(f"/api/apikeys/{target['id']}", headers=admin).status_code == 200
    body = _problem(client.get("/api/me", headers=bearer(region.key_open311)), 401)
    assert "revoked" in body["detail"]


def test_insufficient_role_is_403(client: TestClient, region: Region) -> None:
    _problem(client.get("/api/users", headers=bearer(region.key_sensorthings_a)), 403)
    sign_in(client, region.staff_a_email)
    _problem(client.get("/api/users"), 403)


def test_api_key_is_accepted_in_x_api_key(client: TestClient, region: Region) -> None:
    me = client.get("/api/me", headers={"X-API-Key": region.key_sensorthings_a}).json()
    assert me == {
        "kind": "api_key",
        "role": "integrator",
        "name": "sensors A",
        "is_admin": False,
        "staff_of": [],
        "scopes": ["sensorthings"],
    }


def test_created_key_is_shown_once_and_works(client: TestClient, region: Region) -> None:
    admin = bearer(region.key_admin)
    created = client.post(
        "/api/apikeys",
        json={"name": "Wetterstation", "scopes": ["sensorthings"], "municipality": "b-dorf"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("alm_")
    listed = client.get("/api/apikeys", headers=admin).json()
    assert all("key" not in item and "secret_hash" not in item for item in listed)
    assert client.get("/api/me", headers=bearer(key)).json()["name"] == "Wetterstation"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "", "scopes": ["sensorthings"]}, "body.name"),
        ({"name": "x"}, "body.scopes"),
        (
            {"name": "x", "scopes": ["sensorthings"], "expires_at": "2001-01-01T00:00:00Z"},
            "body.expires_at",
        ),
    ],
)
def test_bad_key_requests_name_the_field(
    client: TestClient, region: Region, body: dict, field: str
) -> None:
    response = client.post("/api/apikeys", json=body, headers=bearer(region.key_admin))
    problem = _problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]]


def test_cookie_authenticated_api_writes_need_the_csrf_token(
    client: TestClient, region: Region
) -> None:
    sign_in(client, region.admin_email)
    body = {"name": "k", "scopes": ["sensorthings"]}
    _problem(client.post("/api/apikeys", json=body), 403)
    token = client.get("/login").text.split('name="csrf_token" value="')[1][:64]
    ok = client.post("/api/apikeys", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


def test_a_stale_session_cookie_means_anonymous(client: TestClient) -> None:
    client.cookies.set("allmende_session", "stale-token")
    response = client.get("/api/me")
    assert response.status_code == 200
    assert response.json()["kind"] == "anonymous"
    assert "allmende_session=;" in response.headers.get("set-cookie", "")
