"""HTML pages: the public heat page (map with the UTCI legend, stations, warnings, cool
places), station pages with a UTCI chart, warnings with advice, their Atom feed and CAP
messages, the method and its measured errors; and the staff page (settings, land cover and
layers, the action plan with its switches).

Everything works without JavaScript: the map is an enhancement of the lists and tables, and the
map's districts are listed with their values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np
from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from allmende.modules.heat import alerts, cap, chart, maps, plan, render, service, stations
from allmende.modules.heat.catalogue import (
    CLASS_BY_CODE,
    COOL_PLACE_TYPES,
    DERIVED,
    DEVICE_KINDS,
    LAYER_KINDS,
    LEVELS,
    LOCAL_ZONE,
    N_,
    SCOPE,
    UTCI_CLASSES,
)
from allmende.modules.heat.models import HeatWarning
from allmende.modules.heat.utci import stress_category
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    Action,
    AllmendeError,
    Caller,
    District,
    Municipality,
    NotFound,
    Principal,
    RowId,
    ValidationFailed,
    absolute_url,
    app_context,
    as_utc,
    can,
    form_strings,
    formatting,
    geometry_to_geojson,
    local_path,
    login_redirect,
    read_form,
    sensing,
    utcnow,
    write_or_refuse,
)

pages = APIRouter(include_in_schema=False)
KEY = r"^([a-z0-9][a-z0-9_-]{0,39})?$"
MESSAGES = {
    "settings": N_("The settings were saved."),
    "landcover": N_("The land cover was rebuilt."),
    "layer": N_("The layer was added and the land cover rebuilt."),
    "layer-removed": N_("The layer was removed and the land cover rebuilt."),
    "plan": N_("The device was added to the action plan."),
    "plan-removed": N_("The device was taken out of the action plan."),
    "resent": N_("The switch was sent again."),
    "evaluated": N_("The map was compared with the stations."),
}


class Formats:
    """Numbers and times in the reader's language and the region's time zone."""

    def __init__(self, language: str) -> None:
        self.language = language

    def number(self, value: float | None, decimals: int = 1) -> str:
        return formatting.fixed(value, self.language, decimals)

    def time(self, value: datetime | None) -> str:
        return formatting.local_datetime(value, self.language)

    def day(self, value: Any) -> str:
        return format_date(
            value,
            "EEEE, d. MMMM yyyy" if self.language == "de" else "EEEE, d MMMM yyyy",
            locale=self.language,
        )

    def iso(self, value: datetime | None) -> str:
        return value.isoformat() if value else ""


def render_page(
    request: Request, template: str, values: Mapping[str, Any], *, status_code: int = 200
) -> Response:
    context = app_context(request)
    language = context.catalogs.negotiate(request)
    base = {
        "fmt": Formats(language),
        "classes": UTCI_CLASSES,
        "levels": LEVELS,
        "german": language == "de",
        "message": MESSAGES.get(request.query_params.get("msg", "")),
    }
    return context.templates.render(request, template, {**base, **values}, status_code=status_code)


def redirect(request: Request, path: str, message: str) -> RedirectResponse:
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(
        local_path(request, f"{path}{joiner}{urlencode({'msg': message})}"), status_code=303
    )


def utci_class(value: float | None) -> Any:
    if value is None or not np.isfinite(value):
        return None
    return CLASS_BY_CODE[int(stress_category(value)) - 5]


def _chosen(session: Session, key: str | None) -> Municipality | None:
    if key:
        return service.municipality(session, key=key)
    places = service.municipalities(session)
    with_map = [m for m in places if maps.map_hours(session, municipality_id=m.id, limit=1)]
    chosen = with_map or places
    return chosen[0] if chosen else None


def _stations_view(
    session: Session, principal: Principal, place: Municipality
) -> list[dict[str, Any]]:
    rows = []
    for st in stations.find(session, municipality_ids=[place.id], principal=principal):
        derived = stations.derived_streams(st)
        utci = derived.get("utci")
        value = (
            utci.latest_value
            if utci is not None and isinstance(utci.latest_value, int | float)
            else None
        )
        rows.append(
            {
                "station": st,
                "derived": derived,
                "utci": value,
                "utci_time": utci.latest_time if utci is not None else None,
                "class": utci_class(value),
                "method": st.mrt_method,
            }
        )
    return rows


# --- the public heat page ---------------------------------------------------------------------


@pages.get("/heat")
def heat_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY),
    hour: datetime | None = Query(None),
) -> Response:
    with app_context(request).database.session() as session:
        place = _chosen(session, municipality)
        places = service.municipalities(session)
        if place is None:
            return render_page(request, "heat/index.html", {"place": None, "places": places})
        hours = maps.map_hours(session, municipality_id=place.id, limit=500)
        shown = None
        overlay = None
        districts: list[dict[str, Any]] = []
        if hours:
            wanted = as_utc(hour).replace(minute=0, second=0, microsecond=0) if hour else None
            shown = next((h for h in hours if h.hour == wanted), hours[0]) if wanted else hours[0]
            overlay = maps.cached_overlay(session, municipality_id=place.id, hour=shown.hour)
            names = {d.id: d.name for d in service.districts(session, municipality_id=place.id)}
            for row in maps.district_hours(
                session,
                municipality_id=place.id,
                start=shown.hour,
                end=shown.hour + timedelta(minutes=59),
            ):
                districts.append(
                    {
                        "name": names.get(row.district_id, ""),
                        "row": row,
                        "class": utci_class(row.utci_p50),
                    }
                )
        active = alerts.listed(session, municipality_ids=[place.id], status="active")
        recent = alerts.listed(session, municipality_ids=[place.id], status="ended", limit=10)
        land = maps.land_cover(session, municipality_id=place.id)
        return render_page(
            request,
            "heat/index.html",
            {
                "place": place,
                "places": places,
                "hours": hours,
                "shown": shown,
                "overlay": overlay,
                "districts": districts,
                "active": active,
                "recent": recent,
                "stations": _stations_view(session, principal, place),
                "land": land,
                "stamp": urlencode({"hour": shown.hour.isoformat()}) if shown else "",
                "cool_types": COOL_PLACE_TYPES,
                "staff": can(principal, Action.EDIT, municipality_id=place.id, scope=SCOPE),
            },
        )


@pages.get("/heat/map/{key}/features.geojson")
def map_features(request: Request, key: str, principal: Caller) -> Response:
    """Districts, cool places and stations with their UTCI, for the map."""
    context = app_context(request)
    gettext = context.catalogs.translator(request, "heat")
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        place = service.municipality(session, key=key)
        found: list[dict[str, Any]] = []
        for d in service.districts(session, municipality_id=place.id):
            if d.geom is not None:
                found.append(
                    {
                        "type": "Feature",
                        "geometry": geometry_to_geojson(d.geom),
                        "properties": {"kind": "district", "name": d.name},
                    }
                )
        for item in maps.cool_places(
            session, sources=maps.feature_sources(context.registry), area=place.geom
        ):
            p = item["properties"]
            parts = [gettext(COOL_PLACE_TYPES[p["kind"]])]
            if p.get("opening_hours"):
                parts.append(gettext("Open: %(hours)s") % {"hours": p["opening_hours"]})
            if p.get("address"):
                parts.append(p["address"])
            p["description"] = " · ".join(parts)
            found.append(item)
        for row in _stations_view(session, principal, place):
            st = row["station"]
            if st.thing.lon is None:
                continue
            text = gettext("UTCI %(value)s °C (%(label)s)") % {
                "value": fmt.number(row["utci"]),
                "label": gettext(row["class"].label) if row["class"] else "—",
            }
            found.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [st.thing.lon, st.thing.lat]},
                    "properties": {
                        "kind": "station",
                        "name": st.thing.name,
                        "url": local_path(request, f"/heat/stations/{st.thing.id}"),
                        "description": text,
                        "colour": row["class"].colour if row["class"] else None,
                    },
                }
            )
    return JSONResponse(
        {"type": "FeatureCollection", "features": found}, media_type=GEOJSON_MEDIA_TYPE
    )


def _stored_hour(session: Session, key: str, hour: datetime | None) -> tuple[Municipality, Any]:
    place = service.municipality(session, key=key)
    stored = maps.map_hour(session, municipality_id=place.id, hour=as_utc(hour) if hour else None)
    return place, stored


@pages.get("/heat/map/{key}/overlay.png")
def overlay_png(request: Request, key: str, hour: datetime | None = Query(None)) -> Response:
    with app_context(request).database.session() as session:
        place, stored = _stored_hour(session, key, hour)
        drawn = maps.cached_overlay(session, municipality_id=place.id, hour=stored.hour)
    return Response(
        drawn.png, media_type="image/png", headers={"Cache-Control": "public, max-age=300"}
    )


@pages.get("/heat/map/{key}/map.tif")
def map_geotiff(request: Request, key: str, hour: datetime | None = Query(None)) -> Response:
    """The map of an hour as a Cloud-Optimised GeoTIFF (UTCI and air temperature, EPSG:25832)."""
    with app_context(request).database.session() as session:
        place, stored = _stored_hour(session, key, hour)
        grid = maps.grid_of(session, municipality_id=place.id)
    layers = maps.unpack(stored.data)
    data = render.cog(
        grid, {"utci": layers["utci"], "air_temperature": layers["ta"]}, hour=stored.hour
    )
    name = f"heat-{key}-{stored.hour:%Y%m%dT%H}.tif"
    return Response(
        data,
        media_type="image/tiff; application=geotiff; profile=cloud-optimized",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.get("/heat/map/{key}/map.nc")
def map_netcdf(request: Request, key: str, hour: datetime | None = Query(None)) -> Response:
    """The map of an hour as NetCDF (CF-1.8)."""
    with app_context(request).database.session() as session:
        place, stored = _stored_hour(session, key, hour)
        grid = maps.grid_of(session, municipality_id=place.id)
    layers = maps.unpack(stored.data)
    data = render.netcdf(
        grid,
        {"utci": layers["utci"], "air_temperature": layers["ta"]},
        hour=stored.hour,
        title=f"Heat map {place.name}",
    )
    name = f"heat-{key}-{stored.hour:%Y%m%dT%H}.nc"
    return Response(
        data,
        media_type="application/x-netcdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- stations --------------------------------------------------------------------------------


@pages.get("/heat/stations/{thing_id}")
def station_page(
    request: Request, thing_id: RowId, principal: Caller, days: int = Query(7, ge=1, le=60)
) -> Response:
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        found = stations.find(session, thing_ids=[thing_id], principal=principal)
        if not found:
            raise NotFound(detail=f"No weather station {thing_id}.")
        st = found[0]
        derived = stations.derived_streams(st)
        utci = derived.get("utci")
        drawn = chart.Chart()
        daily: list[dict[str, Any]] = []
        if utci is not None and utci.latest_time is not None:
            end = utci.latest_time + timedelta(minutes=1)
            points = sensing.observations(
                session, datastream_id=utci.id, start=end - timedelta(days=days), end=end
            )
            drawn = chart.build(
                [p.time for p in points], [p.value for p in points], number=fmt.number
            )
            by_day: dict[Any, list[float]] = {}
            for p in points:
                by_day.setdefault(p.time.astimezone(LOCAL_ZONE).date(), []).append(p.value)
            daily = [
                {"day": day, "high": max(v), "low": min(v), "class": utci_class(max(v))}
                for day, v in sorted(by_day.items(), reverse=True)
            ]
        place = session.get(Municipality, st.thing.municipality_id)
        latest = {
            key: (
                stream,
                utci_class(stream.latest_value)
                if key == "utci" and isinstance(stream.latest_value, int | float)
                else None,
            )
            for key, stream in derived.items()
        }
    return render_page(
        request,
        "heat/station.html",
        {
            "st": st,
            "place": place,
            "latest": latest,
            "derived": DERIVED,
            "chart": drawn,
            "daily": daily,
            "days": days,
        },
    )


# --- warnings --------------------------------------------------------------------------------


@pages.get("/heat/warnings")
def warnings_page(
    request: Request, municipality: str | None = Query(None, max_length=40, pattern=KEY)
) -> Response:
    with app_context(request).database.session() as session:
        ids = [service.municipality(session, key=municipality).id] if municipality else None
        active = alerts.listed(session, municipality_ids=ids, status="active")
        ended = alerts.listed(session, municipality_ids=ids, status="ended", limit=50)
    return render_page(
        request,
        "heat/warnings.html",
        {"active": active, "ended": ended, "municipality": municipality or ""},
    )


def message_of(
    request: Request, w: HeatWarning, d: District, m: Municipality, *, internal: bool
) -> cap.Message:
    return cap.Message(
        warning_id=w.id,
        version=w.version,
        level=w.level,
        status=w.status,
        forecast=w.forecast,
        first_day=w.first_day.isoformat(),
        last_day=w.last_day.isoformat(),
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        created_at=w.created_at,
        updated_at=w.updated_at,
        municipality=m.name,
        municipality_key=m.key,
        ags=m.ags or "",
        jurisdiction=m.jurisdiction_id or f"{m.key}.allmende",
        contact=m.contact_email,
        district=d.name,
        area=d.geom,
        evidence=alerts.shown_evidence(w.evidence, internal=internal),
        url=absolute_url(request, f"/heat/warnings/{w.id}"),
        cap_url=absolute_url(request, f"/heat/warnings/{w.id}.cap.xml"),
    )


@pages.get("/heat/warnings.atom")
def warnings_feed(
    request: Request,
    municipality: str | None = Query(None, max_length=40, pattern=KEY),
    lang: str = Query("de", pattern="^(de|en)$"),
) -> Response:
    """Warnings as an Atom feed, German or English (``lang``)."""
    with app_context(request).database.session() as session:
        ids = [service.municipality(session, key=municipality).id] if municipality else None
        rows = alerts.listed(session, municipality_ids=ids, limit=100)
        messages = [message_of(request, w, d, m, internal=False) for w, d, m in rows]
    query = urlencode({k: v for k, v in (("municipality", municipality), ("lang", lang)) if v})
    data = cap.atom_feed(
        messages,
        title="Hitzewarnungen" if lang == "de" else "Heat warnings",
        self_url=absolute_url(request, f"/heat/warnings.atom?{query}"),
        alternate_url=absolute_url(request, "/heat/warnings"),
        german=lang == "de",
    )
    return Response(data, media_type=f"{cap.ATOM_MEDIA_TYPE}; charset=utf-8")


@pages.get("/heat/warnings/{warning_id}.cap.xml")
def warning_cap(request: Request, warning_id: RowId) -> Response:
    """The warning's current CAP 1.2 message."""
    with app_context(request).database.session() as session:
        w, d, m = alerts.one(session, warning_id=warning_id)
        data = cap.cap_message(message_of(request, w, d, m, internal=False), now=utcnow())
    return Response(data, media_type=f"{cap.CAP_MEDIA_TYPE}; charset=utf-8")


