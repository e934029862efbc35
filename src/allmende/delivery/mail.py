"""The mail queue: e-mails stored in the caller's transaction and sent by a job.

:func:`send_mail` adds a message to ``delivery_mails`` with the caller's other writes, so a
mail exists exactly when its cause does (the account, the report, the answer), and wakes the
mail job after the commit (:data:`MAIL_QUEUED`). The job renders the template in the
recipient's language and sends it (:mod:`allmende.delivery.mailer`).

Categories decide what a recipient may refuse:

* ``account`` — confirmations, password links, invitations: always sent, never bundled.
* ``updates`` — news about one's own reports, contributions and followed processes: on
  unless the address unsubscribed; bundled into the daily digest if the address asked so.
* ``staff`` — staff notifications by mail: only to staff who opted in; digest as above.

Preferences are kept per address (:class:`MailPreferences`), so people who reported without
an account can unsubscribe as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.events import Event
from allmende.core.timeutil import utcnow
from allmende.delivery.events import EVENT_NAME
from allmende.delivery.models import MailMessage, MailPreference
from allmende.identity.models import User
from allmende.identity.service import normalise_email
from allmende.storage.events import emit

MAIL_QUEUED = "delivery.mail.queued"
CATEGORIES = ("account", "updates", "staff")
#: Categories a recipient may turn off (and so carry an unsubscribe link).
OPTIONAL = ("updates", "staff")
#: ``[<module>/]mail/<name>``: the template ``<name>.txt`` in a ``mail`` template folder.
TEMPLATE_NAME = re.compile(r"^([a-z][a-z0-9_]*/)?mail/[a-z][a-z0-9_]*$")
MAX_CONTEXT_BYTES = 64 * 1024
LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class MailPreferences:
    address: str
    updates: bool = True
    staff_alerts: bool = False
    digest: bool = False


def preferences(session: Session, *, address: str) -> MailPreferences:
    row = session.get(MailPreference, address.strip().lower())
    if row is None:
        return MailPreferences(address=address.strip().lower())
    return MailPreferences(row.address, row.updates, row.staff_alerts, row.digest)


def set_preferences(
    session: Session,
    *,
    address: str,
    updates: bool | None = None,
    staff_alerts: bool | None = None,
    digest: bool | None = None,
) -> MailPreferences:
    """Change what the address receives (None: leave as it is)."""
    key = normalise_email(address)
    row = session.get(MailPreference, key)
    if row is None:
        row = MailPreference(
            address=key, updates=True, staff_alerts=False, digest=False, updated_at=utcnow()
        )
        session.add(row)
    if updates is not None:
        row.updates = updates
    if staff_alerts is not None:
        row.staff_alerts = staff_alerts
    if digest is not None:
        row.digest = digest
        if not digest:  # what waited for the digest goes out now
            session.execute(
                update(MailMessage)
                .where(MailMessage.to_address == key, MailMessage.state == "held")
                .values(state="pending", next_attempt_at=utcnow())
            )
    row.updated_at = utcnow()
    session.flush()
    return preferences(session, address=key)


def unsubscribe(session: Session, *, address: str, category: str) -> MailPreferences:
    """Turn off one optional category for the address (from an unsubscribe link)."""
    if category not in OPTIONAL:
        raise ValidationFailed.one("category", f"must be one of {', '.join(OPTIONAL)}")
    if category == "updates":
        return set_preferences(session, address=address, updates=False)
    return set_preferences(session, address=address, staff_alerts=False)


def forget_address(session: Session, *, address: str) -> None:
    """Remove the address's preferences and every mail to it not yet sent (account deleted)."""
    key = address.strip().lower()
    session.execute(delete(MailPreference).where(MailPreference.address == key))
    session.execute(
        delete(MailMessage).where(
            MailMessage.to_address == key, MailMessage.state.in_(("pending", "held", "outbox"))
        )
    )


def _recipient(session: Session, to: str | int) -> tuple[str, User | None]:
    if isinstance(to, int):
        user = session.get(User, to)
        if user is None:
            raise NotFound(detail=f"No user {to}.")
        return user.email, user
    address = normalise_email(to, field="to")
    return address, session.scalar(select(User).where(User.email == address))


def receives_updates(session: Session, *, user_id: int) -> bool:
    """Whether mails of the category "updates" reach the account (news of what it sent in)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    return preferences(session, address=user.email).updates


def check_template(template: str, field: str = "template") -> None:
    """422 naming ``field`` unless ``template`` is a mail template's name."""
    if not TEMPLATE_NAME.match(template):
        raise ValidationFailed.one(field, "must be <module>/mail/<name> in lower case")


def json_context(context: Mapping[str, Any] | None, field: str = "context") -> dict[str, Any]:
    """A template's context as it will be stored (JSON), or 422 naming ``field``."""
    try:
        encoded = orjson.dumps(dict(context or {}))
    except TypeError as exc:
        raise ValidationFailed.one(field, f"must be JSON: {exc}") from None
    if len(encoded) > MAX_CONTEXT_BYTES:
        raise ValidationFailed.one(field, f"is larger than {MAX_CONTEXT_BYTES} bytes")
    values: dict[str, Any] = orjson.loads(encoded)
    return values


def send_mail(
    session: Session,
    *,
    to: str | int,
    template: str,
    kind: str,
    context: Mapping[str, Any] | None = None,
    category: str = "updates",
    language: str | None = None,
    municipality_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue an e-mail in the caller's transaction; its id, or None when none is sent.

    ``to``: an address, or the id of a user. ``template``: ``<module>/mail/<name>``, the file
    ``templates/<module>/mail/<name>.txt`` of a module (``mail/<name>`` the shell's), with the
    blocks ``subject`` and ``body``.
    ``context``: JSON values the template reads. ``kind``: a dotted name of what happened
    (``assets.report.closed``). ``category``: see the module docstring. ``language``: ``de``
    or ``en``; unset, the recipient's account language or the installation's default.
    ``dedupe_key``: a name of the cause; a second mail with the same key is not queued.

    None means: the recipient turned this category off, the account is switched off, or a
    mail with ``dedupe_key`` was queued before.
    """
    if category not in CATEGORIES:
        raise ValidationFailed.one("category", f"must be one of {', '.join(CATEGORIES)}")
    check_template(template)
    if not EVENT_NAME.match(kind) or len(kind) > 100:
        raise ValidationFailed.one("kind", "must be lower-case words joined by dots")
    if language is not None and not LANGUAGE.match(language):
        raise ValidationFailed.one("language", "must be a two-letter language code")
    values = json_context(context)
    if dedupe_key is not None:
        if not dedupe_key or len(dedupe_key) > 200:
            raise ValidationFailed.one("dedupe_key", "must be 1 to 200 characters")
        if session.scalar(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)):
            return None
    address, user = _recipient(session, to)
    if user is not None and not user.is_active and category != "account":
        return None
    wants = preferences(session, address=address)
    if (category == "updates" and not wants.updates) or (
        category == "staff" and not wants.staff_alerts
    ):
        return None
    now = utcnow()
    held = category in OPTIONAL and wants.digest
    row = MailMessage(
        to_address=address,
        user_id=user.id if user is not None else None,
        language=language or (user.locale if user is not None else None),
        template=template,
        context=values,
        kind=kind,
        category=category,
        municipality_id=municipality_id,
        dedupe_key=dedupe_key,
        state="held" if held else "pending",
        attempts=0,
        created_at=now,
        next_attempt_at=None if held else now,
    )
    session.add(row)
    session.flush()
    if not held:
        emit(session, Event(MAIL_QUEUED, {"id": row.id}))
    return int(row.id)
