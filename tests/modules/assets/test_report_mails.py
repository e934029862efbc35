"""Who hears of a report: the reporter by e-mail as it moves, the staff by a notification;
overdue inspections once per cause; a deleted account's contact data leave the reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from allmende.core import open311
from allmende.core.timeutil import utcnow
from allmende.delivery import mailer
from allmende.delivery.models import MailMessage, Notification
from allmende.modules.assets import jobs, privacy, reports
from allmende.modules.assets.models import Report
from allmende.modules.assets.open311 import ReportsOpen311
from allmende.modules.assets.schemas import ReportUpdate
from allmende.storage.database import Database
from tests.modules.assets.conftest import World
from tests.support.region import People, Region

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

    mailer.send_round(database, settings, app.state.allmende.services["mail_templates"])
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
    assert "überfällig" in a.subject and "Spielplatz Mitte" in a.body


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
