"""What the map, the tree pages and the crews read: public tree states, clusters by bounding
box, the prioritised watering list grouped into tours.

Trees and their states are public (they are public trees of the register); waterings are shown
as date, litres and "citizen" or "crew", never who.

The map answers a bounding box: up to ``POINTS`` trees as points, otherwise clusters on a
grid whose cell shrinks with the zoom, counted per status in one grouped query (the
``(lon, lat)`` index narrows the box), so 100 000 trees never travel to the browser at once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from allmende.modules.water import soil
from allmende.modules.water.catalogue import LOCAL_ZONE, SCOPE
from allmende.modules.water.models import Probe, Tree, Watering
from allmende.sdk import Action, NotFound, Principal, require, utcnow

POINTS = 2000
STATUS_ORDER = {"now": 0, "soon": 1, "ok": 2}
MAX_LIST = 500


def _box(bbox: tuple[float, float, float, float] | None) -> list[Any]:
    if bbox is None:
        return []
    minx, miny, maxx, maxy = bbox
    return [Tree.lon >= minx, Tree.lon <= maxx, Tree.lat >= miny, Tree.lat <= maxy]


def band_of(suction: float | None) -> str | None:
    return None if suction is None else soil.BANDS[int(soil.band(suction))]


def map_features(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: int | None,
    status: str | None = None,
) -> dict[str, Any]:
    """GeoJSON of the trees in ``bbox``: points, or clusters when there are too many."""
    conditions = _box(bbox)
    if status is not None:
        conditions.append(Tree.status == status)
    count = session.scalar(select(func.count()).select_from(Tree).where(*conditions)) or 0
    if count <= POINTS:
        rows = session.execute(
            select(Tree.object_id, Tree.name, Tree.lon, Tree.lat, Tree.status, Tree.need_l)
            .where(*conditions)
            .order_by(Tree.id)
        ).all()
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": r.object_id,
                    "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                    "properties": {
                        "kind": "tree",
                        "name": r.name,
                        "status": r.status,
                        "need_l": r.need_l,
                        "url": f"/water/trees/{r.object_id}",
                    },
                }
                for r in rows
            ],
            "numberMatched": count,
        }
    cell = 360 / (2 ** max(min(zoom if zoom is not None else 12, 20), 0)) / 4  # a quarter tile
    gx = cast((Tree.lon + 180) / cell, Integer)
    gy = cast((Tree.lat + 90) / cell, Integer)
    cells = session.execute(
        select(
            func.count(),
            func.avg(Tree.lon),
            func.avg(Tree.lat),
            func.sum(case((Tree.status == "now", 1), else_=0)),
            func.sum(case((Tree.status == "soon", 1), else_=0)),
        )
        .where(*conditions)
        .group_by(gx, gy)
    ).all()
    features = []
    for n, lon, lat, now, soon in cells:
        now, soon = int(now or 0), int(soon or 0)
        worst = "now" if now else "soon" if soon else "ok"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {
                    "kind": "cluster",
                    "count": int(n),
                    "now": now,
                    "soon": soon,
                    "ok": int(n) - now - soon,
                    "status": worst,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "numberMatched": count}


def trees_needing_water(
    session: Session,
    *,
    municipality_id: int | None,
    district: str | None,
    status: str | None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Tree], int]:
    """Trees in order of need (now, then soon; the driest first), for the list without a map."""
    conditions = []
    if municipality_id is not None:
        conditions.append(Tree.municipality_id == municipality_id)
    if district:
        conditions.append(Tree.district == district)
    conditions.append(Tree.status == status if status else Tree.status.in_(["now", "soon"]))
    total = session.scalar(select(func.count()).select_from(Tree).where(*conditions)) or 0
    rows = session.scalars(
        select(Tree)
        .where(*conditions)
        .order_by(
            case((Tree.status == "now", 0), (Tree.status == "soon", 1), else_=2),
            Tree.suction_kpa.desc(),
            Tree.id,
        )
        .limit(max(0, min(limit, MAX_LIST)))
        .offset(max(0, offset))
    ).all()
    return list(rows), int(total)


def status_counts(session: Session, *, municipality_id: int | None = None) -> dict[str, int]:
    query = select(Tree.status, func.count()).group_by(Tree.status)
    if municipality_id is not None:
        query = query.where(Tree.municipality_id == municipality_id)
    counts = {"now": 0, "soon": 0, "ok": 0}
    for status, n in session.execute(query):
        if status in counts:
            counts[status] = int(n)
    return counts


def districts(session: Session, *, municipality_id: int | None = None) -> list[str]:
    query = select(Tree.district).where(Tree.district.is_not(None)).distinct()
    if municipality_id is not None:
        query = query.where(Tree.municipality_id == municipality_id)
    return sorted(d for d in session.scalars(query) if d)


@dataclass(frozen=True)
class TreePage:
    tree: Tree
    waterings: list[Watering]
    probes: list[Probe]
    probe_tree: Tree | None


def tree_page(session: Session, *, object_id: int) -> TreePage:
    tree = session.scalar(
        select(Tree).where(Tree.object_id == object_id).order_by(Tree.id).limit(1)
    )
    if tree is None:
        raise NotFound(detail=f"No tree with id {object_id} in the water balance.")
    waterings = list(
        session.scalars(
            select(Watering)
            .where(Watering.tree_id == tree.id)
            .order_by(Watering.at.desc())
            .limit(20)
        )
    )
    probes = list(
        session.scalars(select(Probe).where(Probe.tree_id == tree.id).order_by(Probe.name))
    )
    probe_tree = (
        session.get(Tree, tree.probe_tree_id)
        if tree.probe_tree_id is not None and tree.probe_tree_id != tree.id
        else None
    )
    return TreePage(tree, waterings, probes, probe_tree)


# --- the crews' list -------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    tree: Tree
    age: int | None
    days_since_watering: int | None
    score: float


@dataclass(frozen=True)
class Tour:
    district: str
    stops: list[Stop]
    litres: float

    @property
    def trees(self) -> int:
        return len(self.stops)


def crew_tours(
    session: Session, *, principal: Principal, municipality_id: int, day: date | None = None
) -> list[Tour]:
    """Today's watering list of a municipality: trees needing water now or soon, by priority
    (status, days until critical, need, youth, time since the last watering), grouped into
    tours by district, each tour in a walking order (nearest next stop)."""
    require(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)
    today = day or utcnow().astimezone(LOCAL_ZONE).date()
    trees = session.scalars(
        select(Tree).where(
            Tree.municipality_id == municipality_id, Tree.status.in_(["now", "soon"])
        )
    ).all()
    groups: dict[str, list[Stop]] = defaultdict(list)
    for t in trees:
        age = today.year - t.planting_year if t.planting_year else None
        last = t.last_watered_at.date() if t.last_watered_at else None
        since = (today - last).days if last else None
        score = (
            (0 if t.status == "now" else 100)
            + (
                t.critical_in_days
                if t.critical_in_days is not None and t.critical_in_days >= 0
                else 7
            )
            - min((t.need_l or 0) / 50, 10)
            - (5 if age is not None and age < 5 else 2 if age is not None and age < 15 else 0)
            - min((since if since is not None else 30) / 6, 5)
        )
        groups[t.district or "—"].append(Stop(t, age, since, round(score, 2)))
    tours = []
    for district, stops in groups.items():
        ordered = _walk(sorted(stops, key=lambda s: (s.score, s.tree.id)))
        tours.append(Tour(district, ordered, float(sum(s.tree.dose_l or 0 for s in ordered))))
    tours.sort(key=lambda t: (min(s.score for s in t.stops), t.district))
    return tours


def _walk(stops: list[Stop]) -> list[Stop]:
    """Start at the most urgent tree, then always the nearest one not yet visited."""
    if len(stops) <= 2:
        return stops
    left = stops[1:]
    route = [stops[0]]
    while left:
        here = route[-1].tree
        scale = math.cos(math.radians(here.lat))
        nearest = min(
            range(len(left)),
            key=lambda i: (
                ((left[i].tree.lon - here.lon) * scale) ** 2 + (left[i].tree.lat - here.lat) ** 2
            ),
        )
        route.append(left.pop(nearest))
    return route


def trees_by_id(session: Session, ids: list[int]) -> dict[int, Tree]:
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(Tree).where(Tree.id.in_(sorted(set(ids)))))}


def probes(session: Session, *, municipality_ids: list[int] | None) -> list[Probe]:
    """The probes, the ones needing attention first; ``None`` reads every municipality."""
    query = select(Probe).order_by(Probe.status.desc(), Probe.name)
    if municipality_ids is not None:
        query = query.where(Probe.municipality_id.in_(municipality_ids))
    return list(session.scalars(query))
