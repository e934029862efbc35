"""Pages for people without a session: sign up, confirm the address, get a password link, set
the password from it, unsubscribe from a mail.

None of them tells whether an address has an account: sign-up and "forgot password" answer
with the same page either way and say it in the mail instead. Each is rate-limited per client
and per address, so it can be used neither to guess passwords nor to flood a mailbox.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.core.errors import AllmendeError, FieldError, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.delivery import mail
from allmende.delivery.mailer import UNSUBSCRIBE
from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.links import base_url, local_path
from allmende.identity import accounts, service, tokens
from allmende.identity.tokens import TokenInvalid
from allmende.web import limits
from allmende.web.forms import checked, field_errors, refuse, text

router = APIRouter(include_in_schema=False)


def mail_context(request: Request, **values: Any) -> dict[str, Any]:
    """Context of a mail queued by this request: links follow ``base_url``, or outside
    production this request's address (a request's Host must never pick where production
    links point)."""
    settings = app_context(request).settings
    if not settings.is_production and not settings.base_url:
        values["base_url"] = base_url(request)
    return values


def language(request: Request) -> str:
    return app_context(request).catalogs.negotiate(request)


def _render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    return app_context(request).templates.render(request, template, values, status_code=status)


def _refused(request: Request, template: str, error: AllmendeError, **values: Any) -> Response:
    translate = app_context(request).catalogs.translator(request)
    return _render(request, template, error.status, errors=field_errors(error, translate), **values)


# --- sign up ---------------------------------------------------------------------------------


@router.get("/signup")
def signup_page(request: Request, principal: Caller) -> Response:
    if principal.kind == "user":
        return RedirectResponse(local_path(request, "/account"), status_code=303)
    return _render(request, "signup.html", errors={}, values={})


@router.post("/signup")
async def signup_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    context = app_context(request)
    form = await request.form()
    values = {"display_name": text(form, "display_name", 200), "email": text(form, "email", 254)}
    password = text(form, "password", 600)
    try:
        address = values["email"].lower()
        problems: list[FieldError | None] = []
        try:
            address = service.normalise_email(values["email"])
        except ValidationFailed as exc:
            problems.extend(exc.errors)
        if not values["display_name"]:
            problems.append(FieldError("display_name", N_("must not be empty")))
        problems.append(service.password_refusal(password))
        if not checked(form, "privacy"):
            problems.append(FieldError("privacy", N_("please agree to continue")))
        refuse(problems)
        limits.sign_up(request, address)
        password_hash = await service.hashed_password_in_workers(password)
    except AllmendeError as exc:
        return _refused(request, "signup.html", exc, values=values)
    lang = language(request)
    secret = context.settings.signing_key
    now = utcnow()

    def sign_up(session: Session) -> None:
        made = accounts.sign_up(
            session,
            email=address,
            display_name=values["display_name"],
            password_hash=password_hash,
            locale=lang,
            now=now,
        )
        if made.created:
            user = service.user_by_id(session, user_id=made.user_id)
            token = accounts.confirmation_token(user, secret=secret, now=now)
            template, link = "mail/confirm", f"/signup/confirm?t={token}"
        else:
            template, link = "mail/account_exists", "/password/forgot"
        mail.send_mail(
            session,
            to=made.email,
            template=template,
            kind="identity.account.signup",
            category="account",
            language=lang,
            context=mail_context(request, name=values["display_name"], link=link),
        )

    try:
        await context.database.awrite(sign_up)
    except AllmendeError as exc:
        return _refused(request, "signup.html", exc, values=values)
    return _render(request, "mail_sent.html", address=address, purpose="signup")


@router.get("/signup/confirm")
def confirm_page(
    request: Request, principal: Caller, t: str = Query("", max_length=2000)
) -> Response:
    context = app_context(request)
    try:
        tokens.verify(context.settings.signing_key, accounts.CONFIRM, t, now=utcnow())
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again="/signup")
    return _render(request, "confirm.html", token=t)


@router.post("/signup/confirm")
async def confirm_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    context = app_context(request)
    form = await request.form()
    token = text(form, "t", 2000)
    secret = context.settings.signing_key
    try:
        await context.database.awrite(
            lambda s: accounts.confirm_email(s, token=token, secret=secret, now=utcnow())
        )
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again="/signup")
    return RedirectResponse(local_path(request, "/login?done=confirmed"), status_code=303)


# --- forgotten password ----------------------------------------------------------------------


@router.get("/password/forgot")
def forgot_page(request: Request, principal: Caller) -> Response:
    return _render(request, "password_forgot.html", errors={}, values={})


@router.post("/password/forgot")
async def forgot_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    context = app_context(request)
    form = await request.form()
    values = {"email": text(form, "email", 254)}
    try:
        address = service.normalise_email(values["email"])
        limits.password_link(request, address)
    except AllmendeError as exc:
        return _refused(request, "password_forgot.html", exc, values=values)
    lang = language(request)
    secret = context.settings.signing_key

    def send_link(session: Session) -> None:
        user = accounts.password_reset_for(session, email=address)
        if user is None:
            return  # the page says the same; no mail to an address without an account
        token = accounts.password_token(user, secret=secret, now=utcnow())
        mail.send_mail(
            session,
            to=user.id,
            template="mail/password_reset",
            kind="identity.password.reset",
            category="account",
            language=lang,
            context=mail_context(
                request, name=user.display_name, link=f"/password/reset?t={token}"
            ),
        )

    await context.database.awrite(send_link)
    return _render(request, "mail_sent.html", address=address, purpose="reset")


@router.get("/password/reset")
def reset_page(
    request: Request, principal: Caller, t: str = Query("", max_length=2000)
) -> Response:
    context = app_context(request)
    try:
        with context.database.session() as session:
            user = accounts.user_for_password_token(
                session, token=t, secret=context.settings.signing_key, now=utcnow()
            )
            email = user.email
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again="/password/forgot")
    return _render(request, "password_reset.html", token=t, email=email, errors={})


@router.post("/password/reset")
async def reset_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    context = app_context(request)
    form = await request.form()
    token = text(form, "t", 2000)
    secret = context.settings.signing_key
    try:
        with context.database.session() as session:
            email = accounts.user_for_password_token(
                session, token=token, secret=secret, now=utcnow()
            ).email
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again="/password/forgot")
    try:
        password_hash = await service.hashed_password_in_workers(text(form, "password", 600))
    except AllmendeError as exc:
        return _refused(request, "password_reset.html", exc, token=token, email=email)
    lang = language(request)

    def reset(session: Session) -> None:
        user = accounts.reset_password(
            session, token=token, password_hash=password_hash, secret=secret, now=utcnow()
        )
        mail.send_mail(
            session,
            to=user.id,
            template="mail/password_changed",
            kind="identity.password.changed",
            category="account",
            language=lang,
            context=mail_context(request, name=user.display_name),
        )

    try:
        await context.database.awrite(reset)
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again="/password/forgot")
    return RedirectResponse(local_path(request, "/login?done=password"), status_code=303)


# --- unsubscribe -----------------------------------------------------------------------------


def _unsubscribe_data(request: Request, token: str) -> tuple[str, str]:
    data = tokens.verify(
        app_context(request).settings.signing_key, UNSUBSCRIBE, token, now=utcnow()
    )
    address, category = data.get("a"), data.get("c")
    if not isinstance(address, str) or category not in mail.OPTIONAL:
        raise TokenInvalid(detail="The link is not valid.")
    return address, str(category)


@router.get("/mail/unsubscribe")
def unsubscribe_page(
    request: Request, principal: Caller, t: str = Query("", max_length=2000)
) -> Response:
    try:
        address, category = _unsubscribe_data(request, t)
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again=None)
    return _render(
        request, "unsubscribe.html", token=t, address=address, category=category, done=False
    )


@router.post("/mail/unsubscribe")
async def unsubscribe_submit(
    request: Request, principal: Caller, t: str = Query("", max_length=2000)
) -> Response:
    """The page's button, or a mail program's one-click request (RFC 8058): the token in the
    link is the authority, so no form token is needed."""
    form = await request.form()
    token = t or text(form, "t", 2000)
    try:
        address, category = _unsubscribe_data(request, token)
    except TokenInvalid as exc:
        return _render(request, "link_invalid.html", 400, reason=str(exc), again=None)
    await app_context(request).database.awrite(
        lambda s: mail.unsubscribe(s, address=address, category=category)
    )
    return _render(
        request, "unsubscribe.html", token=token, address=address, category=category, done=True
    )
