"""The module's copy of the public tree register, read through the modules' feature sources.

Every collection a feature source offers with the keyword ``tree`` counts (the object
register's ``assets-tree``, and a municipality's own tree types); its features are read
page by page as anyone may see them (public trees, public attributes), so the module needs
no access to the register's internals. Per tree the copy keeps what the balance needs
(species, planting year, crown, position) plus the district it stands in; what the green-
space office adds (the pit) stays when the register changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from allmende.modules.water.catalogue import DEFAULT_WATER_USE, SPECIES_WATER_USE
from allmende.modules.water.models import Tree
from allmende.sdk import ANONYMOUS, District, Municipality, features, is_digits

PAGE = 5000
KEYWORD = "tree"
#: Columns the register provides (the rest of a row belongs to this module).
REGISTER_COLUMNS = (
    "municipality_id",
    "name",
    "identifier",
    "address",
    "species",
    "species_botanical",
    "water_use",
    "planting_year",
    "crown_diameter_m",
    "lon",
    "lat",
    "district_id",
    "district",
)


def water_use(botanical: str | None, genus: str | None) -> str:
    """low / moderate / high from the botanical name (species first, then the genus)."""
    name = (botanical or "").lower().replace("×", "x").strip()
    for key in (
        " ".join(name.split()[:2]),
        name.split(" ")[0] if name else "",
        (genus or "").lower(),
    ):
        if key and key in SPECIES_WATER_USE:
            return SPECIES_WATER_USE[key]
    return DEFAULT_WATER_USE


def tree_features(
    session: Session, sources: Sequence[features.FeatureSource]
) -> Iterator[tuple[str, features.Feature]]:
    """(collection id, feature) of every public tree the sources offer."""
    for source in sources:
        for collection in source.collections(session, ANONYMOUS):
            if KEYWORD not in collection.keywords:
                continue
            offset = 0
            while True:
                page = source.items(
                    session,
                    ANONYMOUS,
                    collection.id,
                    features.FeatureQuery(limit=PAGE, offset=offset),
                )
                if page is None or not page.features:
                    break
                for feature in page.features:
                    yield collection.id, feature
                offset += len(page.features)
                if len(page.features) < PAGE:
                    break


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class SyncResult:
    added: int
    changed: int
    removed: int
    total: int


def read(
    session: Session, sources: Sequence[features.FeatureSource]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The register's trees as rows of ``water_trees`` (read-only), keyed by (collection, id)."""
    municipalities = dict(session.execute(select(Municipality.key, Municipality.id)).all())
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for collection, feature in tree_features(session, sources):
        props = feature.properties
        municipality = municipalities.get(str(props.get("municipality")))
        geometry = feature.geometry
        if municipality is None or geometry is None or not is_digits(feature.id):
            continue
        point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
        rows[(collection, int(feature.id))] = {
            "municipality_id": municipality,
            "name": str(props.get("name") or "")[:300],
            "identifier": props.get("identifier"),
            "address": props.get("address"),
            "species": props.get("species_de"),
            "species_botanical": props.get("species_botanical"),
            "water_use": water_use(props.get("species_botanical"), props.get("genus")),
            "planting_year": _int(props.get("planting_year")),
            "crown_diameter_m": _float(props.get("crown_diameter_m")),
            "lon": round(float(point.x), 7),
            "lat": round(float(point.y), 7),
        }
    _districts(session, rows)
    return rows


def apply(
    session: Session, rows: dict[tuple[str, int], dict[str, Any]], *, now: datetime
) -> SyncResult:
    """Bring ``water_trees`` in line with the register's rows (bulk inserts and updates);
    what the module added to a tree (the pit, the state) stays."""
    existing = {
        (c, o): (i, dict(zip(REGISTER_COLUMNS, values, strict=True)))
        for i, c, o, *values in session.execute(
            select(
                Tree.id,
                Tree.collection,
                Tree.object_id,
                *(getattr(Tree, k) for k in REGISTER_COLUMNS),
            )
        )
    }
    added = [
        {**values, "collection": key[0], "object_id": key[1], "synced_at": now}
        for key, values in rows.items()
        if key not in existing
    ]
    changed = [
        {**values, "id": existing[key][0], "synced_at": now}
        for key, values in rows.items()
        if key in existing and existing[key][1] != values
    ]
    gone = [existing[key][0] for key in existing if key not in rows]
    if added:
        session.execute(insert(Tree), added)
    if changed:
        session.execute(update(Tree), changed)
    if gone:
        session.execute(delete(Tree).where(Tree.id.in_(gone)))
    return SyncResult(len(added), len(changed), len(gone), len(rows))


def _districts(session: Session, rows: dict[tuple[str, int], dict[str, Any]]) -> None:
    """The district (identity's boundaries) each tree stands in, vectorised per district."""
    for values in rows.values():
        values["district_id"], values["district"] = None, None
    if not rows:
        return
    items = list(rows.values())
    lon = np.array([v["lon"] for v in items])
    lat = np.array([v["lat"] for v in items])
    municipality = np.array([v["municipality_id"] for v in items])
    for district in session.scalars(select(District).where(District.geom.is_not(None))):
        mine = np.flatnonzero(municipality == district.municipality_id)
        if mine.size == 0 or district.geom is None:
            continue
        inside = mine[shapely.contains_xy(district.geom, lon[mine], lat[mine])]
        for i in inside.tolist():
            if items[i]["district_id"] is None:
                items[i]["district_id"], items[i]["district"] = district.id, district.name
