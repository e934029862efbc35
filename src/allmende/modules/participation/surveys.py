"""Surveys: single and multiple choice, scale, free text, ranking and location questions;
one response per account or browser; results for staff and, if chosen, for everyone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from allmende.modules.participation.contributions import check_location
from allmende.modules.participation.models import Answer, Process, Question, Response, Survey
from allmende.modules.participation.processes import moderated_process, parse_geometry
from allmende.modules.participation.schemas import (
    AnswerIn,
    OptionCount,
    QuestionIn,
    QuestionRead,
    QuestionResult,
    ResponseRead,
    SurveyIn,
    SurveyRead,
    SurveyResults,
)
from allmende.modules.participation.service import (
    N_,
    Act,
    Participant,
    can_moderate,
    check_action,
    check_participant,
    get_process,
    refuse,
)
from allmende.sdk import Forbidden, Message, NotFound, Principal, ValidationFailed

CHOICE_KINDS = ("single", "multiple", "ranking")


def _question_read(q: Question) -> QuestionRead:
    return QuestionRead(
        id=q.id,
        kind=q.kind,
        prompt=q.prompt,
        help=q.help,
        required=q.required,
        options=list(q.options),
        scale_min=q.scale_min,
        scale_max=q.scale_max,
        scale_min_label=q.scale_min_label,
        scale_max_label=q.scale_max_label,
    )


def survey_read(survey: Survey) -> SurveyRead:
    return SurveyRead(
        id=survey.id,
        process_id=survey.process_id,
        title=survey.title,
        description=survey.description,
        results_public=survey.results_public,
        is_open=survey.is_open,
        questions=[_question_read(q) for q in survey.questions],
    )


def check_question(q: QuestionIn, *, prefix: str) -> None:
    """The rules for one question; errors name ``<prefix>options`` or ``<prefix>scale_max``."""
    if q.kind in CHOICE_KINDS:
        if len(q.options) < 2:
            raise refuse(ValidationFailed, f"{prefix}options", N_("needs at least two options"))
        if len(set(q.options)) != len(q.options):
            raise refuse(ValidationFailed, f"{prefix}options", N_("must not repeat an option"))
    elif q.options:
        raise refuse(
            ValidationFailed,
            f"{prefix}options",
            N_("only choice and ranking questions have options"),
        )
    if q.kind == "scale" and q.scale_max <= q.scale_min:
        raise refuse(ValidationFailed, f"{prefix}scale_max", N_("must be above the lowest value"))


def question_row(position: int, q: QuestionIn) -> Question:
    return Question(
        position=position,
        kind=q.kind,
        prompt=q.prompt,
        help=q.help,
        required=q.required,
        options=list(q.options),
        scale_min=q.scale_min,
        scale_max=q.scale_max,
        scale_min_label=q.scale_min_label,
        scale_max_label=q.scale_max_label,
    )


def create_survey(
    session: Session, *, principal: Principal, process_id: int, data: SurveyIn
) -> SurveyRead:
    process = moderated_process(session, principal=principal, process_id=process_id)
    for index, question in enumerate(data.questions):
        check_question(question, prefix=f"body.questions.{index}.")
    survey = Survey(
        process_id=process.id,
        title=data.title,
        description=data.description,
        results_public=data.results_public,
        position=data.position,
        is_open=data.is_open,
    )
    survey.questions = [question_row(index, q) for index, q in enumerate(data.questions)]
    session.add(survey)
    session.flush()
    return survey_read(survey)


def visible_survey(
    session: Session, *, principal: Principal, survey_id: int
) -> tuple[Survey, Process]:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(detail=f"No survey {survey_id}.")
    return survey, get_process(session, principal=principal, process_id=survey.process_id)


def get_survey(session: Session, *, principal: Principal, survey_id: int) -> SurveyRead:
    survey, _ = visible_survey(session, principal=principal, survey_id=survey_id)
    return survey_read(survey)


def delete_survey(session: Session, *, principal: Principal, survey_id: int) -> None:
    survey, process = visible_survey(session, principal=principal, survey_id=survey_id)
    moderated_process(session, principal=principal, process_id=process.id)
    session.delete(survey)


def has_responded(session: Session, *, participant: Participant, survey_id: int) -> bool:
    if participant.user_id is not None:
        mine = Response.user_id == participant.user_id
    elif participant.voter_key is not None:
        mine = Response.voter_key == participant.voter_key
    else:
        return False
    return (
        session.scalar(select(Response.id).where(Response.survey_id == survey_id, mine)) is not None
    )


def _answer(
    session: Session,
    process: Process,
    question: Question,
    given: AnswerIn,
    field: str,
) -> Answer | None:
    """Check one answer against its question; ``None`` when it is left empty."""
    answer = Answer(question_id=question.id)
    n = len(question.options)
    choices = given.choices or []
    if any(c >= n for c in choices):
        raise refuse(ValidationFailed, field, N_("names an option that does not exist"))
    if question.kind == "single":
        if not choices:
            return None
        if len(choices) != 1:
            raise refuse(ValidationFailed, field, N_("choose exactly one option"))
        answer.choices = choices
    elif question.kind == "multiple":
        if not choices:
            return None
        if len(set(choices)) != len(choices):
            raise refuse(ValidationFailed, field, N_("names an option twice"))
        answer.choices = sorted(choices)
    elif question.kind == "ranking":
        if not choices:
            return None
        if sorted(choices) != list(range(n)):
            raise refuse(ValidationFailed, field, N_("give every option a different rank"))
        answer.choices = choices
    elif question.kind == "scale":
        if given.number is None:
            return None
        if not question.scale_min <= given.number <= question.scale_max:
            raise refuse(
                ValidationFailed,
                field,
                Message(
                    N_("choose a value from %(min)d to %(max)d"),
                    min=question.scale_min,
                    max=question.scale_max,
                ),
            )
        answer.number = given.number
    elif question.kind == "text":
        text = (given.text or "").strip()
        if not text:
            return None
        answer.text = text
    else:  # location: a place on the map, or described in words without JavaScript
        text = (given.text or "").strip()
        if given.geometry is None and not text:
            return None
        if given.geometry is not None:
            geom = parse_geometry(given.geometry, field=field, types=("Point",))
            try:
                check_location(session, process, geom)
            except ValidationFailed as exc:
                raise refuse(ValidationFailed, field, exc.errors[0].reason) from None
            answer.geom = geom
        answer.text = text or None
    return answer


def respond(
    session: Session,
    *,
    participant: Participant,
    survey_id: int,
    answers: Sequence[AnswerIn],
    field_prefix: str = "body.answers.",
    now: datetime | None = None,
) -> ResponseRead:
    """Store one response; errors name ``<field_prefix><question id>``."""
    survey, process = visible_survey(session, principal=participant.principal, survey_id=survey_id)
    check_participant(participant, process)
    check_action(process, Act.SURVEY, now=now)
    if not survey.is_open:
        raise refuse(ValidationFailed, "survey", N_("this survey is closed"))
    if participant.user_id is None and participant.voter_key is None:
        raise refuse(ValidationFailed, "voter", N_("an API key cannot answer surveys"))
    if has_responded(session, participant=participant, survey_id=survey.id):
        raise refuse(ValidationFailed, "survey", N_("you have already answered this survey"))
    questions = {q.id: q for q in survey.questions}
    given: dict[int, AnswerIn] = {}
    for item in answers:
        if item.question_id not in questions:
            raise refuse(
                ValidationFailed,
                f"{field_prefix}{item.question_id}",
                N_("is not a question of this survey"),
            )
        if item.question_id in given:
            raise refuse(
                ValidationFailed,
                f"{field_prefix}{item.question_id}",
                N_("is answered twice"),
            )
        given[item.question_id] = item
    stored: list[Answer] = []
    for question in survey.questions:
        field = f"{field_prefix}{question.id}"
        answer = (
            _answer(session, process, question, given[question.id], field)
            if question.id in given
            else None
        )
        if answer is None and question.required:
            raise refuse(ValidationFailed, field, N_("please answer this question"))
        if answer is not None:
            stored.append(answer)
    response = Response(
        survey_id=survey.id,
        user_id=participant.user_id,
        voter_key=None if participant.user_id is not None else participant.voter_key,
    )
    session.add(response)
    try:
        session.flush()
    except IntegrityError:
        raise refuse(
            ValidationFailed, "survey", N_("you have already answered this survey")
        ) from None
    for answer in stored:
        answer.response_id = response.id
    session.add_all(stored)
    session.flush()
    return ResponseRead(id=response.id, survey_id=survey.id, created_at=response.created_at)


# --- results ----------------------------------------------------------------------------------


def may_see_results(principal: Principal, survey: Survey, process: Process) -> bool:
    return survey.results_public or can_moderate(principal, process)


def results(session: Session, *, principal: Principal, survey_id: int) -> SurveyResults:
    survey, process = visible_survey(session, principal=principal, survey_id=survey_id)
    staff = can_moderate(principal, process)
    if not (survey.results_public or staff):
        raise Forbidden(detail="The results of this survey are for staff only.")
    total = session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey.id))
    rows = session.execute(
        select(Answer.question_id, Answer.choices, Answer.number, Answer.text, Answer.bbox_minx)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey.id)
        .order_by(Answer.id)
    ).all()
    by_question: dict[int, list[tuple[list[int] | None, int | None, str | None, float | None]]] = {}
    for question_id, choices, number, text, has_geom in rows:
        by_question.setdefault(question_id, []).append((choices, number, text, has_geom))
    return SurveyResults(
        survey_id=survey.id,
        title=survey.title,
        responses=int(total or 0),
        questions=[_result(q, by_question.get(q.id, []), staff=staff) for q in survey.questions],
    )


def _result(
    question: Question,
    answers: list[tuple[list[int] | None, int | None, str | None, float | None]],
    *,
    staff: bool,
) -> QuestionResult:
    answered = len(answers)
    options: list[OptionCount] = []
    average: float | None = None

    def share(count: int) -> float:
        return round(count / answered, 4) if answered else 0.0

    if question.kind in ("single", "multiple"):
        counts: Counter[int] = Counter(c for choices, *_ in answers for c in (choices or []))
        options = [
            OptionCount(label=label, count=counts[i], share=share(counts[i]))
            for i, label in enumerate(question.options)
        ]
    elif question.kind == "ranking":
        # Average rank per option (1 = best); the list is ordered as the options were asked.
        ranks: dict[int, list[int]] = {i: [] for i in range(len(question.options))}
        for choices, *_ in answers:
            for rank, option in enumerate(choices or [], start=1):
                ranks.setdefault(option, []).append(rank)
        options = [
            OptionCount(
                label=label,
                count=sum(1 for r in ranks[i] if r == 1),
                share=round(sum(ranks[i]) / len(ranks[i]), 2) if ranks[i] else 0.0,
            )
            for i, label in enumerate(question.options)
        ]
    elif question.kind == "scale":
        values = [number for _, number, _, _ in answers if number is not None]
        counts = Counter(values)
        options = [
            OptionCount(label=str(v), count=counts[v], share=share(counts[v]))
            for v in range(question.scale_min, question.scale_max + 1)
        ]
        average = round(sum(values) / len(values), 2) if values else None
    texts = None  # free texts may hold personal details: staff read them, the public not
    if question.kind in ("text", "location") and staff:
        texts = [text for _, _, text, _ in answers if text]
    locations = sum(1 for *_, has_geom in answers if has_geom is not None)
    return QuestionResult(
        question_id=question.id,
        kind=question.kind,
        prompt=question.prompt,
        answered=answered,
        options=options,
        average=average,
        texts=texts,
        locations=locations,
    )


def location_answers(session: Session, *, principal: Principal, survey_id: int) -> list[Answer]:
    """Answers with a place, for the results map (same access as the results)."""
    survey, process = visible_survey(session, principal=principal, survey_id=survey_id)
    if not may_see_results(principal, survey, process):
        raise Forbidden(detail="The results of this survey are for staff only.")
    return list(
        session.scalars(
            select(Answer)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id, Answer.bbox_minx.is_not(None))
        )
    )
