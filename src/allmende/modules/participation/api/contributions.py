"""Contributions, comments, support and reports."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from allmende.modules.participation import contributions, moderation
from allmende.modules.participation.api.common import ERRORS, PREFIX, READ_ERRORS, TAGS
from allmende.modules.participation.schemas import (
    CommentCreate,
    CommentRead,
    ContributionCreate,
    ContributionRead,
    ReportIn,
    ReportRead,
    StatusName,
    SupportIn,
    SupportRead,
)
from allmende.modules.participation.web import participant_for
from allmende.sdk import Caller, RowId, app_context

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.get(
    "/processes/{process_id}/contributions",
    response_model=list[ContributionRead],
    operation_id="listParticipationContributions",
    responses=READ_ERRORS,
)
def list_contributions(
    request: Request,
    process_id: RowId,
    principal: Caller,
    category: str | None = Query(None, max_length=100),
    status: StatusName | None = Query(None),
    sort: Literal["new", "discussed", "supported"] = Query("new"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[ContributionRead]:
    """Contributions of a process; staff also see hidden ones."""
    with app_context(request).database.session() as session:
        return contributions.list_contributions(
            session,
            principal=principal,
            process_id=process_id,
            category=category,
            status=status,
            sort=sort,
            limit=limit,
            offset=offset,
        )


@router.post(
    "/processes/{process_id}/contributions",
    response_model=ContributionRead,
    status_code=201,
    operation_id="createParticipationContribution",
    responses=ERRORS,
)
def create_contribution(
    request: Request, process_id: RowId, body: ContributionCreate, principal: Caller
) -> ContributionRead:
    """A contribution with a point, line or area inside the process area, or without a
    location; only while the current phase allows contributions."""
    participant = participant_for(request, principal, action="contribution", token=body.challenge)
    return app_context(request).database.write(
        lambda s: contributions.create_contribution(
            s, participant=participant, process_id=process_id, data=body
        )
    )


@router.get(
    "/contributions/{contribution_id}",
    response_model=ContributionRead,
    operation_id="getParticipationContribution",
    responses=READ_ERRORS,
)
def get_contribution(
    request: Request, contribution_id: RowId, principal: Caller
) -> ContributionRead:
    with app_context(request).database.session() as session:
        return contributions.get_contribution(
            session, principal=principal, contribution_id=contribution_id
        )


@router.get(
    "/contributions/{contribution_id}/comments",
    response_model=list[CommentRead],
    operation_id="listParticipationComments",
    responses=READ_ERRORS,
)
def list_comments(request: Request, contribution_id: RowId, principal: Caller) -> list[CommentRead]:
    """Comments in thread order: each reply follows its parent."""
    with app_context(request).database.session() as session:
        return contributions.list_comments(
            session, principal=principal, contribution_id=contribution_id
        )


@router.post(
    "/contributions/{contribution_id}/comments",
    response_model=CommentRead,
    status_code=201,
    operation_id="createParticipationComment",
    responses=ERRORS,
)
def create_comment(
    request: Request, contribution_id: RowId, body: CommentCreate, principal: Caller
) -> CommentRead:
    participant = participant_for(request, principal, action="comment", token=body.challenge)
    return app_context(request).database.write(
        lambda s: contributions.create_comment(
            s, participant=participant, contribution_id=contribution_id, data=body
        )
    )


def _support(
    request: Request, contribution_id: int, principal: Caller, token: str | None, on: bool
) -> SupportRead:
    participant = participant_for(request, principal, action="support", token=token)
    return app_context(request).database.write(
        lambda s: contributions.support(
            s, participant=participant, contribution_id=contribution_id, supported=on
        )
    )


@router.post(
    "/contributions/{contribution_id}/support",
    response_model=SupportRead,
    operation_id="supportParticipationContribution",
    responses=ERRORS,
)
def support(
    request: Request,
    contribution_id: RowId,
    principal: Caller,
    body: SupportIn | None = None,
) -> SupportRead:
    """Support a contribution (once per account or browser)."""
    return _support(request, contribution_id, principal, body.challenge if body else None, True)


@router.delete(
    "/contributions/{contribution_id}/support",
    response_model=SupportRead,
    operation_id="withdrawParticipationSupport",
    responses=ERRORS,
)
def withdraw_support(
    request: Request,
    contribution_id: RowId,
    principal: Caller,
    challenge: str | None = Query(None, max_length=200),
) -> SupportRead:
    return _support(request, contribution_id, principal, challenge, False)


@router.post(
    "/reports",
    response_model=ReportRead,
    status_code=201,
    operation_id="reportParticipationContent",
    responses=ERRORS,
)
def report(request: Request, body: ReportIn, principal: Caller) -> ReportRead:
    """Report a contribution or comment as inappropriate; moderators look at it."""
    participant = participant_for(request, principal, action="report", token=body.challenge)
    return app_context(request).database.write(
        lambda s: moderation.create_report(s, participant=participant, data=body)
    )
