"""Self-made accounts on both backends: sign up, confirm, reset, change, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from allmende.core.errors import ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.identity import accounts, service
from allmende.identity.tokens import TokenInvalid
from allmende.storage.database import Database
from tests.support.region import PASSWORD, Region

pytestmark = pytest.mark.integration
SECRET = "a-secret-key-that-is-long-enough-for-tests"


@pytest.fixture(scope="module")
def hashes() -> tuple[str, str]:
    return service.hashed_password("first password"), service.hashed_password("second password")


def _sign_up(database: Database, email: str, password_hash: str) -> accounts.SignUp:
    return database.write(
        lambda s: accounts.sign_up(
            s,
            email=email,
            display_name="Nina Neu",
            password_hash=password_hash,
            locale="en",
            now=utcnow(),
        )
    )


def _token(database: Database, email: str, kind: str = "confirm") -> str:
    with database.session() as session:
        user = service.user_by_email(session, email=email)
        if kind == "confirm":
            return accounts.confirmation_token(user, secret=SECRET, now=utcnow())
        return accounts.password_token(user, secret=SECRET, now=utcnow())


def test_sign_up_and_confirm(database: Database, region: Region, hashes: tuple[str, str]) -> None:
    made = _sign_up(database, " Nina@Example.org ", hashes[0])
    assert (made.email, made.created) == ("nina@example.org", True)
    with database.session() as session:
        user = service.user_by_email(session, email="nina@example.org")
        assert (user.is_active, user.email_confirmed_at, user.locale) == (False, None, "en")
    token = _token(database, "nina@example.org")
    user = database.write(
        lambda s: accounts.confirm_email(s, token=token, secret=SECRET, now=utcnow())
    )
    assert user.is_active and user.email_confirmed_at is not None
    again = database.write(  # a second click is harmless
        lambda s: accounts.confirm_email(s, token=token, secret=SECRET, now=utcnow())
    )
    assert again.is_active


def test_a_known_address_is_not_changed(
    database: Database, region: Region, hashes: tuple[str, str]
) -> None:
    made = _sign_up(database, region.citizen_email, hashes[0])
    assert made.created is False
    with database.session() as session:
        user = service.user_by_email(session, email=region.citizen_email)
        assert user.display_name == "Citizen" and user.is_active
        assert service.password_matches(user.password_hash, PASSWORD)


def test_the_latest_sign_up_wins(
    database: Database, region: Region, hashes: tuple[str, str]
) -> None:
    _sign_up(database, "nina@example.org", hashes[0])
    first = _token(database, "nina@example.org")
    _sign_up(database, "nina@example.org", hashes[1])  # the mailbox's owner, say
    with pytest.raises(TokenInvalid, match="no longer valid"):
        database.write(
            lambda s: accounts.confirm_email(s, token=first, secret=SECRET, now=utcnow())
        )
    second = _token(database, "nina@example.org")
    user = database.write(
        lambda s: accounts.confirm_email(s, token=second, secret=SECRET, now=utcnow())
    )
    assert service.password_matches(user.password_hash, "second password")


def test_stale_sign_ups_are_removed(
    database: Database, region: Region, hashes: tuple[str, str]
) -> None:
    _sign_up(database, "old@example.org", hashes[0])

    def age(session: Session) -> None:
        service.user_by_email(session, email="old@example.org").created_at = utcnow() - timedelta(
            days=accounts.PENDING_DAYS + 1
        )

    database.write(age)
    _sign_up(database, "new@example.org", hashes[0])
    with database.session() as session:
        emails = [u.email for u in service.list_users(session)]
    assert "old@example.org" not in emails and "new@example.org" in emails


def test_a_password_link_works_once(
    database: Database, region: Region, hashes: tuple[str, str]
) -> None:
    token = _token(database, region.citizen_email, "password")
    database.write(
        lambda s: accounts.reset_password(
            s, token=token, password_hash=hashes[1], secret=SECRET, now=utcnow()
        )
    )
    with pytest.raises(TokenInvalid, match="no longer valid"):
        database.write(
            lambda s: accounts.reset_password(
                s, token=token, password_hash=hashes[0], secret=SECRET, now=utcnow()
            )
        )
    with database.session() as session:
        user = service.user_by_email(session, email=region.citizen_email)
        assert service.password_matches(user.password_hash, "second password")


def test_resets_go_to_known_accounts_that_are_on(database: Database, region: Region) -> None:
    with database.session() as session:
        assert accounts.password_reset_for(session, email="nobody@example.org") is None
        assert accounts.password_reset_for(session, email="not an address") is None
        citizen = accounts.password_reset_for(session, email=region.citizen_email.upper())
        assert citizen is not None
    database.write(
        lambda s: service.set_active(s, user_id=citizen.id, active=False, acting_user_id=None)
    )
    with database.session() as session:
        assert accounts.password_reset_for(session, email=region.citizen_email) is None


def test_the_only_administrator_cannot_delete_the_account(
    database: Database, region: Region
) -> None:
    with database.session() as session:
        admin = service.user_by_email(session, email=region.admin_email).id
    with pytest.raises(ValidationFailed) as info:
        database.write(lambda s: accounts.delete_account(s, user_id=admin))
    assert info.value.errors[0].field == "confirm"
    with database.session() as session:
        citizen = service.user_by_email(session, email=region.citizen_email).id
    assert (
        database.write(lambda s: accounts.delete_account(s, user_id=citizen))
        == region.citizen_email
    )
