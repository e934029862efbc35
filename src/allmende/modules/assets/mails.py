"""Who hears of a report: the reporter by e-mail (received, each change of state, done) and
the municipality's staff by a notification (which reaches them by e-mail if they opted in).

Called in the transaction that changes the report, so a mail exists exactly when the change
does. The reporter is the account that reported, else the e-mail address given with it;
someone who gave neither hears nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import CLOSED_STATES, N_, REPORT_STATES
from allmende.modules.assets.models import Report, ReportService
from allmende.sdk import Message, notify_staff, receives_updates, send_mail

#: How long a report's description may be in a staff notification.
EXCERPT = 300


def _reporter(report: Report) -> int | str | None:
    return report.user_id if report.user_id is not None else report.contact_email


def _context(report: Report, service: ReportService | None) -> dict[str, object]:
    return {
        "report_id": report.id,
        "category": service.name if service is not None else "",
        "description": report.description[:EXCERPT],
        "address": report.address or "",
        "state": report.state,
        "state_label": REPORT_STATES.get(report.state, report.state),
        "closed": report.state in CLOSED_STATES,
        "link": f"/reports/{report.id}",
    }


def reporter_hears(session: Session, report: Report, *, user_id: int | None) -> bool:
    """Whether the account ``user_id`` sent the report and hears of it by e-mail."""
    return (
        user_id is not None
        and report.user_id == user_id
        and receives_updates(session, user_id=user_id)
    )


def _name(service: ReportService | None) -> str:
    return service.name[:200] if service is not None else N_("Report")


def report_received(session: Session, report: Report) -> None:
    """Tell the reporter the report arrived, and the staff that there is a new one."""
    service = session.get(ReportService, report.service_id)
    context = _context(report, service)
    to = _reporter(report)
    if to is not None:
        send_mail(
            session,
            to=to,
            template="assets/mail/report_received",
            kind="assets.report.created",
            context=context,
            municipality_id=report.municipality_id,
        )
    notify_staff(
        session,
        municipality_id=report.municipality_id,
        kind="assets.report.created",
        subject=Message(
            N_("New report #%(id)s: %(category)s"), id=report.id, category=_name(service)
        ),
        body=report.description[:EXCERPT],
        link=f"/maintenance/reports/{report.id}",
        mail_template="assets/mail/staff_report",
        mail_context=context,
    )


def report_forwarded(session: Session, report: Report, *, source: str, note: str) -> None:
    """Tell the staff of the municipality a report was forwarded to (it is new to them)."""
    service = session.get(ReportService, report.service_id)
    notify_staff(
        session,
        municipality_id=report.municipality_id,
        kind="assets.report.forwarded",
        subject=Message(
            N_("Forwarded report #%(id)s: %(category)s"), id=report.id, category=_name(service)
        ),
        body=Message(N_("From %(source)s: %(note)s"), source=source, note=note[:EXCERPT]),
        link=f"/maintenance/reports/{report.id}",
        mail_template="assets/mail/staff_forwarded",
        mail_context={**_context(report, service), "source": source, "note": note[:EXCERPT]},
    )


def report_state_changed(session: Session, report: Report, *, previous: str, note: str) -> None:
    """Tell the reporter the report's new state (and the public note that came with it)."""
    to = _reporter(report)
    if to is None or report.state == previous:
        return
    service = session.get(ReportService, report.service_id)
    context = {**_context(report, service), "previous": previous, "note": note}
    send_mail(
        session,
        to=to,
        template="assets/mail/report_state",
        kind="assets.report.closed" if report.state in CLOSED_STATES else "assets.report.state",
        context=context,
        municipality_id=report.municipality_id,
    )
