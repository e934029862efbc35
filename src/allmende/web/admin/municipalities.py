"""Administration of the region's municipalities: add, change, boundary, districts, staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.digits import is_digits
from allmende.core.errors import AllmendeError, FieldError, ValidationFailed
from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.params import RowId
from allmende.identity import service
from allmende.identity.models import District, Membership, Municipality, User
from allmende.web.admin.common import (
    admin_guard,
    boundary_of,
    errors_of,
    geojson_input,
    redirect,
    renamed,
    render,
)
from allmende.web.forms import text

router = APIRouter(include_in_schema=False)
FIELDS = ("name", "kind", "ags", "jurisdiction_id", "website", "contact_email")
KINDS = ("Gemeinde", "Stadt", "Große Kreisstadt", "Kreisstadt", "Markt", "Landkreis")
DONE = ("created", "saved", "district", "removed")
#: The district form's names for the service's fields.
DISTRICT_FIELDS = {"name": "district_name", "boundary": "district_boundary"}


@router.get("/admin/municipalities")
def municipalities_page(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    with app_context(request).database.session() as session:
        districts = dict(
            session.execute(
                select(District.municipality_id, func.count(District.id)).group_by(
                    District.municipality_id
                )
            ).all()
        )
        staff = dict(
            session.execute(
                select(Membership.municipality_id, func.count(Membership.user_id)).group_by(
                    Membership.municipality_id
                )
            ).all()
        )
        rows = [
            {
                "key": m.key,
                "name": m.name,
                "kind": m.kind,
                "ags": m.ags,
                "jurisdiction_id": m.jurisdiction_id,
                "has_boundary": m.geom is not None,
                "districts": districts.get(m.id, 0),
                "staff": staff.get(m.id, 0),
            }
            for m in service.list_municipalities(session)
        ]
    return render(request, "admin/municipalities.html", municipalities=rows)


def _form_page(
    request: Request,
    *,
    municipality: Municipality | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    done: str = "",
) -> Response:
    districts: list[District] = []
    staff: list[User] = []
    if municipality is not None:
        with app_context(request).database.session() as session:
            districts = list(
                session.scalars(
                    select(District)
                    .where(District.municipality_id == municipality.id)
                    .order_by(District.name)
                )
            )
            staff = list(
                session.scalars(
                    select(User)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.municipality_id == municipality.id)
                    .order_by(User.display_name)
                )
            )
    return render(
        request,
        "admin/municipality.html",
        status,
        municipality=municipality,
        values=values,
        errors=errors,
        districts=districts,
        staff=staff,
        kinds=KINDS,
        done=done if done in DONE else "",
    )


def _values(municipality: Municipality) -> dict[str, str]:
    return {name: getattr(municipality, name) or "" for name in FIELDS}


@router.get("/admin/municipalities/new")
def new_page(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    return _form_page(request, municipality=None, values={"kind": "Gemeinde"}, errors={})


async def _changes(request: Request) -> tuple[dict[str, str], dict[str, Any], list[FieldError]]:
    """The form's texts (to show again), the changes they ask for, and what is wrong with
    the boundary."""
    form = await request.form()
    values = {name: text(form, name, 300) for name in ("key", *FIELDS)}
    changes: dict[str, Any] = {name: values[name] for name in FIELDS}
    try:
        geojson = await geojson_input(form, "boundary")
        if geojson is not None:
            changes["boundary"] = boundary_of(geojson, "boundary")
    except ValidationFailed as exc:
        return values, changes, list(exc.errors)
    return values, changes, []


def _all_problems(
    session: Session, changes: dict[str, Any], found: list[FieldError], **which: Any
) -> None:
    """Refuse with the boundary's problems and every other field's at once."""
    problems = [*found, *service.municipality_problems(session, dict(changes), **which)]
    if problems:
        raise ValidationFailed(detail="; ".join(p.reason for p in problems), errors=problems)


@router.post("/admin/municipalities/new")
async def new_submit(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    values, changes, found = await _changes(request)
    try:

        def create(session: Session) -> str:
            _all_problems(session, changes, found, key=values["key"], own_id=None)
            return service.create_municipality(session, key=values["key"], **changes).key

        key = await app_context(request).database.awrite(create)
    except AllmendeError as exc:
        return _form_page(
            request,
            municipality=None,
            values=values,
            errors=errors_of(request, exc),
            status=exc.status,
        )
    return redirect(request, f"/admin/municipalities/{key}?done=created")


def _municipality(request: Request, key: str) -> Municipality:
    with app_context(request).database.session() as session:
        return service.municipality_by_key(session, key=key)


@router.get("/admin/municipalities/{key}")
def edit_page(request: Request, key: str, principal: Caller, done: str = "") -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    municipality = _municipality(request, key)
    return _form_page(
        request, municipality=municipality, values=_values(municipality), errors={}, done=done
    )


@router.post("/admin/municipalities/{key}")
async def edit_submit(request: Request, key: str, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    municipality = _municipality(request, key)
    values, changes, found = await _changes(request)

    def update(session: Session) -> None:
        _all_problems(session, changes, found, key=None, own_id=municipality.id)
        service.update_municipality(session, key=key, changes=changes)

    try:
        await app_context(request).database.awrite(update)
    except AllmendeError as exc:
        return _form_page(
            request,
            municipality=municipality,
            values=values,
            errors=errors_of(request, exc),
            status=exc.status,
        )
    return redirect(request, f"/admin/municipalities/{key}?done=saved")


# --- districts -------------------------------------------------------------------------------


def _population(raw: str) -> int | None:
    if not raw:
        return None
    if not is_digits(raw):
        raise ValidationFailed.one("population", N_("must be a whole number"))
    return int(raw)


def _features(geojson: Any) -> list[dict[str, Any]]:
    """The features of an uploaded FeatureCollection of districts (each with a name)."""
    features = geojson.get("features") if isinstance(geojson, dict) else None
    if not isinstance(features, list) or not features:
        raise ValidationFailed.one("district_boundary", N_("the FeatureCollection has no features"))
    found = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        name = (properties or {}).get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValidationFailed.one(
                "district_boundary", N_("every feature needs a property 'name'")
            )
        population = (properties or {}).get("population")
        found.append(
            {
                "name": name,
                "population": population if isinstance(population, int) else None,
                "boundary": boundary_of(feature, "district_boundary"),
            }
        )
    return found


@router.post("/admin/municipalities/{key}/districts")
async def add_district(request: Request, key: str, principal: Caller) -> Response:
    """One district (name, population, boundary), or several from a FeatureCollection."""
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    municipality = _municipality(request, key)
    form = await request.form()
    name = text(form, "district_name", 200)
    try:
        geojson = await geojson_input(form, "district_boundary")
        if not name and isinstance(geojson, dict) and geojson.get("type") == "FeatureCollection":
            new = _features(geojson)
        else:
            if not name:
                raise ValidationFailed.one("district_name", N_("must not be empty"))
            new = [
                {
                    "name": name,
                    "population": _population(text(form, "population", 12)),
                    "boundary": None
                    if geojson is None
                    else boundary_of(geojson, "district_boundary"),
                }
            ]

        def add(session: Session) -> None:
            for item in new:
                try:
                    service.add_district(session, municipality_key=key, **item)
                except AllmendeError as exc:
                    raise renamed(exc, DISTRICT_FIELDS) from None

        await app_context(request).database.awrite(add)
    except AllmendeError as exc:
        values = _values(municipality)
        errors = errors_of(request, exc)
        return _form_page(
            request, municipality=municipality, values=values, errors=errors, status=exc.status
        )
    return redirect(request, f"/admin/municipalities/{key}?done=district#districts")


@router.post("/admin/municipalities/{key}/districts/{district_id}/delete")
async def remove_district(
    request: Request, key: str, district_id: RowId, principal: Caller
) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    await app_context(request).database.awrite(
        lambda s: service.remove_district(s, municipality_key=key, district_id=district_id)
    )
    return redirect(request, f"/admin/municipalities/{key}?done=removed#districts")
