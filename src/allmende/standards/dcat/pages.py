"""``/open-data``: the catalogue for people — every dataset with its downloads and APIs — and,
for staff, forms to describe, withdraw and add datasets. Works without JavaScript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.links import local_path
from allmende.http.paging import page_of
from allmende.identity.models import Municipality
from allmende.identity.permissions import Action, can
from allmende.identity.principal import Principal
from allmende.standards.dcat import manage, store
from allmende.standards.dcat.files import FILES
from allmende.standards.dcat.vocabulary import LICENSE_CHOICES, LINK_FORMATS

pages = APIRouter(include_in_schema=False)
#: Datasets a page of /open-data (the machine-readable catalogue pages by catalog_page_size).
PAGE_SIZE = 20


@pages.get("/open-data")
def open_data_page(
    request: Request, principal: Caller, page: int = Query(1, ge=1, le=100_000)
) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        found = manage.listed(session, request, principal)
        places = [
            m
            for m in session.scalars(select(Municipality).order_by(Municipality.name))
            if can(principal, Action.EDIT, municipality_id=m.id, scope=store.SCOPE)
        ]
    shown = page_of(found, page, PAGE_SIZE)
    return context.templates.render(
        request,
        "dcat/open_data.html",
        {
            "entries": shown.items,
            "total": shown.total,
            "page": shown.number,
            "pages": shown.pages,
            "files": FILES,
            "editable": {e.dataset.id for e in shown.items if manage.editable(principal, e)},
            "places": places,
            "licenses": LICENSE_CHOICES,
            "link_formats": LINK_FORMATS,
        },
    )


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else None


@pages.post("/open-data/datasets/{dataset_id}")
async def edit_from_form(request: Request, dataset_id: str, principal: Caller) -> Response:
    context = app_context(request)
    await csrf.check_request(request)
    form = await request.form()
    changes = store.Changes(
        title=_text(form, "title"),
        description=_text(form, "description"),
        license=_text(form, "license"),
        hidden=form.get("hidden") == "on",
    )
    await context.database.awrite(
        lambda s: store.edit(
            s,
            principal=principal,
            registry=context.registry,
            settings=context.settings,
            dataset_id=dataset_id,
            changes=changes,
        )
    )
    return RedirectResponse(local_path(request, _listed_at(request, principal, dataset_id)), 303)


@pages.post("/open-data/datasets")
async def create_from_form(request: Request, principal: Caller) -> Response:
    context = app_context(request)
    await csrf.check_request(request)
    form = await request.form()
    changes = store.Changes(
        title=_text(form, "title"),
        description=_text(form, "description"),
        license=_text(form, "license") or None,
        links=[
            {
                "title": _text(form, "link_title") or "",
                "url": _text(form, "link_url") or "",
                "format": _text(form, "link_format") or "",
            }
        ],
    )
    entry = await context.database.awrite(
        lambda s: store.create(
            s,
            principal=principal,
            registry=context.registry,
            settings=context.settings,
            municipality=_text(form, "municipality") or "",
            key=_text(form, "key") or "",
            changes=changes,
        )
    )
    listed_at = _listed_at(request, principal, entry.dataset.id)
    return RedirectResponse(local_path(request, listed_at), status_code=303)


def _listed_at(request: Request, principal: Principal, dataset_id: str) -> str:
    """The dataset on its page of /open-data (where the reader lands after a change)."""
    with app_context(request).database.session() as session:
        found = manage.listed(session, request, principal)
    index = next((i for i, e in enumerate(found) if e.dataset.id == dataset_id), 0)
    page = index // PAGE_SIZE + 1
    return f"/open-data?page={page}#{dataset_id}" if page > 1 else f"/open-data#{dataset_id}"
