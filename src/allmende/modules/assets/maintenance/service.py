"""Work orders: who fixes what by when at which cost. Closing one fixes its defects and closes
its reports with a status note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from allmende.modules.assets.models import AssetObject, Defect, Report, ReportService, WorkOrder
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.schemas import (
    WorkOrderCreate,
    WorkOrderFromReport,
    WorkOrderRead,
    WorkOrderUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    internal_condition,
    may_edit,
    municipality_by_key,
    municipality_keys,
    not_found,
    record,
    require_edit,
    require_staff_somewhere,
)
from allmende.sdk import (
    Conflict,
    Event,
    FieldError,
    Principal,
    ValidationFailed,
    emit,
    utcnow,
)

DUE_DAYS_BY_PRIORITY = {"high": 2, "medium": 14, "low": 42}


@dataclass(frozen=True)
class WorkOrderFilter:
    municipality_id: int | None = None
    status: str | None = None
    object_id: int | None = None
    open_only: bool = False
    #: Created at or after ``created_from`` and before ``created_before``.
    created_from: datetime | None = None
    created_before: datetime | None = None


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def work_order_read(
    session: Session, orders: Sequence[WorkOrder], keys: dict[int, str] | None = None
) -> list[WorkOrderRead]:
    """Many work orders with their links: three queries, whatever their number."""
    ids = [o.id for o in orders]
    keys = keys or municipality_keys(session)
    names = dict(
        session.execute(
            select(AssetObject.id, AssetObject.name).where(
                AssetObject.id.in_([o.object_id for o in orders if o.object_id])
            )
        ).all()
    )
    reports: dict[int, list[int]] = {i: [] for i in ids}
    for report_id, order_id in session.execute(
        select(Report.id, Report.work_order_id)
        .where(Report.work_order_id.in_(ids))
        .order_by(Report.id)
    ):
        if order_id is not None:
            reports[order_id].append(report_id)
    defects: dict[int, list[int]] = {i: [] for i in ids}
    for defect_id, order_id in session.execute(
        select(Defect.id, Defect.work_order_id)
        .where(Defect.work_order_id.in_(ids))
        .order_by(Defect.id)
    ):
        if order_id is not None:
            defects[order_id].append(defect_id)
    return [
        WorkOrderRead(
            id=o.id,
            municipality=keys[o.municipality_id],
            object_id=o.object_id,
            object_name=names.get(o.object_id) if o.object_id else None,
            title=o.title,
            description=o.description,
            assignee_kind=o.assignee_kind,
            assignee=o.assignee,
            due_on=o.due_on,
            status=o.status,
            cost=None if o.cost_cents is None else o.cost_cents / 100,
            completion_note=o.completion_note,
            created_at=o.created_at,
            updated_at=o.updated_at,
            completed_at=o.completed_at,
            report_ids=reports[o.id],
            defect_ids=defects[o.id],
        )
        for o in orders
    ]


def list_work_orders(
    session: Session, *, principal: Principal, f: WorkOrderFilter, limit: int = 200, offset: int = 0
) -> list[WorkOrder]:
    query = select(WorkOrder).where(internal_condition(principal, WorkOrder.municipality_id))
    if f.municipality_id is not None:
        query = query.where(WorkOrder.municipality_id == f.municipality_id)
    if f.status is not None:
        query = query.where(WorkOrder.status == f.status)
    if f.open_only:
        query = query.where(WorkOrder.status.in_(("open", "in_progress")))
    if f.object_id is not None:
        query = query.where(WorkOrder.object_id == f.object_id)
    if f.created_from is not None:
        query = query.where(WorkOrder.created_at >= f.created_from)
    if f.created_before is not None:
        query = query.where(WorkOrder.created_at < f.created_before)
    query = query.order_by(WorkOrder.due_on.is_(None), WorkOrder.due_on, WorkOrder.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_work_order(session: Session, *, principal: Principal, order_id: int) -> WorkOrder:
    found = session.scalar(
        select(WorkOrder).where(
            WorkOrder.id == order_id, internal_condition(principal, WorkOrder.municipality_id)
        )
    )
    if found is None:  # internal records of other municipalities do not exist for the caller
        raise not_found("work order", order_id)
    return found


def open_work_order(
    session: Session,
    *,
    actor: Actor,
    municipality_id: int,
    title: str,
    description: str = "",
    obj: AssetObject | None = None,
    reports: Sequence[Report] = (),
    defects: Sequence[Defect] = (),
    assignee_kind: str = "internal",
    assignee: str = "",
    due_on: date | None = None,
    cost_cents: int | None = None,
) -> WorkOrder:
    """Create a work order and link what it is for (the rules are checked by the callers)."""
    now = utcnow()
    order = WorkOrder(
        municipality_id=municipality_id,
        object_id=obj.id if obj else None,
        title=title[:200],
        description=description,
        assignee_kind=assignee_kind,
        assignee=assignee,
        due_on=due_on,
        status="open",
        cost_cents=cost_cents,
        created_at=now,
        updated_at=now,
        created_by_id=actor.user_id,
    )
    session.add(order)
    session.flush()
    for defect in defects:
        defect.work_order_id = order.id
    for report in reports:
        report.work_order_id = order.id
        if report.state in ("received", "confirmed"):
            report_rules.change_state(session, report, actor, state="in_progress", text="")
    if obj is not None:
        record(
            session,
            obj,
            actor,
            kind="work_order",
            summary=f"#{order.id} {order.title}",
            ref_id=order.id,
        )
    emit(session, Event("assets.work_order.created", {"id": order.id}))
    return order


def create_work_order(
    session: Session, *, principal: Principal, data: WorkOrderCreate
) -> WorkOrder:
    # Callers who are staff nowhere learn nothing; for staff a foreign record answers like a
    # missing one (no existence oracle).
    require_staff_somewhere(principal)
    municipalities: set[int] = set()
    obj = None
    if data.object_id is not None:
        obj = session.get(AssetObject, data.object_id)
        if obj is None or not may_edit(principal, obj.municipality_id):
            raise ValidationFailed.one("body.object_id", f"no object {data.object_id}")
        municipalities.add(obj.municipality_id)
    reports = _load(session, principal, Report, data.report_ids, "body.report_ids")
    defects = _load(session, principal, Defect, data.defect_ids, "body.defect_ids")
    municipalities.update(r.municipality_id for r in reports)
    municipalities.update(d.municipality_id for d in defects)
    if data.municipality is not None:
        municipalities.add(
            municipality_by_key(session, data.municipality, field="body.municipality").id
        )
    if not municipalities:
        raise ValidationFailed.one(
            "body.municipality", "is required when no object, report or defect is named"
        )
    if len(municipalities) > 1:
        raise ValidationFailed.one(
            "body", "object, reports and defects belong to different municipalities"
        )
    municipality_id = municipalities.pop()
    require_edit(principal, municipality_id)
    for report in reports:
        if report.closed_at is not None:
            raise ValidationFailed.one("body.report_ids", f"report {report.id} is closed")
    return open_work_order(
        session,
        actor=Actor.of(principal),
        municipality_id=municipality_id,
        title=data.title,
        description=data.description,
        obj=obj,
        reports=reports,
        defects=defects,
        assignee_kind=data.assignee_kind,
        assignee=data.assignee,
        due_on=data.due_on,
        cost_cents=_cents(data.cost),
    )


def _load(
    session: Session, principal: Principal, model: Any, ids: Sequence[int], field: str
) -> list[Any]:
    """The rows of ``ids`` the caller may work on; any other id is unknown, whether it exists
    in another municipality or not at all (so the answer tells nothing of the others)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    found: list[Any] = [
        row
        for row in session.scalars(select(model).where(model.id.in_(wanted)))
        if may_edit(principal, row.municipality_id)
    ]
    missing = sorted(set(wanted) - {row.id for row in found})
    if missing:
        raise ValidationFailed.one(field, f"unknown ids: {', '.join(map(str, missing))}")
    return found


