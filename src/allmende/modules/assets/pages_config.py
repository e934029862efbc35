"""Staff pages that configure a municipality from the browser: its report categories (the
Open311 services), its object types with their attributes, and its inspection plans.

The pages parse the form, call the services and render; who may and what is valid is the
services' to say. Without JavaScript a form offers a few empty rows for new attributes,
questions and checklist items.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from allmende.modules.assets.catalogue import N_, PLAN_KINDS
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.models import InspectionPlan, ObjectType, ReportService
from allmende.modules.assets.pages import (
    editable_municipalities,
    field_errors,
    pages,
    redirect,
    render,
    staff_page,
    text,
    translate,
    translated_options,
)
from allmende.modules.assets.register import attributes
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.schemas import (
    PlanCreate,
    PlanUpdate,
    ServiceCreate,
    ServiceUpdate,
    TypeCreate,
    TypeUpdate,
)
from allmende.modules.assets.service import (
    Faults,
    municipality_names,
)
from allmende.sdk import (
    AllmendeError,
    Caller,
    Conflict,
    FieldError,
    Municipality,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    formatting,
    is_digits,
    read_form,
    write_or_refuse,
)

Model = TypeVar("Model", bound=BaseModel)
#: Empty rows a form offers for new attributes, questions or checklist items.
BLANK_ROWS = 3
REFUSALS = (ValidationFailed, Conflict)
QUESTION_KINDS = {
    "string": N_("short text"),
    "text": N_("long text"),
    "number": N_("a number"),
    "datetime": N_("date and time"),
    "singlevaluelist": N_("one of the choices"),
    "multivaluelist": N_("several of the choices"),
}
ATTRIBUTE_KINDS = {
    "string": N_("free text"),
    "number": N_("number with decimals"),
    "integer": N_("whole number"),
    "boolean": N_("yes or no"),
}
GEOMETRY_LABELS = {
    "point": N_("a point"),
    "line": N_("a line"),
    "polygon": N_("an area"),
    "any": N_("any shape"),
}

# --- refusals in plain words ----------------------------------------------------------------

#: What an input model's refusal says, by the kind of the refusal.
REASONS = {
    "missing": N_("is required"),
    "string_too_short": N_("is required"),
    "too_short": N_("is required"),
    "string_too_long": N_("is too long"),
    "too_long": N_("has too many entries"),
    "literal_error": N_("choose one of the options"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
}
#: What a field's other refusals say (rows numbered ``N``).
FIELD_REASONS = {
    "code": N_(
        "use small letters, digits, '-' or '_' (at most 40), starting with a letter or digit"
    ),
    "key": N_("use small letters, digits or '_' (2 to 40), starting with a letter"),
    "interval_days": N_("give the days between two inspections (at most ten years)"),
    "keywords": N_("a keyword has at most 50 characters; at most 20 keywords"),
    "attributes.N.code": N_("use letters, digits or '_' (at most 40), starting with a letter"),
    "attributes.N.values": N_("a choice has at most 100 characters"),
}
#: Lists of the input models entered as rows of the form.
ROW_LISTS = ("attributes", "checklist")
#: Lists of the input models entered in one field.
FIELD_LISTS = ("keywords", "object_types")


def checked(model: type[Model], **data: Any) -> Model:
    """An input model from the form; every refusal named at its field in plain words."""
    try:
        return model(**data)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            name = _model_field([str(p) for p in e["loc"]])
            kind = str(e["type"])
            pattern = re.sub(r"\.\d+", ".N", name)
            reason = (
                REASONS[kind]
                if kind in ("missing", "string_too_short", "too_short")
                else FIELD_REASONS.get(pattern) or REASONS.get(kind) or N_("is not valid")
            )
            errors.append(FieldError(name, reason))
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        ) from exc


def _model_field(loc: list[str]) -> str:
    if not loc:
        return "form"
    if loc[0] in FIELD_LISTS:
        return loc[0]
    if loc[0] in ROW_LISTS and len(loc) > 2:
        return ".".join(loc[:3])
    return ".".join(loc)


def gathered(*steps: Callable[[], Any]) -> list[Any]:
    """Run every step; refuse with the faults of all of them, not only the first one's."""
    faults = Faults()
    results = [faults.check(step) for step in steps]
    faults.raise_any()
    return results


