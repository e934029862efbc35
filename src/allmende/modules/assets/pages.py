"""HTML pages of the object register (map, list, filter, detail, forms, import) and adoption.

Every form works without JavaScript; maps and the location picker are enhancements. The
maintenance pages are in ``pages_staff``, the citizen pages in ``pages_citizens``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from allmende.modules.assets import files
from allmende.modules.assets.adoption import service as adoption
from allmende.modules.assets.bookings import service as bookings
from allmende.modules.assets.catalogue import (
    ASSIGNEE_KINDS,
    BOOKING_STATUSES,
    DEFECT_STATUSES,
    GEOMETRY_KINDS,
    HISTORY_KINDS,
    INSPECTION_RESULTS,
    ITEM_RESULTS,
    LOCAL_ZONE,
    N_,
    OBJECT_STATUSES,
    PLAN_KINDS,
    PRIORITIES,
    REPORT_STATES,
    WORK_ORDER_STATUSES,
)
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import AssetObject, ObjectType, StoredFile
from allmende.modules.assets.register import attributes, transfer
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.schemas import ActivityCreate, ObjectCreate, ObjectUpdate
from allmende.modules.assets.service import (
    Actor,
    all_municipalities,
    may_edit,
    may_read_internal,
    municipality_keys,
    municipality_or_none,
    require_staff_somewhere,
)
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    AllmendeError,
    Caller,
    FieldError,
    Municipality,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    formatting,
    geometry_to_geojson,
    is_digits,
    local_path,
    login_redirect,
    page_count,
    parse_local_datetime,
    read_form,
    uploads,
    utcnow,
)

pages = APIRouter(include_in_schema=False)
Model = TypeVar("Model", bound=BaseModel)
PAGE_SIZE = 50
MESSAGES = {
    "created": N_("The object was created."),
    "received": N_("Thank you! Your report was received."),
    "saved": N_("Your changes were saved."),
    "photo": N_("The photo was added."),
    "document": N_("The document was added."),
    "adopted": N_("Thank you for adopting this object."),
    "released": N_("You no longer adopt this object."),
    "watered": N_("Thank you! Your watering was logged."),
    "inspection": N_("The inspection was recorded."),
    "inspection-order": N_(
        "The inspection was recorded. A work order was opened for the high-priority defect."
    ),
    "work-order": N_("The work order was created."),
    "report": N_("The report was updated."),
    "forwarded": N_("The report was forwarded to the other municipality."),
    "booking": N_("Your booking request was sent. You will see the decision here."),
    "decided": N_("The decision was saved."),
    "categories": N_("The standard categories were added."),
    "category": N_("The category was added."),
    "category-on": N_("The category can be chosen again."),
    "category-off": N_("The category was deactivated; citizens can no longer choose it."),
    "type": N_("The object type was added."),
    "plan": N_("The inspection plan was added."),
    "plan-deleted": N_("The inspection plan was deleted."),
}


# --- helpers shared by all pages ------------------------------------------------------------


class Formats:
    """Dates and numbers as readers of the page's language write them, in the region's time."""

    def __init__(self, language: str) -> None:
        self.language = language

    def dt(self, value: datetime | None) -> str:
        return formatting.local_datetime(value, self.language)

    def date(self, value: date | datetime | None) -> str:
        return formatting.local_date(value, self.language)

    def iso_local(self, value: datetime | None) -> str:
        return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M") if value else ""

    def number(self, value: Any) -> str:
        if isinstance(value, float | int) and not isinstance(value, bool):
            return formatting.number(value, self.language)
        return str(value)


def is_staff(principal: Principal) -> bool:
    return principal.is_admin or bool(principal.staff_of)


def render(
    request: Request, template: str, values: Mapping[str, Any], *, status_code: int = 200
) -> Response:
    context = app_context(request)
    message = request.query_params.get("msg")
    flash = translate(request)(MESSAGES[message]) if message in MESSAGES else None
    base = {
        "fmt": Formats(context.catalogs.negotiate(request)),
        "is_staff": is_staff(getattr(request.state, "principal", None) or Principal()),
        "flash": flash,
        "flash_kind": "ok",
        "object_statuses": OBJECT_STATUSES,
        "plan_kinds": PLAN_KINDS,
        "report_states": REPORT_STATES,
        "work_order_statuses": WORK_ORDER_STATUSES,
        "inspection_results": INSPECTION_RESULTS,
        "priorities": PRIORITIES,
        "defect_statuses": DEFECT_STATUSES,
        "booking_statuses": BOOKING_STATUSES,
        "history_kinds": HISTORY_KINDS,
        "assignee_kinds": ASSIGNEE_KINDS,
        "item_results": ITEM_RESULTS,
    }
    merged = {**base, **values}
    if isinstance(merged.get("errors"), Mapping):  # reasons marked for translation read in German
        gettext = translate(request)
        merged["errors"] = {name: gettext(reason) for name, reason in merged["errors"].items()}
    return context.templates.render(request, template, merged, status_code=status_code)


def translate(request: Request) -> Callable[[str], str]:
    return app_context(request).catalogs.translator(request, "assets")


def staff_page(request: Request, principal: Principal) -> Response | None:
    """The sign-in page for a visitor; refused unless staff somewhere; None to go on."""
    if not principal.is_authenticated:
        return login_redirect(request)
    require_staff_somewhere(principal)
    return None


def translated_options(request: Request, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(key, label)`` pairs for a select, labels in the reader's language."""
    gettext = translate(request)
    return [(k, gettext(v)) for k, v in labels.items()]


