"""Form plumbing of the shell's pages: read fields, list refusals beside their fields."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData, UploadFile

from allmende.core.errors import AllmendeError, FieldError, TooManyRequests, ValidationFailed
from allmende.http.i18n import N_

MAX_FIELD = 10_000


def text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    """A text field, stripped (an upload or a missing field is empty); cut at ``limit`` + 1 so
    that the length check downstream still refuses it."""
    value = form.get(name)
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def field_errors(error: AllmendeError, translate: Callable[[str], str]) -> dict[str, str]:
    """Translated reasons keyed by form field (``body.name`` → ``name``); an error without a
    field is listed under ``form``."""
    if isinstance(error, TooManyRequests):
        return {"form": translate(N_("Too many attempts. Please wait a few minutes."))}
    found: dict[str, str] = {}
    for item in error.errors or []:
        found.setdefault(item.field.removeprefix("body."), translate(item.reason))
    if not found:
        found["form"] = translate(str(error))
    return found


def refuse(problems: list[FieldError | None]) -> None:
    """Raise one ValidationFailed with every problem found (None entries are skipped), so a
    form lists all its faults at once."""
    found = [p for p in problems if p is not None]
    if found:
        raise ValidationFailed(
            detail="; ".join(f"{p.field}: {p.reason}" for p in found), errors=found
        )
