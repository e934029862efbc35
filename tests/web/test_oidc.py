"""OIDC bearer tokens, checked against the keys a real (local) issuer publishes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration
AUDIENCE = "allmende"


class Issuer:
    """An OpenID provider's discovery document and key set, served over HTTP on loopback."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/realms/test"
        self.requests = 0

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests += 1
                if self.path.endswith("/.well-known/openid-configuration"):
                    body: Any = {"issuer": issuer.url, "jwks_uri": issuer.url + "/certs"}
                elif self.path.endswith("/certs"):
                    body = {"keys": [issuer.key.as_dict(private=False)]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def token(self, key: RSAKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 300,
            "sub": "user-1",
            "email": "neu@example.org",
            "name": "Neu",
        }
        payload.update(claims)
        return jwt.encode({"alg": "RS256", "kid": "k1"}, payload, key or self.key)


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    thread = threading.Thread(target=issuer.server.serve_forever, daemon=True)
    thread.start()
    yield issuer
    issuer.server.shutdown()


@pytest.fixture
def oidc_client(
    settings: Settings, database: Database, region: Region, issuer: Issuer
) -> Iterator[TestClient]:
    configured = Settings(
        **{**settings.model_dump(), "oidc_issuer": issuer.url, "oidc_audience": AUDIENCE}
    )
    with TestClient(create_app(configured, database=database, registry=Registry([]))) as client:
        yield client


def _me(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def test_valid_token_for_a_new_person_makes_a_citizen(
    oidc_client: TestClient, issuer: Issuer
) -> None:
    response = _me(oidc_client, issuer.token())
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "citizen"
    assert response.json()["name"] == "Neu"
    assert _me(oidc_client, issuer.token()).json()["kind"] == "user"  # found again, not re-created


def test_token_of_known_staff_carries_their_role(
    oidc_client: TestClient, issuer: Issuer, region: Region
) -> None:
    response = _me(oidc_client, issuer.token(sub="staff-a", email=region.staff_a_email))
    assert response.json()["staff_of"] == ["a-stadt"]


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 600},
        {"iss": "https://other.example/realms/x"},
        {"aud": "someone-else"},
        {"email": None},
    ],
    ids=["expired", "wrong-issuer", "wrong-audience", "no-email"],
)
def test_bad_tokens_are_401(oidc_client: TestClient, issuer: Issuer, claims: dict) -> None:
    response = _me(oidc_client, issuer.token(**claims))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_token_signed_by_another_key_is_401(oidc_client: TestClient, issuer: Issuer) -> None:
    forged = issuer.token(key=RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    assert _me(oidc_client, forged).status_code == 401


def test_keys_are_cached(oidc_client: TestClient, issuer: Issuer) -> None:
    before = issuer.requests
    for _ in range(3):
        assert _me(oidc_client, issuer.token()).status_code == 200
    assert issuer.requests - before == 2  # discovery + key set, once per application