def form_errors(exc: AllmendeError, rows: Mapping[str, list[int]]) -> dict[str, str]:
    """The refusal's reasons by form field: ``body.attributes[1].code`` of the second question
    entered → ``attributes.<its row>.code``."""
    found: dict[str, str] = {}
    for name, reason in field_errors(exc).items():
        name = re.sub(r"\[(\d+)\]", r".\1", name)
        parts = name.split(".")
        if parts[0] in rows and len(parts) > 1 and is_digits(parts[1]):
            index = int(parts[1])
            known = rows[parts[0]]
            parts[1] = str(known[index] if index < len(known) else index)
            name = ".".join(parts[:3])
        elif parts[0] in FIELD_LISTS or parts[0] == "attribute_schema":
            name = "attributes" if parts[0] == "attribute_schema" else parts[0]
        elif parts[0] == "public_attributes":
            name = "attributes"
        found.setdefault(name, reason)
    return found


# --- helpers --------------------------------------------------------------------------------


def _rows(form: FormData, prefix: str) -> list[int]:
    """The row numbers the form sent for ``prefix`` (``attributes.3.name`` → 3)."""
    found = set()
    for name in form:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == prefix and is_digits(parts[1]) and int(parts[1]) < 200:
            found.add(int(parts[1]))
    return list(range(max(found) + 1)) if found else []


def _row_count(values: Mapping[str, str], prefix: str) -> int:
    indices = [
        int(parts[1])
        for parts in (name.split(".") for name in values)
        if len(parts) == 3 and parts[0] == prefix and is_digits(parts[1])
    ]
    return max(indices) + 1 if indices else 0


def _blank_rows(values: dict[str, str], prefix: str, field: str) -> dict[str, str]:
    start = _row_count(values, prefix)
    return values | {f"{prefix}.{start + i}.{field}": "" for i in range(BLANK_ROWS)}


def _municipality_options(municipalities: list[Municipality]) -> list[tuple[str, str]]:
    return [(m.key, m.name) for m in municipalities]


def _chosen_municipality(form: FormData, allowed: list[Municipality]) -> str:
    """The form's municipality; where the caller edits only one, that one."""
    chosen = text(form, "municipality")
    return chosen or (allowed[0].key if len(allowed) == 1 else "")


def _types_of(session: Session, municipality_ids: list[int]) -> list[ObjectType]:
    """The object types usable in these municipalities (built-in and their own), each once."""
    seen: dict[int, ObjectType] = {}
    for mid in municipality_ids:
        for t in objects.list_types(session, municipality_id=mid):
            seen.setdefault(t.id, t)
    return list(seen.values())


# --- report categories ----------------------------------------------------------------------


def _category_values(s: ReportService) -> dict[str, str]:
    values = {
        "code": s.code,
        "name": s.name,
        "description": s.description,
        "group": s.group_name,
        "keywords": ", ".join(s.keywords),
        "active": "on" if s.active else "",
    }
    for i, a in enumerate(sorted(s.attributes, key=lambda a: int(a.get("order", 1)))):
        values |= {
            f"attributes.{i}.code": str(a["code"]),
            f"attributes.{i}.description": str(a.get("description", "")),
            f"attributes.{i}.datatype": str(a.get("datatype", "string")),
            f"attributes.{i}.required": "on" if a.get("required") else "",
            f"attributes.{i}.values": ", ".join(str(v["name"]) for v in a.get("values", [])),
        }
    return _blank_rows(values, "attributes", "description")


