"""HTTP Basic with the API key as the password (any user name), as FROST-Server accepts it."""

from __future__ import annotations

import base64

import pytest

from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("user", ["", "anyone", "sensor-7"])
def test_the_key_as_basic_password_authenticates_whatever_the_user_name(
    client: TestClient, region: Region, user: str
) -> None:
    response = client.get("/api/users", headers=basic(user, region.key_admin))
    assert response.status_code == 200, response.text


def test_a_key_in_the_user_name_with_no_password_authenticates(
    client: TestClient, region: Region
) -> None:
    assert client.get("/api/users", headers=basic(region.key_admin, "")).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        basic("anyone", "alm_aaaaaaaa_" + "x" * 43),  # well-formed, unknown
        basic("anyone", "wrong"),  # malformed key
        basic("", ""),  # nothing
        {"Authorization": "Basic %%%not-base64"},
    ],
)
def test_a_wrong_basic_credential_is_401_with_a_basic_challenge(
    client: TestClient, header: dict[str, str]
) -> None:
    response = client.get("/api/municipalities", headers=header)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Basic realm="allmende", charset="UTF-8"'


def test_sensorthings_answers_a_wrong_basic_key_with_a_basic_challenge(
    client: TestClient,
) -> None:
    response = client.post(
        "/v1.1/Things", json={"name": "x", "description": "y"}, headers=basic("u", "nope")
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_a_missing_credential_still_gets_a_bearer_challenge(client: TestClient) -> None:
    """A Basic challenge would make browsers pop up their own login dialog."""
    response = client.get("/api/users")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="allmende"'
