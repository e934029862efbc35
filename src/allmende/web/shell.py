"""The shell's pages: start page, municipality pages, sign-in/out, language, static texts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.core.errors import ServiceUnavailable, TooManyRequests, Unauthorized
from allmende.http import csrf
from allmende.http.auth import Caller, clear_session_cookie, set_session_cookie
from allmende.http.context import app_context
from allmende.http.i18n import LANGUAGE_COOKIE, N_
from allmende.http.links import local_path, safe_next
from allmende.http.ratelimit import RateLimit, rate_limit
from allmende.identity import login, service
from allmende.identity.models import District, Municipality

router = APIRouter(include_in_schema=False)


def login_attempts(request: Request) -> RateLimit:
    """Sign-in attempts per client address (``login_attempts_per_address`` per 15 minutes);
    each account has its own back-off besides (:data:`allmende.identity.login.ACCOUNT_BACKOFF`)."""
    limit = app_context(request).settings.login_attempts_per_address
    return RateLimit("login-address", limit=limit, window_seconds=15 * 60)


@router.get("/")
def start_page(request: Request, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        rows = session.execute(
            select(Municipality, func.count(District.id))
            .outerjoin(District, District.municipality_id == Municipality.id)
            .group_by(Municipality.id)
            .order_by(Municipality.name)
        ).all()
        municipalities = [
            {"key": m.key, "name": m.name, "kind": m.kind, "ags": m.ags, "district_count": n}
            for m, n in rows
        ]
    return context.templates.render(request, "index.html", {"municipalities": municipalities})


@router.get("/m/{key}")
def municipality_page(request: Request, key: str, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        municipality = service.municipality_by_key(session, key=key)
        districts = list(municipality.districts)
        return context.templates.render(
            request, "municipality.html", {"municipality": municipality, "districts": districts}
        )


#: What the sign-in page confirms after a link from a mail was used (``?done=...``).
LOGIN_NOTICES = {
    "confirmed": N_("Your e-mail address is confirmed. You can sign in now."),
    "password": N_("Your new password is set. Sign in with it."),
}


def _login_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    context = app_context(request)
    translate = context.catalogs.translator(request)
    return context.templates.render(
        request,
        "login.html",
        {
            "next": next_path,
            "email": email,
            "error": error,
            "notice": translate(LOGIN_NOTICES[notice]) if notice in LOGIN_NOTICES else None,
            "demo_login": context.demo_accounts,
        },
        status_code=status,
    )


@router.get("/login")
def login_page(
    request: Request, principal: Caller, next: str = Query("/"), done: str = Query("")
) -> Response:
    return _login_form(request, next_path=safe_next(next), notice=done)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    context = app_context(request)
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "/")))
    translate = context.catalogs.translator(request)
    if not csrf.token_valid(request, str(form.get(csrf.FORM_FIELD, ""))):
        error = translate("The form has expired. Please sign in again.")
        return _login_form(request, next_path=next_path, email=email, error=error, status=403)
    max_age = timedelta(seconds=context.settings.session_max_age_seconds)
    try:
        rate_limit(request, login_attempts(request))
        token = await login.sign_in(
            context.database,
            context.rate_limits,
            email=email,
            password=password,
            max_age=max_age,
            user_agent=request.headers.get("user-agent"),
        )
    except TooManyRequests:
        error = translate("Too many attempts. Please wait a few minutes.")
        return _login_form(request, next_path=next_path, email=email, error=error, status=429)
    except ServiceUnavailable:
        error = translate("Too many sign-ins at once. Please try again in a moment.")
        return _login_form(request, next_path=next_path, email=email, error=error, status=503)
    except Unauthorized:
        error = translate("E-mail or password is wrong.")
        return _login_form(request, next_path=next_path, email=email, error=error, status=401)
    response = RedirectResponse(local_path(request, next_path), status_code=303)
    set_session_cookie(request, response, token, max_age)
    return response


@router.post("/logout")
async def logout(request: Request, principal: Caller) -> Response:
    context = app_context(request)
    await csrf.check_request(request)
    token = request.cookies.get("allmende_session")
    if token:
        await context.database.awrite(lambda s: service.end_session(s, token=token))
    response = RedirectResponse(local_path(request, "/"), status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/language")
def choose_language(request: Request, lang: str = Query(...), next: str = Query("/")) -> Response:
    context = app_context(request)
    response = RedirectResponse(local_path(request, safe_next(next)), status_code=303)
    if lang in context.catalogs.languages:
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="lax",
            path="/",
            secure=csrf.cookies_secure(request),
        )
    return response


def _text_page(request: Request, heading: str, paragraphs: list[str]) -> Response:
    context = app_context(request)
    translate = context.catalogs.translator(request)
    values: dict[str, Any] = {
        "region": context.settings.region_name,
        "operator": context.settings.operator_name or context.settings.region_name,
        "email": context.settings.operator_email or "—",
    }
    return context.templates.render(
        request,
        "page.html",
        {"heading": translate(heading), "paragraphs": [translate(p) % values for p in paragraphs]},
    )


@router.get("/accessibility")
def accessibility_page(request: Request, principal: Caller) -> Response:
    return _text_page(
        request,
        N_("Accessibility statement"),
        [
            N_(
                "%(operator)s wants its pages to be usable by everyone, following the BITV 2.0 "
                "and WCAG 2.1 level AA."
            ),
            N_(
                "Every form works without JavaScript; maps are an addition and their content is "
                "also listed as text."
            ),
            N_(
                "If you meet a barrier, or need content in another form, write to %(email)s. We "
                "answer within two weeks. If you are not satisfied with the answer, you can turn "
                "to the arbitration board (Schlichtungsstelle) of your federal state."
            ),
        ],
    )


@router.get("/privacy")
def privacy_page(request: Request, principal: Caller) -> Response:
    return _text_page(
        request,
        N_("Privacy"),
        [
            N_("%(operator)s processes personal data only as far as a service needs it."),
            N_(
                "Sign-in uses one session cookie, which ends when you sign out. A second cookie "
                "protects forms against forgery; a third remembers your language. No tracking."
            ),
            N_("Public interfaces never show names, e-mail addresses or other personal data."),
            N_("Questions about your data: %(email)s."),
        ],
    )


@router.get("/imprint")
def imprint_page(request: Request, principal: Caller) -> Response:
    return _text_page(
        request,
        N_("Imprint"),
        [N_("%(region)s is run by %(operator)s."), N_("Contact: %(email)s.")],
    )
