"""Moderation (staff of the process's municipality): official feedback, hiding and restoring,
the report queue and the exports."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allmende.modules.participation import exports, moderation
from allmende.modules.participation.api.common import ERRORS, PREFIX, PROBLEM, TAGS
from allmende.modules.participation.schemas import (
    CommentRead,
    ContributionRead,
    FeedbackIn,
    ModerationIn,
    ReportRead,
    ResolveIn,
)
from allmende.sdk import GEOJSON_MEDIA_TYPE, Caller, RowId, app_context, base_url

router = APIRouter(prefix=PREFIX, tags=TAGS)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export file",
        "content": {
            "text/csv": {},
            exports.MEDIA_TYPES["xlsx"]: {},
            GEOJSON_MEDIA_TYPE: {},
        },
    },
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    422: PROBLEM,
}


@router.post(
    "/contributions/{contribution_id}/feedback",
    response_model=ContributionRead,
    operation_id="giveParticipationFeedback",
    responses=ERRORS,
)
def give_feedback(
    request: Request, contribution_id: RowId, body: FeedbackIn, principal: Caller
) -> ContributionRead:
    """Set the moderator status and the official public answer; the author is notified."""
    return app_context(request).database.write(
        lambda s: moderation.give_feedback(
            s, principal=principal, contribution_id=contribution_id, data=body
        )
    )


@router.post(
    "/contributions/{contribution_id}/hide",
    response_model=ContributionRead,
    operation_id="hideParticipationContribution",
    responses=ERRORS,
)
def hide_contribution(
    request: Request, contribution_id: RowId, body: ModerationIn, principal: Caller
) -> ContributionRead:
    return app_context(request).database.write(
        lambda s: moderation.set_contribution_hidden(
            s, principal=principal, contribution_id=contribution_id, hidden=True, reason=body.reason
        )
    )


@router.post(
    "/contributions/{contribution_id}/restore",
    response_model=ContributionRead,
    operation_id="restoreParticipationContribution",
    responses=ERRORS,
)
def restore_contribution(
    request: Request, contribution_id: RowId, body: ModerationIn, principal: Caller
) -> ContributionRead:
    return app_context(request).database.write(
        lambda s: moderation.set_contribution_hidden(
            s,
            principal=principal,
            contribution_id=contribution_id,
            hidden=False,
            reason=body.reason,
        )
    )


@router.post(
    "/comments/{comment_id}/hide",
    response_model=CommentRead,
    operation_id="hideParticipationComment",
    responses=ERRORS,
)
def hide_comment(
    request: Request, comment_id: RowId, body: ModerationIn, principal: Caller
) -> CommentRead:
    return app_context(request).database.write(
        lambda s: moderation.set_comment_hidden(
            s, principal=principal, comment_id=comment_id, hidden=True, reason=body.reason
        )
    )


@router.post(
    "/comments/{comment_id}/restore",
    response_model=CommentRead,
    operation_id="restoreParticipationComment",
    responses=ERRORS,
)
def restore_comment(
    request: Request, comment_id: RowId, body: ModerationIn, principal: Caller
) -> CommentRead:
    return app_context(request).database.write(
        lambda s: moderation.set_comment_hidden(
            s, principal=principal, comment_id=comment_id, hidden=False, reason=body.reason
        )
    )


@router.get(
    "/processes/{process_id}/reports",
    response_model=list[ReportRead],
    operation_id="listParticipationReports",
    responses=ERRORS,
)
def list_reports(
    request: Request,
    process_id: RowId,
    principal: Caller,
    open_only: bool = Query(True, description="Only reports not yet resolved"),
) -> list[ReportRead]:
    with app_context(request).database.session() as session:
        return moderation.list_reports(
            session, principal=principal, process_id=process_id, open_only=open_only
        )


@router.post(
    "/reports/{report_id}/resolve",
    response_model=ReportRead,
    operation_id="resolveParticipationReport",
    responses=ERRORS,
)
def resolve_report(
    request: Request, report_id: RowId, body: ResolveIn, principal: Caller
) -> ReportRead:
    return app_context(request).database.write(
        lambda s: moderation.resolve_report(
            s, principal=principal, report_id=report_id, resolution=body.resolution
        )
    )


@router.get(
    "/processes/{process_id}/export",
    operation_id="exportParticipationContributions",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_contributions(
    request: Request,
    process_id: RowId,
    principal: Caller,
    format: Literal["csv", "xlsx", "geojson"] = Query("csv"),
) -> Response:
    """All contributions of a process, hidden ones included, without personal data."""
    with app_context(request).database.session() as session:
        content = exports.export_contributions(
            session, principal=principal, process_id=process_id, fmt=format, base=base_url(request)
        )
    return _download(content, format, f"contributions-{process_id}")


def _download(content: bytes, fmt: str, stem: str) -> Response:
    return Response(
        content,
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@router.get(
    "/surveys/{survey_id}/export",
    operation_id="exportParticipationResponses",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_responses(
    request: Request,
    survey_id: RowId,
    principal: Caller,
    format: Literal["csv", "xlsx", "geojson"] = Query("csv"),
) -> Response:
    """Every response of a survey, one row each (locations as GeoJSON)."""
    with app_context(request).database.session() as session:
        content = exports.export_responses(
            session, principal=principal, survey_id=survey_id, fmt=format
        )
    return _download(content, format, f"survey-{survey_id}")
