"""What every participation page uses: rendering with date helpers and labels, form errors,
redirects, and the shapes of form data."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import challenge, web
from allmende.modules.participation.service import (
    ACT_LABELS,
    N_,
    STATE_LABELS,
    STATUS_LABELS,
    Status,
)
from allmende.modules.participation.web import Translate, translator
from allmende.sdk import (
    AllmendeError,
    FieldError,
    ValidationFailed,
    app_context,
    formatting,
    local_path,
    localise,
)

#: Times are shown as people on site read them; Allmende serves German municipalities.
LOCAL_TIME = ZoneInfo("Europe/Berlin")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

NOTICES = {
    "contributed": N_(
        "Thank you! Your contribution is published. Keep the address of this page to read "
        "the municipality's answer later."
    ),
    "commented": N_("Thank you for your comment."),
    "supported": N_("Your support is counted."),
    "unsupported": N_("Your support is withdrawn."),
    "answered": N_("Thank you for taking part in the survey."),
    "rated": N_("Your rating is saved."),
    "reported": N_("Thank you. The moderators will look at it."),
    "feedback": N_("The official answer is published and the author is notified."),
    "hidden": N_("The contribution is hidden. The reason is shown in its place."),
    "restored": N_("The contribution is visible again."),
    "comment-hidden": N_("The comment is hidden."),
    "comment-restored": N_("The comment is visible again."),
    "resolved": N_("The report is resolved."),
    "followed": N_("You follow this process and will be notified of new phases."),
    "unfollowed": N_("You no longer follow this process."),
    "read": N_("All notifications are marked as read."),
    "deleted": N_("Your participation data is deleted; your contributions are anonymous now."),
    "uploaded": N_("The document is added."),
    "saved": N_("Saved."),
}

#: Pydantic's error types, in words a citizen understands.
PYDANTIC_MESSAGES = {
    "missing": N_("Please fill in this field."),
    "string_too_short": N_("Please fill in this field."),
    "string_too_long": N_("This is too long."),
    "int_parsing": N_("Please enter a whole number."),
    "literal_error": N_("Please choose one of the options."),
}


@dataclass
class Form:
    """Submitted values and the errors found in them, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # an error that concerns the whole form

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.problem)


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render a page with the participation helpers."""
    context = app_context(request)
    translate = translator(request)
    language = context.catalogs.negotiate(request)
    locale = formatting.babel_locale(language)
    notice_key = request.query_params.get("notice")
    extra: dict[str, Any] = {
        "when": lambda value: (
            (
                f"{format_date(value.astimezone(LOCAL_TIME), 'medium', locale=locale)}, "
                f"{format_time(value.astimezone(LOCAL_TIME), 'short', locale=locale)}"
            )
            if value
            else ""
        ),
        "day": lambda value: (
            format_date(value.astimezone(LOCAL_TIME), "long", locale=locale) if value else ""
        ),
        "number": lambda value: (
            formatting.decimal(value, language, 2, grouped=True, optional=True)
            if value is not None
            else ""
        ),
        "paragraphs": lambda text: [
            p.strip() for p in PARAGRAPH_BREAK.split(text or "") if p.strip()
        ],
        "status_label": _labels(STATUS_LABELS, translate),
        "state_label": _labels(STATE_LABELS, translate),
        "act_label": _labels(ACT_LABELS, translate),
        "statuses": [(s.value, translate(STATUS_LABELS[s])) for s in Status],
        "page_notice": translate(NOTICES[notice_key]) if notice_key in NOTICES else None,
        "honeypot_field": challenge.HONEYPOT_FIELD,
    }
    return context.templates.render(
        request, template, {**extra, **(values or {})}, status_code=status_code
    )


def _labels(table: Mapping[str, str], translate: Translate) -> Callable[[str], str]:
    """A function from a stored value (a status, a state, an action) to its label."""
    return lambda value: translate(table[value]) if value in table else value


def challenge_token(request: Request) -> str:
    return challenge.issue(app_context(request).settings.signing_key)


def redirect(
    request: Request, path: str, *, notice: str | None = None, anchor: str = ""
) -> Response:
    query = f"?{urlencode({'notice': notice})}" if notice else ""
    response = RedirectResponse(local_path(request, path) + query + anchor, status_code=303)
    web.remember_browser(request, response)  # after taking part for the first time
    return response


def errors_from(exc: AllmendeError, translate: Translate, form: Form) -> Form:
    """Put a refusal's field errors onto the form's fields (``body.title`` → ``title``)."""
    for item in exc.errors:
        name = item.field.removeprefix("body.")
        form.errors[name] = localise(item.reason, translate)
    if not exc.errors:
        form.problem = localise(str(exc), translate)
    return form


def in_language(exc: AllmendeError, translate: Translate) -> AllmendeError:
    """The refusal with its detail and reasons in the reader's language, for one that is shown
    as an error page rather than on the form."""
    return dataclasses.replace(
        exc,
        detail=localise(exc.detail, translate),
        errors=[FieldError(e.field, localise(e.reason, translate)) for e in exc.errors],
    )


def errors_from_validation(exc: ValidationError, translate: Translate, form: Form) -> Form:
    for item in exc.errors():
        name = ".".join(str(p) for p in item["loc"]) or "_form"
        message = PYDANTIC_MESSAGES.get(item["type"])
        form.errors.setdefault(
            name, translate(message) if message else translate("This value is not valid.")
        )
    return form


def refusal(exc: ValidationError) -> ValidationFailed:
    """Pydantic's complaint about form data as the 422 every other refusal is."""
    errors = [
        FieldError(".".join(str(p) for p in item["loc"]) or "form", str(item["msg"]))
        for item in exc.errors()
    ]
    return ValidationFailed(
        detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
    )


def summary(form: Form, translate: Translate, labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The error summary above a form: one linked entry per field, the general ones first."""
    items = []
    if form.problem:
        items.append({"anchor": "", "text": form.problem})
    for name, message in form.errors.items():
        if name in labels:
            items.append({"anchor": f"#f-{name}", "text": f"{labels[name]}: {message}"})
        else:
            items.append({"anchor": "", "text": message})
    return items
