"""The one place where permissions are decided.

Roles: a region **admin** may do everything; **staff** read and change the internal data of
their municipalities; an **integrator** (API key) reads internal data and writes only through
the scopes it was given (a scope is the module or standard the records belong to:
``sensorthings``, ``open311``, ``participation``, ``assets`` …), in its municipality or, unbound,
in the region; a **citizen** (user without membership) and the **anonymous** public read what
is public and contribute where a module allows it.

Reading internal records therefore always names its scope: ``can(…, Action.READ_INTERNAL,
scope=…)``, ``readable_municipalities(principal, scope=…)``, ``visible(…, scope=…)`` and
``sees(…, scope=…)``. An API key asked without a scope it holds reads what the public reads.

Every endpoint asks :func:`require` (or filters with :func:`visible`, or checks a loaded record
with :func:`sees`) and nothing else decides.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from allmende.core.errors import Forbidden, Unauthorized
from allmende.identity.principal import Principal

ADMIN_SCOPE = "admin"


class Action(StrEnum):
    READ_INTERNAL = "read_internal"  # see records that are not public
    EDIT = "edit"  # create, change, delete records of a municipality
    CONTRIBUTE = "contribute"  # citizen contributions that need an account
    ADMINISTER = "administer"  # region-wide settings, users, keys


def can(
    principal: Principal,
    action: Action,
    *,
    municipality_id: int | None = None,
    scope: str | None = None,
) -> bool:
    """May ``principal`` do ``action`` in ``municipality_id`` (``None``: region-wide)?"""
    if principal.kind == "api_key":
        return _key_can(principal, action, municipality_id, scope)
    if principal.kind != "user":
        return False
    if principal.is_admin:
        return True
    if action is Action.CONTRIBUTE:
        return True
    if action in (Action.READ_INTERNAL, Action.EDIT):
        return municipality_id is not None and municipality_id in principal.staff_of
    return False


def _key_can(
    principal: Principal, action: Action, municipality_id: int | None, scope: str | None
) -> bool:
    scopes = principal.scopes or frozenset()
    if ADMIN_SCOPE in scopes:
        return True
    if action is Action.ADMINISTER:
        return False
    if scope is not None and scope not in scopes:
        return False
    if action in (Action.EDIT, Action.READ_INTERNAL) and scope is None:
        return False  # an integrator reads and writes only where the scope is named
    bound = principal.key_municipality_id
    return bound is None or municipality_id == bound


def require(
    principal: Principal,
    action: Action,
    *,
    municipality_id: int | None = None,
    scope: str | None = None,
) -> None:
    """Raise 401 for an anonymous caller and 403 for a known one that may not."""
    if can(principal, action, municipality_id=municipality_id, scope=scope):
        return
    if not principal.is_authenticated:
        raise Unauthorized(detail="Sign in or send an API key to do this.")
    if principal.kind == "api_key" and scope is not None and scope not in (principal.scopes or ()):
        raise Forbidden(detail=f"This API key lacks the scope '{scope}'.")
    raise Forbidden(detail="Your account may not do this here.")


def readable_municipalities(principal: Principal, *, scope: str) -> frozenset[int] | None:
    """Municipalities whose internal records of ``scope`` the caller may read; ``None`` means
    all. An API key without ``scope`` (or ``admin``) reads none."""
    if principal.is_admin:
        return None
    if principal.kind == "api_key":
        scopes = principal.scopes or frozenset()
        if ADMIN_SCOPE in scopes:
            return None
        if scope not in scopes:
            return frozenset()
        if principal.key_municipality_id is None:
            return None
        return frozenset({principal.key_municipality_id})
    return principal.staff_of


def visible(
    principal: Principal, municipality_column: Any, public_column: Any, *, scope: str
) -> ColumnElement[bool]:
    """SQL condition: rows that are public, or internal rows of ``scope`` the caller may read."""
    return visible_to(
        readable_municipalities(principal, scope=scope), municipality_column, public_column
    )


def visible_to(
    readable: frozenset[int] | None, municipality_column: Any, public_column: Any
) -> ColumnElement[bool]:
    """:func:`visible` for the caller's :func:`readable_municipalities`: a statement built once
    per set of readable municipalities serves every caller with that set."""
    if readable is None:
        return true()
    internal: ColumnElement[bool] = (
        municipality_column.in_(sorted(readable)) if readable else false()
    )
    return or_(public_column.is_(True), internal)


def sees(principal: Principal, *, municipality_id: int, public: bool, scope: str) -> bool:
    """:func:`visible` for one record already loaded: public, or internal of ``scope`` in a
    municipality the caller may read."""
    if public:
        return True
    readable = readable_municipalities(principal, scope=scope)
    return readable is None or municipality_id in readable
