"""What every part of the module shares: who acts, where they may act, the object history.

The business rules live in small modules beside this one (``objects``, ``inspections``,
``workorders``, ``bookings``, ``adoption``, ``reports``); all are keyword-only functions taking
a session, with no HTTP in them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import OPEN_STATES, SCOPE
from allmende.modules.assets.models import AssetObject, Change, Defect, Report, WorkOrder
from allmende.sdk import (
    Action,
    FieldError,
    Forbidden,
    Municipality,
    NotFound,
    Principal,
    Unauthorized,
    ValidationFailed,
    can,
    list_municipalities,
    readable_municipalities,
    require,
    utcnow,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who did something, as the history remembers it."""

    user_id: int | None
    name: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if principal.kind == "api_key":
            return cls(None, f"API: {principal.name}")
        return cls(principal.user_id, principal.name or "—")


def municipality_by_key(session: Session, key: str, *, field: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.key == key))
    if found is None:
        raise ValidationFailed.one(field, f"no municipality '{key}'")
    return found


def municipality_or_none(session: Session, key: str) -> Municipality | None:
    return session.scalar(select(Municipality).where(Municipality.key == key))


def all_municipalities(session: Session) -> list[Municipality]:
    return list(list_municipalities(session))


def maintenance_counts(
    session: Session, *, principal: Principal, municipality_id: int | None
) -> dict[str, int]:
    """Open reports, open work orders and open defects the caller may read internally (of one
    municipality, or of all)."""

    def count(model: Any, *conditions: Any) -> int:
        query = (
            select(func.count())
            .select_from(model)
            .where(internal_condition(principal, model.municipality_id), *conditions)
        )
        if municipality_id is not None:
            query = query.where(model.municipality_id == municipality_id)
        return int(session.scalar(query) or 0)

    return {
        "reports": count(Report, Report.state.in_(OPEN_STATES)),
        "orders": count(WorkOrder, WorkOrder.status.in_(("open", "in_progress"))),
        "defects": count(Defect, Defect.status == "open"),
    }


def municipality_names(session: Session) -> dict[int, str]:
    """Names for people to read (pages); the API speaks keys."""
    return {row.id: row.name for row in session.execute(select(Municipality.id, Municipality.name))}


def municipality_keys(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    query = select(Municipality.id, Municipality.key)
    if ids is not None:
        query = query.where(Municipality.id.in_(sorted(set(ids))))
    return {row.id: row.key for row in session.execute(query)}


def internal_condition(principal: Principal, column: Any) -> ColumnElement[bool]:
    """SQL: rows of municipalities whose internal records the caller may read."""
    readable = readable_municipalities(principal, scope=SCOPE)
    if readable is None:
        return true()
    return column.in_(sorted(readable)) if readable else false()


def visible_condition(principal: Principal, column: Any, public_column: Any) -> ColumnElement[bool]:
    """SQL: public rows, or internal rows the caller may read."""
    return or_(public_column.is_(True), internal_condition(principal, column))


def may_read_internal(principal: Principal, municipality_id: int) -> bool:
    return can(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)


def may_edit(principal: Principal, municipality_id: int) -> bool:
    return can(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)


def require_edit(principal: Principal, municipality_id: int) -> None:
    require(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)


def require_read_internal(principal: Principal, municipality_id: int) -> None:
    require(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)


def require_staff_somewhere(principal: Principal) -> None:
    """Pages and lists for staff: refuse callers who are staff nowhere."""
    if principal.is_admin or (principal.kind == "user" and principal.staff_of):
        return
    if principal.kind == "api_key" and SCOPE in (principal.scopes or ()):
        return
    if not principal.is_authenticated:
        raise Unauthorized(detail="Sign in as staff to see this.")
    raise Forbidden(detail="Only staff of a municipality may see this.")


def record(
    session: Session,
    obj: AssetObject,
    actor: Actor,
    *,
    kind: str,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    ref_id: int | None = None,
) -> Change:
    entry = Change(
        object_id=obj.id,
        municipality_id=obj.municipality_id,
        at=utcnow(),
        actor_user_id=actor.user_id,
        actor=actor.name[:200],
        kind=kind,
        summary=summary[:500],
        changes=changes or {},
        ref_id=ref_id,
    )
    session.add(entry)
    return entry


def not_found(what: str, ident: object) -> NotFound:
    return NotFound(detail=f"No {what} {ident}.")


def code_from(label: str, taken: set[str]) -> str:
    """A code (``[a-z][a-z0-9_]*``, at most 40 characters) for what staff named in words,
    unique among ``taken``: "Schäden am Sitz" → ``schaeden_am_sitz``."""
    spelled = label.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelled = spelled.replace(umlaut, plain)
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in spelled).split()
    stem = "_".join(words)[:34].strip("_") or "item"
    if not stem[0].isalpha():
        stem = f"item_{stem}"[:34]
    code, n = stem, 1
    while code in taken:
        n += 1
        code = f"{stem}_{n}"
    return code


@dataclass
class Faults:
    """The refusals of several checks, gathered so that a form lists every fault at once
    instead of only the first one."""

    errors: list[FieldError] = field(default_factory=list)

    def check(self, step: Callable[[], T]) -> T | None:
        """``step()``, or None with its refusal noted."""
        try:
            return step()
        except ValidationFailed as exc:
            self.errors.extend(exc.errors or [FieldError("form", str(exc.detail))])
            return None

    def add(self, name: str, reason: str) -> None:
        self.errors.append(FieldError(name, reason))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationFailed(
                detail="; ".join(f"{e.field}: {e.reason}" for e in self.errors),
                errors=list(self.errors),
            )
