"""Builds the demo region: a Kreisstadt and two Gemeinden with districts, accounts and a key.

The places are fictional (their municipality keys use the unassigned district 999) but lie in
the Rhine-Neckar area, whose test reference weather the sensor demo can use. Everything is
derived from a fixed seed, so the demo is the same on every machine.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from allmende.core.geo import from_metric, to_metric
from allmende.core.registry import Registry
from allmende.identity import service
from allmende.identity.demo import DemoContext
from allmende.identity.models import District, Municipality, Role

SEED = 20261125
DEMO_PASSWORD = "allmende-demo"  # noqa: S105 - published demo credential, demo mode only
REGION_NAME = "Region Auenland (Demo)"


@dataclass(frozen=True)
class PlaceSpec:
    key: str
    name: str
    kind: str
    ags: str
    lon: float
    lat: float
    radius_m: float
    districts: tuple[tuple[str, int], ...]  # name, population; the first is the centre


PLACES = (
    PlaceSpec(
        "auenstadt",
        "Auenstadt",
        "Große Kreisstadt",
        "08999001",
        8.720,
        49.470,
        2600,
        (
            ("Innenstadt", 8200),
            ("Nordstadt", 6900),
            ("Oststadt", 5400),
            ("Südstadt", 7300),
            ("Weststadt", 4800),
        ),
    ),
    PlaceSpec(
        "lindenbach",
        "Lindenbach",
        "Gemeinde",
        "08999002",
        8.800,
        49.520,
        1800,
        (("Ortskern", 3100), ("Oberdorf", 2200), ("Unterdorf", 1900)),
    ),
    PlaceSpec(
        "eichtal",
        "Eichtal",
        "Gemeinde",
        "08999003",
        8.660,
        49.560,
        1700,
        (("Ortskern", 2600), ("Am Hang", 1500)),
    ),
)


def _outline(rng: random.Random, centre: Point, radius: float, vertices: int = 28) -> Polygon:
    """An irregular but simple polygon: radii vary, angles only increase (star-shaped)."""
    points = []
    for i in range(vertices):
        angle = 2 * math.pi * i / vertices
        r = radius * rng.uniform(0.78, 1.12)
        points.append((centre.x + r * math.cos(angle), centre.y + r * math.sin(angle)))
    return Polygon(points)


def _districts(outline: Polygon, centre: Point, radius: float, count: int) -> list[BaseGeometry]:
    """A centre district, and the rest of the outline cut into wedges around it."""
    core = outline.intersection(centre.buffer(radius * 0.38, quad_segs=8))
    ring = outline.difference(core)
    wedges = count - 1
    parts: list[BaseGeometry] = [core]
    # Clockwise from the north, as the districts are listed (Nord, Ost, Süd, West).
    for i in range(wedges):
        a0 = math.pi / 2 - math.pi / wedges - 2 * math.pi * i / wedges
        a1 = a0 + 2 * math.pi / wedges
        far = radius * 3
        steps = [a0 + (a1 - a0) * k / 8 for k in range(9)]
        wedge = Polygon(
            [(centre.x, centre.y)]
            + [(centre.x + far * math.cos(a), centre.y + far * math.sin(a)) for a in steps]
        )
        parts.append(ring.intersection(wedge))
    return parts


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the build (on again afterwards if it was on):
    the build makes about half a million Observation rows that all live until it ends, and the
    collector would scan them, and everything else the process holds, again and again (about a
    third of each batch ingest's time). What the build leaves for the collector is a few MiB."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_region(session: Session, *, registry: Registry, now: datetime) -> DemoContext:
    """Create the region in an empty database and let every module add its demo data."""
    with _collector_paused():
        return _build_region(session, registry=registry, now=now)


def _build_region(session: Session, *, registry: Registry, now: datetime) -> DemoContext:
    rng = random.Random(SEED)
    municipalities: dict[str, Municipality] = {}
    districts: dict[str, list[District]] = {}
    for place in PLACES:
        centre = to_metric(Point(place.lon, place.lat))
        assert isinstance(centre, Point)
        outline = _outline(rng, centre, place.radius_m)
        municipality = Municipality(
            key=place.key,
            name=place.name,
            kind=place.kind,
            ags=place.ags,
            jurisdiction_id=f"{place.key}.demo.allmende.example",
            website=f"https://{place.key}.demo.allmende.example",
            contact_email=f"rathaus@{place.key}.demo.allmende.example",
        )
        municipality.geom = from_metric(outline)
        session.add(municipality)
        session.flush()
        shapes = _districts(outline, centre, place.radius_m, len(place.districts))
        districts[place.key] = []
        for (name, population), shape in zip(place.districts, shapes, strict=True):
            district = District(municipality_id=municipality.id, name=name, population=population)
            district.geom = from_metric(shape)
            session.add(district)
            districts[place.key].append(district)
        municipalities[place.key] = municipality
    session.flush()

    password_hash = service.hashed_password(DEMO_PASSWORD)  # once for every demo account
    users = {
        "admin": service.create_user(
            session,
            email="admin@demo.allmende.example",
            display_name="Alex Admin",
            password_hash=password_hash,
            is_admin=True,
        ),
        "citizen": service.create_user(
            session,
            email="buerger@demo.allmende.example",
            display_name="Bea Bürger",
            password_hash=password_hash,
        ),
    }
    staff_names = {
        "auenstadt": "Sam Stadtverwaltung",
        "lindenbach": "Lena Lindner",
        "eichtal": "Emil Eichler",
    }
    for key, name in staff_names.items():
        user = service.create_user(
            session,
            email=f"staff@{key}.demo.allmende.example",
            display_name=name,
            password_hash=password_hash,
        )
        service.set_role(session, email=user.email, role=Role.STAFF, municipality_key=key)
        users[f"staff:{key}"] = user

    context = DemoContext(
        session=session,
        rng=rng,
        now=now,
        municipalities=municipalities,
        districts=districts,
        users=users,
        feature_sources=tuple(source for m in registry for source in m.feature_sources),
    )
    for module in registry:
        if module.demo is not None:
            module.demo(context)
            session.flush()
    return context


def demo_accounts() -> list[dict[str, str]]:
    """The accounts the sign-in page and the command line show in demo mode."""
    staff = [
        {
            "email": f"staff@{place.key}.demo.allmende.example",
            "password": DEMO_PASSWORD,
            "role": "staff",
            "municipality": place.name,
        }
        for place in PLACES
    ]
    return [
        {"email": "admin@demo.allmende.example", "password": DEMO_PASSWORD, "role": "admin"},
        *staff,
        {"email": "buerger@demo.allmende.example", "password": DEMO_PASSWORD, "role": "citizen"},
    ]
