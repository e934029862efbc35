"""One's own account: what it holds, the mails it gets, its language, its password; deleting it.

Deleting follows the GDPR's right to erasure while keeping what the public relies on: every
module removes its copies of the person's data (``ModuleSpec.erase_account``: names, contact
details, follows), contributions and reports stay without a name, and then the account, its
sessions, memberships, mail preferences and unsent mails are deleted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.core.errors import AllmendeError, FieldError, ValidationFailed
from allmende.delivery import mail
from allmende.http import csrf
from allmende.http.auth import SESSION_COOKIE, Caller, clear_session_cookie
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.links import local_path
from allmende.identity import accounts, credentials, service
from allmende.identity.models import Municipality, User
from allmende.identity.principal import Principal
from allmende.web import limits
from allmende.web.forms import checked, field_errors, refuse, text
from allmende.web.signup import language, mail_context

router = APIRouter(include_in_schema=False)
#: Notices the account page shows after a change (``?done=...``).
DONE = ("mail", "password")


def _sign_in(request: Request, target: str) -> Response:
    return RedirectResponse(local_path(request, f"/login?next={target}"), status_code=303)


def _user(request: Request, principal: Principal) -> User | None:
    if principal.kind != "user" or principal.user_id is None:
        return None
    with app_context(request).database.session() as session:
        return session.get(User, principal.user_id)


def _render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    return app_context(request).templates.render(request, template, values, status_code=status)


@router.get("/account")
def account_page(request: Request, principal: Caller, done: str = "") -> Response:
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account")
    with app_context(request).database.session() as session:
        names = session.scalars(
            select(Municipality.name)
            .where(Municipality.id.in_(sorted(principal.staff_of)))
            .order_by(Municipality.name)
        ).all()
        wants = mail.preferences(session, address=user.email)
    return _render(
        request,
        "account.html",
        user=user,
        role=principal.role.value,
        memberships=names,
        preferences=wants,
        staff=principal.is_admin or bool(principal.staff_of),
        done=done if done in DONE else "",
    )


@router.post("/account/mail")
async def account_mail(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account")
    form = await request.form()
    chosen = text(form, "language", 8)
    context = app_context(request)
    if chosen and chosen not in context.catalogs.languages:
        raise ValidationFailed.one("language", N_("is not a language of this installation"))
    staff = principal.is_admin or bool(principal.staff_of)

    def save(session: Session) -> None:
        mail.set_preferences(
            session,
            address=user.email,
            updates=checked(form, "updates"),
            digest=checked(form, "digest"),
            staff_alerts=checked(form, "staff_alerts") if staff else False,
        )
        if chosen:
            service.user_by_id(session, user_id=user.id).locale = chosen

    await context.database.awrite(save)
    return RedirectResponse(local_path(request, "/account?done=mail"), status_code=303)


async def _current_password_ok(request: Request, user: User, password: str) -> bool:
    limits.password_check(request, user.id)
    return await credentials.check_password(user.password_hash, password)


# --- password --------------------------------------------------------------------------------


@router.get("/account/password")
def password_page(request: Request, principal: Caller) -> Response:
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account/password")
    return _render(request, "password_change.html", user=user, errors={})


@router.post("/account/password")
async def password_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account/password")
    context = app_context(request)
    form = await request.form()
    try:
        new = text(form, "password", 600)
        if user.password_hash is None:
            raise ValidationFailed.one("current", N_("your account has no password yet"))
        current_ok = await _current_password_ok(request, user, text(form, "current", 600))
        refuse(
            [
                None if current_ok else FieldError("current", N_("is not your current password")),
                service.password_refusal(new),
            ]
        )
        password_hash = await service.hashed_password_in_workers(new)
    except AllmendeError as exc:
        translate = context.catalogs.translator(request)
        return _render(
            request,
            "password_change.html",
            exc.status,
            user=user,
            errors=field_errors(exc, translate),
        )
    keep = request.cookies.get(SESSION_COOKIE)
    lang = language(request)

    def change(session: Session) -> None:
        accounts.change_password(
            session, user_id=user.id, password_hash=password_hash, keep_session=keep
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

    await context.database.awrite(change)
    return RedirectResponse(local_path(request, "/account?done=password"), status_code=303)


# --- deleting the account --------------------------------------------------------------------


@router.get("/account/delete")
def delete_page(request: Request, principal: Caller) -> Response:
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account/delete")
    return _render(request, "account_delete.html", user=user, errors={})


@router.post("/account/delete")
async def delete_submit(request: Request, principal: Caller) -> Response:
    await csrf.check_request(request)
    user = _user(request, principal)
    if user is None:
        return _sign_in(request, "/account/delete")
    context = app_context(request)
    form = await request.form()
    try:
        problems: list[FieldError | None] = []
        if not checked(form, "confirm"):
            problems.append(FieldError("confirm", N_("tick the box to confirm")))
        if user.password_hash is None:
            if text(form, "email", 254).lower() != user.email:
                problems.append(FieldError("email", N_("is not the address of your account")))
        elif not await _current_password_ok(request, user, text(form, "password", 600)):
            problems.append(FieldError("password", N_("is not your current password")))
        refuse(problems)
    except AllmendeError as exc:
        translate = context.catalogs.translator(request)
        return _render(
            request,
            "account_delete.html",
            exc.status,
            user=user,
            errors=field_errors(exc, translate),
        )
    hooks = [m.erase_account for m in context.registry if m.erase_account is not None]
    lang = language(request)

    def delete(session: Session) -> None:
        for erase in hooks:
            erase(session, user.id, user.email)
        mail.forget_address(session, address=user.email)
        address = accounts.delete_account(session, user_id=user.id)
        mail.send_mail(
            session,
            to=address,
            template="mail/account_deleted",
            kind="identity.account.deleted",
            category="account",
            language=lang,
            context=mail_context(request, name=user.display_name),
        )

    try:
        await context.database.awrite(delete)
    except AllmendeError as exc:
        translate = context.catalogs.translator(request)
        return _render(
            request,
            "account_delete.html",
            exc.status,
            user=user,
            errors=field_errors(exc, translate),
        )
    response = RedirectResponse(local_path(request, "/account/deleted"), status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/account/deleted")
def deleted_page(request: Request, principal: Caller) -> Response:
    return _render(request, "account_deleted.html")