@pages.get("/heat/warnings/{warning_id}")
def warning_page(request: Request, warning_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        w, d, m = alerts.one(session, warning_id=warning_id)
        evidence = alerts.shown_evidence(
            w.evidence, internal=service.reads_internal(principal, m.id)
        )
    return render_page(
        request, "heat/warning.html", {"w": w, "district": d, "place": m, "evidence": evidence}
    )


# --- method --------------------------------------------------------------------------------


@pages.get("/heat/method")
def method_page(
    request: Request, municipality: str | None = Query(None, max_length=40, pattern=KEY)
) -> Response:
    with app_context(request).database.session() as session:
        place = _chosen(session, municipality)
        evaluation = maps.latest_evaluation(session, municipality_id=place.id) if place else None
        land = maps.land_cover(session, municipality_id=place.id) if place else None
    return render_page(
        request, "heat/method.html", {"place": place, "evaluation": evaluation, "land": land}
    )


# --- staff -------------------------------------------------------------------------------


def _staff_place(session: Session, principal: Principal, key: str) -> Municipality:
    place = service.municipality(session, key=key)
    service.require_staff(principal, place.id)
    return place


def _staff_values(session: Session, principal: Principal, place: Municipality) -> dict[str, Any]:
    return {
        "place": place,
        "places": [
            m
            for m in service.municipalities(session)
            if can(principal, Action.EDIT, municipality_id=m.id, scope=SCOPE)
        ],
        "rules": service.rules(session, municipality_id=place.id),
        "land": maps.land_cover(session, municipality_id=place.id),
        "layers": maps.layers_of(session, municipality_id=place.id),
        "layer_kinds": LAYER_KINDS,
        "entries": plan.entries(session, municipality_id=place.id),
        "switches": plan.switch_rows(session, municipality_id=place.id, limit=100),
        "device_kinds": DEVICE_KINDS,
        "district_list": service.districts(session, municipality_id=place.id),
        "evaluation": maps.latest_evaluation(session, municipality_id=place.id),
        "area_shares": (0.5, 0.25, 0.1, 0.05),
    }


@pages.get("/heat/staff")
def staff_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY),
) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        if municipality:
            place = _staff_place(session, principal, municipality)
        else:
            allowed = [
                m
                for m in service.municipalities(session)
                if can(principal, Action.EDIT, municipality_id=m.id, scope=SCOPE)
            ]
            if not allowed:
                service.require_staff(principal, -1)
            place = allowed[0]
        return render_page(request, "heat/staff.html", _staff_values(session, principal, place))


