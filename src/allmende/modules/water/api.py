"""JSON under ``/api/water``: trees and their water supply (public), the needs-water map,
crews' waterings and lists, irrigation zones with their decisions, water meters and leaks.

The derived values are also SensorThings Datastreams (ET0 per station, the district balances);
this API is what the map, crews' apps and dashboards need in one request each.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from allmende.modules.water import lists, service, usage, zones
from allmende.modules.water.catalogue import SCOPE
from allmende.modules.water.models import Tree
from allmende.modules.water.schemas import (
    DecisionRead,
    LeakRead,
    MeterDay,
    TreeRead,
    TreeSettings,
    WateringCreate,
    WateringRead,
    ZoneCreate,
    ZoneRead,
)
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    Caller,
    RowId,
    Unauthorized,
    app_context,
    parse_bbox,
    readable_municipalities,
    utcnow,
)

router = APIRouter(prefix="/api/water", tags=["water"])
Status = Literal["ok", "soon", "now"]
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign in or send an API key"},
    403: {"description": "Not allowed here"},
    404: {"description": "Not found"},
    422: {"description": "Invalid input; the problem names the field"},
}


def tree_read(t: Tree) -> TreeRead:
    return TreeRead(
        object_id=t.object_id,
        name=t.name,
        identifier=t.identifier,
        address=t.address,
        species=t.species,
        species_botanical=t.species_botanical,
        water_use=t.water_use,
        planting_year=t.planting_year,
        district=t.district,
        lon=t.lon,
        lat=t.lat,
        status=t.status,
        suction_kpa=t.suction_kpa,
        band=lists.band_of(t.suction_kpa),
        need_l=t.need_l,
        dose_l=t.dose_l,
        critical_in_days=t.critical_in_days,
        uncertainty=t.sigma,
        source=t.source,
        forecast_kpa=t.forecast_kpa,
        forecast_source=t.forecast_source,
        last_watered_at=t.last_watered_at,
        watered_30d_l=t.watered_30d_l,
        computed_at=t.computed_at,
    )


@router.get("/trees", operation_id="water_list_trees", response_model=list[TreeRead])
def list_trees(
    request: Request,
    municipality_id: int | None = Query(None, ge=1, le=2**63 - 1),
    district: str | None = Query(None, max_length=200),
    status: Status | None = None,
    limit: int = Query(50, ge=1, le=lists.MAX_LIST),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[TreeRead]:
    """Trees needing water (now, then soon; the driest first), or those of one status."""
    with app_context(request).database.session() as session:
        rows, _ = lists.trees_needing_water(
            session,
            municipality_id=municipality_id,
            district=district,
            status=status,
            limit=limit,
            offset=offset,
        )
        return [tree_read(t) for t in rows]


@router.get("/trees/{object_id}", operation_id="water_get_tree", response_model=TreeRead)
def get_tree(request: Request, object_id: RowId) -> TreeRead:
    """One tree's water supply: suction, status, need, forecast, last watering."""
    with app_context(request).database.session() as session:
        return tree_read(lists.tree_page(session, object_id=object_id).tree)


