"""Business rules of identity: keyword-only functions taking a session; no HTTP here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from allmende.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import as_utc, utcnow
from allmende.identity import credentials
from allmende.identity.models import ApiKey, Membership, Municipality, Role, User, WebSession
from allmende.identity.permissions import ADMIN_SCOPE
from allmende.identity.principal import Principal

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


MUNICIPALITY_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
AGS = re.compile(r"^\d{8}$")


def create_municipality(
    session: Session,
    *,
    key: str,
    name: str,
    kind: str = "Gemeinde",
    ags: str | None = None,
    jurisdiction_id: str | None = None,
    boundary: BaseGeometry | None = None,
) -> Municipality:
    if not MUNICIPALITY_KEY.match(key):
        raise ValidationFailed.one("key", "use lower-case letters, digits and '-' (max. 40)")
    if not name.strip():
        raise ValidationFailed.one("name", "must not be empty")
    if ags is not None and not AGS.match(ags):
        raise ValidationFailed.one("ags", "an Amtlicher Gemeindeschlüssel has 8 digits")
    if session.scalar(select(Municipality.id).where(Municipality.key == key)) is not None:
        raise Conflict(detail=f"A municipality '{key}' exists already.")
    municipality = Municipality(
        key=key, name=name.strip(), kind=kind, ags=ags, jurisdiction_id=jurisdiction_id
    )
    municipality.geom = boundary
    session.add(municipality)
    session.flush()
    return municipality


def list_municipalities(session: Session) -> Sequence[Municipality]:
    return session.scalars(select(Municipality).order_by(Municipality.name)).all()


# --- users -----------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise ValidationFailed.one("email", "is not an e-mail address")
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
    """A new account. Give ``password_hash`` (:func:`hashed_password`, computed before the write)
    rather than ``password`` wherever others write meanwhile: an argon2 hash takes the writer
    for about 150 ms."""
    address = normalise_email(email)
    if not display_name.strip():
        raise ValidationFailed.one("display_name", "must not be empty")
    if password is not None:
        password_hash = hashed_password(password)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(detail=f"A user with e-mail {address} exists already.")
    user = User(
        email=address,
        display_name=display_name.strip(),
        password_hash=password_hash,
        is_admin=is_admin,
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def hashed_password(password: str) -> str:
    """The hash to store for a new password, or 422 naming ``password`` when it is too weak."""
    if problem := credentials.password_problem(password):
        raise ValidationFailed.one("password", problem)
    return credentials.hash_password(password)


def user_by_email(session: Session, *, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(detail=f"No user with e-mail {email}.")
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
        municipality = municipality_by_key(session, key=municipality_key)
        if not any(m.municipality_id == municipality.id for m in user.memberships):
            user.memberships.append(
                Membership(municipality_id=municipality.id, role=Role.STAFF.value)
            )
    elif role is Role.CITIZEN:
        user.is_admin = False
        user.memberships.clear()
    else:
        raise ValidationFailed.one("role", "must be admin, staff or citizen")
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


def resolve_api_key(session: Session, *, key: str) -> Principal:
    """The integrator behind an API key; 401 when malformed, unknown, revoked or expired."""
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
    return Principal(
        kind="api_key",
        api_key_id=api_key.id,
        name=api_key.name,
        is_admin=ADMIN_SCOPE in api_key.scopes,
        scopes=frozenset(api_key.scopes),
        key_municipality_id=api_key.municipality_id,
    )
