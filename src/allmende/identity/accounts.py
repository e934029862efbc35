"""Accounts people manage themselves: sign up and confirm, set a forgotten password, change it,
delete the account.

Links in e-mails carry signed tokens (:mod:`allmende.identity.tokens`) bound to the account's
state: a confirmation link to the password chosen at sign-up (a later sign-up with the same
address makes earlier links void), a password link to the current password hash (it works
once). Nothing here says whether an address has an account: :func:`sign_up` answers the same
shape for a new and a known address, and the caller sends a different mail, not a different
page.

Passwords are hashed by the caller before the write (:func:`service.hashed_password`); the
functions here only store hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from allmende.core.errors import NotFound, Unauthorized, ValidationFailed
from allmende.identity import tokens
from allmende.identity.credentials import token_hash
from allmende.identity.models import User, WebSession
from allmende.identity.service import normalise_email
from allmende.identity.tokens import TokenInvalid

CONFIRM = "confirm-email"
PASSWORD = "set-password"  # noqa: S105 - the name of a token purpose
CONFIRM_VALID = timedelta(days=3)
RESET_VALID = timedelta(hours=2)
INVITE_VALID = timedelta(days=7)
#: Sign-ups not confirmed within this time are deleted (the address is free again).
PENDING_DAYS = 7


@dataclass(frozen=True)
class SignUp:
    user_id: int
    email: str
    #: True: a new (or renewed pending) account that needs confirming; False: the address
    #: has an account already (tell its owner by mail, tell the page nothing).
    created: bool


def _pending(user: User) -> bool:
    return not user.is_active and user.email_confirmed_at is None


def sign_up(
    session: Session,
    *,
    email: str,
    display_name: str,
    password_hash: str,
    locale: str | None,
    now: datetime,
) -> SignUp:
    """Make an inactive citizen account awaiting confirmation, or renew a pending one."""
    address = normalise_email(email)
    name = display_name.strip()
    if not name:
        raise ValidationFailed.one("display_name", "must not be empty")
    if len(name) > 200:
        raise ValidationFailed.one("display_name", "must have at most 200 characters")
    session.execute(
        delete(User).where(
            User.is_active.is_(False),
            User.email_confirmed_at.is_(None),
            User.created_at < now - timedelta(days=PENDING_DAYS),
        )
    )
    user = session.scalar(select(User).where(User.email == address))
    if user is not None and not _pending(user):
        return SignUp(user.id, user.email, created=False)
    if user is None:
        user = User(email=address, is_admin=False, is_active=False)
        session.add(user)
    # The latest sign-up wins: whoever holds the mailbox confirms their own password.
    user.display_name = name
    user.password_hash = password_hash
    user.locale = locale
    user.created_at = now
    session.flush()
    return SignUp(user.id, user.email, created=True)


def _fingerprint(user: User) -> str:
    return tokens.fingerprint(user.email, user.password_hash)


def confirmation_token(user: User, *, secret: str, now: datetime) -> str:
    data = {"u": user.id, "f": _fingerprint(user)}
    return tokens.sign(secret, CONFIRM, data, now=now, valid=CONFIRM_VALID)


def _user_of(session: Session, data: dict[str, object]) -> User:
    user_id = data.get("u")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or data.get("f") != _fingerprint(user):
        raise TokenInvalid(detail="The link is no longer valid. Please ask for a new one.")
    return user


def confirm_email(session: Session, *, token: str, secret: str, now: datetime) -> User:
    """Activate the account the link confirms. A second click changes nothing; an account an
    administrator switched off stays off."""
    user = _user_of(session, tokens.verify(secret, CONFIRM, token, now=now))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        user.is_active = True
    session.flush()
    return user


def password_token(
    user: User, *, secret: str, now: datetime, valid: timedelta = RESET_VALID
) -> str:
    """A link token to set a new password (a reset, or an invitation's first password)."""
    data = {"u": user.id, "f": _fingerprint(user)}
    return tokens.sign(secret, PASSWORD, data, now=now, valid=valid)


def password_reset_for(session: Session, *, email: str) -> User | None:
    """The account a reset may be sent to: known and not switched off (a pending sign-up may
    reset: the link proves the address as well as the confirmation would)."""
    try:
        address = normalise_email(email)
    except ValidationFailed:
        return None
    user = session.scalar(select(User).where(User.email == address))
    if user is None or not (user.is_active or _pending(user)):
        return None
    return user


def user_for_password_token(session: Session, *, token: str, secret: str, now: datetime) -> User:
    """The account a password link is for; :class:`TokenInvalid` when it is used or stale."""
    user = _user_of(session, tokens.verify(secret, PASSWORD, token, now=now))
    if not (user.is_active or _pending(user)):
        raise TokenInvalid(detail="This account is switched off.")
    return user


def reset_password(
    session: Session, *, token: str, password_hash: str, secret: str, now: datetime
) -> User:
    """Set the password a link allows; confirms the address and signs out everywhere."""
    user = user_for_password_token(session, token=token, secret=secret, now=now)
    user.password_hash = password_hash
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        user.is_active = True
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def change_password(
    session: Session, *, user_id: int, password_hash: str, keep_session: str | None
) -> User:
    """Store a new password (the caller checked the current one) and end the account's other
    sessions; ``keep_session`` is the token of the session that asked."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized(detail="This account is switched off.")
    user.password_hash = password_hash
    others = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session is not None:
        others = others.where(WebSession.token_hash != token_hash(keep_session))
    session.execute(others)
    session.flush()
    return user


def delete_account(session: Session, *, user_id: int) -> str:
    """Delete the account row (sessions and memberships go with it; records elsewhere keep
    their content and lose the link). Returns the address it had. Modules remove their copies
    of personal data first (``ModuleSpec.erase_account``)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(detail="This account no longer exists.")
    if user.is_admin:
        others = session.scalar(
            select(func.count(User.id)).where(
                User.is_admin.is_(True), User.is_active.is_(True), User.id != user_id
            )
        )
        if not others:
            raise ValidationFailed.one(
                "confirm", "you are the only administrator; make someone else one first"
            )
    address = user.email
    session.delete(user)
    session.flush()
    return address