def _category_form(
    request: Request,
    session: Session,
    principal: Principal,
    service: ReportService | None,
    values: dict[str, str],
    chosen_types: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    allowed = editable_municipalities(session, principal)
    ids = [service.municipality_id] if service is not None else [m.id for m in allowed]
    gettext = translate(request)
    return render(
        request,
        "assets/category_form.html",
        {
            "service": service,
            "values": values,
            "errors": errors,
            "chosen_types": chosen_types,
            "municipality_options": _municipality_options(allowed),
            "place_names": municipality_names(session),
            "type_options": sorted(
                {t.key: gettext(t.name) for t in _types_of(session, ids)}.items(),
                key=lambda kv: kv[1],
            ),
            "question_kinds": translated_options(request, QUESTION_KINDS),
            "rows": _row_count(values, "attributes"),
        },
        status_code=status_code,
    )


def _question_rows(form: FormData) -> list[report_rules.QuestionRow]:
    return [
        report_rules.QuestionRow(
            code=text(form, f"attributes.{i}.code"),
            description=text(form, f"attributes.{i}.description"),
            datatype=text(form, f"attributes.{i}.datatype") or "string",
            required=form.get(f"attributes.{i}.required") == "on",
            values=text(form, f"attributes.{i}.values"),
        )
        for i in _rows(form, "attributes")
    ]


def _keywords(form: FormData) -> list[str]:
    return [k.strip() for k in text(form, "keywords").split(",") if k.strip()]


def _chosen_types(form: FormData) -> list[str]:
    return [v for v in form.getlist("object_types") if isinstance(v, str) and v]


def _service_create(
    form: FormData, session: Session, principal: Principal, questions: list[dict[str, Any]]
) -> ServiceCreate:
    return checked(
        ServiceCreate,
        municipality=_chosen_municipality(form, editable_municipalities(session, principal)),
        code=text(form, "code"),
        name=text(form, "name"),
        description=text(form, "description"),
        group=text(form, "group"),
        keywords=_keywords(form),
        attributes=questions,
        object_types=_chosen_types(form),
        active=True,
    )


@pages.get("/maintenance/categories/new")
def new_category_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        values = _blank_rows({"active": "on"}, "attributes", "description")
        return _category_form(request, session, principal, None, values, [], {})


@pages.post("/maintenance/categories/new")
async def new_category_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    rows: dict[str, list[int]] = {}

    def write(session: Session) -> int:
        questions, rows["attributes"] = report_rules.questions_of(_question_rows(form))
        data, _ = gathered(
            lambda: _service_create(form, session, principal, questions),
            lambda: report_rules.check_attributes(questions),
        )
        return int(report_rules.create_service(session, principal=principal, data=data).id)

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/categories", "category"),
        refused=lambda session, exc: _category_form(
            request,
            session,
            principal,
            None,
            form_strings(form),
            _chosen_types(form),
            form_errors(exc, rows),
            exc.status,
        ),
        refusals=REFUSALS,
    )