def _refused(
    request: Request, principal: Principal, key: str
) -> Callable[[Session, AllmendeError], Response]:
    """The staff page again with the reason of a refusal, in its status."""

    def show(session: Session, error: AllmendeError) -> Response:
        values = _staff_values(session, principal, _staff_place(session, principal, key))
        values["error"] = error
        return render_page(request, "heat/staff.html", values, status_code=error.status)

    return show


def _back(request: Request, key: str, message: str, anchor: str = "") -> Callable[[Any], Response]:
    return lambda _: redirect(request, f"/heat/staff?municipality={key}{anchor}", message)


def _number_or_none(form: FormData, name: str, kind: type) -> Any:
    raw = form.get(name)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return kind(raw.strip().replace(",", "."))
    except ValueError:
        raise ValidationFailed.one(name, N_("must be a number")) from None


#: The settings form's fields and their kinds; all but the reference Thing are required.
SETTINGS = (
    ("strong_utci", float),
    ("night_min_ta", float),
    ("extreme_utci", float),
    ("area_share", float),
    ("afternoon_from", int),
    ("afternoon_to", int),
    ("night_from", int),
    ("night_to", int),
    ("cell_m", float),
    ("reference_thing_id", int),
)


@pages.post("/heat/staff/{key}/settings")
async def settings_submit(request: Request, key: str, principal: Caller) -> Response:
    form = await read_form(request)

    def run(session: Session) -> None:
        values = {name: _number_or_none(form, name, kind) for name, kind in SETTINGS}
        for name, _ in SETTINGS[:-1]:
            if values[name] is None:
                raise ValidationFailed.one(name, N_("is required"))
        place = _staff_place(session, principal, key)
        service.update_rules(session, municipality_id=place.id, values=values)

    return await write_or_refuse(
        request,
        run,
        done=_back(request, key, "settings"),
        refused=_refused(request, principal, key),
        refusals=(ValidationFailed, NotFound),
    )


