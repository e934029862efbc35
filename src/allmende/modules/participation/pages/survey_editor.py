"""Staff build surveys in the browser: a new survey, its fields, its questions (added, changed,
moved, removed) and opening and closing it. Every rule is in ``survey_editing``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import survey_editing, surveys
from allmende.modules.participation.pages.common import (
    Form,
    errors_from,
    errors_from_validation,
    redirect,
    render,
    summary,
)
from allmende.modules.participation.processes import moderated_process, process_detail
from allmende.modules.participation.schemas import QuestionIn, SurveyFields, SurveyRead
from allmende.modules.participation.service import N_
from allmende.modules.participation.web import Translate, translator
from allmende.sdk import (
    AllmendeError,
    Caller,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    local_path,
    read_form,
    write_or_refuse,
)

pages = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "single": N_("One choice among options"),
    "multiple": N_("Several choices among options"),
    "scale": N_("A value on a scale"),
    "text": N_("Free text"),
    "ranking": N_("Put options in order"),
    "location": N_("A place on the map"),
}
SCALE_FIELDS = ("scale_min", "scale_max")
NEW_QUESTION = {"kind": "single", "scale_min": "1", "scale_max": "5"}


def _sign_in(request: Request) -> Response:
    return RedirectResponse(local_path(request, f"/login?next={request.url.path}"), status_code=303)


def _survey_labels(translate: Translate) -> dict[str, str]:
    return {
        "title": translate("Title"),
        "description": translate("Introduction"),
    }


def _question_labels(translate: Translate) -> dict[str, str]:
    return {
        "kind": translate("Kind of question"),
        "prompt": translate("Question"),
        "help": translate("Help text"),
        "options": translate("Options"),
        "scale_min": translate("Lowest value"),
        "scale_max": translate("Highest value"),
        "scale_min_label": translate("Label of the lowest value"),
        "scale_max_label": translate("Label of the highest value"),
    }


def _survey_fields(values: dict[str, str]) -> SurveyFields:
    return SurveyFields(
        title=values.get("title", "").strip(),
        description=values.get("description", "").strip(),
        results_public=values.get("results_public") == "yes",
    )


def _question(values: dict[str, str], form: Form, translate: Translate) -> QuestionIn | None:
    """The question of the form, or ``None`` with the reasons on the form's fields."""
    numbers: dict[str, int] = {}
    for name in SCALE_FIELDS:
        text = values.get(name, "").strip()
        if not text:
            continue
        try:
            numbers[name] = int(text)
        except ValueError:
            form.errors[name] = translate("Please enter a whole number.")
    kind = values.get("kind", "")
    try:
        question = QuestionIn(
            kind=kind,  # pydantic checks the literal
            prompt=values.get("prompt", "").strip(),
            help=values.get("help", "").strip(),
            required=values.get("required") == "yes",
            options=[
                line.strip() for line in values.get("options", "").splitlines() if line.strip()
            ],
            scale_min_label=values.get("scale_min_label", "").strip(),
            scale_max_label=values.get("scale_max_label", "").strip(),
            **numbers,
        )
    except ValidationError as exc:
        checked = Form()
        errors_from_validation(exc, translate, checked)
        for name, message in checked.errors.items():
            form.errors.setdefault(name.split(".")[0], message)  # options.3 → options
        return None
    return None if form.failed else question


def _question_values(survey: SurveyRead, question_id: int) -> dict[str, str]:
    question = next(q for q in survey.questions if q.id == question_id)
    return {
        "kind": question.kind,
        "prompt": question.prompt,
        "help": question.help,
        "required": "yes" if question.required else "",
        "options": "\n".join(question.options),
        "scale_min": str(question.scale_min),
        "scale_max": str(question.scale_max),
        "scale_min_label": question.scale_min_label,
        "scale_max_label": question.scale_max_label,
    }


def _kinds(translate: Translate) -> list[tuple[str, str]]:
    return [(kind, translate(label)) for kind, label in KIND_LABELS.items()]


# --- a new survey ---------------------------------------------------------------------------------


def _new_page(
    request: Request, session: Session, principal: Principal, process_id: int, form: Form
) -> Response:
    translate = translator(request)
    moderated_process(session, principal=principal, process_id=process_id)
    labels = _survey_labels(translate)
    return render(
        request,
        "participation/survey_new.html",
        {
            "process": process_detail(session, principal=principal, process_id=process_id),
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
        },
        status_code=422 if form.failed else 200,
    )