@pages.get("/maintenance/categories/{service_id}")
def category_page(request: Request, service_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        s = report_rules.editable_service(session, principal=principal, service_id=service_id)
        return _category_form(
            request, session, principal, s, _category_values(s), list(s.object_types), {}
        )


@pages.post("/maintenance/categories/{service_id}")
async def category_submit(request: Request, service_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    rows: dict[str, list[int]] = {}

    def write(session: Session) -> None:
        s = report_rules.editable_service(session, principal=principal, service_id=service_id)
        questions, rows["attributes"] = report_rules.questions_of(
            _question_rows(form), s.attributes
        )
        data, _ = gathered(
            lambda: checked(
                ServiceUpdate,
                name=text(form, "name"),
                description=text(form, "description"),
                group=text(form, "group"),
                keywords=_keywords(form),
                attributes=questions,
                object_types=_chosen_types(form),
                active=form.get("active") == "on",
            ),
            lambda: report_rules.check_attributes(questions),
        )
        report_rules.update_service(session, principal=principal, service_id=service_id, data=data)

    def refused(session: Session, exc: AllmendeError) -> Response:
        s = report_rules.editable_service(session, principal=principal, service_id=service_id)
        values = form_strings(form)
        return _category_form(
            request,
            session,
            principal,
            s,
            values,
            _chosen_types(form),
            form_errors(exc, rows),
            exc.status,
        )

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/categories", "saved"),
        refused=refused,
        refusals=REFUSALS,
    )


@pages.post("/maintenance/categories/{service_id}/active")
async def category_active(request: Request, service_id: RowId, principal: Caller) -> Response:
    """Deactivate or reactivate a category: citizens no longer (or again) choose it."""
    form = await read_form(request)
    active = text(form, "active") == "on"
    await app_context(request).database.awrite(
        lambda s: report_rules.update_service(
            s, principal=principal, service_id=service_id, data=ServiceUpdate(active=active)
        )
    )
    return redirect(request, "/maintenance/categories", "category-on" if active else "category-off")


# --- object types ---------------------------------------------------------------------------


@pages.get("/maintenance/types")
def types_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        allowed = editable_municipalities(session, principal)
        found = _types_of(session, [m.id for m in allowed])
        own = [t for t in found if t.municipality_id is not None]
        return render(
            request,
            "assets/types.html",
            {
                "own": sorted(own, key=lambda t: (t.municipality_id or 0, t.name)),
                "builtin": [t for t in found if t.municipality_id is None],
                "place_names": municipality_names(session),
                "may_create": bool(allowed),
                "geometry_labels": GEOMETRY_LABELS,
            },
        )


def _bound(text: str, language: str) -> str:
    """A stored bound as the page's readers write it (a decimal comma in German), without
    thousands separators, so that the form reads it back unchanged."""
    if not text:
        return ""
    return formatting.decimal(float(text), language, 10, grouped=False, optional=True)


def _type_values(t: ObjectType, language: str) -> dict[str, str]:
    values = {
        "key": t.key,
        "name": t.name,
        "description": t.description,
        "geometry_kind": t.geometry_kind,
        "public": "on" if t.public else "",
        "bookable": "on" if t.bookable else "",
        "adoptable": "on" if t.adoptable else "",
    }
    for i, row in enumerate(attributes.rows_of(t.attribute_schema, list(t.public_attributes))):
        values |= {
            f"attributes.{i}.name": row.name,
            f"attributes.{i}.title": row.title,
            f"attributes.{i}.type": row.type,
            f"attributes.{i}.required": "on" if row.required else "",
            f"attributes.{i}.public": "on" if row.public else "",
            f"attributes.{i}.allowed": row.allowed,
            f"attributes.{i}.minimum": _bound(row.minimum, language),
            f"attributes.{i}.maximum": _bound(row.maximum, language),
        }
    return _blank_rows(values, "attributes", "name")


def _type_form(
    request: Request,
    session: Session,
    principal: Principal,
    t: ObjectType | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "assets/type_form.html",
        {
            "type": t,
            "values": values,
            "errors": errors,
            "municipality_options": _municipality_options(
                editable_municipalities(session, principal)
            ),
            "place_names": municipality_names(session),
            "geometry_options": translated_options(request, GEOMETRY_LABELS),
            "attribute_kinds": translated_options(request, ATTRIBUTE_KINDS),
            "rows": _row_count(values, "attributes"),
        },
        status_code=status_code,
    )


def _attribute_rows(form: FormData) -> list[attributes.AttributeRow]:
    return [
        attributes.AttributeRow(
            name=text(form, f"attributes.{i}.name"),
            title=text(form, f"attributes.{i}.title"),
            type=text(form, f"attributes.{i}.type") or "string",
            required=form.get(f"attributes.{i}.required") == "on",
            public=form.get(f"attributes.{i}.public") == "on",
            allowed=text(form, f"attributes.{i}.allowed"),
            minimum=text(form, f"attributes.{i}.minimum"),
            maximum=text(form, f"attributes.{i}.maximum"),
        )
        for i in _rows(form, "attributes")
    ]


@pages.get("/maintenance/types/new")
def new_type_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        values = _blank_rows({"geometry_kind": "point", "public": "on"}, "attributes", "name")
        return _type_form(request, session, principal, None, values, {})


@pages.post("/maintenance/types/new")
async def new_type_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)

    def write(session: Session) -> int:
        found, data = gathered(
            lambda: attributes.schema_of(_attribute_rows(form)),
            lambda: checked(
                TypeCreate,
                municipality=_chosen_municipality(
                    form, editable_municipalities(session, principal)
                ),
                key=text(form, "key"),
                name=text(form, "name"),
                description=text(form, "description"),
                geometry_kind=text(form, "geometry_kind") or "point",
                public=form.get("public") == "on",
                bookable=form.get("bookable") == "on",
                adoptable=form.get("adoptable") == "on",
            ),
        )
        schema, public = found
        data = data.model_copy(update={"attribute_schema": schema, "public_attributes": public})
        return objects.create_type(session, principal=principal, data=data).id

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/types", "type"),
        refused=lambda session, exc: _type_form(
            request, session, principal, None, form_strings(form), form_errors(exc, {}), exc.status
        ),
        refusals=REFUSALS,
    )


