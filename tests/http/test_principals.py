"""Principals kept between requests: used again only while nothing has been committed, so a
revoked key, an ended session, a switched-off account or a taken role holds at the next request."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from allmende.core.errors import Unauthorized
from allmende.core.timeutil import utcnow
from allmende.http.principals import PrincipalCache
from allmende.identity import service
from allmende.identity.models import ApiKey, User
from allmende.identity.principal import Principal
from allmende.storage.database import Database
from allmende.storage.version import DataVersion
from tests.support.aio import run_to_end
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration

#: A kept principal is promised on SQLite, whose data version moves only with this database's
#: commits; on PostgreSQL any writer of the cluster moves it (see tests/http/test_cache.py).
KEPT_PROMISED = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class Lookups:
    """A key's real lookup that counts how often it ran."""

    def __init__(self, database: Database, key: str) -> None:
        self.database, self.key, self.count = database, key, 0

    def __call__(self) -> tuple[Principal, datetime | None]:
        self.count += 1
        with self.database.session() as session:
            found = service.look_up_api_key(session, key=self.key)
        return found.principal, found.expires_at


def _principal(cache: PrincipalCache, key: str, look_up: Lookups) -> Principal:
    return run_to_end(cache.principal("key", key, look_up))


@KEPT_PROMISED
def test_a_principal_is_kept_until_something_is_committed(
    database: Database, region: Region
) -> None:
    version = DataVersion(database)
    cache, look_up = PrincipalCache(version), Lookups(database, region.key_admin)
    try:
        first = _principal(cache, region.key_admin, look_up)
        assert _principal(cache, region.key_admin, look_up) == first
        assert look_up.count == 1
        database.write(lambda s: s.execute(update(User).values(display_name="Jemand")))
        assert _principal(cache, region.key_admin, look_up) == first
        assert look_up.count == 2
    finally:
        version.close()


def test_a_revoked_key_is_refused_at_the_next_lookup(database: Database, region: Region) -> None:
    version = DataVersion(database)
    cache, look_up = PrincipalCache(version), Lookups(database, region.key_open311)
    try:
        assert _principal(cache, region.key_open311, look_up).kind == "api_key"
        database.write(lambda s: s.execute(update(ApiKey).values(revoked_at=utcnow())))
        with pytest.raises(Unauthorized, match="revoked"):
            _principal(cache, region.key_open311, look_up)
        with pytest.raises(Unauthorized, match="revoked"):  # a refusal is never kept
            _principal(cache, region.key_open311, look_up)
        assert look_up.count == 3
    finally:
        version.close()


@KEPT_PROMISED
def test_a_kept_credential_expires_by_itself(database: Database, region: Region) -> None:
    version = DataVersion(database)
    cache = PrincipalCache(version)
    principal = Principal(kind="api_key", name="kept")
    try:
        now = version.current()
        cache._put("key", "soon", now, principal, utcnow() + timedelta(hours=1))
        cache._put("key", "gone", now, principal, utcnow() - timedelta(seconds=1))
        assert cache._get("key", "soon", now) is principal
        assert cache._get("key", "gone", now) is None
        assert cache._get("session", "soon", now) is None  # the kind is part of the key
    finally:
        version.close()


def test_the_cache_holds_at_most_its_size(database: Database) -> None:
    version = DataVersion(database)
    cache = PrincipalCache(version, max_entries=2)
    principal = Principal(kind="api_key", name="kept")
    try:
        for credential in ("one", "two", "three"):
            cache._put("key", credential, "v", principal, None)
        assert cache._get("key", "one", "v") is None
        assert cache._get("key", "three", "v") is principal
        cache._put("key", "four", None, principal, None)  # no version: nothing kept
        assert cache._get("key", "four", None) is None
    finally:
        version.close()


def _me(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, object]:
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"allmende_session={token}"}


def test_a_session_signed_out_is_anonymous_at_the_next_request(
    client: TestClient, region: Region
) -> None:
    sign_in(client, region.citizen_email)
    token = client.cookies["allmende_session"]
    assert _me(client)["kind"] == "user"
    csrf = csrf_from(client.get("/").text)  # the sign-out form of every page
    signed_out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert signed_out.status_code == 303
    client.cookies.clear()
    assert _me(client, _cookie(token))["kind"] == "anonymous"


def test_an_account_switched_off_is_anonymous_at_the_next_request(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.citizen_email)
    assert _me(client)["kind"] == "user"
    database.write(
        lambda s: s.execute(
            update(User).where(User.email == region.citizen_email).values(is_active=False)
        )
    )
    assert _me(client)["kind"] == "anonymous"


def test_a_role_taken_holds_at_the_next_request(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.staff_a_email)
    assert _me(client)["staff_of"] == ["a-stadt"]

    def take(session: Session) -> None:
        user = service.user_by_email(session, email=region.staff_a_email)
        service.remove_staff(session, user_id=user.id, municipality_id=region.municipality_a)

    database.write(take)
    assert _me(client)["staff_of"] == []


def test_a_key_revoked_by_another_process_is_refused_at_once(
    client: TestClient, database: Database, region: Region
) -> None:
    key = bearer(region.key_sensorthings_a)
    assert _me(client, key)["kind"] == "api_key"
    other = Database(database.url)  # its own connections, as another worker's
    try:
        other.write(lambda s: s.execute(update(ApiKey).values(revoked_at=utcnow())))
    finally:
        other.close()
    response = client.get("/api/me", headers=key)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
