"""Accounts, roles, sessions and API keys against a real database (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from allmende.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.identity import service
from allmende.identity.models import Role
from allmende.storage.database import Database
from tests.support.region import PASSWORD, Region

pytestmark = pytest.mark.integration


def test_duplicate_email_is_a_conflict(database: Database, region: Region) -> None:
    with pytest.raises(Conflict):
        database.write(
            lambda s: service.create_user(
                s, email="ADMIN@example.org", display_name="x", password=PASSWORD
            )
        )


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("no-at-sign", PASSWORD, "email"), ("ok@example.org", "short", "password")],
)
def test_bad_user_input_names_the_field(
    database: Database, email: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        database.write(
            lambda s: service.create_user(s, email=email, display_name="x", password=password)
        )
    assert info.value.errors[0].field == field


def test_set_role(database: Database, region: Region) -> None:
    def promote(session: Session) -> None:
        service.set_role(
            session, email=region.citizen_email, role=Role.STAFF, municipality_key="b-dorf"
        )

    database.write(promote)
    with database.session() as session:
        user = service.user_by_email(session, email=region.citizen_email)
        assert service.principal_for_user(user).role is Role.STAFF
    database.write(lambda s: service.set_role(s, email=region.citizen_email, role=Role.CITIZEN))
    with database.session() as session:
        user = service.user_by_email(session, email=region.citizen_email)
        assert service.principal_for_user(user).role is Role.CITIZEN
    with pytest.raises(NotFound):
        database.write(
            lambda s: service.set_role(
                s, email=region.citizen_email, role=Role.STAFF, municipality_key="nirgendwo"
            )
        )


def test_sessions_expire(database: Database, region: Region) -> None:
    def start(max_age: timedelta) -> str:
        def run(session: Session) -> str:
            user = service.user_by_email(session, email=region.staff_a_email)
            return service.start_session(session, user=user, max_age=max_age)

        return database.write(run)

    live, dead = start(timedelta(hours=1)), start(timedelta(seconds=-1))
    with database.session() as session:
        assert service.resolve_session(session, token=live).principal.user_id is not None
        with pytest.raises(Unauthorized, match="expired"):
            service.resolve_session(session, token=dead)
        with pytest.raises(Unauthorized):
            service.resolve_session(session, token="forged")
    database.write(lambda s: service.end_session(s, token=live))
    with database.session() as session, pytest.raises(Unauthorized):
        service.resolve_session(session, token=live)


def test_api_keys_revoked_and_expired(database: Database, region: Region) -> None:
    def make(session: Session) -> tuple[int, str, str]:
        active = service.create_api_key(session, name="k", scopes=["sensorthings"])
        expired = service.create_api_key(
            session, name="old", scopes=["sensorthings"], expires_at=utcnow() - timedelta(1)
        )
        return active.api_key.id, active.key, expired.key

    key_id, active, expired = database.write(make)
    with database.session() as session:
        assert service.resolve_api_key(session, key=active).scopes == frozenset({"sensorthings"})
        with pytest.raises(Unauthorized, match="expired"):
            service.resolve_api_key(session, key=expired)
        with pytest.raises(Unauthorized, match="not valid"):
            service.resolve_api_key(session, key=active[:-3] + "xyz")
    database.write(lambda s: service.revoke_api_key(s, key_id=key_id))
    with database.session() as session, pytest.raises(Unauthorized, match="revoked"):
        service.resolve_api_key(session, key=active)


def test_unknown_scope_is_refused(database: Database) -> None:
    with pytest.raises(ValidationFailed) as info:
        database.write(lambda s: service.create_api_key(s, name="k", scopes=["everything"]))
    assert info.value.errors[0].field == "scopes"