def update_work_order(
    session: Session, *, principal: Principal, order_id: int, data: WorkOrderUpdate
) -> WorkOrder:
    order = get_work_order(session, principal=principal, order_id=order_id)
    require_edit(principal, order.municipality_id)
    values = data.model_dump(exclude_unset=True)
    for name in ("title", "description", "assignee_kind", "assignee", "status", "completion_note"):
        if name in values and values[name] is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
    actor = Actor.of(principal)
    for name in ("title", "description", "assignee_kind", "assignee", "due_on", "completion_note"):
        if name in values:
            setattr(order, name, values[name])
    if "cost" in values:
        order.cost_cents = _cents(values["cost"])
    if "status" in values and values["status"] != order.status:
        set_status(session, order, values["status"], actor)
    order.updated_at = utcnow()
    session.flush()
    return order


def set_status(session: Session, order: WorkOrder, status: str, actor: Actor) -> None:
    previous, order.status = order.status, status
    now = utcnow()
    obj = session.get(AssetObject, order.object_id) if order.object_id else None
    if status == "done":
        order.completed_at = now
        for defect in session.scalars(
            select(Defect).where(and_(Defect.work_order_id == order.id, Defect.status == "open"))
        ):
            defect.status, defect.fixed_at = "fixed", now
        for report in session.scalars(
            select(Report).where(Report.work_order_id == order.id, Report.closed_at.is_(None))
        ):
            report_rules.change_state(
                session,
                report,
                actor,
                state="fixed",
                text=order.completion_note,
            )
        emit(session, Event("assets.work_order.done", {"id": order.id}))
    elif previous == "done":
        order.completed_at = None
    if status == "cancelled":
        for report in session.scalars(
            select(Report).where(Report.work_order_id == order.id, Report.closed_at.is_(None))
        ):
            report_rules.add_note(
                session, report, actor, text=f"Arbeitsauftrag #{order.id} storniert.", public=False
            )
    if obj is not None:
        record(
            session,
            obj,
            actor,
            kind="work_order",
            summary=f"#{order.id} {order.title}: {previous} → {status}",
            changes={"status": [previous, status]},
            ref_id=order.id,
        )


