"""The module's datasets in the open-data catalogue, per municipality: each public object type
with public objects ("Baumkataster Auenstadt"), the public citizen reports, and a statistic of
the reports by month, category and status. Only public objects, public fields and public
reports appear, never personal data (the same choice as the OGC API - Features collections).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import OPEN_STATES
from allmende.modules.assets.features import (
    REPORTS,
    _object_feature,
    _public_objects,
    _report_features,
    _types,
)
from allmende.modules.assets.models import AssetObject, Report, ReportService
from allmende.modules.assets.register import attributes as attrs
from allmende.sdk import GEOJSON_MEDIA_TYPE, Municipality, as_utc, parse_datetime
from allmende.sdk import datasets as open_data

PREFIX = "assets-"
Box = tuple[float, float, float, float]
FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
OPEN311 = "http://wiki.open311.org/GeoReport_v2"
#: German names of the built-in object types (the catalogue speaks German).
TYPE_TITLES = {
    "tree": "Baumkataster",
    "playground": "Spielplätze",
    "play_device": "Spielgeräte",
    "bench": "Sitzbänke",
    "street_light": "Straßenbeleuchtung",
    "fountain": "Brunnen",
    "waste_bin": "Abfallbehälter",
    "public_toilet": "Öffentliche Toiletten",
    "public_space": "Plätze und öffentliche Flächen",
    "cool_place": "Kühle Orte",
    "drinking_fountain": "Trinkbrunnen",
    "shade": "Schattenplätze",
}
TYPE_THEMES = {"tree": ("ENVI",), "playground": ("EDUC", "SOCI"), "play_device": ("EDUC",)}
COLUMN_TYPES: dict[str, open_data.ColumnType] = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
}
OBJECT_COLUMNS = (
    open_data.Column("id", "integer"),
    open_data.Column("identifier"),
    open_data.Column("name"),
    open_data.Column("type"),
    open_data.Column("municipality"),
    open_data.Column("status"),
    open_data.Column("description"),
    open_data.Column("address"),
    open_data.Column("parent_id"),
    open_data.Column("updated", "datetime"),
)
REPORT_COLUMNS = (
    open_data.Column("id", "integer"),
    open_data.Column("service_code"),
    open_data.Column("service_name"),
    open_data.Column("status"),
    open_data.Column("status_notes"),
    open_data.Column("description"),
    open_data.Column("address"),
    open_data.Column("object_id"),
    open_data.Column("municipality"),
    open_data.Column("requested_datetime", "datetime"),
    open_data.Column("updated_datetime", "datetime"),
)
STATISTIC_COLUMNS = (
    open_data.Column("month"),
    open_data.Column("municipality"),
    open_data.Column("service_code"),
    open_data.Column("service_name"),
    open_data.Column("status"),
    open_data.Column("reports", "integer"),
)


def _box(minx: Any, miny: Any, maxx: Any, maxy: Any) -> Box | None:
    if None in (minx, miny, maxx, maxy):
        return None
    return (float(minx), float(miny), float(maxx), float(maxy))


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class AssetDatasets:
    """``DatasetSource`` over the public register and the public reports."""

    def datasets(self, session: Session) -> Sequence[open_data.Dataset]:
        places = {m.id: m for m in session.scalars(select(Municipality))}
        types = _types(session)
        by_type = {t.id: (cid, t) for cid, t in types.by_collection.items()}
        found: list[open_data.Dataset] = []
        for type_id, municipality_id, count, minx, miny, maxx, maxy, first, last in session.execute(
            select(
                AssetObject.type_id,
                AssetObject.municipality_id,
                func.count(),
                func.min(AssetObject.bbox_minx),
                func.min(AssetObject.bbox_miny),
                func.max(AssetObject.bbox_maxx),
                func.max(AssetObject.bbox_maxy),
                func.min(AssetObject.created_at),
                func.max(AssetObject.updated_at),
            )
            .where(_public_objects())
            .group_by(AssetObject.type_id, AssetObject.municipality_id)
        ):
            if type_id not in by_type or municipality_id not in places:
                continue
            collection_id, t = by_type[type_id]
            place = places[municipality_id]
            title = TYPE_TITLES.get(t.key, t.name) if t.municipality_id is None else t.name
            found.append(
                open_data.Dataset(
                    id=f"{PREFIX}{place.key}-{t.key}",
                    title=f"{title} {place.name}",
                    description=(
                        f"{title} der {place.kind} {place.name} aus dem Objektregister: "
                        f"{count} öffentliche Objekte mit Lage und öffentlichen Merkmalen. "
                        f"{t.description}"
                    ).strip(),
                    municipality_id=place.id,
                    content="features",
                    keywords=("Objektregister", title, place.name),
                    themes=TYPE_THEMES.get(t.key, ("REGI",)),
                    frequency="UPDATE_CONT",
                    bbox=_box(minx, miny, maxx, maxy),
                    modified=_aware(last),
                    issued=_aware(first),
                    endpoints=(
                        open_data.Endpoint(
                            "OGC API - Features (GeoJSON)",
                            f"/ogcapi/collections/{collection_id}/items?municipality={place.key}",
                            open_data.GEOJSON,
                            GEOJSON_MEDIA_TYPE,
                            FEATURES,
                        ),
                    ),
                    landing_page=f"/assets?municipality={place.key}&type={t.key}",
                )
            )
        for municipality_id, count, minx, miny, maxx, maxy, first, last in session.execute(
            select(
                Report.municipality_id,
                func.count(),
                func.min(Report.bbox_minx),
                func.min(Report.bbox_miny),
                func.max(Report.bbox_maxx),
                func.max(Report.bbox_maxy),
                func.min(Report.created_at),
                func.max(Report.updated_at),
            )
            .where(Report.public.is_(True))
            .group_by(Report.municipality_id)
        ):
            reported = places.get(municipality_id)
            if reported is not None:
                found.extend(
                    _report_datasets(reported, count, _box(minx, miny, maxx, maxy), first, last)
                )
        return found

    def table(self, session: Session, dataset_id: str) -> open_data.Table | None:
        if not dataset_id.startswith(PREFIX):
            return None
        for place in session.scalars(select(Municipality)):
            head = f"{PREFIX}{place.key}-"
            if not dataset_id.startswith(head):
                continue
            rest = dataset_id[len(head) :]
            if rest == "reports":
                return _reports(session, place)
            if rest == "report-statistics":
                return _statistics(session, place)
            return _objects(session, place, rest)
        return None

    def datastreams(self, session: Session, dataset_id: str) -> Sequence[int] | None:
        return None  # no dataset of Observations


def _report_datasets(
    place: Municipality,
    count: int,
    bbox: Box | None,
    first: datetime | None,
    last: datetime | None,
) -> list[open_data.Dataset]:
    jurisdiction = f"&jurisdiction_id={place.jurisdiction_id}" if place.jurisdiction_id else ""
    open311 = open_data.Endpoint(
        "Open311 GeoReport v2 (JSON)",
        f"/open311/v2/requests.json?{jurisdiction.lstrip('&')}",
        open_data.JSON,
        "application/json",
        OPEN311,
    )
    temporal = (_aware(first), _aware(last))
    return [
        open_data.Dataset(
            id=f"{PREFIX}{place.key}-reports",
            title=f"Meldungen an {place.kind} {place.name}",
            description=(
                f"Öffentliche Meldungen aus der Bürgerschaft an {place.kind} {place.name} "
                f"(Schäden, Verunreinigungen, Hinweise; {count} Meldungen) mit Kategorie, Lage "
                "und Bearbeitungsstand, ohne persönliche Daten."
            ),
            municipality_id=place.id,
            content="features",
            keywords=("Meldungen", "Mängelmelder", "Open311", place.name),
            themes=("GOVE", "REGI"),
            frequency="UPDATE_CONT",
            bbox=bbox,
            temporal=temporal,
            modified=_aware(last),
            issued=_aware(first),
            endpoints=(
                open311,
                open_data.Endpoint(
                    "OGC API - Features (GeoJSON)",
                    f"/ogcapi/collections/{REPORTS}/items?municipality={place.key}",
                    open_data.GEOJSON,
                    GEOJSON_MEDIA_TYPE,
                    FEATURES,
                ),
            ),
            landing_page=f"/reports?municipality={place.key}",
        ),
        open_data.Dataset(
            id=f"{PREFIX}{place.key}-report-statistics",
            title=f"Statistik der Meldungen an {place.kind} {place.name}",
            description=(
                f"Anzahl der öffentlichen Meldungen an {place.kind} {place.name} je Monat, "
                "Kategorie und Status (offen oder erledigt)."
            ),
            municipality_id=place.id,
            content="table",
            keywords=("Meldungen", "Statistik", place.name),
            themes=("GOVE",),
            frequency="DAILY",
            bbox=bbox,
            temporal=temporal,
            modified=_aware(last),
            issued=_aware(first),
            endpoints=(open311,),
        ),
    ]


def _objects(session: Session, place: Municipality, type_key: str) -> open_data.Table | None:
    types = _types(session)
    chosen = next(
        (
            t
            for t in types.by_collection.values()
            if t.key == type_key and t.municipality_id in (None, place.id)
        ),
        None,
    )
    if chosen is None:
        return None
    typed = attrs.queryable_types(chosen.attribute_schema, list(chosen.public_attributes))
    columns = OBJECT_COLUMNS + tuple(
        open_data.Column(name, COLUMN_TYPES.get(kind, "string")) for name, kind in typed.items()
    )
    names = [c.name for c in columns]
    objects = session.scalars(
        select(AssetObject)
        .where(
            AssetObject.type_id == chosen.id,
            AssetObject.municipality_id == place.id,
            _public_objects(),
        )
        .order_by(AssetObject.id)
    ).all()

    def rows() -> Iterator[tuple[list[Any], Any]]:
        for obj in objects:
            feature = _object_feature(obj, chosen, types.keys)
            values = {**feature.properties, "id": obj.id, "updated": as_utc(obj.updated_at)}
            yield [values.get(name) for name in names], feature.geometry

    return open_data.Table(columns, rows())


def _public_reports(session: Session, place: Municipality) -> Sequence[Report]:
    return session.scalars(
        select(Report)
        .where(Report.public.is_(True), Report.municipality_id == place.id)
        .order_by(Report.id)
    ).all()


def _reports(session: Session, place: Municipality) -> open_data.Table:
    names = [c.name for c in REPORT_COLUMNS]
    found = _report_features(session, _public_reports(session, place))
    rows = []
    for feature in found:
        values = dict(feature.properties)
        values["id"] = int(feature.id)
        for key in ("requested_datetime", "updated_datetime"):
            if values.get(key):
                values[key] = parse_datetime(str(values[key]), field=key)
        rows.append(([values.get(name) for name in names], feature.geometry))
    return open_data.Table(REPORT_COLUMNS, rows)


def _statistics(session: Session, place: Municipality) -> open_data.Table:
    counted: Counter[tuple[str, str, str, str]] = Counter()
    services = {s.id: s for s in session.scalars(select(ReportService))}
    for report in _public_reports(session, place):
        service = services.get(report.service_id)
        month = as_utc(report.created_at).strftime("%Y-%m")
        status = "open" if report.state in OPEN_STATES else "closed"
        code, name = (service.code, service.name) if service else ("", "")
        counted[(month, code, name, status)] += 1
    rows = [
        ([month, place.key, code, name, status, count], None)
        for (month, code, name, status), count in sorted(counted.items())
    ]
    return open_data.Table(STATISTIC_COLUMNS, rows)
