"""Business rules of identity: keyword-only functions taking a session; no HTTP here."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from allmende.core.digits import is_digits
from allmende.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import as_utc, utcnow
from allmende.identity import credentials
from allmende.identity.models import (
    ApiKey,
    District,
    Membership,
    Municipality,
    Role,
    User,
    WebSession,
)
from allmende.identity.permissions import ADMIN_SCOPE
from allmende.identity.principal import Principal
from allmende.storage.id_sets import in_set_parameter

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: "webhooks": manage the outgoing webhooks of the key's municipality; "notifications": read
#: and mark the staff notifications (both for tools that act for a municipality's staff);
#: "metrics": read /metrics (unbound keys only: the figures are region-wide).
METRICS_SCOPE = "metrics"
BUILTIN_SCOPES = frozenset(
    {"sensorthings", "open311", "webhooks", "notifications", METRICS_SCOPE, ADMIN_SCOPE}
)


# --- municipalities --------------------------------------------------------------------------


def municipality_by_key(session: Session, *, key: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.key == key))
    if found is None:
        raise NotFound(detail=f"No municipality '{key}'.")
    return found


#: Digits beyond these are no id (ids are 64-bit integers).
MAX_ID_DIGITS = 18


def municipality_id_named(session: Session, named: str) -> int | None:
    """The id of the municipality ``named`` by its key or by its id (the APIs take either);
    None when there is none."""
    if is_digits(named):
        if len(named) > MAX_ID_DIGITS:
            return None
        condition = Municipality.id == int(named)
    elif MUNICIPALITY_KEY.fullmatch(named):
        condition = Municipality.key == named
    else:
        return None
    found = session.scalar(select(Municipality.id).where(condition))
    return None if found is None else int(found)


MUNICIPALITY_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
AGS = re.compile(r"^\d{8}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
#: What :func:`update_municipality` may change (the key is fixed: links and keys name it).
MUNICIPALITY_FIELDS = frozenset(
    {"name", "kind", "ags", "jurisdiction_id", "website", "contact_email", "boundary"}
)


def _text(value: str | None, field: str, limit: int) -> str | None:
    """A stripped optional text, None when empty; refused when longer than ``limit``."""
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed.one(field, f"must have at most {limit} characters")
    return text or None


def _limited(
    values: dict[str, Any], field: str, limit: int, problems: list[FieldError]
) -> str | None:
    """``values[field]`` stripped (None when empty); a problem when longer than ``limit``."""
    text = (values.get(field) or "").strip()
    if len(text) > limit:
        problems.append(FieldError(field, f"must have at most {limit} characters"))
    return text or None


def municipality_problems(
    session: Session, values: dict[str, Any], *, key: str | None, own_id: int | None
) -> list[FieldError]:
    """Every reason the fields of a municipality are refused, each naming its field; the
    values are normalised in place. ``key``: the new municipality's (None: a change of
    ``own_id``, whose own AGS is no clash). Pages show them all at once."""
    problems: list[FieldError] = []
    if key is not None:
        if not MUNICIPALITY_KEY.match(key):
            problems.append(FieldError("key", "use lower-case letters, digits and '-' (max. 40)"))
        elif session.scalar(select(Municipality.id).where(Municipality.key == key)):
            problems.append(FieldError("key", "another municipality has it already"))
    if "name" in values:
        values["name"] = _limited(values, "name", 200, problems)
        if values["name"] is None:
            problems.append(FieldError("name", "must not be empty"))
    if "kind" in values:
        values["kind"] = _limited(values, "kind", 40, problems) or "Gemeinde"
    if "ags" in values:
        values["ags"] = (values.get("ags") or "").strip() or None
        if values["ags"] is not None and not AGS.match(values["ags"]):
            problems.append(FieldError("ags", "an Amtlicher Gemeindeschlüssel has 8 digits"))
    if "jurisdiction_id" in values:
        values["jurisdiction_id"] = _limited(values, "jurisdiction_id", 200, problems)
    if "website" in values:
        values["website"] = _limited(values, "website", 300, problems)
        if values["website"] is not None and not URL.match(values["website"]):
            problems.append(FieldError("website", "must be an http(s) address"))
    if "contact_email" in values:
        contact = _limited(values, "contact_email", 200, problems)
        if contact is not None and (not EMAIL.match(contact.lower()) or len(contact) > 254):
            problems.append(FieldError("contact_email", "is not an e-mail address"))
        values["contact_email"] = contact.lower() if contact else None
    unique = ((Municipality.ags, "ags"), (Municipality.jurisdiction_id, "jurisdiction_id"))
    for column, field in unique:
        if values.get(field) is None or any(p.field == field for p in problems):
            continue
        taken = select(Municipality.id).where(
            column == values[field], Municipality.id != (own_id or 0)
        )
        if session.scalar(taken) is not None:
            problems.append(FieldError(field, "another municipality has it already"))
    boundary = values.get("boundary")
    if boundary is not None and (
        boundary.geom_type not in ("Polygon", "MultiPolygon") or not boundary.is_valid
    ):
        problems.append(FieldError("boundary", "must be a valid polygon or multipolygon"))
    return problems


def _refuse(problems: list[FieldError]) -> None:
    if problems:
        raise ValidationFailed(
            detail="; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems
        )


def create_municipality(
    session: Session,
    *,
    key: str,
    name: str,
    kind: str = "Gemeinde",
    ags: str | None = None,
    jurisdiction_id: str | None = None,
    boundary: BaseGeometry | None = None,
    website: str | None = None,
    contact_email: str | None = None,
) -> Municipality:
    key = key.strip()
    values: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "ags": ags,
        "jurisdiction_id": jurisdiction_id,
        "website": website,
        "contact_email": contact_email,
        "boundary": boundary,
    }
    _refuse(municipality_problems(session, values, key=key, own_id=None))
    boundary = values.pop("boundary")
    municipality = Municipality(key=key, **values)
    municipality.geom = boundary
    session.add(municipality)
    session.flush()
    return municipality


def update_municipality(session: Session, *, key: str, changes: dict[str, Any]) -> Municipality:
    """Change the fields named in ``changes`` (see :data:`MUNICIPALITY_FIELDS`); a
    ``boundary`` of None removes the boundary."""
    unknown = sorted(set(changes) - MUNICIPALITY_FIELDS)
    if unknown:
        raise ValidationFailed.one(unknown[0], "cannot be changed")
    municipality = municipality_by_key(session, key=key)
    values = dict(changes)
    _refuse(municipality_problems(session, values, key=None, own_id=municipality.id))
    if "boundary" in values:
        municipality.geom = values.pop("boundary")
    for name, value in values.items():
        setattr(municipality, name, value)
    session.flush()
    return municipality


def add_district(
    session: Session,
    *,
    municipality_key: str,
    name: str,
    population: int | None = None,
    boundary: BaseGeometry | None = None,
) -> District:
    municipality = municipality_by_key(session, key=municipality_key)
    text = _text(name, "name", 200)
    if text is None:
        raise ValidationFailed.one("name", "must not be empty")
    if population is not None and not 0 <= population <= 100_000_000:
        raise ValidationFailed.one("population", "must be a number from 0 to 100000000")
    _refuse(
        municipality_problems(session, {"boundary": boundary}, key=None, own_id=municipality.id)
    )
    taken = session.scalar(
        select(District.id).where(
            District.municipality_id == municipality.id, District.name == text
        )
    )
    if taken is not None:
        raise Conflict(
            detail=f"{municipality.name} has a district '{text}' already.",
            errors=[FieldError("name", "this municipality has a district of that name already")],
        )
    district = District(municipality_id=municipality.id, name=text, population=population)
    district.geom = boundary
    session.add(district)
    session.flush()
    return district


def remove_district(session: Session, *, municipality_key: str, district_id: int) -> None:
    municipality = municipality_by_key(session, key=municipality_key)
    district = session.get(District, district_id)
    if district is None or district.municipality_id != municipality.id:
        raise NotFound(detail=f"No district {district_id} in {municipality.name}.")
    session.delete(district)
    session.flush()


def list_municipalities(session: Session) -> Sequence[Municipality]:
    """Every municipality, by name."""
    return session.scalars(select(Municipality).order_by(Municipality.name)).all()


def municipality_keys(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """The key of each municipality (of those in ``ids``) by id: the API speaks keys."""
    query = select(Municipality.id, Municipality.key)
    if ids is not None:
        query = query.where(Municipality.id.in_(sorted(set(ids))))
    return {row.id: row.key for row in session.execute(query)}


def municipality_names(session: Session) -> dict[int, str]:
    """The name of each municipality by id, for people to read (pages)."""
    return {row.id: row.name for row in session.execute(select(Municipality.id, Municipality.name))}


# --- users -----------------------------------------------------------------------------------


def region_shapes(
    session: Session, *, municipality_key: str | None = None
) -> list[tuple[Municipality, list[District]]]:
    """The municipalities (or the one of ``municipality_key``, 404 if unknown) by name, each
    with its districts: two queries, whatever the number of municipalities."""
    query = select(Municipality).order_by(Municipality.name)
    if municipality_key is not None:
        query = query.where(
            Municipality.id == municipality_by_key(session, key=municipality_key).id
        )
    places = list(session.scalars(query))
    districts: dict[int, list[District]] = {m.id: [] for m in places}
    for district in session.scalars(
        select(District).where(District.municipality_id.in_(list(districts))).order_by(District.id)
    ):
        districts[district.municipality_id].append(district)
    return [(m, districts[m.id]) for m in places]


def normalise_email(email: str, *, field: str = "email") -> str:
    value = email.strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise ValidationFailed.one(field, "is not an e-mail address")
    return value


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str | None = None,
    password_hash: str | None = None,
    is_admin: bool = False,
    locale: str | None = None,
) -> User:
    """A new account, active at once: administrators, the command line and OIDC make these
    (people who make their own account go through :mod:`allmende.identity.accounts`). Give
    ``password_hash`` (:func:`hashed_password`, computed before the write) rather than
    ``password`` wherever others write meanwhile: an argon2 hash takes the writer for about
    150 ms."""
    address = normalise_email(email)
    if not display_name.strip():
        raise ValidationFailed.one("display_name", "must not be empty")
    if password is not None:
        password_hash = hashed_password(password)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(
            detail=f"A user with e-mail {address} exists already.",
            errors=[FieldError("email", "an account with this address exists already")],
        )
    user = User(
        email=address,
        display_name=display_name.strip()[:200],
        password_hash=password_hash,
        is_admin=is_admin,
        locale=locale,
        email_confirmed_at=utcnow() if password_hash else None,
    )
    session.add(user)
    session.flush()
    return user


def password_refusal(password: str, *, field: str = "password") -> FieldError | None:
    """Why a new password is refused (naming ``field``), or None."""
    problem = credentials.password_problem(password)
    return FieldError(field, problem) if problem else None


def hashed_password(password: str) -> str:
    """The hash to store for a new password, or 422 naming ``password`` when it is too weak.

    Hash before the write transaction that stores it: argon2 takes about 150 ms of CPU."""
    if refusal := password_refusal(password):
        raise ValidationFailed.one(refusal.field, refusal.reason)
    return credentials.hash_password(password)


async def hashed_password_in_workers(password: str) -> str:
    """:func:`hashed_password` in the password workers (:data:`credentials.PASSWORD_WORKERS`):
    off the event loop and the writer, and bounded, so a flood of sign-ups cannot take the CPU."""
    return await credentials.PASSWORD_WORKERS.arun(hashed_password, password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one of ``password_hash`` (call it outside any write)."""
    return credentials.verify_password(password_hash, password)