def redirect(request: Request, path: str, message: str | None = None) -> RedirectResponse:
    path, _, fragment = path.partition("#")
    if message:
        path += ("&" if "?" in path else "?") + urlencode({"msg": message})
    if fragment:
        path += "#" + fragment
    return RedirectResponse(local_path(request, path), status_code=303)


def field_errors(error: AllmendeError) -> dict[str, str]:
    """Errors keyed by form field (``body.attributes.height_m`` → ``attributes.height_m``)."""
    found: dict[str, str] = {}
    for e in error.errors or []:
        name = e.field.removeprefix("body.")
        found.setdefault(name, e.reason)
    if not found:
        found["form"] = str(error)
    return found


def validated(model: type[Model], **data: Any) -> Model:
    """Build an API input model from form data; its refusals name the form fields."""
    try:
        return model(**data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "form", str(e["msg"]))
            for e in exc.errors()
        ]
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        ) from exc


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional_float(form: FormData, name: str) -> float | None:
    raw = text(form, name).replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValidationFailed.one(name, N_("must be a number")) from exc
    if not math.isfinite(value):
        raise ValidationFailed.one(name, N_("must be a number"))
    return value


def local_datetime(raw: str, name: str) -> datetime | None:
    """A ``datetime-local`` field, read in the region's time zone."""
    return parse_local_datetime(raw, field=name, zone=LOCAL_ZONE) if raw else None


def municipalities(session: Session) -> list[Municipality]:
    return all_municipalities(session)


def editable_municipalities(session: Session, principal: Principal) -> list[Municipality]:
    return [m for m in municipalities(session) if may_edit(principal, m.id)]


# --- the register ---------------------------------------------------------------------------


def _register_filter(
    session: Session, municipality: str | None, type: str | None, q: str | None, status: str | None
) -> tuple[objects.ObjectFilter, dict[str, str]]:
    keys = {v: k for k, v in municipality_keys(session).items()}
    mid = keys.get(municipality or "")
    type_ids = (
        [t.id for t in objects.list_types(session, municipality_id=mid) if t.key == type]
        if type
        else None
    )
    wanted: dict[str, str] = {
        "municipality": (municipality or "") if mid else "",
        "type": type or "",
        "q": (q or "").strip(),
        "status": status if status and status in OBJECT_STATUSES else "",
    }
    return (
        objects.ObjectFilter(
            municipality_id=mid,
            type_ids=type_ids,
            q=wanted["q"] or None,
            status=wanted["status"] or None,
        ),
        wanted,
    )


