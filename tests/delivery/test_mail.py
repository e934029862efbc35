"""The mail queue on both backends: who gets what, rendering in the recipient's language,
sending with retries over real SMTP, the outbox without it, digests and staff mails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import N_, ValidationFailed
from allmende.core.messages import Message
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.delivery import mail, mailer
from allmende.delivery.models import MailMessage
from allmende.delivery.notifications import notify_staff
from allmende.identity import service
from allmende.storage.database import Database
from allmende.web.mail import MailTemplates
from tests.support.region import Region
from tests.support.smtp import SmtpServer, free_port, links_in, text_of

pytestmark = pytest.mark.integration


@pytest.fixture
def render(app: Any) -> mailer.Render:
    templates: mailer.Render = app.state.allmende.service(MailTemplates)
    return templates


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    running = SmtpServer(tmp_path).start()
    yield running
    running.stop()


def _queue(database: Database, **values: Any) -> int | None:
    values.setdefault("template", "mail/password_changed")
    values.setdefault("kind", "identity.password.changed")
    values.setdefault("category", "account")
    return database.write(lambda s: mail.send_mail(s, **values))


def _rows(database: Database) -> list[MailMessage]:
    with database.session() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


def _user_id(database: Database, email: str) -> int:
    with database.session() as session:
        return service.user_by_email(session, email=email).id


def test_who_gets_what(database: Database, region: Region) -> None:
    citizen = _user_id(database, region.citizen_email)
    updates = {"template": "mail/password_changed", "kind": "assets.report.state"}
    assert _queue(database, to=citizen, category="updates", **updates) is not None
    assert _queue(database, to="Someone@Example.org", category="updates", **updates) is not None
    assert _queue(database, to=citizen, category="staff", **updates) is None  # opt-in only
    database.write(lambda s: mail.unsubscribe(s, address=region.citizen_email, category="updates"))
    assert _queue(database, to=citizen, category="updates", **updates) is None
    assert _queue(database, to=citizen, category="account") is not None  # always sent
    assert _queue(database, to=citizen, dedupe_key="once") is not None
    assert _queue(database, to=citizen, dedupe_key="once") is None

    def switch_off(session: Session) -> None:
        service.set_active(session, user_id=citizen, active=False, acting_user_id=None)

    database.write(switch_off)
    assert _queue(database, to=citizen, category="updates", **updates) is None
    assert [(r.to_address, r.category, r.state) for r in _rows(database)] == [
        ("citizen@example.org", "updates", "pending"),
        ("someone@example.org", "updates", "pending"),
        ("citizen@example.org", "account", "pending"),
        ("citizen@example.org", "account", "pending"),
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"template": "../etc/passwd"}, "template"),
        ({"kind": "Not A Kind"}, "kind"),
        ({"category": "spam"}, "category"),
        ({"language": "deutsch"}, "language"),
        ({"context": {"when": object()}}, "context"),
        ({"to": "no address"}, "to"),
    ],
)
def test_bad_input_names_the_field(
    database: Database, region: Region, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        _queue(database, **{"to": region.citizen_email, **values})
    assert info.value.errors[0].field == field
    assert _rows(database) == []


def test_without_smtp_mails_land_in_the_outbox_in_their_language(
    database: Database, region: Region, settings: Settings, render: mailer.Render
) -> None:
    database.write(
        lambda s: service.user_by_email(s, email=region.staff_a_email).__setattr__("locale", "en")
    )
    for to in (region.citizen_email, region.staff_a_email):
        _queue(
            database,
            to=to,
            template="mail/password_reset",
            kind="identity.password.reset",
            context={"name": "Kim", "link": "/password/reset?t=abc"},
        )
    configured = settings.model_copy(update={"base_url": "https://daten.example.de"})
    assert mailer.send_round(database, configured, render) == []
    german, english = _rows(database)
    assert (german.state, english.state) == ("outbox", "outbox")
    assert german.subject == "Neues Passwort für Testregion festlegen"
    assert english.subject == "Set a new password for Testregion"
    assert german.body is not None and german.body.startswith("Hallo Kim,\n")
    assert "https://daten.example.de/password/reset?t=abc" in german.body


def test_sent_mails_retries_and_failures(
    database: Database,
    region: Region,
    settings: Settings,
    render: mailer.Render,
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse = {"gone@example.org": "550 5.1.1 No such user"}
    for to in ("citizen@example.org", "gone@example.org"):
        _queue(database, to=to, context={"name": "Kim"})
    _queue(database, to="someone@example.org", template="mail/no_such_template")
    configured = settings.model_copy(update=smtp_server.settings())
    mailer.send_round(database, configured, render)
    sent, gone, broken = _rows(database)
    assert (sent.state, sent.context, sent.body) == ("sent", {}, None)
    assert sent.subject == "Ihr Passwort wurde geändert"
    assert (gone.state, gone.attempts) == ("failed", 1)
    assert "No such user" in (gone.last_error or "")
    assert broken.state == "failed" and (broken.last_error or "").startswith("template:")
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == "Ihr Passwort wurde geändert"
    assert "Hallo Kim," in text_of(message)

    # A server that is down: tried again later, then failed when the mail is too old.
    _queue(database, to=region.citizen_email)
    down = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    start = utcnow()
    mailer.send_round(database, down, render, now=start)
    waiting = _rows(database)[-1]
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > start
    later = start + timedelta(seconds=settings.mail_max_age_seconds + 1)
    mailer.send_round(database, down, render, now=later)
    assert _rows(database)[-1].state == "pending"  # not yet: the row's own clock decides

    def age(session: Session) -> None:
        row = session.get(MailMessage, waiting.id)
        assert row is not None
        row.created_at = start - timedelta(seconds=settings.mail_max_age_seconds + 1)
        row.next_attempt_at = start

    database.write(age)
    mailer.send_round(database, down, render)
    assert _rows(database)[-1].state == "failed"


def test_daily_digest(
    database: Database, region: Region, settings: Settings, render: mailer.Render
) -> None:
    database.write(lambda s: mail.set_preferences(s, address=region.citizen_email, digest=True))
    for n in (1, 2):
        _queue(
            database,
            to=region.citizen_email,
            template="mail/staff_notification",
            kind="assets.report.state",
            category="updates",
            context={"subject": f"Nachricht {n}", "body": "", "link": None, "municipality": None},
        )
    assert {r.state for r in _rows(database)} == {"held"}
    morning = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)  # 06:00 in Berlin, before 07:00
    assert mailer.digest_round(database, settings, render, now=morning) == 0
    assert mailer.digest_round(database, settings, render, now=morning + timedelta(hours=2)) == 1
    assert mailer.digest_round(database, settings, render, now=morning + timedelta(hours=3)) == 0
    *items, digest = _rows(database)
    assert [i.state for i in items] == ["digested", "digested"]
    assert (digest.template, digest.state) == ("mail/digest", "pending")
    mailer.send_round(database, settings, render)
    body = _rows(database)[-1].body or ""
    assert _rows(database)[-1].subject == "Ihre Zusammenfassung des Tages: 2 Nachrichten"
    assert "== Nachricht 1 ==" in body and "== Nachricht 2 ==" in body
    assert body.count("Hallo") == 1  # each item without its own greeting

    # Turning the digest off sends what still waits at once.
    _queue(
        database,
        to=region.citizen_email,
        template="mail/staff_notification",
        kind="assets.report.state",
        category="updates",
        context={"subject": "Nachricht 3", "body": "", "link": None, "municipality": None},
    )
    database.write(lambda s: mail.set_preferences(s, address=region.citizen_email, digest=False))
    assert _rows(database)[-1].state == "pending"


def test_staff_notifications_reach_the_staff_who_opted_in(
    database: Database, region: Region, settings: Settings, render: mailer.Render
) -> None:
    for email in (region.staff_a_email, region.staff_b_email, region.admin_email):
        database.write(lambda s, e=email: mail.set_preferences(s, address=e, staff_alerts=True))

    def notify(session: Session) -> None:
        notify_staff(
            session,
            municipality_id=region.municipality_a,
            kind="water.leak.found",
            subject="Leck am Zähler Markt",
            body="Nachtverbrauch 40 l/h",
            link="/water/meters/7",
        )
        notify_staff(  # written as a message: mailed in the recipient's language
            session,
            municipality_id=None,
            kind="sensing.task.failed",
            subject=Message(N_("Task %(task)s to “%(device)s” failed"), task=3, device="Ventil"),
            body="",
        )

    database.write(notify)
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=utcnow())) == 2
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=utcnow())) == 0
    rows = _rows(database)
    assert sorted((r.to_address, r.kind) for r in rows) == [
        ("admin@example.org", "sensing.task.failed"),
        ("staff-a@example.org", "water.leak.found"),
    ]
    mailer.send_round(database, settings, render)
    leak = next(r for r in _rows(database) if r.kind == "water.leak.found")
    assert leak.subject == "[A-Stadt] Leck am Zähler Markt"
    assert "/water/meters/7" in (leak.body or "")
    assert "/mail/unsubscribe?t=" in (leak.body or "")
    failed = next(r for r in _rows(database) if r.kind == "sensing.task.failed")
    assert failed.subject == "Auftrag 3 an „Ventil“ fehlgeschlagen"


def test_a_staff_notification_is_made_once_per_cause(database: Database, region: Region) -> None:
    def notify(session: Session) -> int:
        return notify_staff(
            session,
            municipality_id=region.municipality_a,
            kind="assets.inspections.overdue",
            subject="3 Kontrollen überfällig",
            body="",
            once="overdue:a:2026-12-01",
        )

    assert database.write(notify) == database.write(notify)


def test_a_staff_notification_refuses_a_mail_template_that_is_no_name(
    database: Database, region: Region
) -> None:
    def notify(session: Session) -> int:
        return notify_staff(
            session,
            municipality_id=region.municipality_a,
            kind="heat.warning.started",
            subject="Hitzewarnung",
            body="",
            mail_template="../secrets",
        )

    with pytest.raises(ValidationFailed) as refused:
        database.write(notify)
    assert [e.field for e in refused.value.errors] == ["mail_template"]


def test_finished_mails_are_deleted_after_the_keeping_time(
    database: Database, region: Region, settings: Settings, render: mailer.Render
) -> None:
    _queue(database, to=region.citizen_email)
    mailer.send_round(database, settings, render)
    later = utcnow() + timedelta(days=settings.mail_keep_days + 1)
    mailer.send_round(database, settings, render, now=later)
    assert _rows(database) == []


def test_smtp_links_point_to_the_public_address(
    database: Database,
    region: Region,
    settings: Settings,
    render: mailer.Render,
    smtp_server: SmtpServer,
) -> None:
    _queue(
        database,
        to=region.citizen_email,
        template="mail/staff_notification",
        kind="assets.report.state",
        category="updates",
        context={"subject": "S", "body": "", "link": "/reports/1", "municipality": None},
    )
    configured = settings.model_copy(
        update={**smtp_server.settings(), "base_url": "https://daten.example.de/allmende"}
    )
    mailer.send_round(database, configured, render)
    (message,) = smtp_server.wait_for(1)
    links = links_in(message)
    assert "https://daten.example.de/allmende/reports/1" in links
    assert any(
        link.startswith("https://daten.example.de/allmende/mail/unsubscribe?t=") for link in links
    )
    assert message["List-Unsubscribe"] == f"<{links[-1]}>"
