"""Signing in: the password is checked in its own workers, only the outcome is written, and
each account has a back-off that expires (both backends)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from allmende.core.errors import TooManyRequests, Unauthorized
from allmende.identity import login, service
from allmende.identity.ratelimits import Backoff, RateLimits
from allmende.storage.database import Database
from tests.support.aio import run_to_end
from tests.support.region import PASSWORD, Region
from tests.support.threads import watch_password_checks

pytestmark = pytest.mark.integration
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


#: The policy's shape with fewer free failures, so that the tests check fewer passwords.
QUICK = Backoff(
    "login-account", free_failures=2, base_seconds=30, max_seconds=60, forget_seconds=600
)


def _sign_in(
    database: Database,
    limits: RateLimits,
    email: str,
    password: str,
    backoff: Backoff = login.ACCOUNT_BACKOFF,
) -> str:
    return run_to_end(
        login.sign_in(
            database, limits, email=email, password=password, max_age=HOUR, backoff=backoff
        )
    )


def test_sign_in_starts_a_session_and_records_the_time(database: Database, region: Region) -> None:
    limits = RateLimits(database)
    token = _sign_in(database, limits, " Staff-A@Example.org ", PASSWORD)
    with database.session() as session:
        lookup = service.resolve_session(session, token=token)
        user = service.user_by_email(session, email=region.staff_a_email)
        assert lookup.principal.staff_of == frozenset({region.municipality_a})
        assert user.last_login_at is not None


@pytest.mark.parametrize("email", ["staff-a@example.org", "nobody@example.org"])
def test_wrong_passwords_and_unknown_accounts_get_the_same_answer(
    database: Database, region: Region, email: str
) -> None:
    with pytest.raises(Unauthorized) as info:
        _sign_in(database, RateLimits(database), email, "wrong password")
    assert str(info.value) == "E-mail or password is wrong."


def test_the_password_is_checked_in_the_password_workers(
    database: Database, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never in the SQLite writer or on the event loop, where it would stall everyone."""
    threads = watch_password_checks(monkeypatch)
    limits = RateLimits(database)
    _sign_in(database, limits, region.staff_a_email, PASSWORD)
    with pytest.raises(Unauthorized):
        _sign_in(database, limits, region.staff_b_email, "wrong password")
    assert len(threads) == 2
    assert all(name.startswith("allmende-password") for name in threads), threads


def test_failures_back_off_per_account_and_the_wait_expires(
    database: Database, region: Region
) -> None:
    clock = Clock()
    limits = RateLimits(database, clock=clock)
    email = region.staff_a_email

    def attempt(password: str) -> str:
        try:
            _sign_in(database, limits, email, password, QUICK)
        except (Unauthorized, TooManyRequests) as refused:
            return str(refused)
        return "signed in"

    wrong = "E-mail or password is wrong."
    assert [attempt("wrong password") for _ in range(QUICK.free_failures)] == [wrong, wrong]
    # now even the right password waits (and is not checked)
    assert attempt(PASSWORD) == "Too many failed sign-ins. Try again in 30 seconds."
    clock.now += 30  # the wait expires; one more failure doubles it
    assert attempt("wrong password") == wrong
    assert attempt(PASSWORD) == "Too many failed sign-ins. Try again in 60 seconds."
    clock.now += 60  # the owner gets in once it has passed, which clears the failures
    assert attempt(PASSWORD) == "signed in"
    assert attempt("wrong password") == wrong


def test_accounts_that_do_not_exist_back_off_alike(database: Database, region: Region) -> None:
    limits = RateLimits(database)
    for _ in range(QUICK.free_failures):
        with pytest.raises(Unauthorized):
            _sign_in(database, limits, "nobody@example.org", "wrong password", QUICK)
    with pytest.raises(TooManyRequests):
        _sign_in(database, limits, "nobody@example.org", "wrong password", QUICK)


def test_the_back_off_is_capped() -> None:
    policy = login.ACCOUNT_BACKOFF
    waits = [policy.wait_after(n) for n in range(1, 15)]
    assert waits[: policy.free_failures - 1] == [0] * (policy.free_failures - 1)
    assert waits[policy.free_failures - 1 : policy.free_failures + 2] == [30, 60, 120]
    assert max(waits) == policy.max_seconds == 15 * 60


def test_a_disabled_account_cannot_sign_in(database: Database, region: Region) -> None:
    def disable(session):  # type: ignore[no-untyped-def]
        service.user_by_email(session, email=region.citizen_email).is_active = False

    database.write(disable)
    with pytest.raises(Unauthorized):
        _sign_in(database, RateLimits(database), region.citizen_email, PASSWORD)
