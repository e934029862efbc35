"""The JSON API under /api/assets: the object register (types, objects, history, files,
import and export). Maintenance and citizen endpoints are in ``api_maintenance`` and
``api_citizens``; every handler is a thin layer over the service modules."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import orjson
from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from allmende.modules.assets import files
from allmende.modules.assets.api_routing import (
    PROBLEM,
    READ_ERRORS,
    UPLOAD_ERRORS,
    WRITE_ERRORS,
    Limit,
    MunicipalityQuery,
    Offset,
    municipality_id,
    router,
)
from allmende.modules.assets.models import AssetObject
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.register import transfer
from allmende.modules.assets.schemas import (
    ChangeRead,
    FileRead,
    ImportResult,
    ObjectCreate,
    ObjectPage,
    ObjectRead,
    ObjectUpdate,
    TypeCreate,
    TypeRead,
    TypeUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    may_read_internal,
    municipality_keys,
    not_found,
)
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    Caller,
    Principal,
    RowId,
    app_context,
    csvformat,
    parse_bbox,
    uploads,
)

FILE_TYPES = sorted(
    {*uploads.DOCUMENT_TYPES.values(), *(t for t, _ in uploads.IMAGE_FORMATS.values())}
)


def _type_ids(session: Session, municipality_id: int | None, key: str | None) -> list[int] | None:
    if not key:
        return None
    return [
        t.id for t in objects.list_types(session, municipality_id=municipality_id) if t.key == key
    ]


# --- types ----------------------------------------------------------------------------------


@router.get("/types", response_model=list[TypeRead], operation_id="listAssetTypes")
def list_types(
    request: Request, principal: Caller, municipality: str | None = MunicipalityQuery
) -> list[TypeRead]:
    """Object types: the built-in catalogue and the municipalities' own."""
    with app_context(request).database.session() as session:
        keys = municipality_keys(session)
        mid = municipality_id(session, municipality)
        return [
            objects.type_read(t, keys) for t in objects.list_types(session, municipality_id=mid)
        ]


@router.get(
    "/types/{type_id}", response_model=TypeRead, operation_id="getAssetType", responses=READ_ERRORS
)
def get_type(request: Request, type_id: RowId, principal: Caller) -> TypeRead:
    with app_context(request).database.session() as session:
        return objects.type_read(objects.get_type(session, type_id), municipality_keys(session))


@router.post(
    "/types",
    response_model=TypeRead,
    status_code=201,
    operation_id="createAssetType",
    responses=WRITE_ERRORS,
)
def create_type(request: Request, body: TypeCreate, principal: Caller) -> TypeRead:
    """A municipality's own object type, with its attributes as a JSON Schema."""

    def run(session: Session) -> TypeRead:
        t = objects.create_type(session, principal=principal, data=body)
        return objects.type_read(t, municipality_keys(session))

    return app_context(request).database.write(run)


@router.patch(
    "/types/{type_id}",
    response_model=TypeRead,
    operation_id="updateAssetType",
    responses=WRITE_ERRORS,
)
def update_type(request: Request, type_id: RowId, body: TypeUpdate, principal: Caller) -> TypeRead:
    def run(session: Session) -> TypeRead:
        t = objects.update_type(session, principal=principal, type_id=type_id, data=body)
        return objects.type_read(t, municipality_keys(session))

    return app_context(request).database.write(run)


# --- objects --------------------------------------------------------------------------------


def _filter(
    session: Session,
    *,
    municipality: str | None,
    type: str | None,
    q: str | None,
    status: str | None,
    bbox: str | None,
    parent: int | None,
) -> objects.ObjectFilter:
    mid = municipality_id(session, municipality)
    return objects.ObjectFilter(
        municipality_id=mid,
        type_ids=_type_ids(session, mid, type),
        q=q or None,
        status=status,
        bbox=parse_bbox(bbox) if bbox else None,
        parent_id=parent,
    )


StatusQuery = Query(None, pattern="^(active|closed|removed)$")


@router.get("/objects", response_model=ObjectPage, operation_id="listAssetObjects")
def list_objects(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    type: str | None = Query(None, max_length=40, description="Key of the object type"),
    q: str | None = Query(None, max_length=200, description="Text in name, identifier, address"),
    status: str | None = StatusQuery,
    bbox: str | None = Query(None, max_length=200, description="minLon,minLat,maxLon,maxLat"),
    parent: int | None = Query(None, ge=1, le=2**63 - 1, description="Children of this object"),
    limit: int = Limit,
    offset: int = Offset,
) -> ObjectPage:
    """Public objects, and internal ones of the caller's municipalities."""
    with app_context(request).database.session() as session:
        f = _filter(
            session,
            municipality=municipality,
            type=type,
            q=q,
            status=status,
            bbox=bbox,
            parent=parent,
        )
        rows, total = objects.list_objects(
            session, principal=principal, f=f, limit=limit, offset=offset
        )
        return ObjectPage(
            items=objects.reads(session, principal, rows), total=total, limit=limit, offset=offset
        )