@pages.post("/heat/staff/{key}/landcover")
async def landcover_submit(request: Request, key: str, principal: Caller) -> Response:
    await read_form(request)
    context = app_context(request)
    sources = maps.feature_sources(context.registry)
    await context.database.awrite(
        lambda s: maps.build_land_cover(
            s, municipality_id=_staff_place(s, principal, key).id, sources=sources
        )
    )
    return redirect(request, f"/heat/staff?municipality={key}", "landcover")


@pages.post("/heat/staff/{key}/layers")
async def layer_submit(request: Request, key: str, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)
    upload, kind, name = form.get("file"), form.get("kind"), form.get("name")
    limit = context.settings.upload_max_bytes
    chosen = isinstance(upload, UploadFile) and bool(upload.filename)
    content = await upload.read(limit + 1) if isinstance(upload, UploadFile) and chosen else b""
    filename = (upload.filename if isinstance(upload, UploadFile) else None) or "upload"
    sources = maps.feature_sources(context.registry)

    def run(session: Session) -> None:
        place = _staff_place(session, principal, key)
        if not chosen:
            raise ValidationFailed.one("file", N_("choose a file"))
        if len(content) > limit:
            raise ValidationFailed.one("file", N_("is larger than the upload limit"))
        maps.upload_layer(
            session,
            municipality_id=place.id,
            kind=kind if isinstance(kind, str) else "",
            name=name if isinstance(name, str) else "",
            filename=filename,
            content=content,
            user_id=principal.user_id,
            sources=sources,
        )

    return await write_or_refuse(
        request, run, done=_back(request, key, "layer"), refused=_refused(request, principal, key)
    )


