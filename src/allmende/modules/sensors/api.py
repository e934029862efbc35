"""JSON under ``/api/sensors``: the sensor list with the latest values, as the pages show it.

The data themselves are served by the SensorThings API at ``/v1.1``; this is the compact
overview a dashboard needs in one request.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from allmende.modules.sensors import service
from allmende.modules.sensors.pages import KEY_PATTERN
from allmende.modules.sensors.schemas import StreamRead, ThingRead
from allmende.sdk import Caller, absolute_url, app_context, municipality_keys, sensing

router = APIRouter(prefix="/api/sensors", tags=["sensors"])


@router.get("/things", operation_id="sensors_list_things", response_model=list[ThingRead])
def list_things(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    kind: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    limit: int = Query(sensing.MAX_THINGS, ge=1, le=sensing.MAX_THINGS),
    offset: int = Query(0, ge=0, le=2**31),
) -> list[ThingRead]:
    """The sensor Things the caller may see, by name, with each Datastream's latest value;
    ``limit`` and ``offset`` page through more than a page (5 000) holds."""
    with app_context(request).database.session() as session:
        known = service.kinds(session)
        f = service.resolve_filter(session, municipality=municipality, kind=kind, known=known)
        found = service.things(session, principal=principal, f=f, offset=offset, limit=limit)
        names = municipality_keys(session)
    return [
        ThingRead(
            id=t.id,
            name=t.name,
            description=t.description,
            municipality=names.get(t.municipality_id, ""),
            public=t.public,
            kind=str(t.properties["kind"]) if "kind" in t.properties else None,
            lon=t.lon,
            lat=t.lat,
            self_link=absolute_url(request, f"/v1.1/Things({t.id})"),
            streams=[
                StreamRead(
                    id=s.id,
                    name=s.name,
                    kind=service.kind_of(s, known).key,
                    unit=s.unit_symbol,
                    latest_value=s.latest_value,
                    latest_time=s.latest_time,
                    self_link=absolute_url(request, f"/v1.1/Datastreams({s.id})"),
                )
                for s in t.streams
            ],
        )
        for t in found
    ]
