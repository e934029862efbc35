"""Inspection plans, what is due, inspection records and the defects they find.

Due dates follow DIN EN 1176-7 practice: a higher-level inspection also counts for the lower
ones (the annual main inspection includes the operational and the visual one). An object never
inspected is due from the day it was registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import N_, PLAN_KINDS
from allmende.modules.assets.maintenance.service import default_due, open_work_order
from allmende.modules.assets.models import (
    AssetObject,
    Defect,
    Inspection,
    InspectionPlan,
    ObjectType,
    WorkOrder,
)
from allmende.modules.assets.register.service import editable_object, resolve_type
from allmende.modules.assets.schemas import (
    DefectRead,
    DefectUpdate,
    InspectionCreate,
    PlanCreate,
    PlanRead,
    PlanUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    code_from,
    internal_condition,
    municipality_by_key,
    not_found,
    record,
    require_edit,
)
from allmende.sdk import (
    Action,
    Event,
    Principal,
    ValidationFailed,
    as_utc,
    emit,
    require,
    utcnow,
)

#: A kind counts for every kind of lower or equal rank ("other" only for itself).
RANK = {"visual": 1, "operational": 2, "main": 3}


def plan_read(p: InspectionPlan, keys: dict[int, str], type_keys: dict[int, str]) -> PlanRead:
    return PlanRead(
        id=p.id,
        municipality=keys.get(p.municipality_id) if p.municipality_id else None,
        type=type_keys[p.type_id],
        kind=p.kind,
        name=p.name,
        interval_days=p.interval_days,
        checklist=list(p.checklist),
        active=p.active,
    )


def list_plans(session: Session, *, municipality_id: int | None = None) -> list[InspectionPlan]:
    query = select(InspectionPlan).where(InspectionPlan.active.is_(True))
    if municipality_id is not None:
        query = query.where(
            or_(
                InspectionPlan.municipality_id.is_(None),
                InspectionPlan.municipality_id == municipality_id,
            )
        )
    return list(
        session.scalars(query.order_by(InspectionPlan.type_id, InspectionPlan.interval_days))
    )


def plans_for(session: Session, obj: AssetObject) -> list[InspectionPlan]:
    return [
        p
        for p in list_plans(session, municipality_id=obj.municipality_id)
        if p.type_id == obj.type_id
    ]


def create_plan(session: Session, *, principal: Principal, data: PlanCreate) -> InspectionPlan:
    municipality = municipality_by_key(session, data.municipality, field="body.municipality")
    require_edit(principal, municipality.id)
    t = resolve_type(session, municipality.id, data.type, field="body.type")
    _check_codes([item.code for item in data.checklist])
    plan = InspectionPlan(
        municipality_id=municipality.id,
        type_id=t.id,
        kind=data.kind,
        name=data.name,
        interval_days=data.interval_days,
        checklist=[item.model_dump() for item in data.checklist],
        active=True,
    )
    session.add(plan)
    session.flush()
    return plan


def _check_codes(codes: list[str]) -> None:
    if len(codes) != len(set(codes)):
        raise ValidationFailed.one("body.checklist", N_("codes must be unique"))


def checklist_codes(items: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Checklist items from (code, label) pairs as staff enter them: an item keeps its code
    (inspections recorded against it refer to it), a new one gets a code from its label.
    Items without a label are left out."""
    taken = {code for code, label in items if code and label}
    result = []
    for code, label in items:
        if not label:
            continue
        if not code:
            code = code_from(label, taken)
            taken.add(code)
        result.append({"code": code, "label": label})
    return result


def editable_plan(session: Session, *, principal: Principal, plan_id: int) -> InspectionPlan:
    """A plan the caller may change: a municipality's own for its editors, the built-in ones
    for administrators only. Retired plans are gone."""
    plan = session.get(InspectionPlan, plan_id)
    if plan is None or not plan.active:
        raise not_found("inspection plan", plan_id)
    if plan.municipality_id is None:
        require(principal, Action.ADMINISTER)
    else:
        require_edit(principal, plan.municipality_id)
    return plan


def update_plan(
    session: Session, *, principal: Principal, plan_id: int, data: PlanUpdate
) -> InspectionPlan:
    plan = editable_plan(session, principal=principal, plan_id=plan_id)
    values = data.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            raise ValidationFailed.one(f"body.{name}", N_("must not be empty"))
    if data.checklist is not None:
        _check_codes([item.code for item in data.checklist])
        plan.checklist = [item.model_dump() for item in data.checklist]
    for name in ("kind", "name", "interval_days"):
        if name in values:
            setattr(plan, name, values[name])
    session.flush()
    return plan


def retire_plan(session: Session, *, principal: Principal, plan_id: int) -> None:
    """Delete a plan from use. Its row stays (inactive) so that the inspections recorded
    with it keep their checklist's labels."""
    plan = editable_plan(session, principal=principal, plan_id=plan_id)
    plan.active = False
    session.flush()


# --- what is due ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    obj: AssetObject
    type_key: str
    plan: InspectionPlan
    last: datetime | None
    due_at: datetime
    overdue: bool


