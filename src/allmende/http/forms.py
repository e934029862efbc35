"""HTML form posts: read a form after its CSRF check, and the write-or-refuse answer every
form page gives (the result on success, the form again with the reasons when refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError, ValidationFailed
from allmende.http.context import app_context
from allmende.http.csrf import FORM_FIELD, check_request
from allmende.storage.database import Database

T = TypeVar("T")


async def read_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked (also for anonymous callers, whose
    requests the credential check lets through)."""
    await check_request(request)
    return await request.form()


def form_strings(form: FormData) -> dict[str, str]:
    """The form's text fields (uploads and the CSRF token left out), to show the form again as
    it was sent."""
    return {
        name: value for name, value in form.items() if isinstance(value, str) and name != FORM_FIELD
    }


async def write_or_refuse(
    request: Request,
    write: Callable[[Session], T],
    *,
    done: Callable[[T], Response],
    refused: Callable[[Session, AllmendeError], Response],
    refusals: tuple[type[AllmendeError], ...] = (ValidationFailed,),
) -> Response:
    """Run ``write`` in one write transaction and answer ``done(result)`` (typically a
    redirect). When the rules refuse with one of ``refusals``, nothing of it is kept and the
    answer is ``refused(session, error)``, rendered in a read session off the event loop:
    typically the form again with the error's reasons and its status."""
    database = app_context(request).database
    try:
        result = await database.awrite(write)
    except refusals as error:
        return await run_in_threadpool(_show_refusal, database, refused, error)
    return done(result)


def _show_refusal(
    database: Database,
    refused: Callable[[Session, AllmendeError], Response],
    error: AllmendeError,
) -> Response:
    with database.session() as session:
        return refused(session, error)
