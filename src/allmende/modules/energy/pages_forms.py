"""Staff forms of the energy module: buildings (linked to a register object through the
feature sources), zones, meters (a new Datastream or one the municipality already has),
tariffs, a zone's control settings, and its calibration on demand.

Plain HTML forms that work without JavaScript, each with its CSRF token; a refusal renders the
form again with the reason beside its field and a summary on top (status 422). Who may
change what is decided by ``require``; the service checks and stores.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from allmende.modules.energy import calibrate, catalogue, service, tariffs
from allmende.modules.energy.api import SCOPE, visible_building
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.models import Building, Meter, Zone
from allmende.modules.energy.pages import pages, render
from allmende.sdk import (
    Action,
    AllmendeError,
    Caller,
    FieldError,
    Municipality,
    NotFound,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    can,
    features,
    form_strings,
    is_digits,
    local_path,
    login_redirect,
    read_form,
    require,
    utcnow,
    write_or_refuse,
)

T = TypeVar("T")
ZONE_FIELDS = tuple(service.ZONE_BOUNDS)
HOURS_FIELDS = ("occupied_start", "occupied_end")
CONTROL_NUMBERS = ("comfort_low", "comfort_high", "setback", "preheat_hours")


class Refused(ValidationFailed):
    """Form input that cannot even be read (not a number, missing): each field and why, the
    reasons already in the caller's language."""


def translate(request: Request) -> Callable[[str], str]:
    return app_context(request).catalogs.translator(request, "energy")


def redirect(request: Request, path: str, message: str) -> RedirectResponse:
    path += ("&" if "?" in path else "?") + urlencode({"msg": message})
    return RedirectResponse(local_path(request, path), status_code=303)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


class Reader:
    """Reads a form's fields, collecting every refusal instead of stopping at the first."""

    def __init__(self, form: FormData, gettext: Callable[[str], str]) -> None:
        self.form = form
        self.gettext = gettext
        self.errors: dict[str, str] = {}

    def number(
        self, name: str, *, required: bool = True, bounds: tuple[float, float] | None = None
    ) -> float:
        raw = text(self.form, name).replace(",", ".")
        if not raw:
            if required:
                self.errors[name] = self.gettext(N_("is required"))
            return math.nan
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.errors[name] = self.gettext(N_("must be a number"))
            return math.nan
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            self.errors[name] = self.gettext(N_("must be between %(low)s and %(high)s")) % {
                "low": f"{bounds[0]:g}",
                "high": f"{bounds[1]:g}",
            }
        return value

    def optional_number(self, name: str) -> float | None:
        value = self.number(name, required=False)
        return None if math.isnan(value) else value

    def whole(self, name: str) -> int | None:
        value = self.optional_number(name)
        if value is not None and value != int(value):
            self.errors[name] = self.gettext(N_("must be a whole number"))
        return None if value is None else int(value)

    def hours(self, name: str) -> float:
        """A time of day ``HH:MM`` as hours (24:00 allowed for the end of a day)."""
        raw = text(self.form, name)
        hour, _, minute = raw.partition(":")
        if is_digits(hour) and is_digits(minute) and len(minute) == 2:
            value = int(hour) + int(minute) / 60
            if 0 <= value <= 24 and int(minute) < 60:
                return value
        self.errors[name] = self.gettext(N_("must be a time such as 07:30"))
        return math.nan

    def choice(self, name: str, options: Any) -> str:
        value = text(self.form, name)
        if value not in options:
            self.errors[name] = self.gettext(N_("is not one of the choices"))
        return value

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(text(self.form, name))
        except ValueError:
            self.errors[name] = self.gettext(N_("must be a date such as 2026-01-01"))
            return date(2000, 1, 1)

    def done(self) -> None:
        if self.errors:
            raise Refused(
                detail="; ".join(self.errors),
                errors=[FieldError(name, why) for name, why in self.errors.items()],
            )


