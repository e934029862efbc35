"""Answering a survey in the browser, and its results as accessible charts and tables."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from allmende.modules.participation import surveys
from allmende.modules.participation.pages.common import (
    Form,
    challenge_token,
    errors_from,
    redirect,
    render,
    summary,
)
from allmende.modules.participation.pages.contributions import closed_reason
from allmende.modules.participation.processes import process_detail
from allmende.modules.participation.schemas import AnswerIn, QuestionRead, SurveyRead
from allmende.modules.participation.service import Act, can_moderate
from allmende.modules.participation.web import Translate, participant_for, translator, viewer
from allmende.sdk import (
    AllmendeError,
    Caller,
    Principal,
    RowId,
    app_context,
    form_strings,
    is_digits,
    json_loads,
    read_form,
)

pages = APIRouter(include_in_schema=False)
SCALE_VALUE = re.compile(r"^-?[0-9]{1,4}$")


def _survey_page(
    request: Request, principal: Principal, survey_id: int, form: Form, status: int = 200
) -> Response:
    translate = translator(request)
    with app_context(request).database.session() as session:
        survey, process = surveys.visible_survey(session, principal=principal, survey_id=survey_id)
        read = surveys.survey_read(survey)
        detail = process_detail(session, principal=principal, process_id=process.id)
        answered = surveys.has_responded(
            session, participant=viewer(request, principal), survey_id=survey.id
        )
        show_results = surveys.may_see_results(principal, survey, process)
    labels = {f"q{q.id}": q.prompt for q in read.questions}
    return render(
        request,
        "participation/survey.html",
        {
            "survey": read,
            "process": detail,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "answered": answered,
            "show_results": show_results,
            "closed": (
                closed_reason(request, principal, process.id, Act.SURVEY, translate)
                if read.is_open
                else translate("This survey is closed.")
            ),
            "challenge": challenge_token(request),
            "checked": _checked(form),
        },
        status_code=status,
    )


def _checked(form: Form) -> set[str]:
    """Which radio buttons and boxes to show ticked again after an error."""
    chosen = form.values.get("__chosen__", "")
    return set(chosen.split("|")) if chosen else set()


@pages.get("/participation/surveys/{survey_id:int}")
def survey_form(request: Request, survey_id: RowId, principal: Caller) -> Response:
    return _survey_page(request, principal, survey_id, Form())


def parse_answers(
    survey: SurveyRead, data: FormData, translate: Translate, form: Form
) -> list[AnswerIn]:
    """The form's fields as answers; problems the service cannot see go onto ``form``."""
    answers: list[AnswerIn] = []
    chosen: list[str] = []
    for question in survey.questions:
        name = f"q{question.id}"
        try:
            answer = _parse_one(question, name, data, translate, chosen)
        except ValueError as exc:
            form.errors[name] = str(exc)
            continue
        except ValidationError:
            form.errors[name] = translate("This value is not valid.")
            continue
        if answer is not None:
            answers.append(answer)
    form.values["__chosen__"] = "|".join(chosen)
    return answers


def _index(value: str, count: int, translate: Translate) -> int:
    if not is_digits(value) or int(value) >= count:
        raise ValueError(translate("Please choose one of the options."))
    return int(value)


def _parse_one(
    question: QuestionRead, name: str, data: FormData, translate: Translate, chosen: list[str]
) -> AnswerIn | None:
    values = [v for v in data.getlist(name) if isinstance(v, str) and v != ""]
    chosen.extend(f"{name}={v}" for v in values)
    count = len(question.options)
    if question.kind in ("single", "multiple"):
        if not values:
            return None
        return AnswerIn(
            question_id=question.id, choices=[_index(v, count, translate) for v in values]
        )
    if question.kind == "scale":
        if not values:
            return None
        if not SCALE_VALUE.match(values[0]):
            raise ValueError(translate("Please choose one of the options."))
        return AnswerIn(question_id=question.id, number=int(values[0]))
    if question.kind == "text":
        text = str(data.get(name) or "").strip()
        return AnswerIn(question_id=question.id, text=text) if text else None
    if question.kind == "ranking":
        ranks: dict[int, int] = {}
        for index in range(count):
            value = str(data.get(f"{name}-{index}") or "")
            if value:
                chosen.append(f"{name}-{index}={value}")
                ranks[index] = _index(
                    str(int(value) - 1) if is_digits(value) else "x", count, translate
                )
        if not ranks:
            return None
        if len(ranks) != count or sorted(ranks.values()) != list(range(count)):
            raise ValueError(
                translate("Give every option a different rank, from 1 to %(n)d.") % {"n": count}
            )
        return AnswerIn(question_id=question.id, choices=sorted(ranks, key=lambda i: ranks[i]))
    # location: a point from the map picker, or the place in words
    text = str(data.get(f"{name}-text") or "").strip()
    raw = str(data.get(f"{name}-geometry") or "").strip()
    if raw:
        chosen.append(f"{name}-geometry={raw}")
    if text:
        chosen.append(f"{name}-text={text}")
    if not raw and not text:
        return None
    try:
        geometry: Any = json_loads(raw) if raw else None
    except ValueError:
        raise ValueError(translate("The place on the map could not be read.")) from None
    return AnswerIn(question_id=question.id, text=text or None, geometry=geometry)


@pages.post("/participation/surveys/{survey_id:int}")
async def survey_submit(request: Request, survey_id: RowId, principal: Caller) -> Response:
    data = await read_form(request)
    values = form_strings(data)
    translate = translator(request)
    form = Form(values=values)
    status = 422

    def load() -> SurveyRead:
        with app_context(request).database.session() as session:
            return surveys.get_survey(session, principal=principal, survey_id=survey_id)

    survey = await run_in_threadpool(load)
    answers = parse_answers(survey, data, translate, form)
    if not form.failed:
        try:
            participant = participant_for(
                request,
                principal,
                action="survey",
                token=values.get("challenge"),
                field="challenge",
                honeypot=values.get("homepage"),
            )
            await app_context(request).database.awrite(
                lambda s: surveys.respond(
                    s,
                    participant=participant,
                    survey_id=survey_id,
                    answers=answers,
                    field_prefix="q",
                )
            )
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            return redirect(request, f"/participation/surveys/{survey_id}", notice="answered")
    return await run_in_threadpool(_survey_page, request, principal, survey_id, form, status)


@pages.get("/participation/surveys/{survey_id:int}/results")
def survey_results(request: Request, survey_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        result = surveys.results(session, principal=principal, survey_id=survey_id)
        survey, process = surveys.visible_survey(session, principal=principal, survey_id=survey_id)
        detail = process_detail(session, principal=principal, process_id=process.id)
        points = [
            {"lon": a.geom.x, "lat": a.geom.y}
            for a in surveys.location_answers(session, principal=principal, survey_id=survey_id)
            if a.geom is not None and a.geom.geom_type == "Point"
        ]
        staff = can_moderate(principal, process)
    return render(
        request,
        "participation/results.html",
        {
            "survey": surveys.survey_read(survey),
            "result": result,
            "process": detail,
            "points": points,
            "staff": staff,
        },
    )