@pages.get("/maintenance/types/{type_id}")
def type_page(request: Request, type_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        t = objects.editable_type(session, principal=principal, type_id=type_id)
        language = app_context(request).catalogs.negotiate(request)
        return _type_form(request, session, principal, t, _type_values(t, language), {})


@pages.post("/maintenance/types/{type_id}")
async def type_submit(request: Request, type_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)

    def write(session: Session) -> None:
        t = objects.editable_type(session, principal=principal, type_id=type_id)
        found, data = gathered(
            lambda: attributes.schema_of(_attribute_rows(form), base=t.attribute_schema),
            lambda: checked(
                TypeUpdate,
                name=text(form, "name"),
                description=text(form, "description"),
                public=form.get("public") == "on",
                bookable=form.get("bookable") == "on",
                adoptable=form.get("adoptable") == "on",
            ),
        )
        schema, public = found
        data = data.model_copy(update={"attribute_schema": schema, "public_attributes": public})
        objects.update_type(session, principal=principal, type_id=type_id, data=data)

    def refused(session: Session, exc: AllmendeError) -> Response:
        t = objects.editable_type(session, principal=principal, type_id=type_id)
        return _type_form(
            request, session, principal, t, form_strings(form), form_errors(exc, {}), exc.status
        )

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/types", "saved"),
        refused=refused,
        refusals=REFUSALS,
    )


# --- inspection plans -----------------------------------------------------------------------


@pages.get("/maintenance/plans")
def plans_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        allowed = editable_municipalities(session, principal)
        ids = [m.id for m in allowed]
        types = _types_of(session, ids)
        seen: dict[int, InspectionPlan] = {}
        for mid in ids:
            for p in inspections.list_plans(session, municipality_id=mid):
                seen.setdefault(p.id, p)
        by_type = [
            (t, [p for p in seen.values() if p.type_id == t.id])
            for t in sorted(types, key=lambda t: t.name)
        ]
        return render(
            request,
            "assets/plans.html",
            {
                "by_type": [(t, plans) for t, plans in by_type if plans],
                "place_names": municipality_names(session),
                "may_create": bool(allowed),
            },
        )


def _plan_values(p: InspectionPlan) -> dict[str, str]:
    values = {"kind": p.kind, "name": p.name, "interval_days": str(p.interval_days)}
    for i, item in enumerate(p.checklist):
        values |= {f"checklist.{i}.code": item["code"], f"checklist.{i}.label": item["label"]}
    return _blank_rows(values, "checklist", "label")


