"""Drafts and their ratings, documents (uploads) and plan layers."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from allmende.modules.participation import files, plans
from allmende.modules.participation.api.common import ERRORS, PREFIX, PROBLEM, TAGS
from allmende.modules.participation.schemas import (
    DocumentRead,
    DraftIn,
    DraftRead,
    LayerIn,
    LayerRead,
    RatingIn,
)
from allmende.modules.participation.web import data_dir, participant_for
from allmende.sdk import GEOJSON_MEDIA_TYPE, MAX_ID, Caller, RowId, app_context

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.post(
    "/processes/{process_id}/drafts",
    response_model=DraftRead,
    status_code=201,
    operation_id="createParticipationDraft",
    responses=ERRORS,
)
def create_draft(
    request: Request, process_id: RowId, body: DraftIn, principal: Caller
) -> DraftRead:
    """A variant of the plan; its facts are the rows of the side-by-side comparison."""
    return app_context(request).database.write(
        lambda s: plans.create_draft(s, principal=principal, process_id=process_id, data=body)
    )


@router.delete(
    "/drafts/{draft_id}", status_code=204, operation_id="deleteParticipationDraft", responses=ERRORS
)
def delete_draft(request: Request, draft_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: plans.delete_draft(s, principal=principal, draft_id=draft_id)
    )
    return Response(status_code=204)


@router.post(
    "/drafts/{draft_id}/ratings",
    response_model=DraftRead,
    operation_id="rateParticipationDraft",
    responses=ERRORS,
)
def rate_draft(request: Request, draft_id: RowId, body: RatingIn, principal: Caller) -> DraftRead:
    """Rate a draft with 1 to 5 stars while the phase allows it (a second rating replaces)."""
    participant = participant_for(request, principal, action="rating", token=body.challenge)
    return app_context(request).database.write(
        lambda s: plans.rate_draft(s, participant=participant, draft_id=draft_id, stars=body.stars)
    )


@router.post(
    "/processes/{process_id}/documents",
    response_model=DocumentRead,
    status_code=201,
    operation_id="uploadParticipationDocument",
    responses=ERRORS,
)
async def upload_document(
    request: Request,
    process_id: RowId,
    principal: Caller,
    file: Annotated[UploadFile, File(description="A PDF, or a JPEG, PNG, WebP or GIF image")],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    draft_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> DocumentRead:
    """Upload a document; images are stored without EXIF or other metadata."""
    context = app_context(request)

    def may_add() -> None:
        with context.database.session() as session:
            plans.check_document_target(
                session, principal=principal, process_id=process_id, draft_id=draft_id
            )

    await run_in_threadpool(may_add)  # refuse before reading and storing anything
    limit = context.settings.upload_max_bytes
    content = await file.read(limit + 1)
    prepared = await files.prepare(content, max_bytes=limit)
    folder = data_dir(request)
    name = await run_in_threadpool(files.store, folder, prepared)
    try:
        return await context.database.awrite(
            lambda s: plans.add_document(
                s,
                principal=principal,
                process_id=process_id,
                title=title,
                original_name=file.filename or "document",
                stored_name=name,
                prepared=prepared,
                draft_id=draft_id,
            )
        )
    except BaseException:
        files.remove(folder, [name])
        raise


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    operation_id="deleteParticipationDocument",
    responses=ERRORS,
)
async def delete_document(request: Request, document_id: RowId, principal: Caller) -> Response:
    name = await app_context(request).database.awrite(
        lambda s: plans.delete_document(s, principal=principal, document_id=document_id)
    )
    await run_in_threadpool(files.remove, data_dir(request), [name])
    return Response(status_code=204)


@router.post(
    "/processes/{process_id}/layers",
    response_model=LayerRead,
    status_code=201,
    operation_id="createParticipationLayer",
    responses=ERRORS,
)
def create_layer(
    request: Request, process_id: RowId, body: LayerIn, principal: Caller
) -> LayerRead:
    """A plan layer: GeoJSON features, or an uploaded image placed by its bounds."""
    return app_context(request).database.write(
        lambda s: plans.create_layer(s, principal=principal, process_id=process_id, data=body)
    )


@router.get(
    "/layers/{layer_id}/data",
    operation_id="getParticipationLayerData",
    response_class=Response,
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "GeoJSON FeatureCollection"},
        403: PROBLEM,
        404: PROBLEM,
        422: PROBLEM,
    },
)
def layer_data(request: Request, layer_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        data = plans.layer_data(session, principal=principal, layer_id=layer_id)
    return Response(orjson.dumps(data), media_type=GEOJSON_MEDIA_TYPE)


@router.delete(
    "/layers/{layer_id}", status_code=204, operation_id="deleteParticipationLayer", responses=ERRORS
)
def delete_layer(request: Request, layer_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: plans.delete_layer(s, principal=principal, layer_id=layer_id)
    )
    return Response(status_code=204)