@pages.get("/participation/{process_id:int}/surveys/new")
def new_survey(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    with app_context(request).database.session() as session:
        return _new_page(request, session, principal, process_id, Form())


@pages.post("/participation/{process_id:int}/surveys/new")
async def new_survey_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)

    def write(session: Session) -> SurveyRead:
        try:
            data = _survey_fields(values)
        except ValidationError as exc:
            errors_from_validation(exc, translate, form)
            raise ValidationFailed(detail="form") from None
        return survey_editing.new_survey(
            session, principal=principal, process_id=process_id, data=data
        )

    def refused(session: Session, error: AllmendeError) -> Response:
        if not form.failed:
            errors_from(error, translate, form)
        return _new_page(request, session, principal, process_id, form)

    return await write_or_refuse(
        request,
        write,
        done=lambda survey: redirect(
            request, f"/participation/surveys/{survey.id}/edit", notice="saved"
        ),
        refused=refused,
    )


# --- the survey's page for staff ------------------------------------------------------------------


def _edit_page(
    request: Request,
    session: Session,
    principal: Principal,
    survey_id: int,
    *,
    survey_form: Form | None = None,
    question_form: Form | None = None,
    status: int = 200,
) -> Response:
    translate = translator(request)
    survey, process = survey_editing.editable_survey(
        session, principal=principal, survey_id=survey_id
    )
    read = surveys.survey_read(survey)
    saved = {
        "title": read.title,
        "description": read.description,
        "results_public": "yes" if read.results_public else "",
    }
    if survey_form is None:
        survey_form = Form(values=saved)
    elif "title" not in survey_form.values:  # the open/close button: show the fields as saved
        survey_form.values = {**saved, **survey_form.values}
    question_form = question_form or Form(
        values={"kind": "single", "scale_min": "1", "scale_max": "5"}
    )
    survey_labels = _survey_labels(translate)
    question_labels = _question_labels(translate)
    return render(
        request,
        "participation/survey_editor.html",
        {
            "survey": read,
            "process": process_detail(session, principal=principal, process_id=process.id),
            "responses": survey_editing.response_count(session, survey_id=survey.id),
            "survey_form": survey_form,
            "question_form": question_form,
            "labels": survey_labels,
            "question_labels": question_labels,
            # A refused opening is told beside its button, not above the fields.
            "survey_summary": summary(
                Form(errors={k: v for k, v in survey_form.errors.items() if k != "survey"}),
                translate,
                survey_labels,
            ),
            "question_summary": summary(question_form, translate, question_labels),
            "kinds": _kinds(translate),
            "kind_label": lambda kind: (
                translate(KIND_LABELS[kind]) if kind in KIND_LABELS else kind
            ),
        },
        status_code=status,
    )


@pages.get("/participation/surveys/{survey_id:int}/edit")
def edit_survey(request: Request, survey_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    with app_context(request).database.session() as session:
        return _edit_page(request, session, principal, survey_id)


async def _survey_write(
    request: Request,
    principal: Principal,
    survey_id: int,
    change: Callable[[Session, dict[str, str], Form, Translate], Any],
    *,
    on_question_form: bool,
    notice: str = "saved",
) -> Response:
    """Post one of the survey page's forms: on success back to the page, when refused the page
    again with the reasons beside the fields of the form that was sent (status 422)."""
    if not principal.is_authenticated:
        return _sign_in(request)
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)

    def write(session: Session) -> Any:
        return change(session, values, form, translate)

    def refused(session: Session, error: AllmendeError) -> Response:
        if not form.failed:
            errors_from(error, translate, form)
        forms = {"question_form": form} if on_question_form else {"survey_form": form}
        return _edit_page(request, session, principal, survey_id, status=422, **forms)

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, f"/participation/surveys/{survey_id}/edit", notice=notice),
        refused=refused,
    )


def _form_refusal() -> ValidationFailed:
    """Stops the write; the reasons are already on the form."""
    return ValidationFailed(detail="form")


@pages.post("/participation/surveys/{survey_id:int}/edit")
async def edit_survey_submit(request: Request, survey_id: RowId, principal: Caller) -> Response:
    def change(session: Session, values: dict[str, str], form: Form, translate: Translate) -> Any:
        try:
            data = _survey_fields(values)
        except ValidationError as exc:
            errors_from_validation(exc, translate, form)
            raise _form_refusal() from None
        return survey_editing.update_survey(
            session, principal=principal, survey_id=survey_id, data=data
        )

    return await _survey_write(request, principal, survey_id, change, on_question_form=False)