def user_by_email(session: Session, *, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(detail=f"No user with e-mail {email}.")
    return user


def user_by_id(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(detail=f"No user {user_id}.")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.email)).all()


def set_role(
    session: Session, *, email: str, role: Role, municipality_key: str | None = None
) -> User:
    """Make a user admin, staff of a municipality, or a plain citizen again."""
    user = user_by_email(session, email=email)
    if role is Role.ADMIN:
        user.is_admin = True
    elif role is Role.STAFF:
        if municipality_key is None:
            raise ValidationFailed.one("municipality", "staff needs a municipality")
        add_staff(session, user_id=user.id, municipality_key=municipality_key)
    elif role is Role.CITIZEN:
        user.is_admin = False
        user.memberships.clear()
    else:
        raise ValidationFailed.one("role", "must be admin, staff or citizen")
    session.flush()
    return user


def add_staff(session: Session, *, user_id: int, municipality_key: str) -> User:
    """Make the user staff of the municipality (nothing changes when it is already)."""
    user = user_by_id(session, user_id=user_id)
    municipality = municipality_by_key(session, key=municipality_key)
    if not any(m.municipality_id == municipality.id for m in user.memberships):
        user.memberships.append(Membership(municipality_id=municipality.id, role=Role.STAFF.value))
    session.flush()
    return user


