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


def test_municipalities_are_changed_and_refusals_name_the_field(
    database: Database, region: Region
) -> None:
    from shapely.geometry import box

    def change(session: Session) -> None:
        service.update_municipality(
            session,
            key="b-dorf",
            changes={
                "name": " Bach-Dorf ",
                "website": "https://b-dorf.example",
                "contact_email": "Rathaus@B-Dorf.example",
                "boundary": box(8.7, 49.4, 8.75, 49.45),
            },
        )

    database.write(change)
    with database.session() as session:
        changed = service.municipality_by_key(session, key="b-dorf")
        assert (changed.name, changed.contact_email) == ("Bach-Dorf", "rathaus@b-dorf.example")
        assert changed.geom is not None and changed.geom.bounds == (8.7, 49.4, 8.75, 49.45)
    for changes, field in (
        ({"ags": "08999101"}, "ags"),  # A-Stadt's
        ({"jurisdiction_id": "a-stadt.example"}, "jurisdiction_id"),
        ({"ags": "123"}, "ags"),
        ({"website": "ftp://x"}, "website"),
        ({"name": "  "}, "name"),
        ({"key": "neu"}, "key"),
    ):
        with pytest.raises((ValidationFailed, Conflict)) as info:
            database.write(
                lambda s, c=changes: service.update_municipality(s, key="b-dorf", changes=c)
            )
        assert info.value.errors[0].field == field
    with pytest.raises(ValidationFailed) as duplicate:
        database.write(
            lambda s: service.create_municipality(s, key="a-stadt", name="", ags="08999102")
        )
    assert [e.field for e in duplicate.value.errors] == ["key", "name", "ags"]


def test_districts_are_added_and_removed(database: Database, region: Region) -> None:
    district = database.write(
        lambda s: service.add_district(
            s, municipality_key="a-stadt", name="Altstadt", population=900
        )
    )
    with pytest.raises(Conflict) as info:
        database.write(
            lambda s: service.add_district(s, municipality_key="a-stadt", name="Altstadt")
        )
    assert info.value.errors[0].field == "name"
    with pytest.raises(NotFound):
        database.write(
            lambda s: service.remove_district(s, municipality_key="b-dorf", district_id=district.id)
        )
    database.write(
        lambda s: service.remove_district(s, municipality_key="a-stadt", district_id=district.id)
    )
    with database.session() as session:
        assert service.municipality_by_key(session, key="a-stadt").districts == []


def test_roles_and_switching_off(database: Database, region: Region) -> None:
    with database.session() as session:
        admin = service.user_by_email(session, email=region.admin_email).id
        citizen = service.user_by_email(session, email=region.citizen_email).id

    def start(session: Session) -> str:
        user = service.user_by_id(session, user_id=citizen)
        return service.start_session(session, user=user, max_age=timedelta(hours=1))

    token = database.write(start)
    database.write(lambda s: service.add_staff(s, user_id=citizen, municipality_key="a-stadt"))
    database.write(lambda s: service.add_staff(s, user_id=citizen, municipality_key="a-stadt"))
    with database.session() as session:
        user = service.user_by_id(session, user_id=citizen)
        assert service.principal_for_user(user).staff_of == frozenset({region.municipality_a})
    database.write(
        lambda s: service.remove_staff(s, user_id=citizen, municipality_id=region.municipality_a)
    )
    for change in (
        lambda s: service.set_admin(s, user_id=admin, admin=False, acting_user_id=admin),
        lambda s: service.set_active(s, user_id=admin, active=False, acting_user_id=admin),
    ):
        with pytest.raises(ValidationFailed):
            database.write(change)
    database.write(
        lambda s: service.set_active(s, user_id=citizen, active=False, acting_user_id=admin)
    )
    with database.session() as session, pytest.raises(Unauthorized):
        service.resolve_session(session, token=token)
