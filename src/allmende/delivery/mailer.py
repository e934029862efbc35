"""The mail jobs: send what is queued, bundle daily digests, mail staff notifications.

* ``delivery.mail`` (woken by :data:`~allmende.delivery.mail.MAIL_QUEUED`, every 30 s):
  renders up to :data:`BATCH` due mails in their recipients' languages and sends them over
  one SMTP connection, outside any transaction. Without ``smtp_host`` they land in the
  outbox (state ``outbox``) that administrators read at ``/admin/outbox``. A temporary
  failure is tried again after 1, 2, 4 … minutes (at most an hour apart) until the mail is
  ``mail_max_age_seconds`` old; a permanent one (a 5xx answer, a template that cannot be
  rendered) fails at once. Sent mails keep their subject, not their body or context (links
  in them may be secrets); after ``mail_keep_days`` they are deleted.
* ``delivery.mail_digest`` (every 10 minutes): after ``mail_digest_hour`` (region time),
  each address with mails held for its digest gets one mail with all of them.
* ``delivery.staff_mail`` (woken by ``delivery.notification.created``, every minute): each
  new staff notification is mailed to the staff of its municipality (the administrators for
  the region's own) who opted in, with the module's template in each one's language where
  the notification names one. Notifications are read after a cursor and again for the
  last ten minutes (a late commit on PostgreSQL); a dedupe key per notification and person
  keeps each mail single.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from allmende.core.registry import JobSpec
from allmende.core.timeutil import as_utc, utcnow
from allmende.delivery import smtp
from allmende.delivery.mail import MAIL_QUEUED, OPTIONAL, send_mail
from allmende.delivery.models import Cursor, MailMessage, MailPreference, Notification
from allmende.delivery.notifications import NOTIFICATION_CREATED
from allmende.identity import tokens
from allmende.identity.models import Membership, Municipality, Role, User
from allmende.storage.id_sets import in_set

log = logging.getLogger(__name__)

BATCH = 50
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
#: Times of day are the region's (the digest hour).
REGION_ZONE = ZoneInfo("Europe/Berlin")
UNSUBSCRIBE_PATH = "/mail/unsubscribe"
UNSUBSCRIBE = "unsubscribe"
FALLBACK_BASE_URL = "http://localhost:8000"
STAFF_CURSOR = "staff-mail"
OVERLAP = timedelta(minutes=10)
DIGEST_ADDRESSES = 200
FINISHED = ("sent", "failed", "outbox", "digested")


@dataclass(frozen=True)
class Rendered:
    subject: str
    #: The whole mail: greeting, body, signature and unsubscribe link.
    text: str
    language: str
    #: The body alone (what a digest shows of it).
    body: str


#: ``render(template, context, language)``: the mail in ``language`` (None: the default).
Render = Callable[[str, dict[str, Any], str | None], Rendered]


def base_url(settings: Any, context: dict[str, Any]) -> str:
    """Where links in a mail point: ``base_url``, else (dev and demo only) the address of the
    request that queued the mail, else localhost."""
    found = settings.base_url or context.get("base_url") or FALLBACK_BASE_URL
    return str(found).rstrip("/")


def unsubscribe_url(secret: str, base: str, *, address: str, category: str, now: datetime) -> str:
    token = tokens.sign(secret, UNSUBSCRIBE, {"a": address, "c": category}, now=now, valid=None)
    return f"{base}{UNSUBSCRIBE_PATH}?t={token}"


def _render(
    row: MailMessage, settings: Any, render: Render, now: datetime
) -> tuple[smtp.Outgoing, Rendered]:
    stored = row.context if isinstance(row.context, dict) else {}
    base = base_url(settings, stored)
    unsubscribe = (
        unsubscribe_url(
            settings.signing_key, base, address=row.to_address, category=row.category, now=now
        )
        if row.category in OPTIONAL
        else None
    )
    context = {
        **stored,
        "base_url": base,
        "region_name": settings.region_name,
        "unsubscribe_url": unsubscribe,
        "category": row.category,
    }
    rendered = render(row.template, context, row.language)
    outgoing = smtp.Outgoing(
        mail_id=row.id,
        to=row.to_address,
        subject=rendered.subject,
        text=rendered.text,
        language=rendered.language,
        unsubscribe_url=unsubscribe,
    )
    return outgoing, rendered


def _retry_after(attempts: int) -> timedelta:
    wait: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(wait, MAX_RETRY)


def send_round(
    database: Any, settings: Any, render: Render, *, now: datetime | None = None
) -> list[smtp.Outcome]:
    """One round of the send job; returns the outcomes (for tests)."""
    now = now or utcnow()
    with database.session() as session:
        rows = session.scalars(
            select(MailMessage)
            .where(MailMessage.state == "pending", MailMessage.next_attempt_at <= now)
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(BATCH)
        ).all()
    ready: list[smtp.Outgoing] = []
    outcomes: list[smtp.Outcome] = []
    for row in rows:
        try:
            ready.append(_render(row, settings, render, now)[0])
        except Exception as exc:  # a broken template must not stop the others
            log.exception("mail could not be rendered", extra={"mail_id": row.id})
            outcomes.append(smtp.Outcome(row.id, False, True, f"template: {exc}"[:500]))
    if settings.smtp_host:
        outcomes.extend(smtp.send_batch(ready, settings))
    rendered = {m.mail_id: m for m in ready}
    if outcomes or ready:
        max_age = timedelta(seconds=settings.mail_max_age_seconds)
        database.write(
            lambda s: _record(
                s,
                outcomes,
                rendered,
                outbox=not settings.smtp_host,
                now=utcnow(),
                max_age=max_age,
            )
        )
    if rows or not settings.smtp_host:
        keep = timedelta(days=settings.mail_keep_days)
        database.write(lambda s: _purge(s, before=now - keep))
    return outcomes


def _record(
    session: Session,
    outcomes: list[smtp.Outcome],
    rendered: dict[int, smtp.Outgoing],
    *,
    outbox: bool,
    now: datetime,
    max_age: timedelta,
) -> None:
    ids = sorted({*rendered, *(o.mail_id for o in outcomes)})
    found = session.scalars(select(MailMessage).where(in_set(MailMessage.id, ids)))
    rows = {r.id: r for r in found}
    if outbox:
        for mail_id, outgoing in rendered.items():
            row = rows.get(mail_id)
            if row is not None and row.state == "pending":
                row.state, row.sent_at = "outbox", now
                row.subject, row.body = outgoing.subject, outgoing.text
    for outcome in outcomes:
        row = rows.get(outcome.mail_id)
        if row is None or row.state != "pending":
            continue
        row.attempts += 1
        row.last_error = outcome.error
        done = rendered.get(outcome.mail_id)
        row.subject = done.subject if done is not None else row.subject
        if outcome.sent:
            row.state, row.sent_at, row.context, row.body = "sent", now, {}, None
        elif outcome.permanent or now - as_utc(row.created_at) >= max_age:
            row.state, row.context = "failed", {}
        else:
            row.next_attempt_at = now + _retry_after(row.attempts)
    session.flush()


def _purge(session: Session, *, before: datetime) -> None:
    session.execute(
        delete(MailMessage).where(MailMessage.state.in_(FINISHED), MailMessage.created_at < before)
    )


# --- the daily digest ------------------------------------------------------------------------


def digest_time(now: datetime, hour: int) -> datetime:
    """Today's digest time (region time) as UTC."""
    local = now.astimezone(REGION_ZONE)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def digest_round(
    database: Any, settings: Any, render: Render, *, now: datetime | None = None
) -> int:
    """Bundle the held mails of each address whose digest is due; returns how many digests."""
    now = now or utcnow()
    due_at = digest_time(now, settings.mail_digest_hour)
    if now < due_at:
        return 0
    with database.session() as session:
        addresses = session.scalars(
            select(MailMessage.to_address)
            .outerjoin(MailPreference, MailPreference.address == MailMessage.to_address)
            .where(
                MailMessage.state == "held",
                or_(
                    MailPreference.last_digest_at.is_(None),
                    MailPreference.last_digest_at < due_at,
                ),
            )
            .distinct()
            .limit(DIGEST_ADDRESSES)
        ).all()
        held = session.scalars(
            select(MailMessage)
            .where(MailMessage.state == "held", MailMessage.to_address.in_(list(addresses)))
            .order_by(MailMessage.created_at, MailMessage.id)
        ).all()
        languages = dict(
            session.execute(
                select(User.email, User.locale).where(User.email.in_(list(addresses)))
            ).all()
        )
    items: dict[str, list[dict[str, Any]]] = {}
    for row in held:
        try:
            rendered = _render(row, settings, render, now)[1]
        except Exception:
            log.exception("mail could not be rendered for a digest", extra={"mail_id": row.id})
            continue
        items.setdefault(row.to_address, []).append(
            {"id": row.id, "subject": rendered.subject, "text": rendered.body}
        )

    def bundle(session: Session) -> int:
        made = 0
        for address, entries in items.items():
            send_mail(
                session,
                to=address,
                template="mail/digest",
                kind="delivery.mail.digest",
                category="account",
                language=languages.get(address),
                context={"items": [{"subject": e["subject"], "text": e["text"]} for e in entries]},
            )
            session.execute(
                update(MailMessage)
                .where(in_set(MailMessage.id, [e["id"] for e in entries]))
                .where(MailMessage.state == "held")
                .values(state="digested", sent_at=now, context={})
            )
            made += 1
        for address in addresses:
            preference = session.get(MailPreference, address)
            if preference is not None:
                preference.last_digest_at = now
        return made

    return int(database.write(bundle)) if addresses else 0