@router.get(
    "/objects/{object_id}",
    response_model=ObjectRead,
    operation_id="getAssetObject",
    responses=READ_ERRORS,
)
def get_object(request: Request, object_id: RowId, principal: Caller) -> ObjectRead:
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        return objects.read_one(session, principal, obj)


@router.post(
    "/objects",
    response_model=ObjectRead,
    status_code=201,
    operation_id="createAssetObject",
    responses=WRITE_ERRORS,
)
def create_object(request: Request, body: ObjectCreate, principal: Caller) -> ObjectRead:
    def run(session: Session) -> ObjectRead:
        obj = objects.create_object(session, principal=principal, data=body)
        return objects.read_one(session, principal, obj)

    return app_context(request).database.write(run)


@router.patch(
    "/objects/{object_id}",
    response_model=ObjectRead,
    operation_id="updateAssetObject",
    responses=WRITE_ERRORS,
)
def update_object(
    request: Request, object_id: RowId, body: ObjectUpdate, principal: Caller
) -> ObjectRead:
    def run(session: Session) -> ObjectRead:
        obj = objects.update_object(session, principal=principal, object_id=object_id, data=body)
        return objects.read_one(session, principal, obj)

    return app_context(request).database.write(run)


@router.get(
    "/objects/{object_id}/history",
    response_model=list[ChangeRead],
    operation_id="getAssetObjectHistory",
    responses=READ_ERRORS,
)
def object_history(request: Request, object_id: RowId, principal: Caller) -> list[ChangeRead]:
    """Who changed what and when (staff of the object's municipality)."""
    with app_context(request).database.session() as session:
        return [
            ChangeRead(
                id=c.id,
                at=c.at,
                actor=c.actor,
                kind=c.kind,
                summary=c.summary,
                changes=c.changes,
                ref_id=c.ref_id,
            )
            for c in objects.history(session, principal=principal, object_id=object_id)
        ]


# --- photos and documents -------------------------------------------------------------------


async def _attach(
    request: Request,
    principal: Principal,
    object_id: int,
    upload: UploadFile,
    *,
    kind: str,
    title: str,
    public: bool,
) -> FileRead:
    context = app_context(request)

    def may_edit() -> None:  # refuse early, before any processing
        with context.database.session() as session:
            objects.editable_object(session, principal=principal, object_id=object_id)

    await run_in_threadpool(may_edit)
    limit = context.settings.upload_max_bytes
    field = "photo" if kind == "photo" else "document"
    data = await uploads.read_upload(upload, limit, field)
    clean = uploads.clean_image if kind == "photo" else uploads.clean_document
    prepared = await clean(data, field=field, max_bytes=limit, filename=upload.filename)
    path = await run_in_threadpool(files.save, context.settings.data_dir, prepared)

    def run(session: Session) -> FileRead:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        stored = files.attach(
            session,
            actor=Actor.of(principal),
            municipality_id=obj.municipality_id,
            kind=kind,
            upload=prepared,
            path=path,
            title=title,
            public=public,
            obj=obj,
        )
        return files.file_read(stored)

    try:
        return await context.database.awrite(run)
    except BaseException:
        files.remove(context.settings.data_dir, path)
        raise


@router.post(
    "/objects/{object_id}/photos",
    response_model=FileRead,
    status_code=201,
    operation_id="addAssetObjectPhoto",
    responses=UPLOAD_ERRORS,
)
async def add_photo(
    request: Request,
    object_id: RowId,
    principal: Caller,
    photo: UploadFile = File(..., description="JPEG, PNG, WebP or GIF; metadata is removed"),
    title: str = Form("", max_length=200),
    public: bool = Form(True),
) -> FileRead:
    return await _attach(
        request, principal, object_id, photo, kind="photo", title=title, public=public
    )


