"""Adoption and activity logs: citizens care for objects (e.g. water trees) and see totals.

Who did what stays with the person: the public sees only totals per object. Each watering is
also published as the durable event ``assets.watering.recorded`` (object, litres, time; no
person), so that other modules (the water balance) count it without importing this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import N_
from allmende.modules.assets.models import Activity, Adoption, AssetObject, ObjectType
from allmende.modules.assets.schemas import ActivityCreate, ActivityTotals
from allmende.modules.assets.service import not_found
from allmende.sdk import (
    Action,
    Forbidden,
    Principal,
    ValidationFailed,
    as_utc,
    isoformat,
    publish,
    require,
    utcnow,
)

RECENT = timedelta(days=30)
WATERING_RECORDED = "assets.watering.recorded"


def _person(principal: Principal) -> int:
    require(principal, Action.CONTRIBUTE)
    if principal.kind != "user" or principal.user_id is None:
        raise Forbidden(detail="Only people with an account can adopt objects and log care.")
    return principal.user_id


def _adoptable(session: Session, object_id: int) -> AssetObject:
    obj = session.get(AssetObject, object_id)
    if obj is None or not obj.public or obj.status == "removed":
        raise not_found("object", object_id)
    t = session.get(ObjectType, obj.type_id)
    if t is None or not t.adoptable:
        raise ValidationFailed.one("object_id", f"a {t.key if t else 'object'} cannot be adopted")
    return obj


def adopt(session: Session, *, principal: Principal, object_id: int) -> Adoption:
    user_id = _person(principal)
    obj = _adoptable(session, object_id)
    existing = session.scalar(
        select(Adoption).where(Adoption.object_id == obj.id, Adoption.user_id == user_id)
    )
    if existing is not None:
        return existing
    adoption = Adoption(
        municipality_id=obj.municipality_id, object_id=obj.id, user_id=user_id, created_at=utcnow()
    )
    session.add(adoption)
    session.flush()
    return adoption


def release(session: Session, *, principal: Principal, object_id: int) -> None:
    user_id = _person(principal)
    existing = session.scalar(
        select(Adoption).where(Adoption.object_id == object_id, Adoption.user_id == user_id)
    )
    if existing is None:
        raise not_found("adoption of object", object_id)
    session.delete(existing)


def log_activity(
    session: Session, *, principal: Principal, object_id: int, data: ActivityCreate
) -> Activity:
    user_id = _person(principal)
    obj = _adoptable(session, object_id)
    now = utcnow()
    at = data.at or now
    if at.tzinfo is None:
        raise ValidationFailed.one("body.at", "needs a time zone (Z or +HH:MM)")
    if at > now + timedelta(minutes=5):
        raise ValidationFailed.one("body.at", N_("lies in the future"))
    if at < now - timedelta(days=365):
        raise ValidationFailed.one("body.at", "lies more than a year back")
    activity = Activity(
        municipality_id=obj.municipality_id,
        object_id=obj.id,
        user_id=user_id,
        kind=data.kind,
        amount=float(data.amount),
        at=at,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    if activity.kind == "watering":
        announce_watering(session, activity)
    return activity


def announce_watering(session: Session, activity: Activity) -> int:
    """Publish a recorded watering as a durable event (no personal data in it)."""
    return publish(
        session,
        WATERING_RECORDED,
        {
            "activity_id": activity.id,
            "object_id": activity.object_id,
            "litres": activity.amount,
            "at": isoformat(activity.at),
            "source": "citizen",
        },
        municipality_id=activity.municipality_id,
        public=False,
    )


def totals(
    session: Session, object_ids: Sequence[int], *, now: datetime
) -> dict[int, ActivityTotals]:
    """Public totals per object (three grouped queries, whatever the number of objects)."""
    ids = sorted(set(object_ids))
    sums = {
        oid: (float(total or 0), int(count), last)
        for oid, total, count, last in session.execute(
            select(
                Activity.object_id, func.sum(Activity.amount), func.count(), func.max(Activity.at)
            )
            .where(Activity.object_id.in_(ids), Activity.kind == "watering")
            .group_by(Activity.object_id)
        )
    }
    recent = dict(
        session.execute(
            select(Activity.object_id, func.sum(Activity.amount))
            .where(
                Activity.object_id.in_(ids),
                Activity.kind == "watering",
                Activity.at >= now - RECENT,
            )
            .group_by(Activity.object_id)
        ).all()
    )
    adopters = dict(
        session.execute(
            select(Adoption.object_id, func.count())
            .where(Adoption.object_id.in_(ids))
            .group_by(Adoption.object_id)
        ).all()
    )
    result = {}
    for oid in ids:
        total, count, last = sums.get(oid, (0.0, 0, None))
        result[oid] = ActivityTotals(
            adopters=int(adopters.get(oid, 0)),
            total_litres=round(total, 1),
            waterings=count,
            litres_last_30_days=round(float(recent.get(oid) or 0), 1),
            last_watered_at=as_utc(last) if last is not None else None,
        )
    return result


def my_adoptions(
    session: Session, *, principal: Principal
) -> list[tuple[Adoption, AssetObject, ObjectType]]:
    user_id = _person(principal)
    rows = session.execute(
        select(Adoption, AssetObject, ObjectType)
        .join(AssetObject, AssetObject.id == Adoption.object_id)
        .join(ObjectType, ObjectType.id == AssetObject.type_id)
        .where(Adoption.user_id == user_id)
        .order_by(AssetObject.name)
    ).all()
    return [(a, o, t) for a, o, t in rows]


def my_totals(session: Session, *, user_id: int, object_ids: Sequence[int]) -> dict[int, float]:
    return {
        oid: float(total or 0)
        for oid, total in session.execute(
            select(Activity.object_id, func.sum(Activity.amount))
            .where(Activity.user_id == user_id, Activity.object_id.in_(list(object_ids)))
            .group_by(Activity.object_id)
        )
    }


def my_activities(session: Session, *, user_id: int, limit: int = 50) -> list[Activity]:
    return list(
        session.scalars(
            select(Activity)
            .where(Activity.user_id == user_id)
            .order_by(Activity.at.desc(), Activity.id.desc())
            .limit(limit)
        )
    )


def is_adopted_by(session: Session, *, user_id: int | None, object_id: int) -> bool:
    if user_id is None:
        return False
    return (
        session.scalar(
            select(Adoption.id).where(Adoption.object_id == object_id, Adoption.user_id == user_id)
        )
        is not None
    )