@pages.get("/assets")
def register_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40),
    type: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=200),
    status: str | None = Query(None, max_length=10),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    with app_context(request).database.session() as session:
        f, wanted = _register_filter(session, municipality, type, q, status)
        rows, total = objects.list_object_summaries(
            session, principal=principal, f=f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        query = urlencode({k: v for k, v in wanted.items() if v})
        places = municipalities(session)
        return render(
            request,
            "assets/register.html",
            {
                "rows": rows,
                "total": total,
                "page": page,
                "pages": page_count(total, PAGE_SIZE),
                "query": query,
                "wanted": wanted,
                "place_names": {m.id: m.name for m in places},
                "municipalities": places,
                "types": _unique_types(objects.list_types(session)),
                "can_create": any(may_edit(principal, m.id) for m in places),
            },
        )


def _type_options(request: Request, session: Session) -> list[tuple[str, str]]:
    gettext = translate(request)
    return [(t.key, gettext(t.name)) for t in _unique_types(objects.list_types(session))]


def _unique_types(types: list[ObjectType]) -> list[ObjectType]:
    seen: dict[str, ObjectType] = {}
    for t in types:
        seen.setdefault(t.key, t)
    return sorted(seen.values(), key=lambda t: t.name)


@pages.get("/assets/map.geojson")
def register_map(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40),
    type: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=200),
    status: str | None = Query(None, max_length=10),
) -> Response:
    """The register's objects for the map (name, link and kind only)."""
    with app_context(request).database.session() as session:
        f, _ = _register_filter(session, municipality, type, q, status)
        rows = objects.rows_by(session, principal, f, AssetObject.id, limit=5000)
        features = [
            {
                "type": "Feature",
                "geometry": geometry_to_geojson(o.geom),
                "properties": {
                    "name": o.name,
                    "description": t.name,
                    "url": local_path(request, f"/assets/{o.id}"),
                    "kind": t.key,
                },
            }
            for o, t in rows
            if o.geom is not None
        ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type=GEOJSON_MEDIA_TYPE
    )


def _attribute_rows(
    t: ObjectType, values: Mapping[str, Any], internal: bool
) -> list[dict[str, Any]]:
    rows = []
    for name, definition in attributes.properties(t.attribute_schema).items():
        public = name in t.public_attributes
        if name not in values or (not public and not internal):
            continue
        rows.append(
            {
                "name": name,
                "title": definition.get("title", name),
                "value": values[name],
                "choice": bool(definition.get("enum")) and isinstance(values[name], str),
                "public": public,
            }
        )
    return rows


@pages.get("/assets/{object_id}")
def object_page(request: Request, object_id: RowId, principal: Caller) -> Response:
    now = utcnow()
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        t = objects.get_type(session, obj.type_id)
        internal = may_read_internal(principal, obj.municipality_id)
        keys = municipality_keys(session)
        parent = session.get(AssetObject, obj.parent_id) if obj.parent_id else None
        if parent is not None and not (parent.public or internal):
            parent = None
        children, _ = objects.list_objects(
            session,
            principal=principal,
            f=objects.ObjectFilter(parent_id=obj.id),
            limit=200,
            offset=0,
        )
        stored = files.files_of(
            session, principal=principal, object_id=obj.id, municipality_id=obj.municipality_id
        )
        values: dict[str, Any] = {
            "obj": obj,
            "type": t,
            "municipality": session.get(Municipality, obj.municipality_id),
            "internal": internal,
            "editable": may_edit(principal, obj.municipality_id),
            "attributes": _attribute_rows(t, obj.attributes or {}, internal),
            "parent": parent,
            "children": children,
            "photos": [f for f in stored if f.kind == "photo"],
            "documents": [f for f in stored if f.kind == "document"],
            "keys": keys,
            "totals": adoption.totals(session, [obj.id], now=now)[obj.id] if t.adoptable else None,
            "adopted": adoption.is_adopted_by(session, user_id=principal.user_id, object_id=obj.id)
            if principal.kind == "user"
            else False,
            "signed_in": principal.kind == "user",
            "upcoming": bookings.list_bookings(
                session,
                principal=principal,
                f=bookings.BookingFilter(space_id=obj.id, start=now),
                limit=20,
            )
            if t.bookable
            else [],
            "reports": report_rules.list_reports(
                session,
                principal=principal,
                f=report_rules.ReportFilter(object_id=obj.id),
                limit=20,
            ),
        }
        if internal:
            recent = inspections.inspections_of(session, object_id=obj.id, limit=10)
            values.update(
                {
                    "things": objects.thing_ids(session, [obj.id])[obj.id],
                    "history": objects.recent_changes(session, object_id=obj.id),
                    "plans": inspections.plans_for(session, obj),
                    "due": {
                        d.plan.id: d
                        for d in inspections.due(
                            session,
                            principal=principal,
                            now=now,
                            horizon_days=3650,
                            object_id=obj.id,
                        )
                    },
                    "inspections": (
                        recent := inspections.inspections_of(session, object_id=obj.id, limit=10)
                    ),
                    "inspection_photos": files.files_of_inspections(
                        session, [i.id for i in recent]
                    ),
                    "defects": inspections.list_defects(
                        session, principal=principal, object_id=obj.id, limit=50
                    ),
                    "work_orders": workorders.list_work_orders(
                        session,
                        principal=principal,
                        f=workorders.WorkOrderFilter(object_id=obj.id),
                        limit=50,
                    ),
                }
            )
        return render(request, "assets/object.html", values)