@pages.post("/heat/staff/{key}/layers/{layer_id}/remove")
async def layer_remove(request: Request, key: str, layer_id: RowId, principal: Caller) -> Response:
    await read_form(request)
    context = app_context(request)
    sources = maps.feature_sources(context.registry)
    await context.database.awrite(
        lambda s: maps.remove_layer(
            s,
            municipality_id=_staff_place(s, principal, key).id,
            layer_id=layer_id,
            sources=sources,
        )
    )
    return redirect(request, f"/heat/staff?municipality={key}", "layer-removed")


@pages.post("/heat/staff/{key}/plan")
async def plan_submit(request: Request, key: str, principal: Caller) -> Response:
    form = await read_form(request)
    fields = form_strings(form)

    def run(session: Session) -> None:
        thing_id = _number_or_none(form, "thing_id", int)
        if thing_id is None:
            raise ValidationFailed.one("thing_id", N_("is required"))
        district = _number_or_none(form, "district_id", int)
        place = _staff_place(session, principal, key)
        plan.add_entry(
            session,
            principal=principal,
            municipality_id=place.id,
            thing_id=thing_id,
            name=fields.get("name", ""),
            device_kind=fields.get("device_kind", ""),
            min_level=fields.get("min_level") or "strong",
            district_id=district,
        )

    return await write_or_refuse(
        request, run, done=_back(request, key, "plan"), refused=_refused(request, principal, key)
    )


