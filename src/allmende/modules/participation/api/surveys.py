"""Surveys: create and read them, answer them, see their results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from allmende.modules.participation import surveys
from allmende.modules.participation.api.common import ERRORS, PREFIX, READ_ERRORS, TAGS
from allmende.modules.participation.schemas import (
    ResponseIn,
    ResponseRead,
    SurveyIn,
    SurveyRead,
    SurveyResults,
)
from allmende.modules.participation.web import participant_for
from allmende.sdk import Caller, RowId, app_context

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.post(
    "/processes/{process_id}/surveys",
    response_model=SurveyRead,
    status_code=201,
    operation_id="createParticipationSurvey",
    responses=ERRORS,
)
def create_survey(
    request: Request, process_id: RowId, body: SurveyIn, principal: Caller
) -> SurveyRead:
    """A survey with its questions (single, multiple, scale, text, ranking, location)."""
    return app_context(request).database.write(
        lambda s: surveys.create_survey(s, principal=principal, process_id=process_id, data=body)
    )


@router.get(
    "/surveys/{survey_id}",
    response_model=SurveyRead,
    operation_id="getParticipationSurvey",
    responses=READ_ERRORS,
)
def get_survey(request: Request, survey_id: RowId, principal: Caller) -> SurveyRead:
    with app_context(request).database.session() as session:
        return surveys.get_survey(session, principal=principal, survey_id=survey_id)


@router.delete(
    "/surveys/{survey_id}",
    status_code=204,
    operation_id="deleteParticipationSurvey",
    responses=ERRORS,
)
def delete_survey(request: Request, survey_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: surveys.delete_survey(s, principal=principal, survey_id=survey_id)
    )
    return Response(status_code=204)


@router.post(
    "/surveys/{survey_id}/responses",
    response_model=ResponseRead,
    status_code=201,
    operation_id="answerParticipationSurvey",
    responses=ERRORS,
)
def answer_survey(
    request: Request, survey_id: RowId, body: ResponseIn, principal: Caller
) -> ResponseRead:
    """Answer a survey once while the phase allows it; errors name body.answers.<question id>."""
    participant = participant_for(request, principal, action="survey", token=body.challenge)
    return app_context(request).database.write(
        lambda s: surveys.respond(
            s, participant=participant, survey_id=survey_id, answers=body.answers
        )
    )


@router.get(
    "/surveys/{survey_id}/results",
    response_model=SurveyResults,
    operation_id="getParticipationSurveyResults",
    responses=READ_ERRORS,
)
def survey_results(request: Request, survey_id: RowId, principal: Caller) -> SurveyResults:
    """Counts per option, scale averages and average ranks; free texts for staff only."""
    with app_context(request).database.session() as session:
        return surveys.results(session, principal=principal, survey_id=survey_id)
