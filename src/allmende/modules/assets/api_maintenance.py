"""JSON API for maintenance: inspection plans, what is due, inspections, defects, work orders.
Everything here is internal: staff of the municipality (or an API key with the scope)."""

from __future__ import annotations

from fastapi import File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from allmende.modules.assets import files
from allmende.modules.assets.api_routing import (
    READ_ERRORS,
    STAFF_ERRORS,
    UPLOAD_ERRORS,
    WRITE_ERRORS,
    Limit,
    MunicipalityQuery,
    Offset,
    OptionalId,
    municipality_id,
    router,
)
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import Inspection, InspectionPlan
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.schemas import (
    DefectRead,
    DefectUpdate,
    DueRead,
    FileRead,
    InspectionCreate,
    InspectionRead,
    PlanCreate,
    PlanRead,
    WorkOrderCreate,
    WorkOrderRead,
    WorkOrderUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    may_read_internal,
    municipality_keys,
    not_found,
    require_edit,
    require_staff_somewhere,
)
from allmende.sdk import Caller, RowId, app_context, uploads, utcnow


def _type_keys(session: Session) -> dict[int, str]:
    return {t.id: t.key for t in objects.list_types(session)}


def plan_reads(session: Session, plans: list[InspectionPlan]) -> list[PlanRead]:
    keys, types = municipality_keys(session), _type_keys(session)
    return [inspections.plan_read(p, keys, types) for p in plans]


@router.get("/plans", response_model=list[PlanRead], operation_id="listInspectionPlans")
def list_plans(
    request: Request, principal: Caller, municipality: str | None = MunicipalityQuery
) -> list[PlanRead]:
    """Inspection plans: intervals and checklists per object type."""
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        return plan_reads(session, inspections.list_plans(session, municipality_id=mid))


@router.post(
    "/plans",
    response_model=PlanRead,
    status_code=201,
    operation_id="createInspectionPlan",
    responses=WRITE_ERRORS,
)
def create_plan(request: Request, body: PlanCreate, principal: Caller) -> PlanRead:
    def run(session: Session) -> PlanRead:
        plan = inspections.create_plan(session, principal=principal, data=body)
        return plan_reads(session, [plan])[0]

    return app_context(request).database.write(run)


@router.get(
    "/inspections/due",
    response_model=list[DueRead],
    operation_id="listDueInspections",
    responses=STAFF_ERRORS,
)
def list_due(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    within_days: int = Query(7, ge=0, le=366, description="Also list what is due this soon"),
) -> list[DueRead]:
    """Inspections that are overdue or due soon, oldest first."""
    require_staff_somewhere(principal)
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        keys = municipality_keys(session)
        return [
            DueRead(
                object_id=d.obj.id,
                object_name=d.obj.name,
                identifier=d.obj.identifier,
                municipality=keys[d.obj.municipality_id],
                type=d.type_key,
                plan_id=d.plan.id,
                plan_name=d.plan.name,
                kind=d.plan.kind,
                interval_days=d.plan.interval_days,
                last_performed_at=d.last,
                due_at=d.due_at,
                overdue=d.overdue,
            )
            for d in inspections.due(
                session,
                principal=principal,
                now=utcnow(),
                horizon_days=within_days,
                municipality_id=mid,
            )
        ]


def inspection_reads(session: Session, found: list[Inspection]) -> list[InspectionRead]:
    defects = inspections.defects_of(session, [i.id for i in found])
    photos = files.files_of_inspections(session, [i.id for i in found])
    return [
        InspectionRead(
            id=i.id,
            object_id=i.object_id,
            plan_id=i.plan_id,
            kind=i.kind,
            performed_at=i.performed_at,
            inspector=i.inspector,
            result=i.result,
            items=list(i.items),
            notes=i.notes,
            defects=inspections.defect_reads(session, defects[i.id]),
            photos=[files.file_read(p) for p in photos[i.id]],
        )
        for i in found
    ]


@router.post(
    "/objects/{object_id}/inspections",
    response_model=InspectionRead,
    status_code=201,
    operation_id="recordInspection",
    responses=WRITE_ERRORS,
)
def record_inspection(
    request: Request, object_id: RowId, body: InspectionCreate, principal: Caller
) -> InspectionRead:
    """Record an inspection; defects are filed, a high-priority one opens a work order."""

    def run(session: Session) -> InspectionRead:
        done = inspections.record_inspection(
            session, principal=principal, object_id=object_id, data=body
        )
        return inspection_reads(session, [done.inspection])[0]

    return app_context(request).database.write(run)


@router.get(
    "/objects/{object_id}/inspections",
    response_model=list[InspectionRead],
    operation_id="listObjectInspections",
    responses=READ_ERRORS,
)
def list_inspections(request: Request, object_id: RowId, principal: Caller) -> list[InspectionRead]:
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        if not may_read_internal(principal, obj.municipality_id):
            raise not_found("inspections of object", object_id)
        return inspection_reads(session, inspections.inspections_of(session, object_id=obj.id))


@router.get(
    "/inspections/{inspection_id}",
    response_model=InspectionRead,
    operation_id="getInspection",
    responses=READ_ERRORS,
)
def get_inspection(request: Request, inspection_id: RowId, principal: Caller) -> InspectionRead:
    with app_context(request).database.session() as session:
        found = inspections.get_inspection(
            session, principal=principal, inspection_id=inspection_id
        )
        return inspection_reads(session, [found])[0]