@pages.post("/participation/surveys/{survey_id:int}/state")
async def survey_state_submit(request: Request, survey_id: RowId, principal: Caller) -> Response:
    def change(session: Session, values: dict[str, str], form: Form, translate: Translate) -> Any:
        return survey_editing.set_open(
            session, principal=principal, survey_id=survey_id, is_open=values.get("open") == "yes"
        )

    return await _survey_write(request, principal, survey_id, change, on_question_form=False)


@pages.post("/participation/surveys/{survey_id:int}/questions")
async def add_question_submit(request: Request, survey_id: RowId, principal: Caller) -> Response:
    def change(session: Session, values: dict[str, str], form: Form, translate: Translate) -> Any:
        # Who may add is checked before the question's fields, so strangers learn nothing.
        survey_editing.editable_survey(session, principal=principal, survey_id=survey_id)
        question = _question(values, form, translate)
        if question is None:
            raise _form_refusal()
        return survey_editing.add_question(
            session, principal=principal, survey_id=survey_id, data=question
        )

    return await _survey_write(request, principal, survey_id, change, on_question_form=True)


# --- one question ---------------------------------------------------------------------------------


def _question_page(
    request: Request, session: Session, principal: Principal, question_id: int, form: Form | None
) -> Response:
    translate = translator(request)
    survey = survey_editing.question_survey(session, principal=principal, question_id=question_id)
    form = form or Form(values=_question_values(survey, question_id))
    labels = _question_labels(translate)
    return render(
        request,
        "participation/question_editor.html",
        {
            "survey": survey,
            "question_id": question_id,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "kinds": _kinds(translate),
        },
        status_code=422 if form.failed else 200,
    )


@pages.get("/participation/questions/{question_id:int}/edit")
def edit_question(request: Request, question_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    with app_context(request).database.session() as session:
        return _question_page(request, session, principal, question_id, None)


async def _question_write(
    request: Request,
    principal: Principal,
    question_id: int,
    change: Callable[[Session, dict[str, str], Form, Translate], SurveyRead],
) -> Response:
    """Post a question's form or button: back to its survey, or the question's form again."""
    if not principal.is_authenticated:
        return _sign_in(request)
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)

    def write(session: Session) -> SurveyRead:
        return change(session, values, form, translate)

    def refused(session: Session, error: AllmendeError) -> Response:
        if not form.failed:
            errors_from(error, translate, form)
        if "kind" not in form.values:  # a button, not the form: show the question as it is
            form.values = _question_values(
                survey_editing.question_survey(
                    session, principal=principal, question_id=question_id
                ),
                question_id,
            )
        return _question_page(request, session, principal, question_id, form)

    return await write_or_refuse(
        request,
        write,
        done=lambda survey: redirect(
            request, f"/participation/surveys/{survey.id}/edit", notice="saved", anchor="#questions"
        ),
        refused=refused,
    )


@pages.post("/participation/questions/{question_id:int}/edit")
async def edit_question_submit(request: Request, question_id: RowId, principal: Caller) -> Response:
    def change(
        session: Session, values: dict[str, str], form: Form, translate: Translate
    ) -> SurveyRead:
        survey_editing.question_survey(session, principal=principal, question_id=question_id)
        question = _question(values, form, translate)
        if question is None:
            raise _form_refusal()
        return survey_editing.update_question(
            session, principal=principal, question_id=question_id, data=question
        )

    return await _question_write(request, principal, question_id, change)


@pages.post("/participation/questions/{question_id:int}/move")
async def move_question_submit(request: Request, question_id: RowId, principal: Caller) -> Response:
    def change(
        session: Session, values: dict[str, str], form: Form, translate: Translate
    ) -> SurveyRead:
        return survey_editing.move_question(
            session, principal=principal, question_id=question_id, up=values.get("to") == "up"
        )

    return await _question_write(request, principal, question_id, change)


@pages.post("/participation/questions/{question_id:int}/delete")
async def delete_question_submit(
    request: Request, question_id: RowId, principal: Caller
) -> Response:
    def change(
        session: Session, values: dict[str, str], form: Form, translate: Translate
    ) -> SurveyRead:
        return survey_editing.remove_question(session, principal=principal, question_id=question_id)

    return await _question_write(request, principal, question_id, change)
