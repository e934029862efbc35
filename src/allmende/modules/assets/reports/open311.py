"""The module's side of Open311 GeoReport v2: categories as services, reports as requests.

The adapter (``allmende.standards.open311``) does the wire format, ``jurisdiction_id`` →
municipality, the API key and the errors; this provider answers per municipality. Requests are
only ever built from public columns: no e-mail, phone, name, device or account id leaves here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import CLOSED_STATES, OPEN_STATES
from allmende.modules.assets.models import Report, ReportNote, ReportService, WorkOrder
from allmende.modules.assets.reports import service as rules
from allmende.modules.assets.service import Actor
from allmende.sdk import MAX_ID, Municipality, ValidationFailed, is_digits, open311, utcnow

DEFAULT_WINDOW = timedelta(days=90)
STATUSES = {"open": OPEN_STATES, "closed": CLOSED_STATES}


def _service(s: ReportService) -> open311.Service:
    return open311.Service(
        code=s.code,
        name=s.name,
        description=s.description,
        group=s.group_name,
        keywords=tuple(s.keywords),
        type="realtime",
        attributes=tuple(
            open311.ServiceAttribute(
                code=str(a["code"]),
                description=str(a.get("description", "")),
                datatype=a.get("datatype", "string"),
                required=bool(a.get("required", False)),
                order=int(a.get("order", 1)),
                variable=bool(a.get("variable", True)),
                datatype_description=str(a.get("datatype_description", "")),
                values=tuple((str(v["key"]), str(v["name"])) for v in a.get("values", [])),
            )
            for a in rules.definition(s)
        ),
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class ReportsOpen311:
    """``Open311Provider`` over the report categories and reports of a municipality."""

    def services(self, session: Session, municipality_id: int) -> Sequence[open311.Service]:
        return [_service(s) for s in rules.list_services(session, municipality_id=municipality_id)]

    def submit(
        self, session: Session, municipality_id: int, request: open311.NewRequest, principal: Any
    ) -> open311.Submitted:
        actor = Actor.of(principal) if principal is not None else Actor(None, "Open311")
        report = rules.submit(
            session,
            municipality_id=municipality_id,
            data=rules.Submission(
                service_code=request.service_code,
                lat=_number(request.lat),
                long=_number(request.long),
                address=request.address_string,
                address_id=request.address_id,
                description=request.description,
                attributes=request.attributes,
                media_url=request.media_url,
                email=request.email,
                phone=request.phone,
                first_name=request.first_name,
                last_name=request.last_name,
                device_id=request.device_id,
                account_id=request.account_id,
                user_id=None,
                channel="open311",
            ),
            actor=actor,
        )
        # Our services are "realtime": the adapter answers the id; the token still finds the
        # request through ``by_token``.
        return open311.Submitted(service_request_id=str(report.id), token=report.token)

    def requests(
        self, session: Session, municipality_id: int, query: open311.RequestQuery
    ) -> Sequence[open311.ServiceRequest]:
        base = select(Report).where(
            Report.municipality_id == municipality_id, Report.public.is_(True)
        )
        if query.ids is not None:
            ids = [int(i) for i in query.ids if is_digits(str(i)) and 1 <= int(i) <= MAX_ID]
            rows = session.scalars(
                base.where(Report.id.in_(ids)).order_by(Report.created_at.desc(), Report.id.desc())
            ).all()
            return self._build(session, rows, with_notes=query.with_notes)
        if query.service_codes is not None:
            base = base.join(ReportService, ReportService.id == Report.service_id).where(
                ReportService.code.in_(list(query.service_codes))
            )
        if query.statuses is not None:
            states: list[str] = []
            for status in query.statuses:
                if status not in STATUSES:
                    raise ValidationFailed.one("status", "must be open or closed")
                states.extend(STATUSES[status])
            base = base.where(Report.state.in_(states))
        start, end = query.start, query.end
        if start is None and end is None:
            start = utcnow() - DEFAULT_WINDOW
        if start is not None:
            base = base.where(Report.created_at >= start)
        if end is not None:
            base = base.where(Report.created_at <= end)
        limit = max(0, min(int(query.limit), 1000))
        rows = session.scalars(
            base.order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
            .offset(max(0, int(query.offset)))
        ).all()
        return self._build(session, rows, with_notes=query.with_notes)

    def by_token(
        self, session: Session, municipality_id: int, token: str
    ) -> Sequence[open311.ServiceRequest]:
        rows = session.scalars(
            select(Report).where(
                Report.municipality_id == municipality_id,
                Report.token == token,
                Report.public.is_(True),
            )
        ).all()
        return self._build(session, rows)

    def _build(
        self, session: Session, reports: Sequence[Report], *, with_notes: bool = False
    ) -> list[open311.ServiceRequest]:
        if not reports:
            return []
        d = rules.details(session, reports, internal_ids=set())  # public notes only
        agencies = dict(
            session.execute(
                select(Municipality.id, Municipality.name).where(
                    Municipality.id.in_({r.municipality_id for r in reports})
                )
            ).all()
        )
        due = dict(
            session.execute(
                select(WorkOrder.id, WorkOrder.due_on).where(
                    WorkOrder.id.in_({r.work_order_id for r in reports if r.work_order_id})
                )
            ).all()
        )
        result = []
        for r in reports:
            s = d.services[r.service_id]
            notes = d.notes[r.id]
            latest = notes[-1] if notes else None
            point = r.geom if r.geom is not None and r.geom.geom_type == "Point" else None
            due_on = due.get(r.work_order_id) if r.work_order_id else None
            closed = r.state in CLOSED_STATES
            result.append(
                open311.ServiceRequest(
                    id=str(r.id),
                    status="closed" if closed else "open",
                    service_code=s.code,
                    service_name=s.name,
                    requested=r.created_at,
                    status_notes=rules.status_note(
                        r.state, latest.text if latest and latest.state == r.state else ""
                    ),
                    description=r.description or None,
                    agency_responsible=agencies.get(r.municipality_id),
                    updated=r.closed_at if closed and r.closed_at else r.updated_at,
                    expected=datetime.combine(due_on, time(23, 59, 59), UTC)
                    if due_on is not None and not closed
                    else None,
                    address=r.address,
                    address_id=r.address_id,
                    zipcode=r.zipcode,
                    lat=point.y if point is not None else None,
                    long=point.x if point is not None else None,
                    media_url=r.media_url,
                    notes=_history(notes) if with_notes else (),
                )
            )
        return result


def _history(notes: Sequence[ReportNote]) -> tuple[open311.StatusNote, ...]:
    """The public notes, oldest first: the first is the creation, a new state a status change,
    a note in the same state a comment."""
    history = []
    previous: str | None = None
    for note in notes:
        kind = (
            "created" if previous is None else ("status" if note.state != previous else "comment")
        )
        history.append(
            open311.StatusNote(
                at=note.at, description=rules.status_note(note.state, note.text), type=kind
            )
        )
        previous = note.state
    return tuple(history)
