"""Administration of API keys: make one with scopes, a municipality and an expiry (its secret
is shown once, on the page that made it), list them, revoke one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError, ValidationFailed
from allmende.core.timeutil import as_utc, utcnow
from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.params import RowId
from allmende.identity import service
from allmende.identity.models import Municipality
from allmende.web.admin.common import admin_guard, errors_of, redirect, render, when
from allmende.web.forms import text

router = APIRouter(include_in_schema=False)


def _scopes(request: Request) -> list[str]:
    return sorted(service.BUILTIN_SCOPES | app_context(request).registry.scopes())


def _keys_page(
    request: Request,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    now = utcnow()
    with app_context(request).database.session() as session:
        names = dict(session.execute(select(Municipality.id, Municipality.name)).all())
        keys = [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "scopes": list(k.scopes),
                "municipality": names.get(k.municipality_id) if k.municipality_id else None,
                "created": when(request, k.created_at, day_only=True),
                "expires": when(request, k.expires_at, day_only=True),
                "state": "revoked"
                if k.revoked_at is not None
                else "expired"
                if k.expires_at is not None and as_utc(k.expires_at) <= now
                else "active",
            }
            for k in service.list_api_keys(session)
        ]
        places = list(service.list_municipalities(session))
    return render(
        request,
        "admin/apikeys.html",
        status,
        keys=keys,
        scopes=_scopes(request),
        municipality_options=[(m.key, m.name) for m in places],
        values=values or {"scopes": []},
        errors=errors or {},
        created=created,
        done=done if done == "revoked" else "",
    )


@router.get("/admin/apikeys")
def keys_page(request: Request, principal: Caller, done: str = "") -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    return _keys_page(request, done=done)


def _expiry(raw: str) -> datetime | None:
    """The end of the chosen day (UTC) from a date field (YYYY-MM-DD)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.one("expires", N_("must be a date like 2027-12-31")) from None
    expires = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if expires <= utcnow():
        raise ValidationFailed.one("expires", N_("lies in the past"))
    return expires


@router.post("/admin/apikeys")
async def create_key(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    form = await request.form()
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    values: dict[str, object] = {
        "name": text(form, "name", 200),
        "scopes": scopes,
        "municipality": text(form, "municipality", 40),
        "expires": text(form, "expires", 20),
    }
    known = frozenset(_scopes(request))

    def create(session: Session) -> dict[str, str]:
        made = service.create_api_key(
            session,
            name=str(values["name"]),
            scopes=scopes,
            known_scopes=known,
            municipality_key=str(values["municipality"]) or None,
            created_by_id=principal.user_id,
            expires_at=_expiry(str(values["expires"])),
        )
        return {"name": made.api_key.name, "key": made.key}

    try:
        created = await app_context(request).database.awrite(create)
    except AllmendeError as exc:
        return _keys_page(request, values=values, errors=errors_of(request, exc), status=exc.status)
    # The secret is in this answer only: it must not be cached anywhere on the way.
    response = _keys_page(request, created=created)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/apikeys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: RowId, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    await app_context(request).database.awrite(lambda s: service.revoke_api_key(s, key_id=key_id))
    return redirect(request, "/admin/apikeys?done=revoked")
