"""Scheduled work: tell each municipality's staff when inspections have become overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import N_, PLAN_KINDS
from allmende.modules.assets.inspections import service as inspections
from allmende.sdk import JobSpec, Message, Municipality, Principal, joined, notify_staff

#: Objects named in one notification (the rest: "and N more").
LISTED = 10


def overdue_inspections(session: Session, *, now: datetime) -> int:
    """One staff notification per municipality when an inspection became overdue since the
    last one (its dedupe key is the newest due date); returns in how many municipalities
    inspections are overdue."""
    made = 0
    for municipality_id in session.scalars(select(Municipality.id)):
        staff = Principal(kind="user", name="Allmende", staff_of=frozenset({municipality_id}))
        overdue = [
            d
            for d in inspections.due(
                session, principal=staff, now=now, horizon_days=0, municipality_id=municipality_id
            )
            if d.overdue
        ]
        if not overdue:
            continue
        newest = max(d.due_at for d in overdue)
        lines = [
            Message(
                N_("%(object)s: %(kind)s, due since %(day)s"),
                object=d.obj.name,
                kind=PLAN_KINDS.get(d.plan.kind, d.plan.kind),
                day=d.due_at.date().isoformat(),
            )
            for d in overdue[:LISTED]
        ]
        if len(overdue) > LISTED:
            lines.append(Message(N_("… and %(n)d more"), n=len(overdue) - LISTED))
        notify_staff(
            session,
            municipality_id=municipality_id,
            kind="assets.inspections.overdue",
            subject=Message(N_("Inspections overdue: %(n)d"), n=len(overdue)),
            body=joined(lines),
            link="/maintenance",
            once=f"assets.inspections.overdue:{municipality_id}:{newest.isoformat()}",
            mail_template="assets/mail/staff_overdue",
            mail_context={
                "count": len(overdue),
                "items": [
                    {
                        "name": d.obj.name,
                        "kind": PLAN_KINDS.get(d.plan.kind, d.plan.kind),
                        "due": d.due_at.isoformat(),
                    }
                    for d in overdue[:LISTED]
                ],
                "more": max(0, len(overdue) - LISTED),
            },
        )
        made += 1
    return made


def notify_overdue(context: Any) -> None:
    context.database.write(lambda s: overdue_inspections(s, now=context.now))


JOBS = (JobSpec("assets.overdue_inspections", 3600, notify_overdue),)