@pages.get("/assets/{object_id}/map.geojson")
def object_map(request: Request, object_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        children, _ = objects.list_objects(
            session,
            principal=principal,
            f=objects.ObjectFilter(parent_id=obj.id),
            limit=500,
            offset=0,
        )
        shown = [(obj, "object"), *((c, "child") for c, _ in children)]
        features = [
            {
                "type": "Feature",
                "geometry": geometry_to_geojson(o.geom),
                "properties": {
                    "name": o.name,
                    "url": local_path(request, f"/assets/{o.id}"),
                    "kind": kind,
                },
            }
            for o, kind in shown
            if o.geom is not None
        ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type=GEOJSON_MEDIA_TYPE
    )


# --- create and edit ------------------------------------------------------------------------


def _form_values(t: ObjectType, obj: AssetObject | None) -> dict[str, str]:
    if obj is None:
        return {"public": "on", "status": "active"}
    values = {
        "name": obj.name,
        "identifier": obj.identifier or "",
        "address": obj.address or "",
        "description": obj.description,
        "notes": obj.notes,
        "public": "on" if obj.public else "",
        "status": obj.status,
        "parent_id": str(obj.parent_id or ""),
    }
    if obj.geom is not None:
        if obj.geom.geom_type == "Point":
            values["lat"], values["lon"] = str(obj.geom.y), str(obj.geom.x)
        else:
            values["geometry"] = json.dumps(geometry_to_geojson(obj.geom))
    for name, value in (obj.attributes or {}).items():
        if isinstance(value, bool):
            values[f"attributes.{name}"] = "true" if value else "false"
        else:
            values[f"attributes.{name}"] = str(value)
    return values


def _parse_object_form(t: ObjectType, form: FormData) -> dict[str, Any]:
    """The form as API input; conversion errors name the form field."""
    schema = t.attribute_schema
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name in attributes.properties(schema):
        raw = text(form, f"attributes.{name}")
        if not raw:
            continue
        try:
            values[name] = attributes.coerce_text(schema, name, raw, field=f"attributes.{name}")
        except ValidationFailed as exc:
            errors.append((f"attributes.{name}", exc.errors[0].reason))
    geometry: Any = None
    if t.geometry_kind == "point":
        try:
            lat, lon = optional_float(form, "lat"), optional_float(form, "lon")
        except ValidationFailed as exc:
            errors.append((exc.errors[0].field, exc.errors[0].reason))
            lat = lon = None
        if lat is None or lon is None:
            errors.append(
                ("geometry", N_("give latitude and longitude (or pick the place on the map)"))
            )
        else:
            geometry = {"type": "Point", "coordinates": [lon, lat]}
    else:
        raw = text(form, "geometry")
        if not raw:
            errors.append(("geometry", N_("paste a GeoJSON geometry")))
        else:
            geometry = raw
    parent = text(form, "parent_id")
    if parent and not is_digits(parent):
        errors.append(("parent_id", N_("must be the number of an object")))
    if errors:
        raise ValidationFailed(
            detail="; ".join(f"{f}: {r}" for f, r in errors),
            errors=[FieldError(f, r) for f, r in errors],
        )
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except ValueError as exc:
            raise ValidationFailed.one("geometry", N_("is not valid GeoJSON")) from exc
    return {
        "name": text(form, "name"),
        "identifier": text(form, "identifier") or None,
        "address": text(form, "address") or None,
        "description": text(form, "description"),
        "notes": text(form, "notes"),
        "public": form.get("public") == "on",
        "status": text(form, "status") or "active",
        "parent_id": int(parent) if parent else None,
        "geometry": geometry,
        "attributes": values,
    }


def _attribute_fields(request: Request, t: ObjectType) -> list[dict[str, Any]]:
    """One form field per attribute: a choice for enums and booleans, else a text input."""
    gettext = translate(request)
    fields = []
    for name, p in attributes.properties(t.attribute_schema).items():
        options = None
        if p.get("enum"):
            options = [(str(v), gettext(str(v))) for v in p["enum"]]
        elif p.get("type") == "boolean":
            options = [("true", gettext("yes")), ("false", gettext("no"))]
        fields.append(
            {
                "name": f"attributes.{name}",
                "title": p.get("title", name),
                "public": name in t.public_attributes,
                "options": options,
                "inputmode": {"number": "decimal", "integer": "numeric"}.get(str(p.get("type"))),
                "minimum": p.get("minimum"),
                "maximum": p.get("maximum"),
            }
        )
    return fields


def _form_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    t: ObjectType,
    municipality: Municipality,
    obj: AssetObject | None,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "assets/object_form.html",
        {
            "type": t,
            "municipality": municipality,
            "obj": obj,
            "values": values,
            "errors": errors or {},
            "fields": _attribute_fields(request, t),
            "status_options": [(k, translate(request)(v)) for k, v in OBJECT_STATUSES.items()],
            "point": t.geometry_kind == "point",
            "geometry_kinds": GEOMETRY_KINDS,
            "bbox": list(municipality.geom.bounds) if municipality.geom is not None else None,
        },
        status_code=status_code,
    )


