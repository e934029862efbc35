"""The permission rules, role by role. All checks in Allmende go through these functions."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, create_engine, select

from allmende.core.errors import Forbidden, Unauthorized
from allmende.identity.models import Role
from allmende.identity.permissions import (
    Action,
    can,
    readable_municipalities,
    require,
    sees,
    visible,
)
from allmende.identity.principal import ANONYMOUS, Principal, acting_for

pytestmark = pytest.mark.unit

A, B = 1, 2
ADMIN = Principal(kind="user", user_id=1, is_admin=True)
STAFF_A = Principal(kind="user", user_id=2, staff_of=frozenset({A}))
CITIZEN = Principal(kind="user", user_id=3)
KEY_A = Principal(
    kind="api_key", api_key_id=1, scopes=frozenset({"sensorthings"}), key_municipality_id=A
)
KEY_UNBOUND = Principal(kind="api_key", api_key_id=2, scopes=frozenset({"open311"}))
KEY_ADMIN = Principal(kind="api_key", api_key_id=3, scopes=frozenset({"admin"}), is_admin=True)
#: A module's job working for A (its maps, its zones).
JOB_FOR_A = acting_for(A, name="heat")


@pytest.mark.parametrize(
    ("principal", "action", "municipality", "scope", "allowed"),
    [
        (ADMIN, Action.ADMINISTER, None, None, True),
        (ADMIN, Action.EDIT, B, "sensorthings", True),
        (STAFF_A, Action.EDIT, A, None, True),
        (STAFF_A, Action.READ_INTERNAL, A, None, True),
        (STAFF_A, Action.EDIT, B, None, False),
        (STAFF_A, Action.READ_INTERNAL, B, None, False),
        (STAFF_A, Action.ADMINISTER, None, None, False),
        (STAFF_A, Action.EDIT, None, None, False),
        (CITIZEN, Action.CONTRIBUTE, A, None, True),
        (CITIZEN, Action.READ_INTERNAL, A, None, False),
        (CITIZEN, Action.EDIT, A, None, False),
        (ANONYMOUS, Action.CONTRIBUTE, A, None, False),
        (ANONYMOUS, Action.READ_INTERNAL, A, None, False),
        (KEY_A, Action.EDIT, A, "sensorthings", True),
        (KEY_A, Action.EDIT, B, "sensorthings", False),
        (KEY_A, Action.EDIT, A, "open311", False),
        (KEY_A, Action.EDIT, A, None, False),
        (KEY_A, Action.READ_INTERNAL, A, "sensorthings", True),
        (KEY_A, Action.READ_INTERNAL, B, "sensorthings", False),
        (KEY_A, Action.READ_INTERNAL, A, "participation", False),
        (KEY_A, Action.READ_INTERNAL, A, None, False),  # a key reads through a named scope
        (KEY_UNBOUND, Action.READ_INTERNAL, B, "open311", True),
        (KEY_UNBOUND, Action.READ_INTERNAL, B, "sensorthings", False),
        (KEY_A, Action.ADMINISTER, None, None, False),
        (KEY_UNBOUND, Action.EDIT, B, "open311", True),
        (KEY_UNBOUND, Action.EDIT, B, "sensorthings", False),
        (KEY_ADMIN, Action.ADMINISTER, None, None, True),
        (KEY_ADMIN, Action.EDIT, B, "anything", True),
    ],
)
def test_can(
    principal: Principal,
    action: Action,
    municipality: int | None,
    scope: str | None,
    allowed: bool,
) -> None:
    assert can(principal, action, municipality_id=municipality, scope=scope) is allowed


def test_require_says_401_to_the_anonymous_and_403_to_the_known() -> None:
    with pytest.raises(Unauthorized):
        require(ANONYMOUS, Action.EDIT, municipality_id=A)
    with pytest.raises(Forbidden):
        require(STAFF_A, Action.EDIT, municipality_id=B)
    with pytest.raises(Forbidden, match="scope 'open311'"):
        require(KEY_A, Action.EDIT, municipality_id=A, scope="open311")


ALL = None
NONE: frozenset[int] = frozenset()


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (ADMIN, {"sensorthings": ALL, "open311": ALL, "participation": ALL}),
        (STAFF_A, dict.fromkeys(("sensorthings", "open311", "participation"), frozenset({A}))),
        (CITIZEN, dict.fromkeys(("sensorthings", "open311", "participation"), NONE)),
        (ANONYMOUS, dict.fromkeys(("sensorthings", "open311", "participation"), NONE)),
        (KEY_A, {"sensorthings": frozenset({A}), "open311": NONE, "participation": NONE}),
        (KEY_UNBOUND, {"sensorthings": NONE, "open311": ALL, "participation": NONE}),
        (KEY_ADMIN, {"sensorthings": ALL, "open311": ALL, "participation": ALL}),
    ],
)
def test_readable_municipalities_follow_the_scopes(
    principal: Principal, expected: dict[str, frozenset[int] | None]
) -> None:
    assert {scope: readable_municipalities(principal, scope=scope) for scope in expected} == (
        expected
    )


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (ADMIN, {(A, False), (B, False), (A, True), (B, True)}),
        (STAFF_A, {(A, False), (A, True), (B, True)}),
        (JOB_FOR_A, {(A, False), (A, True), (B, True)}),  # never B's internal records
        (CITIZEN, {(A, True), (B, True)}),
        (ANONYMOUS, {(A, True), (B, True)}),
        (KEY_A, {(A, False), (A, True), (B, True)}),  # its scope, bound to A
        (KEY_UNBOUND, {(A, True), (B, True)}),  # lacks the scope
        (KEY_ADMIN, {(A, False), (B, False), (A, True), (B, True)}),
    ],
)
def test_sees_a_loaded_record_as_visible_filters_rows(
    principal: Principal, expected: set[tuple[int, bool]]
) -> None:
    rows = [(A, False), (B, False), (A, True), (B, True)]
    table = Table(
        "records", MetaData(), Column("municipality_id", Integer), Column("public", Boolean)
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"municipality_id": m, "public": p} for m, p in rows])
        filtered = {
            (m, p)
            for m, p in connection.execute(
                select(table.c.municipality_id, table.c.public).where(
                    visible(
                        principal, table.c.municipality_id, table.c.public, scope="sensorthings"
                    )
                )
            )
        }
    seen = {
        (m, p)
        for m, p in rows
        if sees(principal, municipality_id=m, public=p, scope="sensorthings")
    }
    assert seen == filtered == expected


def test_roles() -> None:
    assert ADMIN.role is Role.ADMIN
    assert STAFF_A.role is Role.STAFF
    assert CITIZEN.role is Role.CITIZEN
    assert KEY_A.role is Role.INTEGRATOR
    assert ANONYMOUS.role is Role.ANONYMOUS
