"""The module's datasets in the open-data catalogue: the public Datastreams of a municipality,
grouped by the kind of station ("Klimamessnetz Auenstadt", "Bodenfeuchte an Stadtbäumen …").

The Observations themselves are downloaded through the catalogue (CSV and Parquet, streamed)
and read through the SensorThings API; this only says which Datastreams belong together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.sdk import ANONYMOUS, Municipality, sensing
from allmende.sdk import datasets as open_data

PREFIX = "sensors-"
SENSORTHINGS = "http://www.opengis.net/doc/is/sensorthings/1.1"


@dataclass(frozen=True)
class Group:
    title: str
    description: str
    themes: tuple[str, ...]
    keywords: tuple[str, ...]


GROUPS = {
    "weather-station": Group(
        "Klimamessnetz {name}",
        "Die Wetterstationen von {name}: Lufttemperatur, relative Luftfeuchte, Niederschlag, "
        "Windgeschwindigkeit und Globalstrahlung, laufend gemessen.",
        ("ENVI",),
        ("Klima", "Wetter", "Messnetz", "Sensoren"),
    ),
    "soil-moisture": Group(
        "Bodenfeuchte an Stadtbäumen {name}",
        "Volumetrischer Wassergehalt des Bodens an Straßenbäumen in {name}, in mehreren "
        "Tiefen laufend gemessen: Grundlage für die Bewässerung.",
        ("ENVI", "AGRI"),
        ("Bodenfeuchte", "Stadtbäume", "Bewässerung", "Sensoren"),
    ),
    "water-meter": Group(
        "Wasserverbrauch öffentlicher Gebäude {name}",
        "Zählerstände und Durchfluss der Wasserzähler öffentlicher Gebäude in {name}.",
        ("ENVI", "GOVE"),
        ("Wasser", "Verbrauch", "öffentliche Gebäude", "Sensoren"),
    ),
    "energy-meter": Group(
        "Energieverbrauch öffentlicher Gebäude {name}",
        "Zählerstände und Leistung der Stromzähler öffentlicher Gebäude in {name}.",
        ("ENER", "GOVE"),
        ("Energie", "Strom", "öffentliche Gebäude", "Sensoren"),
    ),
}
OTHER = Group(
    "Weitere Messreihen {name}",
    "Öffentliche Messreihen weiterer Sensoren in {name}.",
    ("ENVI",),
    ("Sensoren",),
)


class SensorDatasets:
    """``DatasetSource``: one dataset per municipality and kind of station."""

    def datasets(self, session: Session) -> Sequence[open_data.Dataset]:
        places = {m.id: m for m in session.scalars(select(Municipality))}
        return [
            _dataset(places[municipality_id], kind, sets)
            for (municipality_id, kind), sets in sorted(_grouped(session).items())
            if municipality_id in places
        ]

    def table(self, session: Session, dataset_id: str) -> open_data.Table | None:
        return None  # Observations: the catalogue streams them itself

    def datastreams(self, session: Session, dataset_id: str) -> Sequence[int] | None:
        if not dataset_id.startswith(PREFIX):
            return None
        rest = dataset_id.removeprefix(PREFIX)
        for kind in (*GROUPS, "other"):
            place = rest.removesuffix(f"-{kind}")
            if place == rest:
                continue
            found = session.scalar(select(Municipality.id).where(Municipality.key == place))
            if found is None:
                return None
            return sensing.stream_ids(
                session,
                principal=ANONYMOUS,
                municipality_id=found,
                kinds=[kind] if kind in GROUPS else None,
                other_than=() if kind in GROUPS else list(GROUPS),
            )
        return None


def _grouped(session: Session) -> dict[tuple[int, str], list[sensing.StreamSet]]:
    """The public streams by municipality and the kind of dataset (kinds without a group of
    their own, and Things without a kind, are "other")."""
    grouped: dict[tuple[int, str], list[sensing.StreamSet]] = defaultdict(list)
    for found in sensing.stream_sets(session, principal=ANONYMOUS):
        kind = found.kind if found.kind in GROUPS else "other"
        grouped[(found.municipality_id, kind)].append(found)
    return grouped


def _dataset(place: Municipality, kind: str, sets: list[sensing.StreamSet]) -> open_data.Dataset:
    group = GROUPS.get(kind, OTHER)
    firsts = [s.first_time for s in sets if s.first_time is not None]
    lasts = [s.latest_time for s in sets if s.latest_time is not None]
    boxes = [s.bbox for s in sets if s.bbox is not None]
    bbox: Any = None
    if boxes:
        bbox = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    query = urlencode(
        {
            "municipality": place.key,
            "$filter": _kind_filter(kind),
            "$expand": "Thing,ObservedProperty",
        },
        quote_via=quote,
    )
    names = ", ".join(sorted({name for s in sets for name in s.observed_properties}))
    return open_data.Dataset(
        id=f"{PREFIX}{place.key}-{kind}",
        title=group.title.format(name=place.name),
        description=f"{group.description.format(name=place.name)} Messgrößen: {names}.",
        municipality_id=place.id,
        content="observations",
        keywords=group.keywords,
        themes=group.themes,
        frequency="UPDATE_CONT",
        bbox=bbox,
        temporal=(min(firsts), max(lasts)) if firsts and lasts else None,
        modified=max(lasts) if lasts else None,
        endpoints=(
            open_data.Endpoint(
                "SensorThings API (OGC): die Datastreams mit ihren Observations",
                f"/v1.1/Datastreams?{query}",
                open_data.JSON,
                "application/json",
                SENSORTHINGS,
            ),
        ),
        landing_page="/sensors?" + urlencode({"municipality": place.key, "kind": kind})
        if kind in GROUPS
        else f"/sensors?municipality={place.key}",
    )


def _kind_filter(kind: str) -> str:
    """The SensorThings ``$filter`` of a dataset's streams: by their Thing's kind (the
    municipality is the ``municipality`` parameter); "other" is any kind without a group, or
    none (a comparison with a missing property is false, so the missing one is asked for)."""
    if kind in GROUPS:
        return f"Thing/properties/kind eq '{kind}'"
    known = " and ".join(f"Thing/properties/kind ne '{k}'" for k in GROUPS)
    return f"Thing/properties/kind eq null or ({known})"
