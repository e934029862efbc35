"""Administration of accounts: invite staff and administrators, change roles, switch off.

An administrator never learns a password: a new account gets an invitation mail with a link
to set its own (valid seven days, sent again on request).
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.digits import is_digits
from allmende.core.errors import AllmendeError, FieldError, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.delivery import mail
from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.params import RowId
from allmende.identity import accounts, service
from allmende.identity.accounts import INVITE_VALID
from allmende.identity.models import Municipality, User
from allmende.identity.principal import Principal
from allmende.web.admin.common import admin_guard, errors_of, redirect, render, when
from allmende.web.forms import checked, refuse, text
from allmende.web.signup import mail_context

router = APIRouter(include_in_schema=False)
ROLES = ("citizen", "staff", "admin")
DONE = ("invited", "saved", "sent")
PAGE = 200


def _municipalities(request: Request) -> list[Municipality]:
    with app_context(request).database.session() as session:
        return list(service.list_municipalities(session))


@router.get("/admin/users")
def users_page(
    request: Request,
    principal: Caller,
    q: str = Query("", max_length=200),
    municipality: str = Query("", max_length=40),
) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    places = _municipalities(request)
    names = {m.id: m.name for m in places}
    with app_context(request).database.session() as session:
        query = select(User).order_by(User.email)
        if q.strip():
            wanted = q.strip().lower()
            query = query.where(
                or_(
                    User.email.contains(wanted, autoescape=True),
                    User.display_name.icontains(wanted, autoescape=True),
                )
            )
        chosen = next((m for m in places if m.key == municipality), None)
        users = [
            u
            for u in session.scalars(query.limit(PAGE * 5))
            if chosen is None or any(m.municipality_id == chosen.id for m in u.memberships)
        ][:PAGE]
        rows = [
            {
                "id": u.id,
                "name": u.display_name,
                "email": u.email,
                "admin": u.is_admin,
                "staff_of": sorted(names.get(m.municipality_id, "?") for m in u.memberships),
                "active": u.is_active,
                "pending": not u.is_active and u.email_confirmed_at is None,
                "invited": u.password_hash is None and u.oidc_subject is None,
            }
            for u in users
        ]
    return render(
        request,
        "admin/users.html",
        users=rows,
        q=q,
        municipality=municipality,
        municipalities=places,
    )


def _new_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "admin/user_new.html",
        status,
        values=values,
        errors=errors,
        roles=ROLES,
        municipality_options=[(m.key, m.name) for m in _municipalities(request)],
    )


@router.get("/admin/users/new")
def new_page(
    request: Request, principal: Caller, municipality: str = Query("", max_length=40)
) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    role = "staff" if municipality else "citizen"
    values = {"role": role, "municipality": municipality, "language": "de"}
    return _new_page(request, values, {})


def _invite(
    request: Request, session: Session, user: User, principal: Principal, language: str | None
) -> None:
    """Queue the mail with the link to set the first password."""
    secret = app_context(request).settings.signing_key
    token = accounts.password_token(user, secret=secret, now=utcnow(), valid=INVITE_VALID)
    places = sorted(m.municipality_id for m in user.memberships)
    names = session.scalars(
        select(Municipality.name).where(Municipality.id.in_(places)).order_by(Municipality.name)
    ).all()
    mail.send_mail(
        session,
        to=user.id,
        template="mail/invitation",
        kind="identity.account.invited",
        category="account",
        language=language,
        context=mail_context(
            request,
            name=user.display_name,
            inviter=principal.name,
            admin=user.is_admin,
            municipalities=list(names),
            link=f"/password/reset?t={token}",
        ),
    )


@router.post("/admin/users/new")
async def new_submit(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    form = await request.form()
    values = {
        "email": text(form, "email", 254),
        "display_name": text(form, "display_name", 200),
        "role": text(form, "role", 10),
        "municipality": text(form, "municipality", 40),
        "language": text(form, "language", 8),
    }
    languages = app_context(request).catalogs.languages

    def create(session: Session) -> int:
        problems: list[FieldError | None] = []
        try:
            service.normalise_email(values["email"])
        except ValidationFailed as exc:
            problems.extend(exc.errors)
        if not values["display_name"]:
            problems.append(FieldError("display_name", N_("must not be empty")))
        if values["role"] not in ROLES:
            problems.append(FieldError("role", N_("choose a role")))
        if values["role"] == "staff" and not values["municipality"]:
            problems.append(FieldError("municipality", N_("staff needs a municipality")))
        refuse(problems)
        user = service.create_user(
            session,
            email=values["email"],
            display_name=values["display_name"],
            password=None,
            is_admin=values["role"] == "admin",
            locale=values["language"] if values["language"] in languages else None,
        )
        if values["role"] == "staff":
            service.add_staff(session, user_id=user.id, municipality_key=values["municipality"])
        _invite(request, session, user, principal, user.locale)
        return user.id

    try:
        user_id = await app_context(request).database.awrite(create)
    except AllmendeError as exc:
        return _new_page(request, values, errors_of(request, exc), exc.status)
    return redirect(request, f"/admin/users/{user_id}?done=invited")


def _user_page(
    request: Request,
    principal: Principal,
    user_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    places = _municipalities(request)
    with app_context(request).database.session() as session:
        user = service.user_by_id(session, user_id=user_id)
        staff_of = {m.municipality_id for m in user.memberships}
        return render(
            request,
            "admin/user.html",
            status,
            user=user,
            myself=user.id == principal.user_id,
            staff_of=[m for m in places if m.id in staff_of],
            others=[m for m in places if m.id not in staff_of],
            pending=not user.is_active and user.email_confirmed_at is None,
            invited=user.password_hash is None and user.oidc_subject is None,
            last_login=when(request, user.last_login_at),
            errors=errors or {},
            done=done if done in DONE else "",
        )


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: RowId, principal: Caller, done: str = "") -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    return _user_page(request, principal, user_id, done=done)


@router.post("/admin/users/{user_id}/{change}")
async def user_change(request: Request, user_id: RowId, change: str, principal: Caller) -> Response:
    """``admin`` (give or take the role), ``staff`` (add a municipality), ``unstaff`` (remove
    one), ``active`` (switch on or off), ``invite`` (send the password link again)."""
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    await csrf.check_request(request)
    form = await request.form()
    acting = principal.user_id
    done = "saved"

    def apply(session: Session) -> None:
        if change == "admin":
            service.set_admin(
                session, user_id=user_id, admin=checked(form, "admin"), acting_user_id=acting
            )
        elif change == "staff":
            key = text(form, "municipality", 40)
            if not key:
                raise ValidationFailed.one("municipality", N_("choose a municipality"))
            service.add_staff(session, user_id=user_id, municipality_key=key)
        elif change == "unstaff":
            raw = text(form, "municipality_id", 20)
            if not is_digits(raw):
                raise ValidationFailed.one("municipality_id", N_("choose a municipality"))
            service.remove_staff(session, user_id=user_id, municipality_id=int(raw))
        elif change == "active":
            service.set_active(
                session, user_id=user_id, active=checked(form, "active"), acting_user_id=acting
            )
        elif change == "invite":
            user = service.user_by_id(session, user_id=user_id)
            _invite(request, session, user, principal, user.locale)
        else:
            raise ValidationFailed.one("change", N_("is not a change of an account"))

    try:
        await app_context(request).database.awrite(apply)
    except AllmendeError as exc:
        return _user_page(
            request, principal, user_id, errors=errors_of(request, exc), status=exc.status
        )
    if change == "invite":
        done = "sent"
    return redirect(request, f"/admin/users/{user_id}?done={done}")
