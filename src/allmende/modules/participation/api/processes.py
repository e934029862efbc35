"""Processes and their timeline, the open GeoJSON feed, the anonymous challenge and following."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from allmende.modules.participation import challenge, feed, files, notifications, processes, web
from allmende.modules.participation.api.common import (
    ERRORS,
    PREFIX,
    PROBLEM,
    READ_ERRORS,
    TAGS,
)
from allmende.modules.participation.schemas import (
    ChallengeRead,
    EventIn,
    EventRead,
    FaqIn,
    FaqRead,
    FollowRead,
    ProcessCreate,
    ProcessDetail,
    ProcessRead,
    ProcessUpdate,
)
from allmende.modules.participation.web import data_dir
from allmende.sdk import GEOJSON_MEDIA_TYPE, MAX_ID, Caller, RowId, app_context, base_url

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.get(
    "/processes",
    response_model=list[ProcessRead],
    operation_id="listParticipationProcesses",
    responses={422: PROBLEM},
)
def list_processes(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40),
    state: Literal["unplanned", "upcoming", "running", "ended"] | None = Query(None),
) -> list[ProcessRead]:
    """Published processes, and unpublished ones of the caller's municipalities."""
    with app_context(request).database.session() as session:
        return processes.list_processes(
            session, principal=principal, municipality=municipality, state=state
        )


@router.post(
    "/processes",
    response_model=ProcessRead,
    status_code=201,
    operation_id="createParticipationProcess",
    responses=ERRORS,
)
def create_process(request: Request, body: ProcessCreate, principal: Caller) -> ProcessRead:
    """Staff of the municipality: create a process with its phases."""
    return app_context(request).database.write(
        lambda s: processes.create_process(s, principal=principal, data=body)
    )


@router.get(
    "/processes/{process_id}",
    response_model=ProcessDetail,
    operation_id="getParticipationProcess",
    responses=READ_ERRORS,
)
def get_process(request: Request, process_id: RowId, principal: Caller) -> ProcessDetail:
    """The process with its timeline, events, FAQ, drafts, plan layers, documents, surveys."""
    with app_context(request).database.session() as session:
        return processes.process_detail(session, principal=principal, process_id=process_id)


@router.patch(
    "/processes/{process_id}",
    response_model=ProcessRead,
    operation_id="updateParticipationProcess",
    responses=ERRORS,
)
def update_process(
    request: Request, process_id: RowId, body: ProcessUpdate, principal: Caller
) -> ProcessRead:
    return app_context(request).database.write(
        lambda s: processes.update_process(s, principal=principal, process_id=process_id, data=body)
    )


@router.delete(
    "/processes/{process_id}",
    status_code=204,
    operation_id="deleteParticipationProcess",
    responses=ERRORS,
)
async def delete_process(request: Request, process_id: RowId, principal: Caller) -> Response:
    """Delete the process with everything in it, uploaded files included."""
    names = await app_context(request).database.awrite(
        lambda s: processes.delete_process(s, principal=principal, process_id=process_id)
    )
    await run_in_threadpool(files.remove, data_dir(request), names)
    return Response(status_code=204)


@router.post(
    "/processes/{process_id}/events",
    response_model=EventRead,
    status_code=201,
    operation_id="createParticipationEvent",
    responses=ERRORS,
)
def create_event(
    request: Request, process_id: RowId, body: EventIn, principal: Caller
) -> EventRead:
    """An on-site appointment on the timeline (and the map, with a point)."""
    return app_context(request).database.write(
        lambda s: processes.create_event(s, principal=principal, process_id=process_id, data=body)
    )


@router.delete(
    "/events/{event_id}",
    status_code=204,
    operation_id="deleteParticipationEvent",
    responses=ERRORS,
)
def delete_event(request: Request, event_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: processes.delete_event(s, principal=principal, event_id=event_id)
    )
    return Response(status_code=204)


@router.post(
    "/processes/{process_id}/faq",
    response_model=FaqRead,
    status_code=201,
    operation_id="createParticipationFaq",
    responses=ERRORS,
)
def create_faq(request: Request, process_id: RowId, body: FaqIn, principal: Caller) -> FaqRead:
    return app_context(request).database.write(
        lambda s: processes.create_faq(s, principal=principal, process_id=process_id, data=body)
    )


@router.delete(
    "/faq/{faq_id}", status_code=204, operation_id="deleteParticipationFaq", responses=ERRORS
)
def delete_faq(request: Request, faq_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: processes.delete_faq(s, principal=principal, faq_id=faq_id)
    )
    return Response(status_code=204)


@router.put(
    "/processes/{process_id}/follow",
    response_model=FollowRead,
    operation_id="followParticipationProcess",
    responses=ERRORS,
)
def follow(request: Request, process_id: RowId, principal: Caller) -> FollowRead:
    """Accounts: follow a process to be notified when a new phase begins."""
    return app_context(request).database.write(
        lambda s: notifications.follow(
            s, principal=principal, process_id=process_id, following=True
        )
    )


@router.delete(
    "/processes/{process_id}/follow",
    response_model=FollowRead,
    operation_id="unfollowParticipationProcess",
    responses=ERRORS,
)
def unfollow(request: Request, process_id: RowId, principal: Caller) -> FollowRead:
    return app_context(request).database.write(
        lambda s: notifications.follow(
            s, principal=principal, process_id=process_id, following=False
        )
    )


@router.get(
    "/feed",
    operation_id="participationFeed",
    response_class=Response,
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "GeoJSON FeatureCollection"},
        422: PROBLEM,
    },
)
def participation_feed(
    request: Request,
    kind: list[Literal["process", "contribution", "event"]] | None = Query(
        None, description="Only these kinds of features (repeatable)"
    ),
    process: int | None = Query(None, ge=1, le=MAX_ID, description="Only this process"),
    municipality: str | None = Query(None, max_length=40),
) -> Response:
    """Public processes, contributions and on-site events as GeoJSON, without personal data."""
    with app_context(request).database.session() as session:
        body = feed.feed(
            session,
            base=base_url(request),
            kinds=set(kind) if kind else None,
            process_id=process,
            municipality=municipality,
        )
    return Response(orjson.dumps(body), media_type=GEOJSON_MEDIA_TYPE)


@router.get(
    "/challenge",
    response_model=ChallengeRead,
    operation_id="participationChallenge",
)
def new_challenge(request: Request) -> Response:
    """A token for taking part without an account; send it after a few seconds as
    ``challenge``. The response also sets the browser-key cookie."""
    settings = app_context(request).settings
    token = challenge.issue(settings.signing_key)
    body = ChallengeRead(
        token=token,
        usable_after_seconds=settings.participation_min_form_seconds,
        expires_after_seconds=challenge.MAX_AGE_SECONDS,
    )
    response = Response(body.model_dump_json(), media_type="application/json")
    web.remember_browser(request, response, always=True)
    return response
