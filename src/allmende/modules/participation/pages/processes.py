"""Reading a process: the list, the process page, drafts side by side, document downloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from allmende.modules.participation import contributions, files, notifications, plans, processes
from allmende.modules.participation.pages.common import (
    challenge_token,
    in_language,
    redirect,
    render,
)
from allmende.modules.participation.schemas import LayerRead, ProcessDetail
from allmende.modules.participation.service import (
    ACT_LABELS,
    Act,
    can_moderate,
    get_process,
)
from allmende.modules.participation.web import data_dir, participant_for, translator
from allmende.sdk import (
    MAX_ID,
    AllmendeError,
    Caller,
    Municipality,
    NotFound,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    read_form,
    utcnow,
)

pages = APIRouter(include_in_schema=False)


@pages.get("/participation")
def process_list(request: Request, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        items = processes.list_processes(session, principal=principal)
        names = processes.municipality_names(session)
    groups: dict[str, list[Any]] = {"running": [], "upcoming": [], "ended": [], "unplanned": []}
    for item in items:
        groups[item.state].append(item)
    return render(
        request,
        "participation/index.html",
        {"groups": groups, "municipality_names": names, "total": len(items)},
    )


def timeline(detail: ProcessDetail) -> list[dict[str, Any]]:
    """Phases and on-site events in one list, by date."""
    now = utcnow()
    entries: list[dict[str, Any]] = [
        {
            "kind": "phase",
            "id": p.id,
            "title": p.title,
            "description": p.description,
            "starts_at": p.starts_at,
            "ends_at": p.ends_at,
            "allows": p.allows,
            "current": p.current,
            "past": p.ends_at <= now,
        }
        for p in detail.phases
    ]
    entries += [
        {
            "kind": "event",
            "id": e.id,
            "title": e.title,
            "description": e.description,
            "starts_at": e.starts_at,
            "ends_at": e.ends_at,
            "place": e.place,
            "current": False,
            "past": (e.ends_at or e.starts_at) <= now,
        }
        for e in detail.events
    ]
    return sorted(entries, key=lambda e: (e["starts_at"], e["kind"] != "phase"))


@pages.get("/participation/{process_id:int}")
def process_page(request: Request, process_id: RowId, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        # The process and its municipality first: the session then keeps both, and the
        # detail takes them from there.
        process = get_process(session, principal=principal, process_id=process_id)
        municipality = session.get(Municipality, process.municipality_id)
        detail = processes.process_detail(session, principal=principal, process_id=process_id)
        latest = contributions.list_contributions(
            session, principal=principal, process_id=process_id, limit=5
        )
        following = notifications.is_following(session, principal=principal, process_id=process_id)
        moderator = can_moderate(principal, process)
    layers = map_layers(detail.layers)
    return render(
        request,
        "participation/process.html",
        {
            "process": detail,
            "municipality": municipality,
            "timeline": timeline(detail),
            "latest": latest,
            "following": following,
            "moderator": moderator,
            "layers": layers,
            "can": set(detail.allowed_actions),
            "act_labels": ACT_LABELS,
            "Act": Act,
            "challenge": challenge_token(request),
        },
    )


def map_layers(layers: Sequence[LayerRead]) -> list[dict[str, Any]]:
    """The plan layers as the map script reads them (``data-layers``)."""
    return [
        {
            "id": layer.id,
            "title": layer.title,
            "kind": layer.kind,
            "data_url": layer.data_url,
            "image_url": layer.image_url,
            "bounds": layer.bounds,
            "opacity": layer.opacity,
        }
        for layer in layers
    ]


@pages.get("/participation/{process_id:int}/drafts")
def compare_drafts(
    request: Request,
    process_id: RowId,
    principal: Caller,
    a: int | None = Query(None, ge=1, le=MAX_ID),
    b: int | None = Query(None, ge=1, le=MAX_ID),
) -> Response:
    """Two drafts side by side (the first two unless chosen), with the facts as rows."""
    with app_context(request).database.session() as session:
        detail = processes.process_detail(session, principal=principal, process_id=process_id)
    drafts = {d.id: d for d in detail.drafts}
    if not drafts:
        raise NotFound(detail="This process has no drafts to compare.")
    ordered = list(drafts)
    left = drafts.get(a or ordered[0]) or drafts[ordered[0]]
    right_id = b or (ordered[1] if len(ordered) > 1 else ordered[0])
    right = drafts.get(right_id) or drafts[ordered[-1]]
    shown = [left] if left.id == right.id else [left, right]
    facts: list[str] = []
    for draft in shown:
        facts += [k for k in draft.facts if k not in facts]
    images = {d.id: [doc for doc in detail.documents if doc.draft_id == d.id] for d in shown}
    return render(
        request,
        "participation/drafts.html",
        {
            "process": detail,
            "drafts": detail.drafts,
            "shown": shown,
            "facts": facts,
            "images": images,
            "layers": map_layers(
                [layer for layer in detail.layers if layer.draft_id in {d.id for d in shown}]
            ),
            "can_rate": "rate" in detail.allowed_actions,
            "challenge": challenge_token(request),
        },
    )


@pages.get("/participation/documents/{document_id:int}/file")
def document_file(request: Request, document_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        doc = plans.get_document(session, principal=principal, document_id=document_id)
    path = files.path_of(data_dir(request), doc.stored_name)
    if not path.is_file():
        raise NotFound(detail="The file of this document is missing.")
    disposition = "inline" if doc.media_type != "application/pdf" else "attachment"
    return FileResponse(
        path,
        media_type=doc.media_type,
        filename=doc.original_name,
        content_disposition_type=disposition,
    )


@pages.post("/participation/drafts/{draft_id:int}/rating")
async def rate_submit(request: Request, draft_id: RowId, principal: Caller) -> Response:
    """Rate a draft from the comparison page; a refusal is shown as an error page."""
    values = form_strings(await read_form(request))
    translate = translator(request)
    stars = values.get("stars", "")
    if stars not in ("1", "2", "3", "4", "5"):
        raise ValidationFailed.one("stars", translate("Please choose from 1 to 5 stars."))
    try:
        participant = participant_for(
            request,
            principal,
            action="rating",
            token=values.get("challenge"),
            field="challenge",
            honeypot=values.get("homepage"),
        )
        draft = await app_context(request).database.awrite(
            lambda s: plans.rate_draft(
                s, participant=participant, draft_id=draft_id, stars=int(stars)
            )
        )
    except AllmendeError as exc:
        raise in_language(exc, translate) from exc

    def process_of() -> int:
        with app_context(request).database.session() as session:
            return plans.process_of_draft(session, draft_id=draft.id)

    process_id = await run_in_threadpool(process_of)
    return redirect(request, f"/participation/{process_id}/drafts", notice="rated")
