"""JSON under ``/api/heat``: the map of an hour, the stations' indices, warnings, and for staff
the settings, land-cover layers, the action plan and the map's measured errors.

Derived station values are SensorThings Datastreams (``/v1.1``); the map's district aggregates
and the warnings are also OGC API - Features collections (``heat-districts``,
``heat-warnings``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from allmende.modules.heat import alerts, maps, plan, service, stations
from allmende.modules.heat.catalogue import LAYER_KINDS
from allmende.modules.heat.models import HeatWarning, Layer
from allmende.modules.heat.schemas import (
    DistrictHourRead,
    EvaluationRead,
    LayerRead,
    MapRead,
    PlanEntryCreate,
    PlanEntryRead,
    PlanRead,
    SettingsRead,
    SettingsUpdate,
    StationIndexRead,
    StationRead,
    SwitchRead,
    WarningRead,
)
from allmende.modules.heat.utci import stress_category
from allmende.sdk import (
    Caller,
    District,
    Municipality,
    NotFound,
    PayloadTooLarge,
    Principal,
    RowId,
    absolute_url,
    app_context,
    as_utc,
)

router = APIRouter(prefix="/api/heat", tags=["heat"])
#: Staff operations: a caller who is not staff of the municipality (with the heat scope).
STAFF_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not staff of this municipality"}
}
#: Lists filtered by a municipality that may not exist.
BY_MUNICIPALITY: dict[int | str, dict[str, Any]] = {404: {"description": "No such municipality"}}
KEY = r"^[a-z0-9][a-z0-9_-]{0,39}$"


def warning_read(
    request: Request, w: HeatWarning, d: District, m: Municipality, *, internal: bool
) -> WarningRead:
    return WarningRead(
        id=w.id,
        municipality=m.key,
        district=d.name,
        district_id=d.id,
        level=w.level,
        status=w.status,
        first_day=w.first_day,
        last_day=w.last_day,
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        ended_at=w.ended_at,
        forecast=w.forecast,
        version=w.version,
        url=absolute_url(request, f"/heat/warnings/{w.id}"),
        cap=absolute_url(request, f"/heat/warnings/{w.id}.cap.xml"),
        evidence=alerts.shown_evidence(w.evidence, internal=internal),
    )


@router.get("/municipalities/{key}/map", operation_id="heat_map", response_model=MapRead)
def map_of_hour(
    request: Request,
    key: str,
    hour: datetime | None = Query(None, description="The hour (UTC); the newest if left out"),
) -> MapRead:
    """The map of an hour: its overlay and downloads, and the district aggregates."""
    with app_context(request).database.session() as session:
        place = service.municipality(session, key=key)
        stored = maps.map_hour(
            session, municipality_id=place.id, hour=as_utc(hour) if hour else None
        )
        rows = maps.district_hours(
            session, municipality_id=place.id, start=stored.hour, end=stored.hour.replace(minute=59)
        )
        names = {d.id: d.name for d in service.districts(session, municipality_id=place.id)}
        overlay = maps.cached_overlay(session, municipality_id=place.id, hour=stored.hour)
    stamp = f"?hour={stored.hour.isoformat()}".replace("+", "%2B")
    base = f"/heat/map/{key}"
    return MapRead(
        municipality=key,
        hour=stored.hour,
        source=stored.source,
        stations_used=stored.stations_used,
        overlay=absolute_url(request, f"{base}/overlay.png{stamp}"),
        bounds=[list(overlay.bounds[0]), list(overlay.bounds[1])],
        geotiff=absolute_url(request, f"{base}/map.tif{stamp}"),
        netcdf=absolute_url(request, f"{base}/map.nc{stamp}"),
        districts=[
            DistrictHourRead(
                district_id=r.district_id,
                district=names.get(r.district_id, ""),
                hour=r.hour,
                source=r.source,
                utci_p50=r.utci_p50,
                utci_p75=r.utci_p75,
                utci_p90=r.utci_p90,
                utci_max=r.utci_max,
                utci_class=int(stress_category(r.utci_p50)) - 5,
                ta_p50=r.ta_p50,
                ta_min=r.ta_min,
            )
            for r in rows
        ],
    )


def station_reads(
    request: Request, session: Session, principal: Principal, municipality_ids: list[int] | None
) -> list[StationRead]:
    keys = {m.id: m.key for m in service.municipalities(session)}
    out = []
    for st in stations.find(session, municipality_ids=municipality_ids, principal=principal):
        derived = stations.derived_streams(st)
        out.append(
            StationRead(
                thing_id=st.thing.id,
                name=st.thing.name,
                municipality=keys.get(st.thing.municipality_id, ""),
                public=st.thing.public,
                lon=st.thing.lon,
                lat=st.thing.lat,
                mean_radiant_temperature=st.mrt_method,
                inputs={k: s.id for k, s in st.inputs.items()},
                indices=[
                    StationIndexRead(
                        key=k,
                        name=s.name,
                        datastream_id=s.id,
                        value=s.latest_value if isinstance(s.latest_value, int | float) else None,
                        time=s.latest_time,
                        self_link=absolute_url(request, f"/v1.1/Datastreams({s.id})"),
                    )
                    for k, s in derived.items()
                ],
            )
        )
    return out


@router.get(
    "/stations",
    operation_id="heat_stations",
    response_model=list[StationRead],
    responses=BY_MUNICIPALITY,
)
def list_stations(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY),
) -> list[StationRead]:
    """Stations the caller may see, what they measure and their latest indices."""
    with app_context(request).database.session() as session:
        ids = [service.municipality(session, key=municipality).id] if municipality else None
        return station_reads(request, session, principal, ids)


@router.get(
    "/warnings",
    operation_id="heat_warnings",
    response_model=list[WarningRead],
    responses=BY_MUNICIPALITY,
)
def list_warnings(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY),
    status: str | None = Query(None, pattern="^(active|ended)$"),
) -> list[WarningRead]:
    """Heat warnings, newest first (public: the evidence of public stations only)."""
    with app_context(request).database.session() as session:
        ids = [service.municipality(session, key=municipality).id] if municipality else None
        rows = alerts.listed(session, municipality_ids=ids, status=status)
        return [
            warning_read(request, w, d, m, internal=service.reads_internal(principal, m.id))
            for w, d, m in rows
        ]


@router.get("/warnings/{warning_id}", operation_id="heat_warning", response_model=WarningRead)
def get_warning(request: Request, warning_id: RowId, principal: Caller) -> WarningRead:
    with app_context(request).database.session() as session:
        w, d, m = alerts.one(session, warning_id=warning_id)
        return warning_read(request, w, d, m, internal=service.reads_internal(principal, m.id))


@router.get(
    "/municipalities/{key}/evaluation",
    operation_id="heat_evaluation",
    response_model=EvaluationRead,
)
def get_evaluation(request: Request, key: str) -> EvaluationRead:
    """The newest leave-one-station-out comparison of the map against the stations."""
    with app_context(request).database.session() as session:
        place = service.municipality(session, key=key)
        found = maps.latest_evaluation(session, municipality_id=place.id)
        if found is None:
            raise NotFound(detail=f"No evaluation of the map of {place.name} yet.")
        return EvaluationRead(
            municipality=key,
            period_start=found.period_start,
            period_end=found.period_end,
            stations=found.stations,
            hours=found.hours,
            results=found.results,
            computed_at=found.computed_at,
        )


# --- staff ------------------------------------------------------------------------------


def settings_read(key: str, rules: service.Rules) -> SettingsRead:
    return SettingsRead(municipality=key, **rules.__dict__)


@router.get(
    "/municipalities/{key}/settings",
    operation_id="heat_settings",
    response_model=SettingsRead,
    responses=STAFF_ONLY,
)
def get_settings(request: Request, key: str, principal: Caller) -> SettingsRead:
    with app_context(request).database.session() as session:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        return settings_read(key, service.rules(session, municipality_id=place.id))


@router.patch(
    "/municipalities/{key}/settings",
    operation_id="heat_update_settings",
    response_model=SettingsRead,
    responses=STAFF_ONLY,
)
def update_settings(
    request: Request, key: str, body: SettingsUpdate, principal: Caller
) -> SettingsRead:
    """Change thresholds and map settings of a municipality (staff)."""

    def run(session: Session) -> SettingsRead:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        changed = service.update_rules(
            session, municipality_id=place.id, values=body.model_dump(exclude_unset=True)
        )
        return settings_read(key, changed)

    return app_context(request).database.write(run)


def layer_read(layer: Layer) -> LayerRead:
    return LayerRead(
        id=layer.id,
        kind=layer.kind,
        name=layer.name,
        filename=layer.filename,
        file_format=layer.file_format,
        source_crs=layer.source_crs,
        size_bytes=layer.size_bytes,
        summary=layer.summary or {},
        created_at=layer.created_at,
    )


@router.get(
    "/municipalities/{key}/layers",
    operation_id="heat_layers",
    response_model=list[LayerRead],
    responses=STAFF_ONLY,
)
def list_layers(request: Request, key: str, principal: Caller) -> list[LayerRead]:
    with app_context(request).database.session() as session:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        return [layer_read(layer) for layer in maps.layers_of(session, municipality_id=place.id)]


def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(detail=f"file: larger than {limit} bytes")
    return bytes(data)


def store_upload(
    request: Request, principal: Principal, key: str, kind: str, name: str, upload: UploadFile
) -> Layer:
    context = app_context(request)
    with context.database.session() as session:  # refuse early, before reading the file
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
    content = read_upload(upload, context.settings.upload_max_bytes)
    sources = maps.feature_sources(context.registry)
    return context.database.write(
        lambda session: maps.upload_layer(
            session,
            municipality_id=place.id,
            kind=kind,
            name=name,
            filename=upload.filename or "upload",
            content=content,
            user_id=principal.user_id,
            sources=sources,
        )
    )


@router.post(
    "/municipalities/{key}/layers",
    operation_id="heat_upload_layer",
    response_model=LayerRead,
    status_code=201,
    responses=STAFF_ONLY,
)
def upload_layer(
    request: Request,
    key: str,
    principal: Caller,
    kind: str = Form(..., description=", ".join(LAYER_KINDS)),
    file: UploadFile = File(..., description="GeoTIFF, GeoPackage or GeoJSON"),
    name: str = Form("", max_length=200),
) -> LayerRead:
    """Upload a land-cover layer (staff); the land cover is rebuilt with it. A file in another
    CRS is reprojected; one that cannot be read, has no CRS or misses the municipality is
    refused with the reason, and nothing is stored."""
    return layer_read(store_upload(request, principal, key, kind, name, file))


@router.post(
    "/municipalities/{key}/landcover",
    operation_id="heat_rebuild_land_cover",
    status_code=200,
    responses=STAFF_ONLY,
)
def rebuild_land_cover(request: Request, key: str, principal: Caller) -> dict[str, Any]:
    """Rebuild the land cover from the object register and the layers (staff)."""
    context = app_context(request)
    sources = maps.feature_sources(context.registry)

    def run(session: Session) -> dict[str, Any]:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        row = maps.build_land_cover(session, municipality_id=place.id, sources=sources)
        return {"municipality": key, "built_at": row.built_at.isoformat(), "sources": row.sources}

    return context.database.write(run)


@router.get(
    "/municipalities/{key}/plan",
    operation_id="heat_plan",
    response_model=PlanRead,
    responses=STAFF_ONLY,
)
def get_plan(request: Request, key: str, principal: Caller) -> PlanRead:
    """The action plan's devices and its switches with their Tasks' state (staff)."""
    with app_context(request).database.session() as session:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        return plan_read(session, place.id)


def plan_read(session: Session, municipality_id: int) -> PlanRead:
    return PlanRead(
        entries=[
            PlanEntryRead(
                id=e.id,
                name=e.name,
                device_kind=e.device_kind,
                capability_id=e.capability_id,
                district_id=e.district_id,
                min_level=e.min_level,
                active=e.active,
            )
            for e in plan.entries(session, municipality_id=municipality_id)
        ],
        switches=[
            SwitchRead(
                id=r.switch.id,
                entry_id=r.entry.id,
                entry=r.entry.name,
                warning_id=r.switch.warning_id,
                action=r.switch.action,
                reason=r.switch.reason,
                task_id=r.switch.task_id,
                state=r.state,
                attempts=r.attempts,
                error=r.error,
                created_at=r.switch.created_at,
            )
            for r in plan.switch_rows(session, municipality_id=municipality_id)
        ],
    )


@router.post(
    "/municipalities/{key}/plan",
    operation_id="heat_add_plan_entry",
    response_model=PlanEntryRead,
    status_code=201,
    responses=STAFF_ONLY,
)
def add_plan_entry(
    request: Request, key: str, body: PlanEntryCreate, principal: Caller
) -> PlanEntryRead:
    """Put a device into the action plan (staff): its TaskingCapability is made on its Thing."""

    def run(session: Session) -> PlanEntryRead:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        e = plan.add_entry(
            session,
            principal=principal,
            municipality_id=place.id,
            thing_id=body.thing_id,
            name=body.name,
            device_kind=body.device_kind,
            min_level=body.min_level,
            district_id=body.district_id,
        )
        return PlanEntryRead(
            id=e.id,
            name=e.name,
            device_kind=e.device_kind,
            capability_id=e.capability_id,
            district_id=e.district_id,
            min_level=e.min_level,
            active=e.active,
        )

    return app_context(request).database.write(run)


@router.post(
    "/municipalities/{key}/switches/{switch_id}/resend",
    operation_id="heat_resend_switch",
    response_model=PlanRead,
    responses=STAFF_ONLY,
)
def resend_switch(request: Request, key: str, switch_id: RowId, principal: Caller) -> PlanRead:
    """Send a switch of the plan again, e.g. after its Task failed (staff)."""

    def run(session: Session) -> PlanRead:
        place = service.municipality(session, key=key)
        service.require_staff(principal, place.id)
        plan.resend(
            session, municipality_id=place.id, switch_id=switch_id, by=principal.name or "staff"
        )
        return plan_read(session, place.id)

    return app_context(request).database.write(run)
