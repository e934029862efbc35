"""The module's dataset in the open-data catalogue: per municipality, its published planning
processes with their contributions and on-site events — the open GeoJSON feed, which holds no
personal data (see :mod:`.feed`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.participation.feed import feed
from allmende.modules.participation.models import Contribution, Process
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    Municipality,
    as_utc,
    geometry_from_geojson,
    parse_datetime,
)
from allmende.sdk import datasets as open_data

PREFIX = "participation-"
COLUMNS = (
    open_data.Column("kind"),
    open_data.Column("id", "integer"),
    open_data.Column("process_id", "integer"),
    open_data.Column("title"),
    open_data.Column("text"),
    open_data.Column("category"),
    open_data.Column("status"),
    open_data.Column("answer"),
    open_data.Column("supports", "integer"),
    open_data.Column("starts_at", "datetime"),
    open_data.Column("ends_at", "datetime"),
    open_data.Column("created_at", "datetime"),
    open_data.Column("url"),
)
TIMES = ("starts_at", "ends_at", "created_at")


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class ParticipationDatasets:
    """``DatasetSource``: one dataset per municipality with published processes."""

    def datasets(self, session: Session) -> Sequence[open_data.Dataset]:
        latest_contribution = dict(
            session.execute(
                select(Process.municipality_id, func.max(Contribution.created_at))
                .join(Process, Process.id == Contribution.process_id)
                .where(Process.public.is_(True))
                .group_by(Process.municipality_id)
            ).all()
        )
        found = []
        for place, count, minx, miny, maxx, maxy, first, last in session.execute(
            select(
                Municipality,
                func.count(Process.id),
                func.min(Process.bbox_minx),
                func.min(Process.bbox_miny),
                func.max(Process.bbox_maxx),
                func.max(Process.bbox_maxy),
                func.min(Process.created_at),
                func.max(Process.updated_at),
            )
            .join(Process, Process.municipality_id == Municipality.id)
            .where(Process.public.is_(True))
            .group_by(Municipality.id)
            .order_by(Municipality.id)
        ):
            times = [t for t in (_aware(last), _aware(latest_contribution.get(place.id))) if t]
            bbox: tuple[float, float, float, float] | None = None
            if None not in (minx, miny, maxx, maxy):
                bbox = (float(minx or 0), float(miny or 0), float(maxx or 0), float(maxy or 0))
            found.append(
                open_data.Dataset(
                    id=f"{PREFIX}{place.key}",
                    title=f"Bürgerbeteiligung {place.name}",
                    description=(
                        f"Die Beteiligungsverfahren von {place.kind} {place.name} ({count}) "
                        "mit Phasen, den Beiträgen aus der Bürgerschaft mit Ort, Kategorie, "
                        "Unterstützung und Antwort der Verwaltung, und den Terminen vor Ort; "
                        "ohne persönliche Daten."
                    ),
                    municipality_id=place.id,
                    content="features",
                    keywords=("Bürgerbeteiligung", "Planung", "Beteiligung", place.name),
                    themes=("GOVE", "REGI"),
                    frequency="UPDATE_CONT",
                    bbox=bbox,
                    modified=max(times) if times else None,
                    issued=_aware(first),
                    endpoints=(
                        open_data.Endpoint(
                            "GeoJSON-Feed der Beteiligung",
                            f"/api/participation/feed?municipality={place.key}",
                            open_data.GEOJSON,
                            GEOJSON_MEDIA_TYPE,
                        ),
                    ),
                    landing_page="/participation",
                )
            )
        return found

    def datastreams(self, session: Session, dataset_id: str) -> Sequence[int] | None:
        return None  # no dataset of Observations

    def table(self, session: Session, dataset_id: str) -> open_data.Table | None:
        if not dataset_id.startswith(PREFIX):
            return None
        key = dataset_id.removeprefix(PREFIX)
        if session.scalar(select(Municipality.id).where(Municipality.key == key)) is None:
            return None
        collection = feed(session, base="", municipality=key)
        names = [c.name for c in COLUMNS]
        rows = []
        for item in collection["features"]:
            values: dict[str, Any] = dict(item["properties"])
            values.setdefault("text", values.get("summary") or values.get("description"))
            for name in TIMES:
                if values.get(name):
                    values[name] = parse_datetime(str(values[name]), field=name)
            rows.append(([values.get(name) for name in names], _geometry(item["geometry"])))
        return open_data.Table(COLUMNS, rows)


def _geometry(value: Any) -> Any:
    return geometry_from_geojson(value) if value is not None else None
