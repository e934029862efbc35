"""JSON under ``/api/energy``: buildings, meters, consumption, baselines, plans, the annual
report as CSV. Public buildings are readable by anyone; internal ones by their municipality's
staff; changes need the right to edit in the municipality (API keys: scope ``energy``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from allmende.modules.energy import catalogue, service
from allmende.modules.energy import report_pdf as report_pdf_module
from allmende.modules.energy.models import Building, Meter, Zone
from allmende.modules.energy.schemas import (
    BaselineRead,
    Bucket,
    BuildingCreate,
    BuildingRead,
    ConsumptionRead,
    IssueRead,
    MeterCreate,
    MeterRead,
    PlanRead,
)
from allmende.sdk import (
    Action,
    Caller,
    Municipality,
    NotFound,
    Principal,
    RowId,
    ValidationFailed,
    absolute_url,
    app_context,
    can,
    require,
    utcnow,
)

router = APIRouter(prefix="/api/energy", tags=["energy"])
SCOPE = "energy"
#: Changes: a caller who is not staff of the building's municipality (with the energy scope).
EDITS: dict[int | str, dict[str, Any]] = {403: {"description": "Not staff of this municipality"}}


def visible_building(session: Session, principal: Principal, building_id: int) -> Building:
    building = session.get(Building, building_id)
    if building is None or not (
        building.public
        or can(
            principal, Action.READ_INTERNAL, municipality_id=building.municipality_id, scope=SCOPE
        )
    ):
        raise NotFound(detail=f"No building with id {building_id}.")
    return building


def _building(request: Request, b: Building) -> BuildingRead:
    return BuildingRead(
        id=b.id,
        municipality_id=b.municipality_id,
        name=b.name,
        use=b.use,
        floor_area=b.floor_area,
        year_built=b.year_built,
        heating_system=b.heating_system,
        heat_pump=b.heat_pump,
        pv_kwp=b.pv_kwp,
        object_ref=b.object_ref,
        thing=absolute_url(request, f"/v1.1/Things({b.thing_id})"),
    )


@router.get("/buildings", operation_id="energy_list_buildings", response_model=list[BuildingRead])
def list_buildings(request: Request, principal: Caller) -> list[BuildingRead]:
    with app_context(request).database.session() as session:
        found = service.buildings(session, municipality_ids=None)
        return [
            _building(request, b)
            for b in found
            if b.public
            or can(principal, Action.READ_INTERNAL, municipality_id=b.municipality_id, scope=SCOPE)
        ]


@router.post(
    "/buildings",
    operation_id="energy_create_building",
    responses=EDITS,
    response_model=BuildingRead,
    status_code=201,
)
def create_building(request: Request, body: BuildingCreate, principal: Caller) -> BuildingRead:
    context = app_context(request)
    sources = [s for m in context.registry for s in m.feature_sources]

    def run(session: Session) -> BuildingRead:
        municipality_id = service.municipality_id_of(
            session, body.municipality, field="body.municipality"
        )
        require(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)
        building = service.create_building(
            session,
            municipality_id=municipality_id,
            **body.model_dump(exclude={"municipality"}),
            sources=sources,
            principal=principal,
        )
        return _building(request, building)

    return context.database.write(run)


@router.get(
    "/buildings/{building_id}", operation_id="energy_get_building", response_model=BuildingRead
)
def get_building(request: Request, building_id: RowId, principal: Caller) -> BuildingRead:
    with app_context(request).database.session() as session:
        return _building(request, visible_building(session, principal, building_id))


def _meter(request: Request, m: Meter) -> MeterRead:
    return MeterRead(
        id=m.id,
        building_id=m.building_id,
        parent_id=m.parent_id,
        name=m.name,
        carrier=m.carrier,
        reading=m.reading,
        datastream=absolute_url(request, f"/v1.1/Datastreams({m.datastream_id})"),
    )


@router.get(
    "/buildings/{building_id}/meters",
    operation_id="energy_list_meters",
    response_model=list[MeterRead],
)
def list_meters(request: Request, building_id: RowId, principal: Caller) -> list[MeterRead]:
    with app_context(request).database.session() as session:
        visible_building(session, principal, building_id)
        return [_meter(request, m) for m in service.meters(session, building_ids=[building_id])]


@router.post(
    "/buildings/{building_id}/meters",
    operation_id="energy_create_meter",
    responses=EDITS,
    response_model=MeterRead,
    status_code=201,
)
def create_meter(
    request: Request, building_id: RowId, body: MeterCreate, principal: Caller
) -> MeterRead:
    def run(session: Session) -> MeterRead:
        building = visible_building(session, principal, building_id)
        require(principal, Action.EDIT, municipality_id=building.municipality_id, scope=SCOPE)
        return _meter(
            request, service.add_meter(session, building_id=building_id, **body.model_dump())
        )

    return app_context(request).database.write(run)


def _visible_meter(session: Session, principal: Principal, meter_id: int) -> Meter:
    meter = session.get(Meter, meter_id)
    if meter is None:
        raise NotFound(detail=f"No meter with id {meter_id}.")
    visible_building(session, principal, meter.building_id)
    return meter


@router.get(
    "/meters/{meter_id}/consumption",
    operation_id="energy_meter_consumption",
    response_model=ConsumptionRead,
)
def meter_consumption(
    request: Request,
    meter_id: RowId,
    principal: Caller,
    start: datetime = Query(...),
    end: datetime = Query(...),
    resolution: str = Query("day", pattern=r"^(15min|hour|day|month)$"),
) -> ConsumptionRead:
    start, end = _aware(start, "start"), _aware(end, "end")
    with app_context(request).database.session() as session:
        meter = _visible_meter(session, principal, meter_id)
        found = service.buckets(session, meter=meter, start=start, end=end, resolution=resolution)
        return ConsumptionRead(
            meter=meter.id,
            resolution=resolution,
            unit=catalogue.CARRIER_BY_KEY[meter.carrier].unit,
            buckets=[
                Bucket(start=s, value=v, coverage=c)
                for s, v, c in zip(found.starts, found.values, found.coverage, strict=True)
            ],
            issues=[
                IssueRead(
                    kind=i.kind,
                    time=i.time.astype("datetime64[us]").item().replace(tzinfo=UTC),
                    detail=i.detail,
                )
                for i in found.issues
            ],
        )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed.one(f"query.{name}", "needs a time zone (…Z or +01:00)")
    return value.astimezone(UTC)


@router.get(
    "/meters/{meter_id}/baseline", operation_id="energy_meter_baseline", response_model=BaselineRead
)
def meter_baseline(
    request: Request,
    meter_id: RowId,
    principal: Caller,
    start: datetime = Query(...),
    end: datetime = Query(...),
) -> BaselineRead:
    """A CalTRACK daily baseline of the meter against the municipality's outdoor temperature,
    or the reason there is none."""
    start, end = _aware(start, "start"), _aware(end, "end")
    with app_context(request).database.session() as session:
        meter = _visible_meter(session, principal, meter_id)
        result = service.meter_baseline(session, meter=meter, start=start, end=end)
    model = result.model
    return BaselineRead(
        meter=meter_id,
        days=result.days,
        model=None if model is None else model.kind,
        reason=result.reason,
        intercept=None if model is None else model.intercept,
        beta_hdd=None if model is None else model.beta_hdd,
        heating_balance=None if model is None else model.heating_balance,
        beta_cdd=None if model is None else model.beta_cdd,
        cooling_balance=None if model is None else model.cooling_balance,
        cv_rmse=None if model is None else model.fit.cv_rmse,
        nmbe=None if model is None else model.fit.nmbe,
    )


@router.get("/zones/{zone_id}/plan", operation_id="energy_zone_plan", response_model=PlanRead)
def zone_plan(request: Request, zone_id: RowId, principal: Caller) -> PlanRead:
    with app_context(request).database.session() as session:
        zone = session.get(Zone, zone_id)
        if zone is None:
            raise NotFound(detail=f"No zone with id {zone_id}.")
        building = visible_building(session, principal, zone.building_id)
        require(
            principal, Action.READ_INTERNAL, municipality_id=building.municipality_id, scope=SCOPE
        )
        plan = service.latest_plan(session, zone_id=zone_id)
        if plan is None:
            raise NotFound(detail="The zone has no plan yet.")
        return PlanRead(
            id=plan.id,
            zone=zone_id,
            start=plan.start,
            step_seconds=plan.step_seconds,
            source=plan.source,
            status=plan.status,
            message=plan.message,
            cost=plan.cost,
            co2=plan.co2,
            setpoints=plan.setpoints,
            heating_kw=plan.heating_kw,
            task=plan.task_id,
        )


@router.get("/report/{municipality}/{year}.csv", operation_id="energy_report_csv")
def report_csv(request: Request, municipality: str, year: int, principal: Caller) -> Response:
    """The annual energy report of a municipality's public buildings (and, for its staff,
    the internal ones) as CSV in the German Excel convention."""
    with app_context(request).database.session() as session:
        municipality_id = service.municipality_id_of(session, municipality)
        rows = [
            r
            for r in service.portfolio(session, municipality_id=municipality_id, year=year)
            if r.building.public
            or can(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)
        ]
    filename = f"energiebericht-{municipality}-{year}.csv"
    return Response(
        service.report_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/report/{municipality}/{year}.pdf", operation_id="energy_report_pdf")
def report_pdf(request: Request, municipality: str, year: int, principal: Caller) -> Response:
    """The annual energy report as a PDF (made on the server), in the reader's language."""
    context = app_context(request)
    with context.database.session() as session:
        municipality_id = service.municipality_id_of(session, municipality)
        place = session.get(Municipality, municipality_id)
        rows = [
            r
            for r in service.portfolio(session, municipality_id=municipality_id, year=year)
            if r.building.public
            or can(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)
        ]
    language = context.catalogs.negotiate(request)
    document = report_pdf_module.annual_report(
        rows,
        place=place.name if place else municipality,
        year=year,
        language=language,
        gettext=context.catalogs.translator(request, "energy"),
        made=utcnow().date().isoformat(),
    )
    filename = f"energiebericht-{municipality}-{year}.pdf"
    return Response(
        report_pdf_module.render(document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
