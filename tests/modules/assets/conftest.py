"""A small world for the assets tests: objects public and internal in municipalities A and B,
report categories, and the principals of every role (on both backends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.identity.principal import Principal
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import ObjectCreate
from allmende.storage.base import Base
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region, people_of
from tests.support.seeds import seed
from tests.support.web import csrf_from, sign_in

SQUARE = box(8.610, 49.410, 8.612, 49.412)


@dataclass(frozen=True)
class World:
    tree: int  # A, public, adoptable
    bench_internal: int  # A, internal
    playground: int  # A, polygon
    device: int  # A, child of the playground
    square: int  # A, bookable
    tree_b_internal: int  # B, internal
    bench_b: int  # B, public


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def make(session: Session, who: Principal, municipality: str, type_key: str, **fields: Any) -> int:
    data = ObjectCreate(municipality=municipality, type=type_key, **fields)
    return objects.create_object(session, principal=who, data=data).id


@seed
def world(database: Database, region: Region) -> World:
    """Objects of every kind in A and B and the report categories, seeded once per backend."""
    people = people_of(database, region)

    def build(session: Session) -> World:
        a, b = people.staff_a, people.staff_b
        tree = make(
            session,
            a,
            "a-stadt",
            "tree",
            name="Winter-Linde A-1",
            identifier="A-1",
            geometry=point(8.65, 49.45),
            attributes={"species_de": "Winter-Linde", "planting_year": 1990, "risk_class": "low"},
        )
        bench = make(
            session,
            a,
            "a-stadt",
            "bench",
            name="Bank intern",
            geometry=point(8.66, 49.46),
            public=False,
        )
        playground = make(
            session,
            a,
            "a-stadt",
            "playground",
            name="Spielplatz Mitte",
            identifier="SP-1",
            geometry={
                "type": "Polygon",
                "coordinates": [list(box(8.640, 49.440, 8.641, 49.441).exterior.coords)],
            },
        )
        device = make(
            session,
            a,
            "a-stadt",
            "play_device",
            name="Schaukel",
            identifier="SP-1-1",
            geometry=point(8.6405, 49.4405),
            parent_id=playground,
            attributes={"device_kind": "Schaukel", "installed_year": 2015},
        )
        square = make(
            session,
            a,
            "a-stadt",
            "public_space",
            name="Marktplatz",
            geometry={"type": "Polygon", "coordinates": [list(SQUARE.exterior.coords)]},
        )
        tree_b = make(
            session,
            b,
            "b-dorf",
            "tree",
            name="Eiche B intern",
            geometry=point(8.75, 49.45),
            public=False,
        )
        bench_b = make(session, b, "b-dorf", "bench", name="Bank B", geometry=point(8.76, 49.46))
        for m in (region.municipality_a, region.municipality_b):
            reports.add_default_services(session, principal=people.admin, municipality_id=m)
        return World(tree, bench, playground, device, square, tree_b, bench_b)

    return database.write(build)


ASSET_TABLES = sorted(t for t in Base.metadata.tables if t.startswith("assets_"))


def snapshot(database: Database) -> dict[str, int]:
    """Rows per table of the module: compared before and after a refused input."""
    with database.session() as session:
        return {
            name: int(
                session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
            )
            for name in ASSET_TABLES
        }


def staff_client(client: TestClient, email: str) -> dict[str, str]:
    """Sign the test client in; returns the CSRF header for its API calls."""
    sign_in(client, email)
    return {"X-CSRF-Token": csrf_from(client.get("/login").text)}


def count(database: Database, model: Any) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