@pages.post("/heat/staff/{key}/plan/{entry_id}/remove")
async def plan_remove(request: Request, key: str, entry_id: RowId, principal: Caller) -> Response:
    await read_form(request)
    await app_context(request).database.awrite(
        lambda s: plan.remove_entry(
            s, municipality_id=_staff_place(s, principal, key).id, entry_id=entry_id
        )
    )
    return redirect(request, f"/heat/staff?municipality={key}", "plan-removed")


@pages.post("/heat/staff/{key}/switches/{switch_id}/resend")
async def switch_resend(
    request: Request, key: str, switch_id: RowId, principal: Caller
) -> Response:
    await read_form(request)
    await app_context(request).database.awrite(
        lambda s: plan.resend(
            s,
            municipality_id=_staff_place(s, principal, key).id,
            switch_id=switch_id,
            by=principal.name or "staff",
        )
    )
    return redirect(request, f"/heat/staff?municipality={key}#plan", "resent")


@pages.post("/heat/staff/{key}/evaluate")
async def evaluate_submit(request: Request, key: str, principal: Caller) -> Response:
    """Score the map against the stations over the last ``days`` days of maps and keep the
    result. The scoring reads in a session of its own, so that the writer waits only for the
    store."""
    form = await read_form(request)
    database = app_context(request).database

    def score() -> tuple[int, datetime, datetime, dict[str, Any]] | ValidationFailed:
        try:
            days = _number_or_none(form, "days", int) or 7
        except ValidationFailed as exc:
            return exc
        if not 1 <= days <= 60:
            return ValidationFailed.one("days", N_("must be 1 to 60"))
        with database.session() as session:
            place = _staff_place(session, principal, key)
            newest = maps.map_hours(session, municipality_id=place.id, limit=1)
            end = (newest[0].hour if newest else utcnow()) + timedelta(hours=1)
            start = end - timedelta(days=days)
            results = maps.evaluate(session, municipality_id=place.id, start=start, end=end)
        if results is None:
            return ValidationFailed.one(
                "days", N_("the map and at least four stations are needed in that period")
            )
        return place.id, start, end, results

    scored = await run_in_threadpool(score)

    def run(session: Session) -> None:
        if isinstance(scored, ValidationFailed):
            raise scored
        place_id, start, end, results = scored
        maps.store_evaluation(
            session, municipality_id=place_id, start=start, end=end, results=results
        )

    return await write_or_refuse(
        request,
        run,
        done=_back(request, key, "evaluated", "#evaluation"),
        refused=_refused(request, principal, key),
    )