@pages.get("/assets/new/object")
def new_object_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40),
    type: str | None = Query(None, max_length=40),
) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        allowed = editable_municipalities(session, principal)
        chosen = next((m for m in allowed if m.key == municipality), None)
        if chosen is None and len(allowed) == 1:
            chosen = allowed[0]
        t = None
        if chosen is not None and type:
            t = next(
                (
                    x
                    for x in objects.list_types(session, municipality_id=chosen.id)
                    if x.key == type
                ),
                None,
            )
        if chosen is None or t is None:
            return render(
                request,
                "assets/type_choice.html",
                {
                    "municipalities": allowed,
                    "types": _unique_types(objects.list_types(session)),
                    "chosen": chosen.key if chosen else "",
                },
                status_code=200 if allowed else 403,
            )
        return _form_page(
            request,
            session,
            principal,
            t=t,
            municipality=chosen,
            obj=None,
            values=_form_values(t, None),
        )


@pages.post("/assets/new/object")
async def create_object_submit(
    request: Request,
    principal: Caller,
    municipality: str = Query(..., max_length=40),
    type: str = Query(..., max_length=40),
) -> Response:
    form = await read_form(request)
    context = app_context(request)
    with context.database.session() as session:
        m = municipality_or_none(session, municipality)
        if m is None:
            raise ValidationFailed.one("municipality", f"no municipality '{municipality}'")
        t = objects.resolve_type(session, m.id, type, field="type")
    try:
        body = validated(
            ObjectCreate, municipality=municipality, type=type, **_parse_object_form(t, form)
        )
        obj = await context.database.awrite(
            lambda s: objects.create_object(s, principal=principal, data=body)
        )
    except ValidationFailed as exc:
        with context.database.session() as session:
            return _form_page(
                request,
                session,
                principal,
                t=t,
                municipality=m,
                obj=None,
                values=form_strings(form),
                errors=field_errors(exc),
                status_code=422,
            )
    return redirect(request, f"/assets/{obj.id}", "created")


@pages.get("/assets/{object_id}/edit")
def edit_object_page(request: Request, object_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        t = objects.get_type(session, obj.type_id)
        m = session.get(Municipality, obj.municipality_id)
        assert m is not None
        return _form_page(
            request, session, principal, t=t, municipality=m, obj=obj, values=_form_values(t, obj)
        )


@pages.post("/assets/{object_id}/edit")
async def edit_object_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)
    with context.database.session() as session:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        t = objects.get_type(session, obj.type_id)
        m = session.get(Municipality, obj.municipality_id)
        assert m is not None
    try:
        body = validated(ObjectUpdate, **_parse_object_form(t, form))
        await context.database.awrite(
            lambda s: objects.update_object(s, principal=principal, object_id=object_id, data=body)
        )
    except ValidationFailed as exc:
        with context.database.session() as session:
            return _form_page(
                request,
                session,
                principal,
                t=t,
                municipality=m,
                obj=obj,
                values=form_strings(form),
                errors=field_errors(exc),
                status_code=422,
            )
    return redirect(request, f"/assets/{object_id}", "saved")