def field_errors(request: Request, error: AllmendeError) -> dict[str, str]:
    if isinstance(error, Refused):
        return {e.field: e.reason for e in error.errors}
    gettext = translate(request)
    found: dict[str, str] = {}
    for e in error.errors or []:
        found.setdefault(e.field.removeprefix("body."), gettext(e.reason))
    if not found:
        found["form"] = gettext(error.detail or str(error))
    return found


def _hours_text(value: float) -> str:
    hours, minutes = divmod(round(value * 60), 60)
    return f"{hours:02d}:{minutes:02d}"


def _editable(session: Session, principal: Principal) -> list[Municipality]:
    return [
        m
        for m in service.municipalities(session)
        if can(principal, Action.EDIT, municipality_id=m.id, scope=SCOPE)
    ]


def _sources(request: Request) -> list[features.FeatureSource]:
    return [s for m in app_context(request).registry for s in m.feature_sources]


def _collections(request: Request, session: Session, principal: Principal) -> list[tuple[str, str]]:
    gettext = translate(request)  # titles of feature collections are source strings
    return [
        (c.id, gettext(c.title))
        for source in _sources(request)
        for c in source.collections(session, principal)
    ]


def _form(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str],
    extra: dict[str, Any],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        template,
        {"values": values, "errors": errors, **extra},
        status_code=status_code,
    )


async def _save(
    request: Request,
    form: FormData,
    run: Callable[[Session], T],
    *,
    template: str,
    context: Callable[[Session], dict[str, Any]],
    back: Callable[[T], str],
    message: str,
) -> Response:
    """Run the form's write: on success on to ``back(result)`` saying ``message``; refused,
    the form again as it was sent with the reasons (status 422), nothing of it kept."""

    def refused(session: Session, error: AllmendeError) -> Response:
        errors = field_errors(request, error)
        return _form(request, template, form_strings(form), errors, context(session), 422)

    return await write_or_refuse(
        request, run, done=lambda result: redirect(request, back(result), message), refused=refused
    )


# --- buildings -------------------------------------------------------------------------------


def _building_context(
    request: Request,
    session: Session,
    principal: Principal,
    building: Building | None,
    places: list[Municipality] | None = None,
) -> dict[str, Any]:
    """What the building form shows beside its values; a new building also chooses its
    municipality among ``places`` (those the caller may edit)."""
    gettext = translate(request)
    shown: dict[str, Any] = {
        "building": building,
        "collections": _collections(request, session, principal),
        "use_options": [(u.key, gettext(u.label)) for u in catalogue.USES],
        "heating_options": [(k, gettext(v)) for k, v in catalogue.HEATING_LABELS.items()],
    }
    if building is None:
        places = _editable(session, principal) if places is None else places
        shown["places"] = [(m.key, m.name) for m in places]
    return shown


def _building_values(building: Building) -> dict[str, str]:
    collection, _, feature_id = (building.object_ref or "").partition("/")
    return {
        "name": building.name,
        "use": building.use,
        "floor_area": f"{building.floor_area:g}",
        "year_built": str(building.year_built or ""),
        "heating_system": building.heating_system,
        "heat_pump": "on" if building.heat_pump else "",
        "pv_kwp": f"{building.pv_kwp:g}",
        "object_collection": collection,
        "object_id": feature_id,
    }


def _read_building(form: FormData, gettext: Callable[[str], str]) -> dict[str, Any]:
    read = Reader(form, gettext)
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "use": read.choice("use", catalogue.USE_BY_KEY),
        "floor_area": read.number("floor_area"),
        "year_built": read.whole("year_built"),
        "heating_system": read.choice("heating_system", catalogue.HEATING_SYSTEMS),
        "heat_pump": text(form, "heat_pump") == "on",
        "pv_kwp": read.optional_number("pv_kwp") or 0.0,
    }
    collection, feature_id = text(form, "object_collection"), text(form, "object_id")
    if feature_id and not collection:
        read.errors["object_collection"] = gettext(N_("choose the register the object is in"))
    values["object_ref"] = f"{collection}/{feature_id}" if collection and feature_id else None
    if collection and not feature_id:
        read.errors["object_id"] = gettext(N_("is required with a register"))
    read.done()
    return values