def _plan_form(
    request: Request,
    session: Session,
    principal: Principal,
    plan: InspectionPlan | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    allowed = editable_municipalities(session, principal)
    ids = [plan.municipality_id or 0] if plan is not None else [m.id for m in allowed]
    gettext = translate(request)
    types = _types_of(session, ids)
    return render(
        request,
        "assets/plan_form.html",
        {
            "plan": plan,
            "plan_type": next((t for t in types if plan and t.id == plan.type_id), None),
            "values": values,
            "errors": errors,
            "municipality_options": _municipality_options(allowed),
            "place_names": municipality_names(session),
            "type_options": sorted(
                {t.key: gettext(t.name) for t in types}.items(), key=lambda kv: kv[1]
            ),
            "kind_options": translated_options(request, PLAN_KINDS),
            "rows": _row_count(values, "checklist"),
        },
        status_code=status_code,
    )


def _checklist(form: FormData) -> tuple[list[dict[str, str]], list[int]]:
    pairs = [
        (text(form, f"checklist.{i}.code"), text(form, f"checklist.{i}.label"))
        for i in _rows(form, "checklist")
    ]
    items = inspections.checklist_codes(pairs)
    return items, [i for i, (_, label) in enumerate(pairs) if label]


def _interval(form: FormData) -> str:
    return text(form, "interval_days")


@pages.get("/maintenance/plans/new")
def new_plan_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        values = _blank_rows({"kind": "visual"}, "checklist", "label")
        return _plan_form(request, session, principal, None, values, {})


@pages.post("/maintenance/plans/new")
async def new_plan_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    rows: dict[str, list[int]] = {}

    def write(session: Session) -> int:
        items, rows["checklist"] = _checklist(form)
        data = checked(
            PlanCreate,
            municipality=_chosen_municipality(form, editable_municipalities(session, principal)),
            type=text(form, "type"),
            kind=text(form, "kind"),
            name=text(form, "name"),
            interval_days=_interval(form),
            checklist=items,
        )
        return inspections.create_plan(session, principal=principal, data=data).id

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/plans", "plan"),
        refused=lambda session, exc: _plan_form(
            request,
            session,
            principal,
            None,
            form_strings(form),
            _plan_errors(exc, rows),
            exc.status,
        ),
        refusals=REFUSALS,
    )


def _plan_errors(exc: AllmendeError, rows: Mapping[str, list[int]]) -> dict[str, str]:
    """A checklist refused as a whole (none, or too many items) sits at its first row."""
    errors = form_errors(exc, rows)
    if "checklist" in errors:
        errors.setdefault("checklist.0.label", errors.pop("checklist"))
    return errors


@pages.get("/maintenance/plans/{plan_id}")
def plan_page(request: Request, plan_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        plan = inspections.editable_plan(session, principal=principal, plan_id=plan_id)
        return _plan_form(request, session, principal, plan, _plan_values(plan), {})


@pages.post("/maintenance/plans/{plan_id}")
async def plan_submit(request: Request, plan_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    rows: dict[str, list[int]] = {}

    def write(session: Session) -> None:
        items, rows["checklist"] = _checklist(form)
        data = checked(
            PlanUpdate,
            kind=text(form, "kind"),
            name=text(form, "name"),
            interval_days=_interval(form),
            checklist=items,
        )
        inspections.update_plan(session, principal=principal, plan_id=plan_id, data=data)

    def refused(session: Session, exc: AllmendeError) -> Response:
        plan = inspections.editable_plan(session, principal=principal, plan_id=plan_id)
        return _plan_form(
            request,
            session,
            principal,
            plan,
            form_strings(form),
            _plan_errors(exc, rows),
            exc.status,
        )

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, "/maintenance/plans", "saved"),
        refused=refused,
        refusals=REFUSALS,
    )


@pages.post("/maintenance/plans/{plan_id}/delete")
async def plan_delete(request: Request, plan_id: RowId, principal: Caller) -> Response:
    await read_form(request)
    await app_context(request).database.awrite(
        lambda s: inspections.retire_plan(s, principal=principal, plan_id=plan_id)
    )
    return redirect(request, "/maintenance/plans", "plan-deleted")
