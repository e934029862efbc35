"""``/api/catalog/datasets``: the catalogue's datasets as JSON, and staff editing them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.links import absolute_url
from allmende.identity.permissions import Action, can
from allmende.identity.principal import Principal
from allmende.standards.dcat import catalog, store
from allmende.standards.dcat.files import FILES

router = APIRouter(prefix="/api/catalog", tags=["catalog"])
PROBLEM = {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    422: PROBLEM,
}


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL of the file")
    format: str = Field(description="EU file type: CSV, JSON, GEOJSON, PDF, XLSX …")


class DatasetChanges(BaseModel):
    """What to change; a field left out stays, an empty string or list clears it."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=10_000)
    keywords: list[str] | None = Field(None, max_length=30)
    themes: list[str] | None = Field(None, max_length=13, description="EU data themes (ENVI…)")
    frequency: str | None = Field(None, max_length=40, description="EU frequency (DAILY…)")
    license: str | None = Field(None, max_length=200, description="dcat-ap.de licence URI")
    attribution: str | None = Field(None, max_length=300)
    contact_email: str | None = Field(None, max_length=254)
    references: list[str] | None = Field(
        None, max_length=10, description="Musterdatenkatalog topics"
    )
    links: list[LinkIn] | None = Field(None, max_length=20)
    hidden: bool | None = Field(None, description="Withdraw the dataset from the catalogue")

    def changes(self) -> store.Changes:
        values = self.model_dump(include=set(DatasetChanges.model_fields) - {"links"})
        links = None if self.links is None else [link.model_dump() for link in self.links]
        return store.Changes(**values, links=links)


class DatasetCreate(DatasetChanges):
    municipality: str = Field(max_length=40, description="Key of the publishing municipality")
    key: str = Field(max_length=80, description="The dataset's id: a-z, 0-9 and '-'")


class DatasetOut(BaseModel):
    id: str
    uri: str
    title: str
    description: str
    municipality: str
    origin: str = Field(description="auto (a module's) or staff")
    license: str
    attribution: str | None
    contact_email: str | None
    keywords: list[str]
    themes: list[str]
    frequency: str
    modified: datetime | None
    hidden: bool
    edited: bool
    editable: bool
    downloads: list[str]
    links: list[dict[str, str]]


def _out(request: Request, entry: catalog.Entry, principal: Principal) -> DatasetOut:
    data = entry.dataset
    base = f"/catalog/datasets/{quote(data.id, safe='')}"
    return DatasetOut(
        id=data.id,
        uri=absolute_url(request, base),
        title=data.title,
        description=data.description,
        municipality=entry.publisher.key,
        origin=entry.origin,
        license=entry.license,
        attribution=entry.attribution,
        contact_email=entry.contact_email,
        keywords=list(data.keywords),
        themes=list(data.themes),
        frequency=data.frequency,
        modified=data.modified,
        hidden=entry.hidden,
        edited=entry.edited,
        editable=editable(principal, entry),
        downloads=[absolute_url(request, f"{base}/{f.name}") for f in FILES[data.content]]
        if entry.source is not None
        else [],
        links=[{"title": k.title, "url": k.url, "format": k.format} for k in entry.links],
    )


def editable(principal: Principal, entry: catalog.Entry) -> bool:
    return can(principal, Action.EDIT, municipality_id=entry.publisher.id, scope=store.SCOPE)


def listed(session: Session, request: Request, principal: Principal) -> list[catalog.Entry]:
    """Every dataset; withdrawn ones only for those who may edit them."""
    context = app_context(request)
    found = catalog.entries(session, context.registry, context.settings, hidden=True)
    return [e for e in found if not e.hidden or editable(principal, e)]


@router.get("/datasets", response_model=list[DatasetOut], operation_id="listCatalogDatasets")
def list_datasets(request: Request, principal: Caller) -> list[DatasetOut]:
    """The catalogue's datasets; staff also see those they withdrew."""
    with app_context(request).database.session() as session:
        return [_out(request, e, principal) for e in listed(session, request, principal)]


def _answer(request: Request, dataset_id: str, principal: Principal) -> DatasetOut:
    context = app_context(request)
    with context.database.session() as session:
        entry = catalog.find(session, context.registry, context.settings, dataset_id, hidden=True)
    return _out(request, entry, principal)


@router.post(
    "/datasets",
    response_model=DatasetOut,
    status_code=201,
    operation_id="createCatalogDataset",
    responses=ERRORS,
)
def create_dataset(request: Request, body: DatasetCreate, principal: Caller) -> DatasetOut:
    """Staff: a dataset of the municipality's own, with links to its files."""
    context = app_context(request)
    entry = context.database.write(
        lambda s: store.create(
            s,
            principal=principal,
            registry=context.registry,
            settings=context.settings,
            municipality=body.municipality,
            key=body.key,
            changes=body.changes(),
        )
    )
    return _out(request, entry, principal)


@router.patch(
    "/datasets/{dataset_id}",
    response_model=DatasetOut,
    operation_id="editCatalogDataset",
    responses=ERRORS,
)
def edit_dataset(
    request: Request, dataset_id: str, body: DatasetChanges, principal: Caller
) -> DatasetOut:
    """Staff: change a dataset's description, licence or contact, or withdraw it."""
    context = app_context(request)
    context.database.write(
        lambda s: store.edit(
            s,
            principal=principal,
            registry=context.registry,
            settings=context.settings,
            dataset_id=dataset_id,
            changes=body.changes(),
        )
    )
    return _answer(request, dataset_id, principal)


@router.delete(
    "/datasets/{dataset_id}",
    status_code=204,
    operation_id="deleteCatalogDataset",
    responses=ERRORS,
    response_class=Response,
)
def delete_dataset(request: Request, dataset_id: str, principal: Caller) -> Response:
    """Staff: delete their own dataset, or undo their changes to an automatic one."""
    context = app_context(request)
    context.database.write(
        lambda s: store.remove(
            s,
            principal=principal,
            registry=context.registry,
            settings=context.settings,
            dataset_id=dataset_id,
        )
    )
    return Response(status_code=204)
