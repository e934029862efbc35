"""Staff build a survey step by step: its fields, then questions added, changed, moved and
removed, then opened for answers and closed again. Questions stay fixed once people answered."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.participation.models import Process, Question, Response, Survey
from allmende.modules.participation.processes import moderated_process
from allmende.modules.participation.schemas import QuestionIn, SurveyFields, SurveyRead
from allmende.modules.participation.service import N_, refuse
from allmende.modules.participation.surveys import (
    check_question,
    question_row,
    survey_read,
    visible_survey,
)
from allmende.sdk import NotFound, Principal, ValidationFailed

MAX_QUESTIONS = 50


def editable_survey(
    session: Session, *, principal: Principal, survey_id: int
) -> tuple[Survey, Process]:
    """The survey and its process, for moderators of the process only."""
    survey, process = visible_survey(session, principal=principal, survey_id=survey_id)
    moderated_process(session, principal=principal, process_id=process.id)
    return survey, process


def response_count(session: Session, *, survey_id: int) -> int:
    counted = session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey_id))
    return int(counted or 0)


def _unanswered(session: Session, survey: Survey) -> None:
    if response_count(session, survey_id=survey.id):
        raise refuse(
            ValidationFailed,
            "survey",
            N_("people have answered this survey already, so its questions stay as they are"),
        )


def new_survey(
    session: Session, *, principal: Principal, process_id: int, data: SurveyFields
) -> SurveyRead:
    """A survey without questions, closed until staff open it."""
    process = moderated_process(session, principal=principal, process_id=process_id)
    last = session.scalar(select(func.max(Survey.position)).where(Survey.process_id == process.id))
    survey = Survey(
        process_id=process.id,
        title=data.title,
        description=data.description,
        results_public=data.results_public,
        position=int(last or 0) + 1,
        is_open=False,
    )
    session.add(survey)
    session.flush()
    return survey_read(survey)


def update_survey(
    session: Session, *, principal: Principal, survey_id: int, data: SurveyFields
) -> SurveyRead:
    survey, _ = editable_survey(session, principal=principal, survey_id=survey_id)
    survey.title = data.title
    survey.description = data.description
    survey.results_public = data.results_public
    session.flush()
    return survey_read(survey)


def set_open(
    session: Session, *, principal: Principal, survey_id: int, is_open: bool
) -> SurveyRead:
    survey, _ = editable_survey(session, principal=principal, survey_id=survey_id)
    if is_open and not survey.questions:
        raise refuse(ValidationFailed, "survey", N_("add a question before opening the survey"))
    survey.is_open = is_open
    session.flush()
    return survey_read(survey)


def add_question(
    session: Session, *, principal: Principal, survey_id: int, data: QuestionIn
) -> SurveyRead:
    survey, _ = editable_survey(session, principal=principal, survey_id=survey_id)
    _unanswered(session, survey)
    if len(survey.questions) >= MAX_QUESTIONS:
        raise refuse(ValidationFailed, "survey", N_("a survey holds at most 50 questions"))
    check_question(data, prefix="")
    survey.questions.append(question_row(len(survey.questions), data))
    session.flush()
    return survey_read(survey)


def _question(session: Session, principal: Principal, question_id: int) -> tuple[Survey, Question]:
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound(detail=f"No question {question_id}.")
    survey, _ = editable_survey(session, principal=principal, survey_id=question.survey_id)
    return survey, question


def question_survey(session: Session, *, principal: Principal, question_id: int) -> SurveyRead:
    """The survey a question belongs to (moderators only), to show the question's form."""
    survey, _ = _question(session, principal, question_id)
    return survey_read(survey)


def update_question(
    session: Session, *, principal: Principal, question_id: int, data: QuestionIn
) -> SurveyRead:
    survey, question = _question(session, principal, question_id)
    _unanswered(session, survey)
    check_question(data, prefix="")
    fresh = question_row(question.position, data)
    for name in (
        "kind",
        "prompt",
        "help",
        "required",
        "options",
        "scale_min",
        "scale_max",
        "scale_min_label",
        "scale_max_label",
    ):
        setattr(question, name, getattr(fresh, name))
    session.flush()
    return survey_read(survey)


def move_question(
    session: Session, *, principal: Principal, question_id: int, up: bool
) -> SurveyRead:
    """Swap the question with its neighbour; at either end it stays where it is."""
    survey, question = _question(session, principal, question_id)
    _unanswered(session, survey)
    ordered = list(survey.questions)
    index = ordered.index(question)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            item.position = position
    session.flush()
    session.refresh(survey, ["questions"])
    return survey_read(survey)


def remove_question(session: Session, *, principal: Principal, question_id: int) -> SurveyRead:
    survey, question = _question(session, principal, question_id)
    _unanswered(session, survey)
    survey.questions.remove(question)
    for position, item in enumerate(survey.questions):
        item.position = position
    session.flush()
    return survey_read(survey)
