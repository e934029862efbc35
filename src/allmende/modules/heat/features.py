"""The heat module's side of OGC API - Features: the map's district aggregates and the warnings.

* ``heat-districts`` – one feature per district and hour of the map (the newest hour unless a
  ``datetime`` interval is asked for): UTCI quantiles over the district's outdoor cells, its
  class, and the median, lowest and highest air temperature. Feature ids are
  ``<district id>-<hour as yyyymmddThh>``.
* ``heat-warnings`` – the warnings, with the district's outline and their days.

Both are public (the map and the warnings are); queryables ``municipality`` (its key) and, for
warnings, ``level`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from allmende.modules.heat.catalogue import CLASS_BY_CODE, LEVELS
from allmende.modules.heat.models import DistrictHour, HeatWarning
from allmende.modules.heat.utci import stress_category
from allmende.sdk import District, Municipality, ValidationFailed, features, is_digits, isoformat

DISTRICTS = "heat-districts"
WARNINGS = "heat-warnings"


def _municipality_condition(column: Any, value: str) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = column.in_(
        select(Municipality.id).where(Municipality.key == value)
    )
    return condition


def _district_feature(row: DistrictHour, district: District, key: str) -> features.Feature:
    code = int(stress_category(row.utci_p50)) - 5
    return features.Feature(
        id=f"{row.district_id}-{row.hour.astimezone(UTC):%Y%m%dT%H}",
        geometry=district.geom,
        properties={
            "district": district.name,
            "municipality": key,
            "hour": isoformat(row.hour),
            "source": row.source,
            "cells": row.cells,
            "utci_p50": row.utci_p50,
            "utci_p75": row.utci_p75,
            "utci_p90": row.utci_p90,
            "utci_p95": row.utci_p95,
            "utci_max": row.utci_max,
            "utci_class": code,
            "utci_class_name": CLASS_BY_CODE[code].label,
            "ta_p50": row.ta_p50,
            "ta_min": row.ta_min,
            "ta_max": row.ta_max,
        },
    )


def _warning_feature(w: HeatWarning, district: District, key: str) -> features.Feature:
    return features.Feature(
        id=str(w.id),
        geometry=district.geom,
        properties={
            "district": district.name,
            "municipality": key,
            "level": w.level,
            "level_name": LEVELS[w.level].headline_en,
            "status": w.status,
            "first_day": w.first_day.isoformat(),
            "last_day": w.last_day.isoformat(),
            "starts_at": isoformat(w.starts_at),
            "ends_at": isoformat(w.ends_at),
            "forecast": w.forecast,
            "cap": f"/heat/warnings/{w.id}.cap.xml",
        },
    )


class HeatFeatures:
    """``FeatureSource`` of the district aggregates and the warnings."""

    def collections(self, session: Session, principal: Any) -> Sequence[features.Collection]:
        first, last = session.execute(
            select(func.min(DistrictHour.hour), func.max(DistrictHour.hour))
        ).one()
        return [
            features.Collection(
                id=DISTRICTS,
                title="Hitzebelastung je Ortsteil (UTCI)",
                description=(
                    "Stündliche Hitzekarte je Ortsteil: Quantile des UTCI über die Freiflächen, "
                    "Lufttemperatur. UTCI, nicht die Gefühlte Temperatur des DWD."
                ),
                temporal=(first, last) if first is not None else None,
                queryables={"municipality": "string", "district": "string"},
                keywords=("Allmende", "heat", "UTCI"),
            ),
            features.Collection(
                id=WARNINGS,
                title="Hitzewarnungen",
                description="Warnungen vor starker und extremer Wärmebelastung je Ortsteil.",
                queryables={"municipality": "string", "level": "string", "status": "string"},
                keywords=("Allmende", "heat", "warning"),
            ),
        ]

    def items(
        self, session: Session, principal: Any, collection_id: str, query: features.FeatureQuery
    ) -> features.FeaturePage | None:
        if collection_id == DISTRICTS:
            return self._districts(session, query)
        if collection_id == WARNINGS:
            return self._warnings(session, query)
        return None

    def item(
        self, session: Session, principal: Any, collection_id: str, feature_id: str
    ) -> features.Feature | None:
        if collection_id == WARNINGS:
            if not is_digits(feature_id) or len(feature_id) > 18:
                return None
            row = session.execute(
                select(HeatWarning, District, Municipality.key)
                .join(District, District.id == HeatWarning.district_id)
                .join(Municipality, Municipality.id == HeatWarning.municipality_id)
                .where(HeatWarning.id == int(feature_id))
            ).first()
            return None if row is None else _warning_feature(*row)
        if collection_id != DISTRICTS:
            return None
        district_part, _, hour_part = feature_id.partition("-")
        try:
            hour = datetime.strptime(hour_part, "%Y%m%dT%H").replace(tzinfo=UTC)
        except ValueError:
            return None
        if not is_digits(district_part) or len(district_part) > 18:
            return None
        found = session.execute(
            select(DistrictHour, District, Municipality.key)
            .join(District, District.id == DistrictHour.district_id)
            .join(Municipality, Municipality.id == DistrictHour.municipality_id)
            .where(DistrictHour.district_id == int(district_part), DistrictHour.hour == hour)
        ).first()
        return None if found is None else _district_feature(*found)

    def _districts(self, session: Session, query: features.FeatureQuery) -> features.FeaturePage:
        conditions: list[ColumnElement[bool]] = []
        for name, value in query.properties.items():
            if name == "municipality":
                conditions.append(_municipality_condition(DistrictHour.municipality_id, value))
            elif name == "district":
                conditions.append(District.name == value)
            else:
                raise ValidationFailed.one(name, "is not a queryable of this collection")
        if query.datetime_start is None and query.datetime_end is None:
            newest = (
                select(DistrictHour.municipality_id, func.max(DistrictHour.hour).label("hour"))
                .group_by(DistrictHour.municipality_id)
                .subquery()
            )
            base = (
                select(DistrictHour, District, Municipality.key)
                .select_from(DistrictHour)
                .join(
                    newest,
                    and_(
                        DistrictHour.municipality_id == newest.c.municipality_id,
                        DistrictHour.hour == newest.c.hour,
                    ),
                )
            )
        else:
            if query.datetime_start is not None:
                conditions.append(DistrictHour.hour >= query.datetime_start)
            if query.datetime_end is not None:
                conditions.append(DistrictHour.hour <= query.datetime_end)
            base = select(DistrictHour, District, Municipality.key).select_from(DistrictHour)
        base = base.join(District, District.id == DistrictHour.district_id).join(
            Municipality, Municipality.id == DistrictHour.municipality_id
        )
        if query.bbox is not None:
            minx, miny, maxx, maxy = query.bbox
            conditions.append(
                and_(
                    District.bbox_minx <= maxx,
                    District.bbox_maxx >= minx,
                    District.bbox_miny <= maxy,
                    District.bbox_maxy >= miny,
                )
            )
        filtered = base.where(*conditions)
        total = session.scalar(select(func.count()).select_from(filtered.subquery()))
        rows = session.execute(
            filtered.order_by(DistrictHour.hour.desc(), DistrictHour.district_id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return features.FeaturePage(
            [_district_feature(r, d, k) for r, d, k in rows], number_matched=int(total or 0)
        )

    def _warnings(self, session: Session, query: features.FeatureQuery) -> features.FeaturePage:
        conditions: list[ColumnElement[bool]] = []
        for name, value in query.properties.items():
            if name == "municipality":
                conditions.append(_municipality_condition(HeatWarning.municipality_id, value))
            elif name == "level":
                if value not in LEVELS:
                    raise ValidationFailed.one("level", f"must be one of {', '.join(LEVELS)}")
                conditions.append(HeatWarning.level == value)
            elif name == "status":
                if value not in ("active", "ended"):
                    raise ValidationFailed.one("status", "must be active or ended")
                conditions.append(HeatWarning.status == value)
            else:
                raise ValidationFailed.one(name, "is not a queryable of this collection")
        if query.datetime_start is not None:
            conditions.append(HeatWarning.ends_at >= query.datetime_start)
        if query.datetime_end is not None:
            conditions.append(HeatWarning.starts_at <= query.datetime_end)
        base = (
            select(HeatWarning, District, Municipality.key)
            .join(District, District.id == HeatWarning.district_id)
            .join(Municipality, Municipality.id == HeatWarning.municipality_id)
            .where(*conditions)
        )
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        rows = session.execute(
            base.order_by(HeatWarning.first_day.desc(), HeatWarning.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return features.FeaturePage(
            [_warning_feature(w, d, k) for w, d, k in rows], number_matched=int(total or 0)
        )