# --- staff notifications by mail -------------------------------------------------------------


def _staff(session: Session, municipality_id: int | None) -> list[int]:
    if municipality_id is None:
        query = select(User.id).where(User.is_admin.is_(True))
    else:
        query = (
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.municipality_id == municipality_id,
                Membership.role == Role.STAFF.value,
            )
        )
    return list(session.scalars(query.where(User.is_active.is_(True))))


def mail_staff_notifications(session: Session, *, now: datetime) -> int:
    """Queue the mails of new staff notifications (a write); returns how many were queued."""
    cursor = session.get(Cursor, STAFF_CURSOR)
    if cursor is None:
        cursor = Cursor(name=STAFF_CURSOR, position=0)
        session.add(cursor)
    position = cursor.position
    rows = session.scalars(
        select(Notification)
        .where(or_(Notification.id > position, Notification.created_at >= now - OVERLAP))
        .order_by(Notification.id)
        .limit(1000)
    ).all()
    names = dict(session.execute(select(Municipality.id, Municipality.name)).all())
    queued = 0
    for note in rows:
        for user_id in _staff(session, note.municipality_id):
            made = send_mail(
                session,
                to=user_id,
                template=note.mail_template or "mail/staff_notification",
                kind=note.kind,
                category="staff",
                municipality_id=note.municipality_id,
                dedupe_key=f"staff-notification:{note.id}:{user_id}",
                context={
                    **(note.mail_context or {}),
                    "subject": note.subject,
                    "body": note.body,
                    "texts": note.texts or {},
                    "link": note.link,
                    "municipality": names.get(note.municipality_id or 0),
                },
            )
            queued += made is not None
    newest = max((n.id for n in rows), default=position)
    if newest > position:
        cursor.position = newest
    return queued


# --- the jobs --------------------------------------------------------------------------------


def jobs(render: Render) -> tuple[JobSpec, ...]:
    """The mail jobs of an installation, rendering with ``render`` (the web shell's)."""

    def send(context: Any) -> None:
        send_round(context.database, context.settings, render)

    def digest(context: Any) -> None:
        digest_round(context.database, context.settings, render)

    def staff(context: Any) -> None:
        context.database.write(lambda s: mail_staff_notifications(s, now=utcnow()))

    return (
        JobSpec("delivery.mail", 30, send, wake_on=(MAIL_QUEUED,)),
        JobSpec("delivery.mail_digest", 600, digest),
        JobSpec("delivery.staff_mail", 60, staff, wake_on=(NOTIFICATION_CREATED,)),
    )