def remove_staff(session: Session, *, user_id: int, municipality_id: int) -> User:
    user = user_by_id(session, user_id=user_id)
    user.memberships[:] = [m for m in user.memberships if m.municipality_id != municipality_id]
    session.flush()
    return user


def set_admin(session: Session, *, user_id: int, admin: bool, acting_user_id: int | None) -> User:
    """Give or take the administrator role. Administrators cannot take it from themselves
    (another one must), so the region never loses its last one."""
    user = user_by_id(session, user_id=user_id)
    if not admin and user.is_admin and user_id == acting_user_id:
        raise ValidationFailed.one("admin", "you cannot take the administrator role from yourself")
    user.is_admin = admin
    session.flush()
    return user


def set_active(session: Session, *, user_id: int, active: bool, acting_user_id: int | None) -> User:
    """Switch an account off (it cannot sign in; its sessions end) or on again."""
    user = user_by_id(session, user_id=user_id)
    if not active and user_id == acting_user_id:
        raise ValidationFailed.one("active", "you cannot switch off your own account")
    user.is_active = active
    if active and user.email_confirmed_at is None and user.password_hash is not None:
        user.email_confirmed_at = utcnow()  # an administrator vouches for a pending sign-up
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    session.flush()
    return user


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        user_id=user.id,
        name=user.display_name,
        is_admin=user.is_admin,
        staff_of=frozenset(
            m.municipality_id for m in user.memberships if m.role == Role.STAFF.value
        ),
    )


