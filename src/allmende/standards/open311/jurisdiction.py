"""``jurisdiction_id`` → the municipality whose services and requests are meant.

A region with one municipality needs no ``jurisdiction_id`` (the specification lets a
single-jurisdiction endpoint ignore it); with several it is required and names
``Municipality.jurisdiction_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import BadRequest, FieldError, NotFound
from allmende.http.i18n import N_
from allmende.identity.models import Municipality

FIELD = "jurisdiction_id"


@dataclass(frozen=True)
class Jurisdiction:
    municipality_id: int
    jurisdiction_id: str | None
    name: str


def resolve(
    session: Session, jurisdiction_id: str | None, translate: Callable[[str], str]
) -> Jurisdiction:
    rows = session.execute(
        select(Municipality.id, Municipality.jurisdiction_id, Municipality.name).order_by(
            Municipality.id
        )
    ).all()
    if jurisdiction_id is None:
        if len(rows) == 1:
            return Jurisdiction(*rows[0])
        if not rows:
            raise NotFound(
                errors=[FieldError(FIELD, N_("this installation serves no jurisdiction"))]
            )
        known = ", ".join(sorted(r.jurisdiction_id for r in rows if r.jurisdiction_id))
        reason = translate(
            N_("is required: this endpoint serves several jurisdictions (%(known)s)")
        )
        raise BadRequest(errors=[FieldError(FIELD, reason % {"known": known})])
    for row in rows:
        if row.jurisdiction_id == jurisdiction_id:
            return Jurisdiction(*row)
    raise NotFound(errors=[FieldError(FIELD, N_("no such jurisdiction"))])