def last_inspections(
    session: Session, object_ids: list[int] | None, condition: Any
) -> dict[tuple[int, str], datetime]:
    query = (
        select(Inspection.object_id, Inspection.kind, func.max(Inspection.performed_at))
        .where(condition)
        .group_by(Inspection.object_id, Inspection.kind)
    )
    if object_ids is not None:
        query = query.where(Inspection.object_id.in_(object_ids))
    return {(o, k): as_utc(at) for o, k, at in session.execute(query)}


def _last_for(last: dict[tuple[int, str], datetime], object_id: int, kind: str) -> datetime | None:
    rank = RANK.get(kind)
    kinds = [k for k, r in RANK.items() if r >= rank] if rank else [kind]
    found = [last[(object_id, k)] for k in kinds if (object_id, k) in last]
    return max(found) if found else None


def due(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    horizon_days: int = 7,
    municipality_id: int | None = None,
    object_id: int | None = None,
) -> list[Due]:
    """Inspections due within ``horizon_days`` or overdue, for the caller's municipalities."""
    visible = internal_condition(principal, AssetObject.municipality_id)
    query = (
        select(AssetObject, ObjectType.key, InspectionPlan)
        .join(ObjectType, ObjectType.id == AssetObject.type_id)
        .join(
            InspectionPlan,
            and_(
                InspectionPlan.type_id == AssetObject.type_id,
                InspectionPlan.active.is_(True),
                or_(
                    InspectionPlan.municipality_id.is_(None),
                    InspectionPlan.municipality_id == AssetObject.municipality_id,
                ),
            ),
        )
        .where(visible, AssetObject.status != "removed")
    )
    if municipality_id is not None:
        query = query.where(AssetObject.municipality_id == municipality_id)
    if object_id is not None:
        query = query.where(AssetObject.id == object_id)
    rows = session.execute(query).all()
    last = last_inspections(
        session,
        [object_id] if object_id is not None else None,
        internal_condition(principal, Inspection.municipality_id),
    )
    horizon = now + timedelta(days=horizon_days)
    result = []
    for obj, type_key, plan in rows:
        previous = _last_for(last, obj.id, plan.kind)
        due_at = (previous or as_utc(obj.created_at)) + timedelta(
            days=plan.interval_days if previous else 0
        )
        if due_at <= horizon:
            result.append(Due(obj, type_key, plan, previous, due_at, due_at < now))
    result.sort(key=lambda d: (d.due_at, d.obj.name, d.plan.interval_days))
    return result


# --- recording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    inspection: Inspection
    defects: list[Defect]
    work_orders: list[WorkOrder]


def _plan(session: Session, obj: AssetObject, plan_id: int) -> InspectionPlan:
    plan = session.get(InspectionPlan, plan_id)
    if (
        plan is None
        or plan.type_id != obj.type_id
        or plan.municipality_id not in (None, obj.municipality_id)
    ):
        raise ValidationFailed.one("body.plan_id", f"no inspection plan {plan_id} for this object")
    return plan


def _items(plan: InspectionPlan | None, data: InspectionCreate) -> list[dict[str, Any]]:
    labels = {i["code"]: i["label"] for i in plan.checklist} if plan else {}
    seen: set[str] = set()
    items = []
    for i, item in enumerate(data.items):
        where = f"body.items[{i}]"
        if plan is not None and item.code not in labels:
            raise ValidationFailed.one(f"{where}.code", f"is not on the checklist of '{plan.name}'")
        if item.code in seen:
            raise ValidationFailed.one(f"{where}.code", "is answered twice")
        seen.add(item.code)
        if item.result == "defect" and not item.note.strip():
            raise ValidationFailed.one(f"{where}.note", N_("describe the defect"))
        items.append(
            {
                "code": item.code,
                "label": labels.get(item.code, item.code),
                "result": item.result,
                "note": item.note.strip(),
                "priority": (item.priority or "medium") if item.result == "defect" else None,
            }
        )
    missing = [code for code in labels if code not in seen]
    if missing:
        raise ValidationFailed.one(
            "body.items", f"the checklist items {', '.join(missing)} are not answered"
        )
    return items