def default_due(priority: str, today: date) -> date:
    return today + timedelta(days=DUE_DAYS_BY_PRIORITY.get(priority, 14))


def from_report(
    session: Session, *, principal: Principal, report_id: int, data: WorkOrderFromReport
) -> WorkOrder:
    """Turn a report into a work order; the report moves to "in progress"."""
    report = report_rules.get_report(session, principal=principal, report_id=report_id)
    require_edit(principal, report.municipality_id)
    if report.closed_at is not None:
        raise ValidationFailed.one("report_id", f"report {report.id} is closed")
    if report.work_order_id is not None:
        existing = session.get(WorkOrder, report.work_order_id)
        if existing is not None and existing.status in ("open", "in_progress"):
            raise Conflict(
                detail=f"report {report.id} already has the open work order {existing.id}",
                errors=[FieldError("report_id", f"has the open work order {existing.id}")],
            )
    service = session.get(ReportService, report.service_id)
    obj = session.get(AssetObject, report.object_id) if report.object_id else None
    title = data.title or f"{service.name if service else 'Meldung'} (Meldung #{report.id})"
    description = data.description or report.description
    if report.address and report.address not in description:
        description = f"{description}\n{report.address}".strip()
    return open_work_order(
        session,
        actor=Actor.of(principal),
        municipality_id=report.municipality_id,
        title=title,
        description=description,
        obj=obj,
        reports=[report],
        assignee_kind=data.assignee_kind,
        assignee=data.assignee,
        due_on=data.due_on,
    )