@router.post(
    "/objects/{object_id}/documents",
    response_model=FileRead,
    status_code=201,
    operation_id="addAssetObjectDocument",
    responses=UPLOAD_ERRORS,
)
async def add_document(
    request: Request,
    object_id: RowId,
    principal: Caller,
    document: UploadFile = File(..., description="PDF, office document, text, CSV or image"),
    title: str = Form("", max_length=200),
    public: bool = Form(False),
) -> FileRead:
    return await _attach(
        request, principal, object_id, document, kind="document", title=title, public=public
    )


@router.get(
    "/objects/{object_id}/files",
    response_model=list[FileRead],
    operation_id="listAssetObjectFiles",
    responses=READ_ERRORS,
)
def list_files(request: Request, object_id: RowId, principal: Caller) -> list[FileRead]:
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        return [
            files.file_read(f)
            for f in files.files_of(
                session, principal=principal, object_id=obj.id, municipality_id=obj.municipality_id
            )
        ]


@router.get(
    "/files/{file_id}",
    operation_id="getAssetFile",
    response_class=Response,
    responses={
        200: {
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES}
        },
        404: PROBLEM,
    },
)
def get_file(request: Request, file_id: RowId, principal: Caller) -> Response:
    """A photo (shown inline) or a document (downloaded)."""
    context = app_context(request)
    with context.database.session() as session:
        stored = files.get_file(session, principal=principal, file_id=file_id)
        path = files.location(context.settings.data_dir, stored)
    if not Path(path).is_file():
        raise not_found("file", file_id)
    return FileResponse(
        path,
        media_type=stored.content_type,
        filename=stored.filename,
        content_disposition_type="inline" if stored.kind == "photo" else "attachment",
        headers={"Cache-Control": "private, max-age=3600"},
    )


# --- import and export ----------------------------------------------------------------------


@router.post(
    "/import",
    response_model=ImportResult,
    operation_id="importAssetObjects",
    responses=UPLOAD_ERRORS,
)
async def import_objects(
    request: Request,
    principal: Caller,
    file: UploadFile = File(..., description="GeoJSON FeatureCollection or CSV"),
    municipality: str = Form(..., max_length=40),
    type: str = Form(..., max_length=40, description="Key of the object type"),
    format: Literal["csv", "geojson"] = Form("csv"),
    mode: Literal["all", "valid-rows"] = Form(
        "all", description="all: nothing is imported if a row is faulty"
    ),
    dry_run: bool = Form(False),
) -> ImportResult:
    """Create or update (matched by identifier) objects of one type; faults per row."""
    context = app_context(request)
    data = await uploads.read_upload(file, context.settings.upload_max_bytes, "file")
    return await context.database.awrite(
        lambda s: transfer.run_import(
            s,
            principal=principal,
            municipality=municipality,
            type_key=type,
            fmt=format,
            data=data,
            mode=mode,
            dry_run=dry_run,
        )
    )


def _exported(
    session: Session,
    principal: Principal,
    municipality: str | None,
    type: str | None,
    status: str | None,
) -> list[transfer.Exported]:
    f = _filter(
        session, municipality=municipality, type=type, q=None, status=status, bbox=None, parent=None
    )
    rows = objects.rows_by(session, principal, f, AssetObject.type_id, AssetObject.id)
    keys = municipality_keys(session)
    return [
        transfer.Exported(
            o, t, keys[o.municipality_id], may_read_internal(principal, o.municipality_id)
        )
        for o, t in rows
    ]


@router.get(
    "/export.geojson",
    operation_id="exportAssetObjectsGeoJSON",
    response_class=Response,
    responses={200: {"content": {GEOJSON_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
def export_geojson(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    type: str | None = Query(None, max_length=40),
    status: str | None = StatusQuery,
) -> Response:
    """Objects as GeoJSON: public fields, and internal ones of the caller's municipalities."""
    with app_context(request).database.session() as session:
        items = _exported(session, principal, municipality, type, status)
    return Response(
        orjson.dumps(transfer.to_geojson(items)),
        media_type=GEOJSON_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="objects.geojson"'},
    )


@router.get(
    "/export.csv",
    operation_id="exportAssetObjectsCSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    type: str | None = Query(None, max_length=40),
    status: str | None = StatusQuery,
    dialect: Literal["plain", "excel-de"] = Query(
        "excel-de",
        description="excel-de (semicolon, decimal comma, BOM: what German spreadsheets open) "
        "or plain (RFC 4180: comma, decimal point)",
    ),
) -> Response:
    with app_context(request).database.session() as session:
        items = _exported(session, principal, municipality, type, status)
    return Response(
        transfer.to_csv(items, dialect),
        media_type=csvformat.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="objects.csv"'},
    )