@pages.post("/assets/{object_id}/files")
async def upload_file(request: Request, object_id: RowId, principal: Caller) -> Response:
    """Add a photo or a document from the object page."""
    form = await read_form(request)
    context = app_context(request)
    kind = "photo" if text(form, "kind") == "photo" else "document"
    upload = form.get("file")
    with context.database.session() as session:
        objects.editable_object(session, principal=principal, object_id=object_id)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed.one("file", N_("choose a file"))
    limit = context.settings.upload_max_bytes
    data = await uploads.read_upload(upload, limit, "file")
    clean = uploads.clean_image if kind == "photo" else uploads.clean_document
    prepared = await clean(data, field="file", max_bytes=limit, filename=upload.filename)
    path = await run_in_threadpool(files.save, context.settings.data_dir, prepared)

    def run(session: Session) -> StoredFile:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        return files.attach(
            session,
            actor=Actor.of(principal),
            municipality_id=obj.municipality_id,
            kind=kind,
            upload=prepared,
            path=path,
            title=text(form, "title")[:200],
            public=form.get("public") == "on",
            obj=obj,
        )

    try:
        await context.database.awrite(run)
    except BaseException:
        files.remove(context.settings.data_dir, path)
        raise
    return redirect(request, f"/assets/{object_id}#files", kind)


# --- import ---------------------------------------------------------------------------------


@pages.get("/assets/import/objects")
def import_page(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        return _import_form(request, session, principal, {}, None, None)


def _import_form(
    request: Request,
    session: Session,
    principal: Principal,
    values: Mapping[str, str],
    result: Any,
    error: AllmendeError | None,
    status_code: int = 200,
) -> Response:
    allowed = editable_municipalities(session, principal)
    return render(
        request,
        "assets/import.html",
        {
            "municipalities": allowed,
            "municipality_options": [(m.key, m.name) for m in allowed],
            "type_options": _type_options(request, session),
            "values": values,
            "result": result,
            "error": error,
            "errors": field_errors(error) if error else {},
        },
        status_code=status_code if allowed else 403,
    )


@pages.post("/assets/import/objects")
async def import_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)
    values = form_strings(form)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.one("file", N_("choose a file"))
        data = await uploads.read_upload(upload, context.settings.upload_max_bytes, "file")
        result = await context.database.awrite(
            lambda s: transfer.run_import(
                s,
                principal=principal,
                municipality=text(form, "municipality"),
                type_key=text(form, "type"),
                fmt=text(form, "format") or "csv",
                data=data,
                mode=text(form, "mode") or "all",
                dry_run=form.get("dry_run") == "on",
            )
        )
    except ValidationFailed as exc:
        with context.database.session() as session:
            return _import_form(request, session, principal, values, None, exc, 422)
    with context.database.session() as session:
        return _import_form(request, session, principal, values, result, None)


# --- adoption -------------------------------------------------------------------------------


@pages.post("/assets/{object_id}/adopt")
async def adopt_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    await read_form(request)
    if principal.kind != "user":
        return login_redirect(request)
    await app_context(request).database.awrite(
        lambda s: adoption.adopt(s, principal=principal, object_id=object_id)
    )
    return redirect(request, f"/assets/{object_id}", "adopted")


@pages.post("/assets/{object_id}/release")
async def release_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    await read_form(request)
    if principal.kind != "user":
        return login_redirect(request)
    await app_context(request).database.awrite(
        lambda s: adoption.release(s, principal=principal, object_id=object_id)
    )
    return redirect(request, f"/assets/{object_id}", "released")


@pages.post("/assets/{object_id}/water")
async def water_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    if principal.kind != "user":
        return login_redirect(request)
    try:
        body = validated(
            ActivityCreate, kind="watering", amount=optional_float(form, "amount") or 0
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            detail="amount: " + exc.errors[0].reason if exc.errors else str(exc),
            errors=[FieldError("amount", e.reason) for e in exc.errors],
        ) from exc
    await app_context(request).database.awrite(
        lambda s: adoption.log_activity(s, principal=principal, object_id=object_id, data=body)
    )
    return redirect(request, f"/assets/{object_id}", "watered")


@pages.get("/my/adoptions")
def my_adoptions_page(request: Request, principal: Caller) -> Response:
    if principal.kind != "user" or principal.user_id is None:
        return login_redirect(request)
    with app_context(request).database.session() as session:
        rows = adoption.my_adoptions(session, principal=principal)
        ids = [o.id for _, o, _ in rows]
        return render(
            request,
            "assets/mine.html",
            {
                "rows": rows,
                "totals": adoption.totals(session, ids, now=utcnow()),
                "mine": adoption.my_totals(session, user_id=principal.user_id, object_ids=ids),
                "activities": adoption.my_activities(session, user_id=principal.user_id),
                "names": {o.id: o.name for _, o, _ in rows},
            },
        )