# --- web sessions ----------------------------------------------------------------------------


def start_session(
    session: Session, *, user: User, max_age: timedelta, user_agent: str | None = None
) -> str:
    """Create a login and return the token for the cookie (stored only as a hash)."""
    token = credentials.new_session_token()
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_hash=credentials.token_hash(token),
            user_id=user.id,
            expires_at=now + max_age,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token


@dataclass(frozen=True)
class SessionLookup:
    principal: Principal
    expires_at: datetime


def resolve_session(session: Session, *, token: str) -> SessionLookup:
    """The user behind a session cookie; 401 when unknown or expired."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == credentials.token_hash(token))
    ).first()
    if row is None:
        raise Unauthorized(detail="Your session is unknown; please sign in again.")
    web_session, user = row
    if as_utc(web_session.expires_at) <= utcnow():
        raise Unauthorized(detail="Your session has expired; please sign in again.")
    if not user.is_active:
        raise Unauthorized(detail="This account is disabled.")
    return SessionLookup(principal_for_user(user), as_utc(web_session.expires_at))


def end_session(session: Session, *, token: str) -> None:
    session.execute(
        delete(WebSession).where(WebSession.token_hash == credentials.token_hash(token))
    )


# --- API keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedKey:
    key: str  # shown once
    api_key: ApiKey


def create_api_key(
    session: Session,
    *,
    name: str,
    scopes: Sequence[str],
    known_scopes: frozenset[str] = BUILTIN_SCOPES,
    municipality_key: str | None = None,
    created_by_id: int | None = None,
    expires_at: datetime | None = None,
) -> CreatedKey:
    if not name.strip():
        raise ValidationFailed.one("name", "must not be empty")
    unknown = sorted(set(scopes) - known_scopes)
    if unknown:
        raise ValidationFailed.one(
            "scopes", f"unknown: {', '.join(unknown)}; known: {', '.join(sorted(known_scopes))}"
        )
    if not scopes:
        raise ValidationFailed.one("scopes", "name at least one scope")
    municipality_id = (
        municipality_by_key(session, key=municipality_key).id if municipality_key else None
    )
    new = credentials.new_api_key()
    api_key = ApiKey(
        name=name.strip(),
        prefix=new.prefix,
        secret_hash=new.secret_hash,
        scopes=sorted(set(scopes)),
        municipality_id=municipality_id,
        created_by_id=created_by_id,
        expires_at=expires_at,
    )
    session.add(api_key)
    session.flush()
    return CreatedKey(key=new.key, api_key=api_key)


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def revoke_api_key(session: Session, *, key_id: int) -> ApiKey:
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise NotFound(detail=f"No API key {key_id}.")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key


@dataclass(frozen=True)
class KeyLookup:
    principal: Principal
    expires_at: datetime | None


def resolve_api_key(session: Session, *, key: str) -> Principal:
    """The integrator behind an API key; 401 when malformed, unknown, revoked or expired."""
    return look_up_api_key(session, key=key).principal


def look_up_api_key(session: Session, *, key: str) -> KeyLookup:
    """:func:`resolve_api_key` with the moment the key expires (None: never by itself)."""
    parts = credentials.split_api_key(key)
    if parts is None:
        raise Unauthorized(detail="The API key is malformed.")
    prefix, secret = parts
    api_key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if api_key is None or not credentials.secret_matches(secret, api_key.secret_hash):
        raise Unauthorized(detail="The API key is not valid.")
    if api_key.revoked_at is not None:
        raise Unauthorized(detail="The API key has been revoked.")
    if api_key.expires_at is not None and as_utc(api_key.expires_at) <= utcnow():
        raise Unauthorized(detail="The API key has expired.")
    expires = as_utc(api_key.expires_at) if api_key.expires_at is not None else None
    return KeyLookup(_key_principal(api_key), expires)


def key_principals(session: Session, *, key_ids: Collection[int]) -> dict[int, Principal]:
    """The principals of those of the API keys that are neither revoked nor expired, as
    :func:`resolve_api_key` gives them (one statement for all, built once: it runs with
    every group of single Observations)."""
    if not key_ids:
        return {}
    now = utcnow()
    found = session.connection().execute(_KEYS, {"ids": sorted(set(key_ids))})
    return {
        api_key.id: _key_principal(api_key)
        for api_key in found
        if api_key.revoked_at is None
        and (api_key.expires_at is None or as_utc(api_key.expires_at) > now)
    }


_KEYS = select(
    ApiKey.id,
    ApiKey.name,
    ApiKey.scopes,
    ApiKey.municipality_id,
    ApiKey.revoked_at,
    ApiKey.expires_at,
).where(in_set_parameter(ApiKey.id, "ids"))


def _key_principal(api_key: Any) -> Principal:
    """The principal of an ApiKey, or of a row of its columns."""
    return Principal(
        kind="api_key",
        api_key_id=api_key.id,
        name=api_key.name,
        is_admin=ADMIN_SCOPE in api_key.scopes,
        scopes=frozenset(api_key.scopes),
        key_municipality_id=api_key.municipality_id,
    )
