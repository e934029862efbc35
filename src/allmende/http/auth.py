"""From a request's credentials to a :class:`Principal`.

Order: ``Authorization: Bearer`` (an API key or an OIDC token) or ``Authorization: Basic``
(the API key as the password, any user name: what FROST-Server accepts and what clients such as
frost-sta-client can send), ``X-API-Key``, the session cookie. A credential sent in a header
must be valid (else 401); a stale session cookie is ambient, so it just means anonymous (and is
cleared). Cookie-authenticated unsafe requests must carry a CSRF token. An endpoint that
confirms a key itself (:func:`confirms_key_itself`) gets a key accepted a moment ago without
a lookup (:mod:`.keycache`); every other request gets the principal of a key or session kept
while nothing has been committed since its lookup (:mod:`.principals`). The result is cached
on the request.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError, Unauthorized
from allmende.http import csrf
from allmende.http.context import AppContext, app_context
from allmende.identity import service
from allmende.identity.models import User
from allmende.identity.oidc import looks_like_jwt
from allmende.identity.principal import ANONYMOUS, Principal

SESSION_COOKIE = "allmende_session"
API_KEY_HEADER = "x-api-key"
_CONFIRMS_KEY = "_allmende_confirms_key"
F = TypeVar("F")


def confirms_key_itself(endpoint: F) -> F:
    """Mark an endpoint that confirms a remembered API key in the transaction that uses it
    (or calls :func:`confirmed_principal` first): it gets the key's principal without a
    lookup when the key was accepted a moment ago."""
    setattr(endpoint, _CONFIRMS_KEY, True)
    return endpoint


def unconfirmed(request: Request) -> bool:
    """Whether the request's principal is a remembered API key's, not looked up this time."""
    return getattr(request.state, "unconfirmed_key", None) is not None


async def confirmed_principal(request: Request) -> Principal:
    """The request's principal, a remembered API key confirmed now: looked up, or kept while
    nothing has been committed since its lookup (:mod:`.principals`); 401 if it no longer
    holds."""
    key: str | None = getattr(request.state, "unconfirmed_key", None)
    if key is None:
        return await current_principal(request)
    request.state.unconfirmed_key = None
    principal = await _look_up_key(app_context(request), key)
    request.state.principal = principal
    return principal


async def current_principal(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = await _resolve(request)
    request.state.principal = principal
    return principal


async def _resolve(request: Request) -> Principal:
    context = app_context(request)
    confirms = getattr(request.scope.get("endpoint"), _CONFIRMS_KEY, False)
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "basic":
            return await _from_api_key(request, _basic_key(credential), confirms=confirms)
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized(
                detail="The Authorization header must be 'Bearer <API key or token>' or "
                "'Basic' with the API key as the password."
            )
        if looks_like_jwt(credential):
            return await _from_oidc(context, credential)
        return await _from_api_key(request, credential, confirms=confirms)
    header_key = request.headers.get(API_KEY_HEADER)
    if header_key:
        return await _from_api_key(request, header_key, confirms=confirms)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS
    try:
        lookup = await context.principals.principal(
            "session", token, lambda: _from_session(context, token)
        )
    except Unauthorized:
        request.state.clear_session_cookie = True
        return ANONYMOUS
    await csrf.check_request(request)
    return lookup


def _basic_key(credential: str) -> str:
    """The API key of a Basic credential: the password, or the user name when the password
    is empty (clients that know only a user name field)."""
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized(detail="The Basic credential is not base64 of 'user:password'.") from exc
    user, _, password = decoded.partition(":")
    key = password or user
    if not key:
        raise Unauthorized(detail="Send the API key as the Basic password.")
    return key


async def _from_api_key(request: Request, key: str, *, confirms: bool) -> Principal:
    context = app_context(request)
    if confirms:
        kept = context.api_keys.get(key)
        if kept is not None:
            request.state.unconfirmed_key = key
            return kept
    return await _look_up_key(context, key)


async def _look_up_key(context: AppContext, key: str) -> Principal:
    principal = await context.principals.principal(
        "key", key, lambda: _resolve_api_key(context, key)
    )
    context.api_keys.put(key, principal)
    return principal


def _resolve_api_key(context: AppContext, key: str) -> tuple[Principal, datetime | None]:
    with context.database.session() as session:
        found = service.look_up_api_key(session, key=key)
    return found.principal, found.expires_at


def _from_session(context: AppContext, token: str) -> tuple[Principal, datetime | None]:
    with context.database.session() as session:
        found = service.resolve_session(session, token=token)
    return found.principal, found.expires_at


async def _from_oidc(context: AppContext, token: str) -> Principal:
    if context.oidc is None:
        raise Unauthorized(detail="This installation accepts no OIDC tokens.")
    claims = await run_in_threadpool(context.oidc.verify, token)
    email = claims.get(context.settings.oidc_email_claim)
    subject = str(claims.get("sub", ""))
    if not isinstance(email, str) or not subject:
        raise Unauthorized(detail="The token names no user (missing 'sub' or e-mail claim).")

    def known(session: Session) -> Principal | None:
        user = session.scalar(select(User).where(User.oidc_subject == subject))
        return _active(user) if user is not None else None

    def link_or_create(session: Session) -> Principal:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            name = str(claims.get("name") or email)
            user = service.create_user(session, email=email, display_name=name, password=None)
        user.oidc_subject = subject
        return _active(user)

    def read_known() -> Principal | None:
        with context.database.session() as session:
            return known(session)

    found = await run_in_threadpool(read_known)
    if found is not None:
        return found
    try:
        return await context.database.awrite(link_or_create)
    except AllmendeError as exc:
        raise Unauthorized(detail=f"The token's user cannot be used: {exc}") from exc


def _active(user: User) -> Principal:
    if not user.is_active:
        raise Unauthorized(detail="This account is disabled.")
    return service.principal_for_user(user)


def set_session_cookie(
    request: Request, response: Response, token: str, max_age: timedelta
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(max_age.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=csrf.cookies_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


#: ``principal: Caller`` in a handler's signature gives the resolved caller.
Caller = Annotated[Principal, Depends(current_principal)]