@router.post(
    "/inspections/{inspection_id}/photos",
    response_model=FileRead,
    status_code=201,
    operation_id="addInspectionPhoto",
    responses=UPLOAD_ERRORS,
)
async def add_inspection_photo(
    request: Request,
    inspection_id: RowId,
    principal: Caller,
    photo: UploadFile = File(..., description="JPEG, PNG, WebP or GIF; metadata is removed"),
    title: str = Form("", max_length=200),
) -> FileRead:
    """A photo for an inspection record (internal, like the record)."""
    context = app_context(request)

    def may_edit() -> None:  # refuse early, before any processing
        with context.database.session() as session:
            found = inspections.get_inspection(
                session, principal=principal, inspection_id=inspection_id
            )
            require_edit(principal, found.municipality_id)

    await run_in_threadpool(may_edit)
    limit = context.settings.upload_max_bytes
    prepared = await uploads.clean_image(
        await uploads.read_upload(photo, limit, "photo"),
        field="photo",
        max_bytes=limit,
        filename=photo.filename,
    )
    path = await run_in_threadpool(files.save, context.settings.data_dir, prepared)

    def run(session: Session) -> FileRead:
        inspection = inspections.get_inspection(
            session, principal=principal, inspection_id=inspection_id
        )
        require_edit(principal, inspection.municipality_id)
        stored = files.attach(
            session,
            actor=Actor.of(principal),
            municipality_id=inspection.municipality_id,
            kind="photo",
            upload=prepared,
            path=path,
            title=title,
            public=False,
            inspection=inspection,
        )
        return files.file_read(stored)

    try:
        return await context.database.awrite(run)
    except BaseException:
        files.remove(context.settings.data_dir, path)
        raise


# --- defects --------------------------------------------------------------------------------


@router.get(
    "/defects",
    response_model=list[DefectRead],
    operation_id="listDefects",
    responses=STAFF_ERRORS,
)
def list_defects(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    status: str | None = Query(None, pattern="^(open|fixed)$"),
    priority: str | None = Query(None, pattern="^(low|medium|high)$"),
    object_id: int | None = OptionalId,
    limit: int = Limit,
    offset: int = Offset,
) -> list[DefectRead]:
    require_staff_somewhere(principal)
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        found = inspections.list_defects(
            session,
            principal=principal,
            municipality_id=mid,
            status=status,
            priority=priority,
            object_id=object_id,
            limit=limit,
            offset=offset,
        )
        return inspections.defect_reads(session, found)


@router.patch(
    "/defects/{defect_id}",
    response_model=DefectRead,
    operation_id="updateDefect",
    responses=WRITE_ERRORS,
)
def update_defect(
    request: Request, defect_id: RowId, body: DefectUpdate, principal: Caller
) -> DefectRead:
    def run(session: Session) -> DefectRead:
        defect = inspections.update_defect(
            session, principal=principal, defect_id=defect_id, data=body
        )
        return inspections.defect_reads(session, [defect])[0]

    return app_context(request).database.write(run)


# --- work orders ----------------------------------------------------------------------------


@router.get(
    "/work-orders",
    response_model=list[WorkOrderRead],
    operation_id="listWorkOrders",
    responses=STAFF_ERRORS,
)
def list_work_orders(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    status: str | None = Query(None, pattern="^(open|in_progress|done|cancelled)$"),
    object_id: int | None = OptionalId,
    limit: int = Limit,
    offset: int = Offset,
) -> list[WorkOrderRead]:
    require_staff_somewhere(principal)
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        orders = workorders.list_work_orders(
            session,
            principal=principal,
            f=workorders.WorkOrderFilter(municipality_id=mid, status=status, object_id=object_id),
            limit=limit,
            offset=offset,
        )
        return workorders.work_order_read(session, orders)


@router.get(
    "/work-orders/{order_id}",
    response_model=WorkOrderRead,
    operation_id="getWorkOrder",
    responses=READ_ERRORS,
)
def get_work_order(request: Request, order_id: RowId, principal: Caller) -> WorkOrderRead:
    with app_context(request).database.session() as session:
        order = workorders.get_work_order(session, principal=principal, order_id=order_id)
        return workorders.work_order_read(session, [order])[0]


@router.post(
    "/work-orders",
    response_model=WorkOrderRead,
    status_code=201,
    operation_id="createWorkOrder",
    responses=WRITE_ERRORS,
)
def create_work_order(request: Request, body: WorkOrderCreate, principal: Caller) -> WorkOrderRead:
    def run(session: Session) -> WorkOrderRead:
        order = workorders.create_work_order(session, principal=principal, data=body)
        return workorders.work_order_read(session, [order])[0]

    return app_context(request).database.write(run)


@router.patch(
    "/work-orders/{order_id}",
    response_model=WorkOrderRead,
    operation_id="updateWorkOrder",
    responses=WRITE_ERRORS,
)
def update_work_order(
    request: Request, order_id: RowId, body: WorkOrderUpdate, principal: Caller
) -> WorkOrderRead:
    """Change a work order; status ``done`` fixes its defects and closes its reports."""

    def run(session: Session) -> WorkOrderRead:
        order = workorders.update_work_order(
            session, principal=principal, order_id=order_id, data=body
        )
        return workorders.work_order_read(session, [order])[0]

    return app_context(request).database.write(run)
