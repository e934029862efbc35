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
        groups: dict[tuple[int, str], list[sensing.ThingSummary]] = defaultdict(list)
        # One page (5 000 Things): every anonymous request of the catalogue reads this.
        for thing in sensing.list_things(session, principal=ANONYMOUS):
            if thing.streams:
                kind = str(thing.properties.get("kind") or "other")
                groups[(thing.municipality_id, kind if kind in GROUPS else "other")].append(thing)
        found = []
        for (municipality_id, kind), things in sorted(groups.items()):
            place = places.get(municipality_id)
            if place is not None:
                found.append(_dataset(place, kind, things))
        return found

    def table(self, session: Session, dataset_id: str) -> open_data.Table | None:
        return None  # Observations: the catalogue streams them itself


def _dataset(
    place: Municipality, kind: str, things: list[sensing.ThingSummary]
) -> open_data.Dataset:
    group = GROUPS.get(kind, OTHER)
    streams = [s for t in things for s in t.streams]
    ids = tuple(s.id for s in streams)
    firsts = [s.first_time for s in streams if s.first_time is not None]
    lasts = [s.latest_time for s in streams if s.latest_time is not None]
    points = [(t.lon, t.lat) for t in things if t.lon is not None and t.lat is not None]
    bbox: Any = None
    if points:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        bbox = (min(xs), min(ys), max(xs), max(ys))
    query = urlencode(
        {
            "$filter": " or ".join(f"id eq {i}" for i in ids),
            "$expand": "Thing,ObservedProperty",
        },
        quote_via=quote,
    )
    names = ", ".join(sorted({s.observed_property_name for s in streams}))
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
        datastream_ids=ids,
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
