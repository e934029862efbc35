"""Use of public spaces: requests for a time span and an area, conflicts, approval, calendar.

Two bookings conflict when their times overlap and their areas share interior (areas that only
touch along an edge, such as neighbouring market stalls, do not). The check runs in SQL with
the same predicates on PostGIS and SQLite; lists compute it with shapely, the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import N_
from allmende.modules.assets.models import AssetObject, Booking, ObjectType
from allmende.modules.assets.register.service import get_object
from allmende.modules.assets.reports.service import EMAIL
from allmende.modules.assets.schemas import BookingCreate, BookingDecision, BookingRead
from allmende.modules.assets.service import (
    Actor,
    internal_condition,
    may_edit,
    may_read_internal,
    municipality_keys,
    not_found,
    record,
    require_edit,
)
from allmende.sdk import (
    Action,
    Conflict,
    Event,
    FieldError,
    Forbidden,
    NotFound,
    Principal,
    ValidationFailed,
    emit,
    geometry_from_geojson,
    geometry_to_geojson,
    intersects,
    predicate,
    require,
    utcnow,
)

ACTIVE = ("requested", "approved")
MAX_SPAN = timedelta(days=92)


def shares_interior(a: BaseGeometry, b: BaseGeometry) -> bool:
    return bool(a.intersects(b) and not a.touches(b))


def overlapping(
    session: Session,
    *,
    municipality_id: int,
    starts_at: datetime,
    ends_at: datetime,
    area: BaseGeometry,
    statuses: Sequence[str],
    exclude_id: int | None = None,
) -> list[Booking]:
    """Bookings in ``statuses`` whose time overlaps and whose area shares interior with ``area``."""
    conditions: list[ColumnElement[bool]] = [
        Booking.municipality_id == municipality_id,
        Booking.status.in_(list(statuses)),
        Booking.starts_at < ends_at,
        Booking.ends_at > starts_at,
        intersects(Booking, area),
        not_(predicate("ST_Touches", Booking, area)),
    ]
    if exclude_id is not None:
        conditions.append(Booking.id != exclude_id)
    return list(
        session.scalars(select(Booking).where(and_(*conditions)).order_by(Booking.starts_at))
    )


def _space(session: Session, principal: Principal, space_id: int) -> AssetObject:
    try:
        space = get_object(session, principal=principal, object_id=space_id)
    except NotFound as exc:
        raise ValidationFailed.one("body.space_id", f"no space {space_id}") from exc
    t = session.get(ObjectType, space.type_id)
    if t is None or not t.bookable or space.status != "active" or space.geom is None:
        raise ValidationFailed.one("body.space_id", f"object {space_id} cannot be booked")
    return space


def _area(space: AssetObject, value: object | None) -> BaseGeometry:
    assert space.geom is not None
    if value is None:
        return space.geom
    area = geometry_from_geojson(value, field="body.area")
    if area.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed.one("body.area.type", "must be a Polygon or MultiPolygon")
    # a hair of tolerance: areas drawn on a map snap to the space's edge only approximately
    if not space.geom.buffer(1e-7).covers(area):
        raise ValidationFailed.one("body.area", N_("must lie within the space"))
    return area


def _conflict(found: Sequence[Booking]) -> Conflict:
    ids = ", ".join(f"#{b.id} ({b.title})" for b in found[:5])
    return Conflict(
        detail=f"body.area: the area is booked at that time by {ids}",
        errors=[
            FieldError("body.area", f"overlaps approved booking {b.id} in time and area")
            for b in found[:5]
        ],
    )


def create_booking(session: Session, *, principal: Principal, data: BookingCreate) -> Booking:
    if not principal.is_authenticated:
        require(principal, Action.CONTRIBUTE)  # 401: sign in first
    space = _space(session, principal, data.space_id)
    # Where the space is: a key bound to its municipality may book there, not region-wide.
    require(principal, Action.CONTRIBUTE, municipality_id=space.municipality_id)
    staff = may_edit(principal, space.municipality_id)
    if principal.kind == "api_key" and not staff:
        raise Forbidden(detail="This API key may not book spaces here.")
    for name in ("starts_at", "ends_at"):
        if getattr(data, name).tzinfo is None:
            raise ValidationFailed.one(f"body.{name}", "needs a time zone (Z or +HH:MM)")
    if data.ends_at <= data.starts_at:
        raise ValidationFailed.one("body.ends_at", N_("must be after starts_at"))
    if data.ends_at - data.starts_at > MAX_SPAN:
        raise ValidationFailed.one("body.ends_at", "a booking lasts at most 92 days")
    now = utcnow()
    if not staff and data.starts_at < now - timedelta(hours=1):
        raise ValidationFailed.one("body.starts_at", N_("lies in the past"))
    if data.contact_email and not EMAIL.match(data.contact_email):
        raise ValidationFailed.one("body.contact_email", "is not an e-mail address")
    area = _area(space, data.area)
    taken = overlapping(
        session,
        municipality_id=space.municipality_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        area=area,
        statuses=("approved",),
    )
    if taken:
        raise _conflict(taken)
    booking = Booking(
        municipality_id=space.municipality_id,
        object_id=space.id,
        title=data.title.strip() or data.title,
        description=data.description,
        organiser=data.organiser or principal.name,
        contact_email=data.contact_email or None,
        applicant_user_id=principal.user_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status="requested",
        public=data.public,
        created_at=now,
    )
    booking.geom = area
    session.add(booking)
    session.flush()
    record(
        session,
        space,
        Actor.of(principal),
        kind="booking",
        summary=f"#{booking.id} {booking.title}: requested",
        ref_id=booking.id,
    )
    emit(session, Event("assets.booking.requested", {"id": booking.id}))
    return booking


def get_booking(session: Session, *, principal: Principal, booking_id: int) -> Booking:
    condition = or_(
        and_(Booking.status == "approved", Booking.public.is_(True)),
        internal_condition(principal, Booking.municipality_id),
    )
    if principal.user_id is not None:
        condition = or_(condition, Booking.applicant_user_id == principal.user_id)
    found = session.scalar(select(Booking).where(Booking.id == booking_id, condition))
    if found is None:
        raise not_found("booking", booking_id)
    return found


def decide(
    session: Session, *, principal: Principal, booking_id: int, data: BookingDecision
) -> Booking:
    booking = get_booking(session, principal=principal, booking_id=booking_id)
    own = principal.user_id is not None and booking.applicant_user_id == principal.user_id
    if data.decision == "cancel":
        if not own:
            require_edit(principal, booking.municipality_id)
        if booking.status not in ACTIVE:
            raise ValidationFailed.one(
                "body.decision", f"a {booking.status} booking cannot be cancelled"
            )
        new = "cancelled"
    else:
        require_edit(principal, booking.municipality_id)
        if booking.status != "requested":
            raise ValidationFailed.one("body.decision", f"the booking is {booking.status} already")
        new = "approved" if data.decision == "approve" else "rejected"
    if new == "approved":
        assert booking.geom is not None
        taken = overlapping(
            session,
            municipality_id=booking.municipality_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            area=booking.geom,
            statuses=("approved",),
            exclude_id=booking.id,
        )
        if taken:
            raise _conflict(taken)
    actor = Actor.of(principal)
    booking.status = new
    booking.decision_note = data.note
    booking.decided_at = utcnow()
    booking.decided_by_id = actor.user_id
    space = session.get(AssetObject, booking.object_id)
    if space is not None:
        record(
            session,
            space,
            actor,
            kind="booking",
            summary=f"#{booking.id} {booking.title}: {new}",
            ref_id=booking.id,
        )
    emit(session, Event(f"assets.booking.{new}", {"id": booking.id}))
    session.flush()
    return booking


@dataclass(frozen=True)
class BookingFilter:
    municipality_id: int | None = None
    space_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] | None = None
    public_only: bool = False


def list_bookings(
    session: Session, *, principal: Principal, f: BookingFilter, limit: int = 500, offset: int = 0
) -> list[Booking]:
    public = and_(Booking.status == "approved", Booking.public.is_(True))
    if f.public_only:
        visible: ColumnElement[bool] = public
    else:
        visible = or_(public, internal_condition(principal, Booking.municipality_id))
        if principal.user_id is not None:
            visible = or_(visible, Booking.applicant_user_id == principal.user_id)
    query = select(Booking).where(visible)
    if f.municipality_id is not None:
        query = query.where(Booking.municipality_id == f.municipality_id)
    if f.space_id is not None:
        query = query.where(Booking.object_id == f.space_id)
    if f.start is not None:
        query = query.where(Booking.ends_at > f.start)
    if f.end is not None:
        query = query.where(Booking.starts_at < f.end)
    if f.statuses is not None:
        query = query.where(Booking.status.in_(list(f.statuses)))
    query = query.order_by(Booking.starts_at, Booking.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def conflicts_among(session: Session, bookings: Sequence[Booking]) -> dict[int, list[int]]:
    """For each active booking: the other active bookings it conflicts with (one query)."""
    active = [b for b in bookings if b.status in ACTIVE and b.geom is not None]
    result: dict[int, list[int]] = {b.id: [] for b in bookings}
    if not active:
        return result
    start = min(b.starts_at for b in active)
    end = max(b.ends_at for b in active)
    candidates = list(
        session.scalars(
            select(Booking).where(
                Booking.municipality_id.in_({b.municipality_id for b in active}),
                Booking.status.in_(ACTIVE),
                Booking.starts_at < end,
                Booking.ends_at > start,
            )
        )
    )
    for b in active:
        assert b.geom is not None
        for other in candidates:
            if (
                other.id != b.id
                and other.municipality_id == b.municipality_id
                and other.starts_at < b.ends_at
                and other.ends_at > b.starts_at
                and other.geom is not None
                and shares_interior(b.geom, other.geom)
            ):
                result[b.id].append(other.id)
    return result


def booking_reads(
    session: Session, principal: Principal, bookings: Sequence[Booking]
) -> list[BookingRead]:
    keys = municipality_keys(session)
    names = dict(
        session.execute(
            select(AssetObject.id, AssetObject.name).where(
                AssetObject.id.in_({b.object_id for b in bookings})
            )
        ).all()
    )
    internal = {b.id for b in bookings if may_read_internal(principal, b.municipality_id)}
    own = {
        b.id
        for b in bookings
        if principal.user_id is not None and b.applicant_user_id == principal.user_id
    }
    clashes = conflicts_among(session, [b for b in bookings if b.id in internal])
    return [
        BookingRead(
            id=b.id,
            municipality=keys[b.municipality_id],
            space_id=b.object_id,
            space_name=names.get(b.object_id, ""),
            title=b.title,
            description=b.description,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            status=b.status,
            public=b.public,
            area=geometry_to_geojson(b.geom) if b.geom is not None else None,
            organiser=b.organiser if b.id in internal or b.id in own else None,
            contact_email=b.contact_email if b.id in internal or b.id in own else None,
            decision_note=b.decision_note if b.id in internal or b.id in own else None,
            conflicts=clashes.get(b.id) if b.id in internal else None,
        )
        for b in bookings
    ]


def bookable_spaces(
    session: Session, *, principal: Principal, municipality_id: int | None = None
) -> list[AssetObject]:
    query = (
        select(AssetObject)
        .join(ObjectType, ObjectType.id == AssetObject.type_id)
        .where(
            ObjectType.bookable.is_(True),
            AssetObject.status == "active",
            or_(
                AssetObject.public.is_(True),
                internal_condition(principal, AssetObject.municipality_id),
            ),
        )
    )
    if municipality_id is not None:
        query = query.where(AssetObject.municipality_id == municipality_id)
    return list(session.scalars(query.order_by(AssetObject.name)))