@router.post(
    "/trees/{object_id}/waterings",
    operation_id="water_record_watering",
    response_model=WateringRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def record_watering(
    request: Request, object_id: RowId, body: WateringCreate, principal: Caller
) -> WateringRead:
    """A crew watered the tree (staff of its municipality): its balance changes at once."""

    def run(session: Session) -> WateringRead:
        w = service.record_crew_watering(
            session, principal=principal, object_id=object_id, litres=body.litres, at=body.at
        )
        tree = session.get(Tree, w.tree_id)
        return WateringRead(
            id=w.id,
            object_id=object_id,
            at=w.at,
            litres=w.litres,
            source=w.source,
            status=tree.status if tree else None,
        )

    return app_context(request).database.write(run)


@router.put(
    "/trees/{object_id}/settings",
    operation_id="water_set_tree_pit",
    response_model=TreeRead,
    responses=WRITE_ERRORS,
)
def set_tree_pit(
    request: Request, object_id: RowId, body: TreeSettings, principal: Caller
) -> TreeRead:
    """What the green-space office knows of the tree's pit (used from the next refresh on)."""

    def run(session: Session) -> TreeRead:
        tree = service.set_pit(session, principal=principal, object_id=object_id, data=body)
        return tree_read(tree)

    return app_context(request).database.write(run)


@router.get(
    "/map.geojson",
    operation_id="water_map",
    response_class=Response,
    responses={200: {"content": {GEOJSON_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
def map_data(
    request: Request,
    bbox: str | None = Query(None, max_length=200, description="minLon,minLat,maxLon,maxLat"),
    zoom: int | None = Query(None, ge=0, le=22),
    status: Status | None = None,
) -> Response:
    """Trees in the box as points, or as clusters counted per status when there are many."""
    box = parse_bbox(bbox) if bbox else None
    with app_context(request).database.session() as session:
        data = lists.map_features(session, bbox=box, zoom=zoom, status=status)
    return JSONResponse(data, media_type=GEOJSON_MEDIA_TYPE)


@router.get("/crews/{municipality_id}", operation_id="water_crew_list", responses=WRITE_ERRORS)
def crew_list(
    request: Request, municipality_id: RowId, principal: Caller, day: date | None = None
) -> list[dict[str, Any]]:
    """The day's watering tours of a municipality (staff)."""
    with app_context(request).database.session() as session:
        tours = lists.crew_tours(
            session, principal=principal, municipality_id=municipality_id, day=day
        )
        return [
            {
                "district": t.district,
                "litres": t.litres,
                "stops": [
                    {
                        "order": i + 1,
                        "tree": tree_read(s.tree).model_dump(mode="json"),
                        "age": s.age,
                        "days_since_watering": s.days_since_watering,
                    }
                    for i, s in enumerate(t.stops)
                ],
            }
            for t in tours
        ]


# --- irrigation --------------------------------------------------------------------------------


def _zone_read(session: Session, zone: Any) -> ZoneRead:
    return ZoneRead(
        id=zone.id,
        municipality_id=zone.municipality_id,
        name=zone.name,
        kind=zone.kind,
        area_m2=zone.area_m2,
        depletion_mm=round(zone.depletion_mm, 1),
        taw_mm=zone.taw_mm,
        valve_thing_id=zone.thing_id,
        capability_id=zone.capability_id,
        decisions=[
            DecisionRead(
                day=d.day,
                decided_at=d.decided_at,
                reason=d.reason,
                minutes=d.minutes,
                gross_l=d.gross_l,
                facts=d.facts,
                task_id=d.task_id,
                task_state=state.state if state else None,
                task_attempts=state.attempts if state else None,
            )
            for d, state in zones.decisions(session, zone=zone)
        ],
    )


@router.get("/zones", operation_id="water_list_zones", response_model=list[ZoneRead])
def list_zones(request: Request, principal: Caller) -> list[ZoneRead]:
    """Irrigation zones with their decisions (staff of their municipalities)."""
    readable = readable_municipalities(principal, scope=SCOPE)
    with app_context(request).database.session() as session:
        found = zones.zones_of(
            session,
            principal=principal,
            municipality_ids=None if readable is None else sorted(readable),
        )
        return [_zone_read(session, z) for z in found]


@router.post(
    "/zones",
    operation_id="water_create_zone",
    response_model=ZoneRead,
    status_code=201,
    responses=WRITE_ERRORS,
)
def create_zone(request: Request, body: ZoneCreate, principal: Caller) -> ZoneRead:
    """An irrigation zone with its valve (a SensorThings Thing with a TaskingCapability)."""

    def run(session: Session) -> ZoneRead:
        return _zone_read(session, zones.create_zone(session, principal=principal, data=body))

    return app_context(request).database.write(run)


@router.get("/zones/{zone_id}", operation_id="water_get_zone", response_model=ZoneRead)
def get_zone(request: Request, zone_id: RowId, principal: Caller) -> ZoneRead:
    with app_context(request).database.session() as session:
        return _zone_read(session, zones.get_zone(session, principal=principal, zone_id=zone_id))


# --- meters ----------------------------------------------------------------------------------


@router.get(
    "/meters/{meter_id}/days", operation_id="water_meter_days", response_model=list[MeterDay]
)
def meter_days(request: Request, meter_id: RowId, principal: Caller) -> list[MeterDay]:
    """Consumption per local day over the last 31 days (estimated hours counted and named)."""
    with app_context(request).database.session() as session:
        row = usage.meter(session, principal=principal, meter_id=meter_id)
        board = usage.dashboard(session, meter_row=row, now=utcnow())
    return [
        MeterDay(day=t.label, litres=t.litres, hours=t.hours, estimated_hours=t.estimated_hours)
        for t in board.days
    ]


@router.get("/leaks", operation_id="water_list_leaks", response_model=list[LeakRead])
def list_leaks(request: Request, principal: Caller) -> list[LeakRead]:
    """Leak alarms of the meters the caller's municipalities own (staff)."""
    if not principal.is_authenticated:
        raise Unauthorized(detail="Sign in or send an API key to see leak alarms.")
    with app_context(request).database.session() as session:
        found = []
        for row in usage.meters_for(session, principal=principal):
            found.extend(usage.leaks_of(session, principal=principal, meter_row=row))
    return [
        LeakRead(
            id=leak.id,
            meter_id=leak.meter_id,
            night=leak.night,
            since=leak.since,
            night_minimum_l_per_h=leak.night_minimum_l_per_h,
            usual_night_minimum_l_per_h=leak.usual_night_minimum_l_per_h,
            day_minimum_l_per_h=leak.day_minimum_l_per_h,
            state=leak.state,
        )
        for leak in found
    ]
