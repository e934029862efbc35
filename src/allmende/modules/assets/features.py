"""The module's side of OGC API - Features: one collection per public object type, one of
public reports. Only public objects and their public fields appear, whoever asks; staff use
the module's own API for internal data.

Collection ids: ``assets-<type key>`` for built-in types, ``assets-<municipality>-<type key>``
for a municipality's own types, ``assets-reports`` for reports. Feature ids are the row ids.
The temporal extent of objects is their last change (``updated``), of reports their
``requested_datetime``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import CLOSED_STATES, OPEN_STATES
from allmende.modules.assets.models import AssetObject, ObjectType, Report, ReportService
from allmende.modules.assets.register import attributes as attrs
from allmende.modules.assets.reports import service as rules
from allmende.modules.assets.service import municipality_keys
from allmende.sdk import (
    MAX_ID,
    Municipality,
    ValidationFailed,
    as_utc,
    features,
    in_bbox,
    is_digits,
    isoformat,
)

PREFIX = "assets-"
REPORTS = "assets-reports"
OBJECT_QUERYABLES = {
    "name": "string",
    "identifier": "string",
    "municipality": "string",
    "status": "string",
}
REPORT_QUERYABLES = {"service_code": "string", "status": "string", "municipality": "string"}


@dataclass(frozen=True)
class _Types:
    by_collection: dict[str, ObjectType]
    keys: dict[int, str]


def _collection_id(t: ObjectType, keys: dict[int, str]) -> str:
    if t.municipality_id is None:
        return f"{PREFIX}{t.key}"
    return f"{PREFIX}{keys[t.municipality_id]}-{t.key}"


def _types(session: Session) -> _Types:
    keys = municipality_keys(session)
    types = session.scalars(select(ObjectType).where(ObjectType.public.is_(True))).all()
    return _Types({_collection_id(t, keys): t for t in types}, keys)


def _row_id(feature_id: str) -> int | None:
    return int(feature_id) if is_digits(feature_id) and 1 <= int(feature_id) <= MAX_ID else None


class AssetFeatures:
    """``FeatureSource`` over the public object register and the public reports."""

    def collections(self, session: Session, principal: Any) -> Sequence[features.Collection]:
        types = _types(session)
        extents = {
            type_id: (minx, miny, maxx, maxy, first, last)
            for type_id, minx, miny, maxx, maxy, first, last in session.execute(
                select(
                    AssetObject.type_id,
                    func.min(AssetObject.bbox_minx),
                    func.min(AssetObject.bbox_miny),
                    func.max(AssetObject.bbox_maxx),
                    func.max(AssetObject.bbox_maxy),
                    func.min(AssetObject.updated_at),
                    func.max(AssetObject.updated_at),
                )
                .where(_public_objects())
                .group_by(AssetObject.type_id)
            )
        }
        result = []
        for collection_id, t in sorted(types.by_collection.items()):
            extent = extents.get(t.id)
            result.append(
                features.Collection(
                    id=collection_id,
                    title=t.name,
                    description=t.description,
                    bbox=_box(*extent[:4]) if extent else None,
                    temporal=(_aware(extent[4]), _aware(extent[5])) if extent else None,
                    queryables={
                        **OBJECT_QUERYABLES,
                        **attrs.queryable_types(t.attribute_schema, list(t.public_attributes)),
                    },
                    keywords=("Allmende", t.key),
                )
            )
        minx, miny, maxx, maxy, first, last = session.execute(
            select(
                func.min(Report.bbox_minx),
                func.min(Report.bbox_miny),
                func.max(Report.bbox_maxx),
                func.max(Report.bbox_maxy),
                func.min(Report.created_at),
                func.max(Report.created_at),
            ).where(Report.public.is_(True))
        ).one()
        result.append(
            features.Collection(
                id=REPORTS,
                title="Meldungen",
                description="Öffentliche Meldungen aus der Bürgerschaft, ohne persönliche Daten",
                bbox=_box(minx, miny, maxx, maxy),
                temporal=(_aware(first), _aware(last)) if first is not None else None,
                queryables=dict(REPORT_QUERYABLES),
                keywords=("Allmende", "Open311"),
            )
        )
        return result

    def items(
        self, session: Session, principal: Any, collection_id: str, query: features.FeatureQuery
    ) -> features.FeaturePage | None:
        if collection_id == REPORTS:
            return self._report_items(session, query)
        types = _types(session)
        t = types.by_collection.get(collection_id)
        if t is None:
            return None
        condition = _object_filter(session, t, query)
        total = session.scalar(select(func.count()).select_from(AssetObject).where(condition))
        rows = session.scalars(
            select(AssetObject)
            .where(condition)
            .order_by(AssetObject.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return features.FeaturePage(
            [_object_feature(o, t, types.keys) for o in rows], number_matched=int(total or 0)
        )

    def item(
        self, session: Session, principal: Any, collection_id: str, feature_id: str
    ) -> features.Feature | None:
        row_id = _row_id(feature_id)
        if collection_id == REPORTS:
            if row_id is None:
                return None
            report = session.scalar(
                select(Report).where(Report.id == row_id, Report.public.is_(True))
            )
            return _report_features(session, [report])[0] if report is not None else None
        types = _types(session)
        t = types.by_collection.get(collection_id)
        if t is None or row_id is None:
            return None
        obj = session.scalar(
            select(AssetObject).where(
                AssetObject.id == row_id, AssetObject.type_id == t.id, _public_objects()
            )
        )
        return _object_feature(obj, t, types.keys) if obj is not None else None

    def _report_items(self, session: Session, query: features.FeatureQuery) -> features.FeaturePage:
        conditions: list[ColumnElement[bool]] = [Report.public.is_(True)]
        if query.bbox is not None:
            conditions.append(in_bbox(Report, query.bbox))
        if query.datetime_start is not None:
            conditions.append(Report.created_at >= query.datetime_start)
        if query.datetime_end is not None:
            conditions.append(Report.created_at <= query.datetime_end)
        base: Select[Any] = select(Report)
        for name, value in query.properties.items():
            if name == "status":
                if value not in ("open", "closed"):
                    raise ValidationFailed.one("status", "must be open or closed")
                conditions.append(
                    Report.state.in_(OPEN_STATES if value == "open" else CLOSED_STATES)
                )
            elif name == "service_code":
                conditions.append(
                    Report.service_id.in_(
                        select(ReportService.id).where(ReportService.code == value)
                    )
                )
            elif name == "municipality":
                conditions.append(
                    Report.municipality_id.in_(
                        select(Municipality.id).where(Municipality.key == value)
                    )
                )
            else:
                raise ValidationFailed.one(name, "is not a queryable of this collection")
        total = session.scalar(select(func.count()).select_from(Report).where(*conditions))
        rows = session.scalars(
            base.where(*conditions).order_by(Report.id).limit(query.limit).offset(query.offset)
        ).all()
        return features.FeaturePage(_report_features(session, rows), number_matched=int(total or 0))


def _box(*values: float | None) -> tuple[float, float, float, float] | None:
    if any(v is None for v in values):
        return None
    minx, miny, maxx, maxy = (float(v or 0) for v in values)
    return (minx, miny, maxx, maxy)


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _public_objects() -> ColumnElement[bool]:
    return AssetObject.public.is_(True) & (AssetObject.status != "removed")


def _object_filter(
    session: Session, t: ObjectType, query: features.FeatureQuery
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [AssetObject.type_id == t.id, _public_objects()]
    if query.bbox is not None:
        conditions.append(in_bbox(AssetObject, query.bbox))
    if query.datetime_start is not None:
        conditions.append(AssetObject.updated_at >= query.datetime_start)
    if query.datetime_end is not None:
        conditions.append(AssetObject.updated_at <= query.datetime_end)
    typed = attrs.queryable_types(t.attribute_schema, list(t.public_attributes))
    for name, value in query.properties.items():
        if name in ("name", "identifier", "status"):
            conditions.append(getattr(AssetObject, name) == value)
        elif name == "municipality":
            conditions.append(
                AssetObject.municipality_id.in_(
                    select(Municipality.id).where(Municipality.key == value)
                )
            )
        elif name in typed:
            conditions.append(_attribute_equals(name, typed[name], value))
        else:
            raise ValidationFailed.one(name, "is not a queryable of this collection")
    return and_(*conditions)


def _attribute_equals(name: str, kind: str, value: str) -> ColumnElement[bool]:
    element = AssetObject.attributes[name]
    result: ColumnElement[bool]
    if kind == "string":
        result = element.as_string() == value
        return result
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValidationFailed.one(name, "must be true or false")
        result = element.as_boolean() == (value.lower() == "true")
        return result
    try:
        number = float(value)
    except ValueError as exc:
        raise ValidationFailed.one(name, "must be a number") from exc
    if kind == "integer":
        if not number.is_integer():
            raise ValidationFailed.one(name, "must be an integer")
        result = element.as_integer() == int(number)
    else:
        result = element.as_float() == number
    return result


def _object_feature(obj: AssetObject, t: ObjectType, keys: dict[int, str]) -> features.Feature:
    properties: dict[str, Any] = {
        "name": obj.name,
        "identifier": obj.identifier,
        "type": t.key,
        "municipality": keys.get(obj.municipality_id),
        "status": obj.status,
        "description": obj.description or None,
        "address": obj.address,
        "parent_id": str(obj.parent_id) if obj.parent_id else None,
        "updated": isoformat(obj.updated_at),
    }
    properties.update(attrs.public_values(obj.attributes or {}, list(t.public_attributes)))
    return features.Feature(id=str(obj.id), geometry=obj.geom, properties=properties)


def _report_features(session: Session, reports: Sequence[Report]) -> list[features.Feature]:
    if not reports:
        return []
    d = rules.details(session, reports, internal_ids=set())
    result = []
    for r in reports:
        s = d.services[r.service_id]
        notes = d.notes[r.id]
        latest = notes[-1] if notes else None
        result.append(
            features.Feature(
                id=str(r.id),
                geometry=r.geom,
                properties={
                    "service_code": s.code,
                    "service_name": s.name,
                    "status": "open" if r.state in OPEN_STATES else "closed",
                    "status_notes": rules.status_note(
                        r.state, latest.text if latest and latest.state == r.state else ""
                    ),
                    "description": r.description or None,
                    "address": r.address,
                    "object_id": str(r.object_id) if r.object_id else None,
                    "municipality": d.keys.get(r.municipality_id),
                    "requested_datetime": isoformat(r.created_at),
                    "updated_datetime": isoformat(r.updated_at),
                },
            )
        )
    return result
