"""Taking part on the web: the contribution form (map picker with a no-JavaScript fallback),
the list of contributions, a contribution with its comment thread, support and reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from allmende.modules.participation import contributions, moderation
from allmende.modules.participation.models import Comment
from allmende.modules.participation.pages.common import (
    Form,
    challenge_token,
    errors_from,
    errors_from_validation,
    redirect,
    render,
    summary,
)
from allmende.modules.participation.processes import process_detail
from allmende.modules.participation.schemas import (
    CommentCreate,
    CommentRead,
    ContributionCreate,
    ReportIn,
)
from allmende.modules.participation.service import (
    Act,
    Participant,
    can_moderate,
    check_action,
    check_participant,
    get_process,
)
from allmende.modules.participation.web import Translate, participant_for, translator, viewer
from allmende.sdk import (
    MAX_ID,
    AllmendeError,
    Caller,
    NotFound,
    Principal,
    RowId,
    app_context,
    form_strings,
    is_digits,
    json_loads,
    localise,
    read_form,
)

pages = APIRouter(include_in_schema=False)
SORTS = ("new", "discussed", "supported")
REPORT_REASONS = ("spam", "offensive", "personal_data", "off_topic", "other")


def closed_reason(
    request: Request, principal: Principal, process_id: int, act: Act, translate: Translate
) -> str | None:
    """Why the caller cannot do ``act`` here now, in words; ``None`` if they can."""
    with app_context(request).database.session() as session:
        process = get_process(session, principal=principal, process_id=process_id)
        try:
            check_participant(Participant(principal), process)
            check_action(process, act)
        except AllmendeError as exc:
            return localise(str(exc), translate)
    return None


# --- the contribution form --------------------------------------------------------------------


def _contribute_page(
    request: Request, principal: Principal, process_id: int, form: Form, status: int = 200
) -> Response:
    translate = translator(request)
    with app_context(request).database.session() as session:
        detail = process_detail(session, principal=principal, process_id=process_id)
    labels = {
        "title": translate("Title"),
        "text": translate("Your contribution"),
        "category": translate("Category"),
        "geometry": translate("Place on the map"),
        "place": translate("Address or description of the place"),
        "author_name": translate("Name shown with your contribution"),
    }
    return render(
        request,
        "participation/contribute.html",
        {
            "process": detail,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "closed": closed_reason(request, principal, process_id, Act.CONTRIBUTE, translate),
            "challenge": challenge_token(request),
        },
        status_code=status,
    )


@pages.get("/participation/{process_id:int}/contribute")
def contribute_form(request: Request, process_id: RowId, principal: Caller) -> Response:
    return _contribute_page(request, principal, process_id, Form())


def _geometry(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json_loads(text)
    except ValueError:
        return "invalid"  # the model refuses it and names the field


@pages.post("/participation/{process_id:int}/contribute")
async def contribute_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)
    status = 422
    try:
        body = ContributionCreate.model_validate(
            {
                "title": values.get("title", "").strip(),
                "text": values.get("text", "").strip(),
                "category": values.get("category") or None,
                "geometry": _geometry(values.get("geometry", "")),
                "place": values.get("place", ""),
                "author_name": values.get("author_name") or None,
            }
        )
    except ValidationError as exc:
        errors_from_validation(exc, translate, form)
    else:
        try:
            participant = participant_for(
                request,
                principal,
                action="contribution",
                token=values.get("challenge"),
                field="challenge",
                honeypot=values.get("homepage"),
            )
            created = await app_context(request).database.awrite(
                lambda s: contributions.create_contribution(
                    s,
                    participant=participant,
                    process_id=process_id,
                    data=body,
                )
            )
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            return redirect(
                request, contributions.contribution_path(created.id), notice="contributed"
            )
    return await run_in_threadpool(_contribute_page, request, principal, process_id, form, status)


# --- the list ---------------------------------------------------------------------------------


@pages.get("/participation/{process_id:int}/contributions")
def contribution_list(
    request: Request,
    process_id: RowId,
    principal: Caller,
    category: str | None = Query(None, max_length=100),
    sort: str = Query("new", max_length=20),
    page: int = Query(1, ge=1, le=10_000),
) -> Response:
    sort_key = sort if sort in SORTS else "new"
    size = contributions.PAGE_SIZE
    with app_context(request).database.session() as session:
        detail = process_detail(session, principal=principal, process_id=process_id)
        items = contributions.list_contributions(
            session,
            principal=principal,
            process_id=process_id,
            category=category or None,
            sort=sort_key,  # type: ignore[arg-type]
            limit=size + 1,
            offset=(page - 1) * size,
        )
    return render(
        request,
        "participation/contributions.html",
        {
            "process": detail,
            "items": items[:size],
            "category": category or "",
            "sort": sort_key,
            "page": page,
            "more": len(items) > size,
        },
    )


# --- one contribution -------------------------------------------------------------------------


def _tree(comments: list[CommentRead]) -> list[dict[str, Any]]:
    nodes: dict[int, dict[str, Any]] = {c.id: {"comment": c, "children": []} for c in comments}
    roots: list[dict[str, Any]] = []
    for c in comments:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        (parent["children"] if parent is not None else roots).append(nodes[c.id])
    return roots


def _contribution_page(
    request: Request,
    principal: Principal,
    contribution_id: int,
    form: Form | None = None,
    status: int = 200,
    reply_to: int | None = None,
) -> Response:
    translate = translator(request)
    form = form or Form()
    with app_context(request).database.session() as session:
        item, process = contributions.visible_contribution(
            session, principal=principal, contribution_id=contribution_id
        )
        moderator = can_moderate(principal, process)
        read = contributions.contribution_read(item, moderator=moderator)
        comments = contributions.list_comments(
            session, principal=principal, contribution_id=contribution_id
        )
        supported = item.id in contributions.supported_by(
            session, participant=viewer(request, principal), contribution_ids=[item.id]
        )
        detail = process_detail(session, principal=principal, process_id=process.id)
        history = moderation.history(session, contribution_id=item.id) if moderator else []
    labels = {"text": translate("Your comment"), "author_name": translate("Name shown")}
    moderation_form = Form(
        values={
            "status": form.values.get("status", read.status),
            "answer": form.values.get("answer", read.answer or ""),
            "reason": form.values.get("reason", ""),
        },
        errors=form.errors,
    )
    parent = next((c for c in comments if c.id == reply_to), None)
    return render(
        request,
        "participation/contribution.html",
        {
            "item": read,
            "process": detail,
            "tree": _tree(comments),
            "supported": supported,
            "moderator": moderator,
            "moderation_form": moderation_form,
            "history": history,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "reply_to": parent,
            "comment_closed": None
            if moderator
            else closed_reason(request, principal, process.id, Act.COMMENT, translate),
            "support_closed": closed_reason(request, principal, process.id, Act.SUPPORT, translate),
            "challenge": challenge_token(request),
        },
        status_code=status,
    )


@pages.get("/participation/contributions/{contribution_id:int}")
def contribution_page(
    request: Request,
    contribution_id: RowId,
    principal: Caller,
    reply: int | None = Query(None, ge=1, le=MAX_ID),
) -> Response:
    return _contribution_page(request, principal, contribution_id, reply_to=reply)


@pages.post("/participation/contributions/{contribution_id:int}/comments")
async def comment_submit(request: Request, contribution_id: RowId, principal: Caller) -> Response:
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)
    status = 422
    parent = values.get("parent_id", "")
    try:
        body = CommentCreate.model_validate(
            {
                "text": values.get("text", "").strip(),
                "parent_id": int(parent) if is_digits(parent) else None,
                "author_name": values.get("author_name") or None,
                "official": values.get("official") == "yes",
            }
        )
    except ValidationError as exc:
        errors_from_validation(exc, translate, form)
    else:
        try:
            participant = participant_for(
                request,
                principal,
                action="comment",
                token=values.get("challenge"),
                field="challenge",
                honeypot=values.get("homepage"),
            )
            created = await app_context(request).database.awrite(
                lambda s: contributions.create_comment(
                    s,
                    participant=participant,
                    contribution_id=contribution_id,
                    data=body,
                )
            )
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            return redirect(
                request,
                contributions.contribution_path(contribution_id),
                notice="commented",
                anchor=f"#comment-{created.id}",
            )
    reply_to = int(parent) if is_digits(parent) and int(parent) <= MAX_ID else None
    return await run_in_threadpool(
        _contribution_page, request, principal, contribution_id, form, status, reply_to
    )


@pages.post("/participation/contributions/{contribution_id:int}/support")
async def support_submit(request: Request, contribution_id: RowId, principal: Caller) -> Response:
    values = form_strings(await read_form(request))
    translate = translator(request)
    on = values.get("action", "support") != "withdraw"
    try:
        participant = participant_for(
            request,
            principal,
            action="support",
            token=values.get("challenge"),
            field="challenge",
            honeypot=values.get("homepage"),
        )
        await app_context(request).database.awrite(
            lambda s: contributions.support(
                s,
                participant=participant,
                contribution_id=contribution_id,
                supported=on,
            )
        )
    except AllmendeError as exc:
        form = errors_from(exc, translate, Form())
        return await run_in_threadpool(
            _contribution_page, request, principal, contribution_id, form, exc.status
        )
    return redirect(
        request,
        contributions.contribution_path(contribution_id),
        notice="supported" if on else "unsupported",
        anchor="#support",
    )


# --- reports ----------------------------------------------------------------------------------


def _report_page(
    request: Request,
    principal: Principal,
    contribution_id: int | None,
    comment_id: int | None,
    form: Form,
    status: int = 200,
) -> Response:
    translate = translator(request)
    with app_context(request).database.session() as session:
        target_contribution = contribution_id
        if comment_id is not None:
            comment = session.get(Comment, comment_id)
            target_contribution = comment.contribution_id if comment is not None else None
        if target_contribution is None:
            raise NotFound(detail="Nothing to report was named.")
        item = contributions.get_contribution(
            session, principal=principal, contribution_id=target_contribution
        )
    labels = {"reason": translate("Reason"), "text": translate("What is wrong?")}
    return render(
        request,
        "participation/report.html",
        {
            "item": item,
            "comment_id": comment_id,
            "contribution_id": contribution_id,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "reasons": REPORT_REASONS,
            "challenge": challenge_token(request),
        },
        status_code=status,
    )


@pages.get("/participation/report")
def report_form(
    request: Request,
    principal: Caller,
    contribution: int | None = Query(None, ge=1, le=MAX_ID),
    comment: int | None = Query(None, ge=1, le=MAX_ID),
) -> Response:
    return _report_page(request, principal, contribution, comment, Form())


@pages.post("/participation/report")
async def report_submit(request: Request, principal: Caller) -> Response:
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)
    status = 422

    def number(name: str) -> int | None:
        text = values.get(name, "")
        return int(text) if is_digits(text) and 1 <= int(text) <= MAX_ID else None

    contribution_id, comment_id = number("contribution_id"), number("comment_id")
    try:
        body = ReportIn.model_validate(
            {
                "contribution_id": contribution_id,
                "comment_id": comment_id,
                "reason": values.get("reason", ""),
                "text": values.get("text", "").strip(),
            }
        )
    except ValidationError as exc:
        errors_from_validation(exc, translate, form)
    else:
        try:
            participant = participant_for(
                request,
                principal,
                action="report",
                token=values.get("challenge"),
                field="challenge",
                honeypot=values.get("homepage"),
            )
            created = await app_context(request).database.awrite(
                lambda s: moderation.create_report(s, participant=participant, data=body)
            )
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            target = created.contribution_id or 0
            return redirect(request, contributions.contribution_path(target), notice="reported")
    return await run_in_threadpool(
        _report_page, request, principal, contribution_id, comment_id, form, status
    )