def record_inspection(
    session: Session, *, principal: Principal, object_id: int, data: InspectionCreate
) -> Recorded:
    obj = editable_object(session, principal=principal, object_id=object_id)
    plan = _plan(session, obj, data.plan_id) if data.plan_id is not None else None
    kind = plan.kind if plan else data.kind
    if kind is None:
        raise ValidationFailed.one("body.kind", N_("is required without a plan"))
    now = utcnow()
    performed_at = data.performed_at or now
    if performed_at.tzinfo is None:
        raise ValidationFailed.one("body.performed_at", "needs a time zone (Z or +HH:MM)")
    if performed_at > now + timedelta(minutes=5):
        raise ValidationFailed.one("body.performed_at", N_("lies in the future"))
    if performed_at.year < 1990:
        raise ValidationFailed.one("body.performed_at", "lies too far in the past")
    items = _items(plan, data)
    actor = Actor.of(principal)
    found = [
        (f"{i['label']}: {i['note']}", i["priority"]) for i in items if i["result"] == "defect"
    ]
    found += [(d.description.strip(), d.priority) for d in data.defects]
    result = "closed" if data.close_object else ("defects" if found else "ok")
    inspection = Inspection(
        municipality_id=obj.municipality_id,
        object_id=obj.id,
        plan_id=plan.id if plan else None,
        kind=kind,
        performed_at=performed_at,
        inspector_user_id=actor.user_id,
        inspector=(data.inspector or "").strip() or actor.name,
        result=result,
        items=items,
        notes=data.notes,
        created_at=now,
    )
    session.add(inspection)
    session.flush()
    record(
        session,
        obj,
        actor,
        kind="inspection",
        summary=f"{plan.name if plan else PLAN_KINDS.get(kind, kind)}: {result}",
        ref_id=inspection.id,
    )
    defects = []
    for description, priority in found:
        defect = Defect(
            municipality_id=obj.municipality_id,
            object_id=obj.id,
            inspection_id=inspection.id,
            description=description[:2000],
            priority=priority,
            status="open",
            created_at=now,
        )
        session.add(defect)
        defects.append(defect)
    session.flush()
    for defect in defects:
        record(
            session,
            obj,
            actor,
            kind="defect",
            summary=f"[{defect.priority}] {defect.description}",
            ref_id=defect.id,
        )
    orders = []
    urgent = [d for d in defects if d.priority == "high"]
    if urgent:  # a high-priority defect must not wait for someone to plan it
        title = urgent[0].description if len(urgent) == 1 else f"{len(urgent)} dringende Mängel"
        orders.append(
            open_work_order(
                session,
                actor=actor,
                municipality_id=obj.municipality_id,
                title=f"{obj.name}: {title}",
                description="\n".join(f"- {d.description}" for d in urgent),
                obj=obj,
                defects=urgent,
                due_on=default_due("high", performed_at.date()),
            )
        )
    if data.close_object and obj.status != "closed":
        record(
            session,
            obj,
            actor,
            kind="updated",
            summary="status",
            changes={"status": [obj.status, "closed"]},
        )
        obj.status = "closed"
        obj.updated_at = now
    emit(session, Event("assets.inspection.recorded", {"id": inspection.id, "object_id": obj.id}))
    return Recorded(inspection, defects, orders)


def inspections_of(session: Session, *, object_id: int, limit: int = 100) -> list[Inspection]:
    return list(
        session.scalars(
            select(Inspection)
            .where(Inspection.object_id == object_id)
            .order_by(Inspection.performed_at.desc(), Inspection.id.desc())
            .limit(limit)
        )
    )


def get_inspection(session: Session, *, principal: Principal, inspection_id: int) -> Inspection:
    found = session.scalar(
        select(Inspection).where(
            Inspection.id == inspection_id,
            internal_condition(principal, Inspection.municipality_id),
        )
    )
    if found is None:
        raise not_found("inspection", inspection_id)
    return found


# --- defects --------------------------------------------------------------------------------


def defect_reads(session: Session, defects: list[Defect]) -> list[DefectRead]:
    names = dict(
        session.execute(
            select(AssetObject.id, AssetObject.name).where(
                AssetObject.id.in_({d.object_id for d in defects})
            )
        ).all()
    )
    return [
        DefectRead(
            id=d.id,
            object_id=d.object_id,
            object_name=names.get(d.object_id, ""),
            inspection_id=d.inspection_id,
            work_order_id=d.work_order_id,
            description=d.description,
            priority=d.priority,
            status=d.status,
            created_at=d.created_at,
            fixed_at=d.fixed_at,
        )
        for d in defects
    ]


def list_defects(
    session: Session,
    *,
    principal: Principal,
    municipality_id: int | None = None,
    status: str | None = None,
    priority: str | None = None,
    object_id: int | None = None,
    inspection_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Defect]:
    query = select(Defect).where(internal_condition(principal, Defect.municipality_id))
    for column, value in (
        (Defect.municipality_id, municipality_id),
        (Defect.status, status),
        (Defect.priority, priority),
        (Defect.object_id, object_id),
        (Defect.inspection_id, inspection_id),
    ):
        if value is not None:
            query = query.where(column == value)
    order = (Defect.status, Defect.priority != "high", Defect.created_at.desc(), Defect.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))


def defects_of(session: Session, inspection_ids: list[int]) -> dict[int, list[Defect]]:
    result: dict[int, list[Defect]] = {i: [] for i in inspection_ids}
    for defect in session.scalars(
        select(Defect).where(Defect.inspection_id.in_(inspection_ids)).order_by(Defect.id)
    ):
        result[defect.inspection_id or 0].append(defect)
    return result


def update_defect(
    session: Session, *, principal: Principal, defect_id: int, data: DefectUpdate
) -> Defect:
    defect = session.scalar(
        select(Defect).where(
            Defect.id == defect_id, internal_condition(principal, Defect.municipality_id)
        )
    )
    if defect is None:
        raise not_found("defect", defect_id)
    require_edit(principal, defect.municipality_id)
    values = data.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
        setattr(defect, name, value)
    if "status" in values:
        defect.fixed_at = utcnow() if values["status"] == "fixed" else None
    session.flush()
    return defect