@pages.get("/energy/buildings/new")
def new_building_page(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        places = _editable(session, principal)
        if not places:
            require(principal, Action.EDIT, scope=SCOPE)
        return _form(
            request,
            "energy/building_form.html",
            {"public": "on", "heating_system": "gas", "use": "town_hall"},
            {},
            _building_context(request, session, principal, None, places),
        )


@pages.post("/energy/buildings/new")
async def new_building_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> int:
        values = _read_building(form, gettext)
        read = Reader(form, gettext)
        lon = read.optional_number("lon")
        lat = read.optional_number("lat")
        read.done()
        place = service.municipality_by_key(session, text(form, "municipality"))
        if place is None:
            raise ValidationFailed.one("municipality", N_("is not one of the choices"))
        require(principal, Action.EDIT, municipality_id=place.id, scope=SCOPE)
        centre = place.geom.centroid if place.geom is not None else None
        return service.create_building(
            session,
            municipality_id=place.id,
            **values,
            lon=lon if lon is not None else (float(centre.x) if centre else 0.0),
            lat=lat if lat is not None else (float(centre.y) if centre else 0.0),
            public=text(form, "public") == "on",
            sources=_sources(request),
            principal=principal,
        ).id

    def context(session: Session) -> dict[str, Any]:
        return _building_context(request, session, principal, None)

    return await _save(
        request,
        form,
        run,
        template="energy/building_form.html",
        context=context,
        back=lambda building_id: f"/energy/buildings/{building_id}",
        message="building",
    )


def _editable_building(session: Session, principal: Principal, building_id: int) -> Building:
    """The building if the caller may change it; one it may not see is not found (404), so
    that a refusal tells nothing about internal buildings."""
    building = visible_building(session, principal, building_id)
    require(principal, Action.EDIT, municipality_id=building.municipality_id, scope=SCOPE)
    return building


@pages.get("/energy/buildings/{building_id}/edit")
def edit_building_page(request: Request, building_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        building = _editable_building(session, principal, building_id)
        return _form(
            request,
            "energy/building_form.html",
            _building_values(building),
            {},
            _building_context(request, session, principal, building),
        )


@pages.post("/energy/buildings/{building_id}/edit")
async def edit_building_submit(request: Request, building_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> None:
        values = _read_building(form, gettext)
        _editable_building(session, principal, building_id)
        service.update_building(
            session,
            building_id=building_id,
            **values,
            sources=_sources(request),
            principal=principal,
        )

    def context(session: Session) -> dict[str, Any]:
        building = _editable_building(session, principal, building_id)
        return _building_context(request, session, principal, building)

    return await _save(
        request,
        form,
        run,
        template="energy/building_form.html",
        context=context,
        back=lambda _: f"/energy/buildings/{building_id}",
        message="building",
    )


# --- zones -----------------------------------------------------------------------------------


def _zone_values(zone: Zone) -> dict[str, str]:
    return {"name": zone.name, **{k: f"{getattr(zone, k):g}" for k in ZONE_FIELDS}}


def _read_zone(form: FormData, gettext: Callable[[str], str]) -> dict[str, Any]:
    read = Reader(form, gettext)
    values: dict[str, Any] = {k: read.number(k, bounds=service.ZONE_BOUNDS[k]) for k in ZONE_FIELDS}
    read.done()
    return values


@pages.get("/energy/buildings/{building_id}/zones/new")
def new_zone_page(request: Request, building_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        building = _editable_building(session, principal, building_id)
        defaults = {
            "floor_area": f"{building.floor_area:g}",
            "u_window": "1.3",
            "u_opaque": "0.4",
            "air_changes": "0.6",
            "heat_capacity": "165000",
            "cooling_kw": "0",
        }
        return _form(
            request, "energy/zone_form.html", defaults, {}, {"building": building, "zone": None}
        )


@pages.post("/energy/buildings/{building_id}/zones/new")
async def new_zone_submit(request: Request, building_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> None:
        values = _read_zone(form, gettext)
        _editable_building(session, principal, building_id)
        service.add_zone(session, building_id=building_id, name=text(form, "name"), **values)

    def context(session: Session) -> dict[str, Any]:
        building = _editable_building(session, principal, building_id)
        return {"building": building, "zone": None}

    return await _save(
        request,
        form,
        run,
        template="energy/zone_form.html",
        context=context,
        back=lambda _: f"/energy/buildings/{building_id}",
        message="zone",
    )


def _editable_zone(session: Session, principal: Principal, zone_id: int) -> tuple[Zone, Building]:
    zone = service.get_zone(session, zone_id)
    return zone, _editable_building(session, principal, zone.building_id)


@pages.get("/energy/zones/{zone_id}/edit")
def edit_zone_page(request: Request, zone_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        zone, building = _editable_zone(session, principal, zone_id)
        return _form(
            request,
            "energy/zone_form.html",
            _zone_values(zone),
            {},
            {"building": building, "zone": zone},
        )


@pages.post("/energy/zones/{zone_id}/edit")
async def edit_zone_submit(request: Request, zone_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> int:
        values = _read_zone(form, gettext)
        zone, building = _editable_zone(session, principal, zone_id)
        service.update_zone(session, zone_id=zone.id, **values)
        return building.id

    def context(session: Session) -> dict[str, Any]:
        zone, building = _editable_zone(session, principal, zone_id)
        return {"building": building, "zone": zone}

    return await _save(
        request,
        form,
        run,
        template="energy/zone_form.html",
        context=context,
        back=lambda building_id: f"/energy/buildings/{building_id}",
        message="zone",
    )


def _control_options(request: Request) -> dict[str, Any]:
    gettext = translate(request)
    return {
        "control_options": [
            ("schedule", gettext(N_("Schedule (thermostat)"))),
            ("mpc", gettext(N_("Predictive control"))),
        ],
        "objective_options": [
            ("cost", gettext(N_("Least cost"))),
            ("co2", gettext(N_("Least CO2"))),
        ],
    }


@pages.get("/energy/zones/{zone_id}/control")
def control_page(request: Request, zone_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        zone, building = _editable_zone(session, principal, zone_id)
        values = {
            "control": zone.control,
            "objective": zone.objective,
            **{k: _hours_text(getattr(zone, k)) for k in HOURS_FIELDS},
            **{k: f"{getattr(zone, k):g}" for k in CONTROL_NUMBERS},
        }
        return _form(
            request,
            "energy/control_form.html",
            values,
            {},
            {"building": building, "zone": zone, **_control_options(request)},
        )


@pages.post("/energy/zones/{zone_id}/control")
async def control_submit(request: Request, zone_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> int:
        read = Reader(form, gettext)
        values: dict[str, Any] = {
            "control": read.choice("control", service.CONTROLS),
            "objective": read.choice("objective", service.OBJECTIVES),
            **{k: read.hours(k) for k in HOURS_FIELDS},
            **{k: read.number(k, bounds=service.CONTROL_BOUNDS[k]) for k in CONTROL_NUMBERS},
        }
        read.done()
        zone, building = _editable_zone(session, principal, zone_id)
        service.update_control(session, zone_id=zone.id, **values)
        return building.id

    def context(session: Session) -> dict[str, Any]:
        zone, building = _editable_zone(session, principal, zone_id)
        return {"building": building, "zone": zone, **_control_options(request)}

    return await _save(
        request,
        form,
        run,
        template="energy/control_form.html",
        context=context,
        back=lambda building_id: f"/energy/buildings/{building_id}",
        message="control",
    )


@pages.post("/energy/zones/{zone_id}/calibrate")
async def calibrate_submit(request: Request, zone_id: RowId, principal: Caller) -> Response:
    """Calibrate the zone on its last four weeks of measurements now; without enough data the
    building page says why and nothing changes."""
    await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> int:
        zone, building = _editable_zone(session, principal, zone_id)
        outcome = calibrate.calibrate_zone(session, zone_id=zone.id, now=utcnow())
        if outcome.why is not None:
            raise ValidationFailed(detail=gettext(outcome.why) % outcome.params)
        return building.id

    def refused(session: Session, error: AllmendeError) -> Response:
        zone, building = _editable_zone(session, principal, zone_id)
        return render(
            request,
            "energy/calibration_refused.html",
            {"zone": zone, "building": building, "reason": error.detail},
            status_code=422,
        )

    return await write_or_refuse(
        request,
        run,
        done=lambda building_id: redirect(
            request, f"/energy/buildings/{building_id}", "calibrated"
        ),
        refused=refused,
    )


# --- meters ----------------------------------------------------------------------------------


def _meter_context(
    request: Request,
    session: Session,
    principal: Principal,
    building: Building,
    meter: Meter | None,
) -> dict[str, Any]:
    """What the meter form shows beside its values."""
    gettext = translate(request)
    meter_id = meter.id if meter is not None else 0
    choices = service.METER_CHOICES
    streams = (  # a meter keeps its Datastream: only a new one chooses
        service.meter_streams(session, building=building, principal=principal, limit=choices)
        if meter is None
        else service.MeterStreams([], more=False)
    )
    return {
        "building": building,
        "meter": meter,
        "carrier_options": [(c.key, gettext(c.label)) for c in catalogue.CARRIERS],
        "reading_options": [
            ("counter", gettext(N_("Counter (readings)"))),
            ("interval", gettext(N_("Consumption per interval"))),
        ],
        "parent_options": [
            (str(m.id), m.name)
            for m in service.meters(session, building_ids=[building.id])
            if m.id != meter_id
        ],
        "stream_options": [
            (str(s.id), f"{s.name} ({s.unit_symbol}, Datastream {s.id})") for s in streams.streams
        ],
        # Past what a list can offer, the form asks for the Datastream's number instead.
        "stream_by_number": streams.more,
        "stream_choices": choices,
    }


def _read_meter(form: FormData, gettext: Callable[[str], str]) -> dict[str, Any]:
    read = Reader(form, gettext)
    minutes = read.number("nominal_minutes", bounds=(1, 31 * 24 * 60))
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "reading": read.choice("reading", ("counter", "interval")),
        "nominal_seconds": 0 if math.isnan(minutes) else round(minutes * 60),
        "parent_id": read.whole("parent_id"),
    }
    read.done()
    return values


@pages.get("/energy/buildings/{building_id}/meters/new")
def new_meter_page(request: Request, building_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        building = _editable_building(session, principal, building_id)
        return _form(
            request,
            "energy/meter_form.html",
            {"carrier": "electricity", "reading": "counter", "nominal_minutes": "15"},
            {},
            _meter_context(request, session, principal, building, None),
        )


@pages.post("/energy/buildings/{building_id}/meters/new")
async def new_meter_submit(request: Request, building_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> None:
        values = _read_meter(form, gettext)
        read = Reader(form, gettext)
        carrier = read.choice("carrier", service.METER_KINDS)
        stream = read.whole("datastream_id")
        read.done()
        _editable_building(session, principal, building_id)
        service.add_meter(
            session,
            building_id=building_id,
            carrier=carrier,
            datastream_id=stream,
            principal=principal,
            **values,
        )

    def context(session: Session) -> dict[str, Any]:
        building = _editable_building(session, principal, building_id)
        return _meter_context(request, session, principal, building, None)

    return await _save(
        request,
        form,
        run,
        template="energy/meter_form.html",
        context=context,
        back=lambda _: f"/energy/buildings/{building_id}",
        message="meter",
    )


def _editable_meter(
    session: Session, principal: Principal, meter_id: int
) -> tuple[Meter, Building]:
    meter = service.get_meter(session, meter_id)
    return meter, _editable_building(session, principal, meter.building_id)


@pages.get("/energy/meters/{meter_id}/edit")
def edit_meter_page(request: Request, meter_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        meter, building = _editable_meter(session, principal, meter_id)
        values = {
            "name": meter.name,
            "carrier": meter.carrier,
            "reading": meter.reading,
            "nominal_minutes": f"{meter.nominal_seconds / 60:g}",
            "parent_id": str(meter.parent_id or ""),
        }
        return _form(
            request,
            "energy/meter_form.html",
            values,
            {},
            _meter_context(request, session, principal, building, meter),
        )


@pages.post("/energy/meters/{meter_id}/edit")
async def edit_meter_submit(request: Request, meter_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> int:
        values = _read_meter(form, gettext)
        meter, building = _editable_meter(session, principal, meter_id)
        service.update_meter(session, meter_id=meter.id, **values)
        return building.id

    def context(session: Session) -> dict[str, Any]:
        meter, building = _editable_meter(session, principal, meter_id)
        return _meter_context(request, session, principal, building, meter)

    return await _save(
        request,
        form,
        run,
        template="energy/meter_form.html",
        context=context,
        back=lambda building_id: f"/energy/buildings/{building_id}",
        message="meter",
    )


# --- tariffs ---------------------------------------------------------------------------------


def _tariff_page(
    request: Request,
    session: Session,
    principal: Principal,
    place: Municipality,
    values: dict[str, str],
    errors: dict[str, str],
    editing: int | None,
    status_code: int = 200,
) -> Response:
    gettext = translate(request)
    return _form(
        request,
        "energy/tariffs.html",
        values,
        errors,
        {
            "place": place,
            "places": [(m.key, m.name) for m in _editable(session, principal)],
            "tariffs": tariffs.tariffs(session, municipality_id=place.id),
            "carrier_options": [(c.key, gettext(c.label)) for c in catalogue.CARRIERS],
            "editing": editing,
        },
        status_code,
    )


def _editable_place(session: Session, principal: Principal, key: str | None) -> Municipality:
    """The municipality ``key`` (the first one the caller may edit without), if editable."""
    if key:
        place = service.municipality_by_key(session, key)
        if place is None:
            raise NotFound(detail=f"No municipality {key!r}.")
    else:
        places = _editable(session, principal)
        place = places[0] if places else None
    require(principal, Action.EDIT, municipality_id=place.id if place else None, scope=SCOPE)
    assert place is not None
    return place


@pages.get("/energy/tariffs")
def tariffs_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=r"^[a-z0-9-]*$"),
    edit: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        place = _editable_place(session, principal, municipality)
        values = {"carrier": "electricity", "valid_from": f"{utcnow().year}-01-01"}
        if edit is not None:
            row = tariffs.get_tariff(session, edit)
            require(principal, Action.EDIT, municipality_id=row.municipality_id, scope=SCOPE)
            values = {
                "carrier": row.carrier,
                "valid_from": row.valid_from.isoformat(),
                "price": f"{row.price:g}",
                "co2": f"{row.co2:g}",
                "note": row.note,
            }
        return _tariff_page(request, session, principal, place, values, {}, edit)


@pages.post("/energy/tariffs")
async def tariffs_submit(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=r"^[a-z0-9-]*$"),
    edit: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    form = await read_form(request)
    gettext = translate(request)

    def run(session: Session) -> str:
        read = Reader(form, gettext)
        values: dict[str, Any] = {
            "carrier": read.choice("carrier", catalogue.CARRIER_BY_KEY),
            "valid_from": read.day("valid_from"),
            "price": read.number("price", bounds=(0, tariffs.MAX_PRICE)),
            "co2": read.number("co2", bounds=(0, tariffs.MAX_CO2)),
            "note": text(form, "note"),
        }
        read.done()
        place = _editable_place(session, principal, municipality)
        tariffs.save_tariff(session, municipality_id=place.id, tariff_id=edit, **values)
        return place.key

    def again(session: Session, error: AllmendeError) -> Response:
        place = _editable_place(session, principal, municipality)
        values, errors = form_strings(form), field_errors(request, error)
        return _tariff_page(request, session, principal, place, values, errors, edit, 422)

    return await write_or_refuse(
        request,
        run,
        done=lambda key: redirect(
            request, "/energy/tariffs?" + urlencode({"municipality": key}), "tariff"
        ),
        refused=again,
    )
