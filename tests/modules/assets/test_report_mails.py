"""Who hears of a report: the reporter by e-mail as it moves, the staff by a notification;
overdue inspections once per cause; a deleted account's contact data leave the reports."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from allmende.core import open311
from allmende.core.timeutil import utcnow
from allmende.delivery import mail, mailer
from allmende.delivery.models import MailMessage, Notification
from allmende.identity import service
from allmende.modules.assets import jobs, privacy
from allmende.modules.assets.models import Report
from allmende.modules.assets.reports import placing
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.reports.open311 import ReportsOpen311
from allmende.modules.assets.schemas import ReportUpdate
from allmende.storage.database import Database
from allmende.web.mail import MailTemplates
from tests.modules.assets.conftest import World
from tests.support.region import People, Region
from tests.support.smtp import SmtpServer, text_of

pytestmark = pytest.mark.integration
PROVIDER = ReportsOpen311()


def _submit(database: Database, region: Region, people: People, **fields: Any) -> int:
    request = open311.NewRequest(
        **{"service_code": "strassenschaden", "lat": 49.45, "long": 8.65, **fields}
    )
    done = database.write(
        lambda s: PROVIDER.submit(s, region.municipality_a, request, people.anonymous)
    )
    return int(done.service_request_id)


def _mails(database: Database) -> list[MailMessage]:
    with database.session() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


def _change(database: Database, people: People, report_id: int, **update: Any) -> None:
    database.write(
        lambda s: reports.update_report(
            s, principal=people.staff_a, report_id=report_id, data=ReportUpdate(**update)
        )
    )


def test_the_reporter_hears_of_each_step_and_the_staff_of_the_new_report(
    database: Database, region: Region, people: People, world: World, app: Any, settings: Any
) -> None:
    report_id = _submit(
        database, region, people, email="Melder@Example.org", description="Schlagloch"
    )
    _change(database, people, report_id, state="confirmed", note="Wir kommen.", note_public=True)
    _change(database, people, report_id, state="in_progress", note="Kolonne 3", note_public=False)
    _change(database, people, report_id, note="nur eine Notiz")  # no change of state: no mail
    _change(database, people, report_id, state="fixed", note="Ausgebessert.", note_public=True)
    rows = _mails(database)
    assert [(r.to_address, r.kind) for r in rows] == [
        ("melder@example.org", "assets.report.created"),
        ("melder@example.org", "assets.report.state"),
        ("melder@example.org", "assets.report.state"),
        ("melder@example.org", "assets.report.closed"),
    ]
    assert rows[2].context["note"] == ""  # an internal note stays internal
    with database.session() as session:
        [notice] = session.scalars(select(Notification)).all()
    assert (notice.municipality_id, notice.kind) == (region.municipality_a, "assets.report.created")
    assert notice.link == f"/maintenance/reports/{report_id}"

    mailer.send_round(database, settings, app.state.allmende.service(MailTemplates))
    subjects = [r.subject for r in _mails(database)]
    assert subjects == [
        f"Ihre Meldung #{report_id} ist eingegangen",
        f"Ihre Meldung #{report_id}: bestätigt",
        f"Ihre Meldung #{report_id}: in Bearbeitung",
        f"Ihre Meldung #{report_id} ist abgeschlossen: erledigt",
    ]
    confirmed = _mails(database)[1].body or ""
    assert "Hinweis der Kommune: Wir kommen." in confirmed
    assert f"/reports/{report_id}" in confirmed
    assert "/mail/unsubscribe?t=" in confirmed


def _set_language(database: Database, email: str, language: str) -> None:
    def change(session: Any) -> None:
        service.user_by_email(session, email=email).locale = language

    database.write(change)


def test_staff_who_opted_in_hear_of_new_reports_and_overdue_inspections_in_their_language(
    database: Database,
    region: Region,
    people: People,
    world: World,
    app: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    staff = region.staff_a_email
    database.write(lambda s: mail.set_preferences(s, address=staff, staff_alerts=True))
    report_id = _submit(database, region, people, description="Die Bank am Markt ist kaputt")
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=utcnow())) == 1
    _set_language(database, staff, "en")  # the next mail in English
    database.write(lambda s: jobs.overdue_inspections(s, now=utcnow() + timedelta(days=1)))
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=utcnow())) == 1

    server = SmtpServer(tmp_path).start()
    try:
        configured = settings.model_copy(update=server.settings())
        mailer.send_round(database, configured, app.state.allmende.service(MailTemplates))
        server.wait_for(2)
    finally:
        server.stop()
    report, overdue = server.to(staff)
    assert str(report["Subject"]).startswith(f"[A-Stadt] Neue Meldung #{report_id}: ")
    text = text_of(report)
    assert "Eine neue Meldung ist eingegangen." in text
    assert "Beschreibung: Die Bank am Markt ist kaputt" in text
    assert f"/maintenance/reports/{report_id}" in text
    assert "/mail/unsubscribe?t=" in text
    assert re.fullmatch(r"\[A-Stadt\] \d+ inspections? overdue", str(overdue["Subject"]))
    text = text_of(overdue)
    assert "Spielplatz Mitte (" in text and "due since" in text and "/maintenance" in text
    assert "Hello" in text and "Hallo" not in text


def test_the_staff_a_report_is_forwarded_to_hear_of_it(
    database: Database,
    region: Region,
    people: People,
    world: World,
    app: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    staff = region.staff_b_email
    database.write(lambda s: mail.set_preferences(s, address=staff, staff_alerts=True))
    report_id = _submit(database, region, people, description="Schlagloch am Grenzweg")
    database.write(
        lambda s: placing.forward(
            s,
            principal=people.staff_a,
            report_id=report_id,
            municipality="b-dorf",
            note="Der Grenzweg gehört B",
        )
    )
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=utcnow())) == 1
    server = SmtpServer(tmp_path).start()
    try:
        configured = settings.model_copy(update=server.settings())
        mailer.send_round(database, configured, app.state.allmende.service(MailTemplates))
        [message] = server.wait_for(1)
    finally:
        server.stop()
    assert str(message["To"]) == staff
    assert str(message["Subject"]).startswith(
        f"[B-Dorf] Meldung #{report_id} an Sie weitergeleitet: "
    )
    text = text_of(message)
    assert "A-Stadt hat eine Meldung an Ihre Kommune weitergeleitet." in text
    assert "Grund: Der Grenzweg gehört B" in text
    assert f"/maintenance/reports/{report_id}" in text


def test_a_report_without_contact_mails_nobody(
    database: Database, region: Region, people: People, world: World
) -> None:
    _submit(database, region, people)
    assert _mails(database) == []


def test_overdue_inspections_are_notified_once_per_new_due_date(
    database: Database, region: Region, world: World
) -> None:
    later = utcnow() + timedelta(days=1)
    assert database.write(lambda s: jobs.overdue_inspections(s, now=later)) == 2
    assert database.write(lambda s: jobs.overdue_inspections(s, now=later)) == 2
    with database.session() as session:
        notices = {n.municipality_id: n for n in session.scalars(select(Notification))}
    assert sorted(notices) == [region.municipality_a, region.municipality_b]
    a = notices[region.municipality_a]
    assert a.kind == "assets.inspections.overdue" and a.link == "/maintenance"
    assert a.subject.startswith("Inspections overdue: ") and "Spielplatz Mitte" in a.body
    assert a.texts["subject"]["template"] == "Inspections overdue: %(n)d"  # shown translated


def test_a_deleted_account_leaves_the_reports_without_contact_data(
    database: Database, region: Region, people: People, world: World
) -> None:
    report_id = _submit(
        database, region, people, email="Citizen@Example.org", phone="0621 123", first_name="C"
    )
    database.write(lambda s: privacy.erase_account(s, 999_999, region.citizen_email))
    with database.session() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.description == ""
        assert (report.contact_email, report.contact_phone, report.contact_first_name) == (
            None,
            None,
            None,
        )
