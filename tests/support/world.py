"""A test region with one resource of every kind in municipality A and in B, public and internal,
created through the JSON APIs as the admin key (so it follows the API, not the services' files).

Internal resources carry a marker in their title (``GEHEIM-a-…``) so that a test can look for it
in any answer: it may appear only to callers who may read that municipality's internal data.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image
from shapely.geometry import box, mapping
from sqlalchemy.orm import Session

from allmende.app import create_app
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.identity import service
from allmende.modules.participation import challenge
from allmende.sensing.vocabulary import AIR_TEMPERATURE
from allmende.storage.database import Database
from tests.conftest import SECRET
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

MUNICIPALITIES = {"a": "a-stadt", "b": "b-dorf"}
#: A point and a small square inside each municipality's boundary (see tests.support.region).
CENTRE = {"a": (8.65, 49.45), "b": (8.75, 49.45)}


def marker(m: str, kind: str) -> str:
    """The title of an internal resource: findable in any answer that leaks it."""
    return f"GEHEIM-{m}-{kind}"


def area(m: str, size: float = 0.01) -> dict[str, Any]:
    lon, lat = CENTRE[m]
    return mapping(box(lon - size, lat - size, lon + size, lat + size))


def point(m: str, shift: float = 0.0) -> dict[str, Any]:
    lon, lat = CENTRE[m]
    return {"type": "Point", "coordinates": [lon + shift, lat + shift]}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def challenge_token() -> str:
    """An anonymous-participation token issued a while ago, as after reading a form."""
    return challenge.issue(SECRET, now=time.time() - 10)


@dataclass
class Served:
    """One app on one backend for a whole test module (read-mostly tests)."""

    backend: str
    app: FastAPI
    client: TestClient
    database: Database
    region: Region


@contextmanager
def serve_module(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[Served]:
    """A migrated copy of the session's region template on ``backend``, served by one app."""
    templates = request.getfixturevalue(
        "sqlite_templates" if backend == "sqlite" else "postgres_templates"
    )
    dropped: str | None = None
    if backend == "sqlite":
        path = folder / "allmende.sqlite3"
        shutil.copyfile(templates.with_region, path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        dropped = f"allmende_module_{folder.name.replace('-', '_')}"
        url = server.create_database(dropped, template=templates.with_region)
    database = Database(url)
    settings = Settings(
        mode=Mode.DEV,
        database_url=url,
        secret_key=SECRET,
        region_name="Testregion",
        data_dir=folder / "data",
        mqtt_mode="off",
        run_jobs=False,  # what the world holds is what the test made, nothing more
    )
    app = create_app(settings, database=database, registry=Registry.build(discover()))
    try:
        with TestClient(app, base_url="http://testserver") as client:
            yield Served(backend, app, client, database, templates.region)
    finally:
        database.close()
        if dropped is not None:
            request.getfixturevalue("postgres_server").drop_database(dropped)


# --- credentials ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """A web session: the cookies and the CSRF header its unsafe requests carry."""

    cookies: dict[str, str]
    headers: dict[str, str]


def login(served: Served, email: str) -> Login:
    """A fresh session for ``email`` (made in the database: no password hash per login)."""

    def start(session: Session) -> str:
        user = service.user_by_email(session, email=email)
        return service.start_session(session, user=user, max_age=timedelta(hours=2))

    token = served.database.write(start)
    seed = "a-fixed-csrf-seed-0123456789abcdef"
    csrf = hmac.new(SECRET.encode(), seed.encode(), hashlib.sha256).hexdigest()
    return Login(
        cookies={"allmende_session": token, "allmende_csrf": seed},
        headers={"X-CSRF-Token": csrf},
    )


def new_key(
    served: Served, scopes: list[str], municipality: str | None = None, name: str = "test"
) -> str:
    def create(session: Session) -> str:
        return service.create_api_key(
            session,
            name=name,
            scopes=scopes,
            known_scopes=frozenset(
                service.BUILTIN_SCOPES | served.app.state.allmende.registry.scopes()
            ),
            municipality_key=municipality,
        ).key

    return str(served.database.write(create))


# --- the world -----------------------------------------------------------------------------------


@dataclass
class Place:
    """The resources of one municipality (ids), public and internal."""

    key: str
    municipality_id: int
    ids: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    served: Served
    places: dict[str, Place]
    admin: dict[str, str]

    def id(self, m: str, kind: str) -> int:
        return self.places[m].ids[kind]

    def post(self, url: str, expected: int = 201, **kw: Any) -> Any:
        response = self.served.client.post(url, headers=self.admin, **kw)
        assert response.status_code == expected, f"{url}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    # Fresh resources for operations that use them up (deletions, one-way transitions).
    def fresh(self, m: str, kind: str) -> int:
        return int(FACTORIES[kind](self, m))


def _now() -> datetime:
    return datetime.now(UTC)


def _phases() -> list[dict[str, Any]]:
    now = _now()
    return [
        {
            "title": "Beteiligung",
            "starts_at": (now - timedelta(days=5)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
            "allows": ["contribute", "comment", "support", "survey", "rate"],
        }
    ]


def _type(w: World, m: str) -> int:
    key = MUNICIPALITIES[m]
    return int(
        w.post(
            "/api/assets/types",
            json={"municipality": key, "key": f"poller_{m}", "name": f"Poller {m}"},
        )["id"]
    )


def _object(w: World, m: str, *, public: bool = True, type_key: str = "bench") -> int:
    name = f"Bank {m}" if public else marker(m, "object")
    body = {
        "municipality": MUNICIPALITIES[m],
        "type": type_key,
        "name": name,
        "geometry": point(m, 0.001),
        "public": public,
    }
    if type_key == "public_space":
        body["geometry"] = area(m, 0.002)
    if type_key == "tree":
        body["attributes"] = {"species_de": "Linde"}
    return int(w.post("/api/assets/objects", json=body)["id"])


def _internal_object(w: World, m: str) -> int:
    return _object(w, m, public=False)


def _file(w: World, m: str) -> int:
    obj = w.id(m, "object")
    created = w.post(
        f"/api/assets/objects/{obj}/documents",
        files={"document": ("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        data={"title": marker(m, "file"), "public": "false"},
    )
    return int(created["id"])


def _service(w: World, m: str) -> int:
    created = w.post(
        "/api/assets/services",
        json={
            "municipality": MUNICIPALITIES[m],
            "code": f"matrix-{m}-{time.monotonic_ns() % 10**9}",
            "name": f"Kategorie {m}",
        },
    )
    return int(created["id"])


def _report(w: World, m: str) -> int:
    created = w.post(
        "/open311/v2/requests.json",
        data={
            "jurisdiction_id": f"{MUNICIPALITIES[m]}.example",
            "service_code": "sonstiges",
            "lat": str(CENTRE[m][1]),
            "long": str(CENTRE[m][0]),
            "description": f"Schlagloch {m}",
        },
        expected=200,
    )
    return int(created[0]["service_request_id"])


def _booking(w: World, m: str) -> int:
    start = (_now() + timedelta(days=3 + time.monotonic_ns() % 300)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    created = w.post(
        "/api/assets/bookings",
        json={
            "space_id": w.id(m, "space"),
            "title": marker(m, "booking"),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "public": False,
        },
    )
    return int(created["id"])


def _plan(w: World, m: str) -> int:
    created = w.post(
        "/api/assets/plans",
        json={
            "municipality": MUNICIPALITIES[m],
            "type": "bench",
            "kind": "visual",
            "name": f"Sichtkontrolle {m}",
            "interval_days": 30,
            "checklist": [{"code": "stand", "label": "Standsicherheit"}],
        },
    )
    return int(created["id"])


def _inspection(w: World, m: str) -> int:
    created = w.post(
        f"/api/assets/objects/{w.id(m, 'object')}/inspections",
        json={"kind": "visual", "defects": [{"description": f"Schaden {m}"}]},
    )
    return int(created["id"])


def _work_order(w: World, m: str) -> int:
    created = w.post(
        "/api/assets/work-orders",
        json={"object_id": w.id(m, "object"), "title": f"Auftrag {m}"},
    )
    return int(created["id"])


def _defect(w: World, m: str) -> int:
    created = w.post(
        f"/api/assets/objects/{w.id(m, 'object')}/inspections",
        json={"kind": "visual", "defects": [{"description": f"Schaden {m}"}]},
    )
    return int(created["defects"][0]["id"])


def _process(w: World, m: str, *, public: bool = True) -> int:
    created = w.post(
        "/api/participation/processes",
        json={
            "municipality": MUNICIPALITIES[m],
            "title": f"Marktplatz {m}" if public else marker(m, "process"),
            "area": area(m),
            "public": public,
            "allow_anonymous": True,
            "phases": _phases(),
        },
    )
    return int(created["id"])


def _internal_process(w: World, m: str) -> int:
    return _process(w, m, public=False)


def _event(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/events",
        json={"title": "Rundgang", "starts_at": (_now() + timedelta(days=7)).isoformat()},
    )
    return int(created["id"])


def _faq(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/faq",
        json={"question": "Wann?", "answer": "Bald."},
    )
    return int(created["id"])


def _contribution(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/contributions",
        json={"title": f"Idee {m}", "text": "Mehr Bänke", "geometry": point(m)},
    )
    return int(created["id"])


def _comment(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/contributions/{w.id(m, 'contribution')}/comments",
        json={"text": "Gute Idee"},
    )
    return int(created["id"])


def _moderation_report(w: World, m: str) -> int:
    created = w.post(
        "/api/participation/reports",
        json={"contribution_id": w.id(m, "contribution"), "reason": "spam"},
    )
    return int(created["id"])


def _draft(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/drafts",
        json={"title": f"Entwurf {m}"},
    )
    return int(created["id"])


def _document(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/documents",
        files={"file": ("plan.png", png(), "image/png")},
        data={"title": "Lageplan"},
    )
    return int(created["id"])


def _layer(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/layers",
        json={
            "title": "Flächen",
            "kind": "geojson",
            "data": {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": point(m), "properties": {}}],
            },
        },
    )
    return int(created["id"])


def _survey(w: World, m: str) -> int:
    created = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/surveys",
        json={
            "title": "Umfrage",
            "results_public": True,
            "questions": [{"kind": "text", "prompt": "Was fehlt?"}],
        },
    )
    return int(created["id"])


def _question(w: World, m: str) -> int:
    survey = w.served.client.get(
        f"/api/participation/surveys/{w.id(m, 'survey')}", headers=w.admin
    ).json()
    return int(survey["questions"][0]["id"])


def _fresh_question(w: World, m: str) -> int:
    """The question of a survey of its own (for a deletion that leaves the world's intact)."""
    survey = w.post(
        f"/api/participation/processes/{w.id(m, 'process')}/surveys",
        json={"title": "Umfrage", "questions": [{"kind": "text", "prompt": "Was noch?"}]},
    )
    return int(survey["questions"][0]["id"])


def _webhook(w: World, m: str) -> int:
    created = w.post(
        "/api/webhooks",
        json={
            "url": "http://127.0.0.1:9/hook",
            "events": ["assets.*"],
            "municipality": MUNICIPALITIES[m],
        },
    )
    return int(created["id"])


def _api_key(w: World, m: str) -> int:
    created = w.post(
        "/api/apikeys",
        json={"name": f"Schlüssel {m}", "scopes": ["open311"], "municipality": MUNICIPALITIES[m]},
    )
    return int(created["id"])


def _notice(w: World, m: str, *, public: bool = True) -> int:
    created = w.post(
        "/api/notices",
        json={
            "municipality": MUNICIPALITIES[m],
            "title": f"Aushang {m}" if public else marker(m, "notice"),
            "public": public,
        },
    )
    return int(created["id"])


def _internal_notice(w: World, m: str) -> int:
    return _notice(w, m, public=False)


def _thing(w: World, m: str, *, public: bool = True) -> int:
    response = w.served.client.post(
        f"/v1.1/Things?municipality={MUNICIPALITIES[m]}&public={str(public).lower()}",
        headers=w.admin,
        json={
            "name": f"Station {m}" if public else marker(m, "thing"),
            "description": "Dach",
            "Locations": [
                {
                    "name": "Dach",
                    "description": "Dach",
                    "encodingType": "application/geo+json",
                    "location": point(m),
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    return int(location[location.rindex("(") + 1 : -1])


def _building(w: World, m: str, *, public: bool = True) -> int:
    lon, lat = CENTRE[m]
    created = w.post(
        "/api/energy/buildings",
        json={
            "municipality": MUNICIPALITIES[m],
            "name": f"Schule {m}" if public else marker(m, "building"),
            "use": "school",
            "floor_area": 1200,
            "heating_system": "gas",
            "lon": lon,
            "lat": lat,
            "public": public,
        },
    )
    return int(created["id"])


def _meter(w: World, m: str, *, building: str = "building") -> int:
    created = w.post(
        f"/api/energy/buildings/{w.id(m, building)}/meters",
        json={"name": "Hauptzähler Gas", "carrier": "gas"},
    )
    return int(created["id"])


def _user(w: World, m: str) -> int:
    """A citizen account without a password (an invitation not taken up yet)."""
    email = f"person-{m}-{time.monotonic_ns()}@example.org"
    return int(
        w.served.database.write(
            lambda s: service.create_user(s, email=email, display_name=f"Person {m}").id
        )
    )


def _datastream(w: World, m: str, *, public: bool = True) -> int:
    """An air temperature Datastream: it makes its Thing a weather station of the heat module."""
    thing = "thing" if public else "internal_thing"
    response = w.served.client.post(
        f"/v1.1/Datastreams?municipality={MUNICIPALITIES[m]}&public={str(public).lower()}",
        headers=w.admin,
        json={
            "name": "Lufttemperatur",
            "description": "2 m",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "Grad Celsius", "symbol": "Cel", "definition": "ucum"},
            "Thing": {"@iot.id": w.id(m, thing)},
            "Sensor": {
                "name": "T",
                "description": "T",
                "encodingType": "text/plain",
                "metadata": "-",
            },
            "ObservedProperty": {
                "name": "Lufttemperatur",
                "definition": AIR_TEMPERATURE,
                "description": "Lufttemperatur",
            },
        },
    )
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    return int(location[location.rindex("(") + 1 : -1])


def _plan_entry(w: World, m: str) -> int:
    created = w.post(
        f"/api/heat/municipalities/{MUNICIPALITIES[m]}/plan",
        json={"thing_id": w.id(m, "thing"), "name": "Sprühnebel", "device_kind": "misting"},
    )
    return int(created["id"])


def dataset_key(number: int) -> str:
    """The id of the world's catalogue dataset ``number`` (ids of resources are numbers)."""
    return f"matrix-{number}"


def _dataset(w: World, m: str, *, hidden: bool = False) -> int:
    number = time.monotonic_ns()
    w.post(
        "/api/catalog/datasets",
        json={
            "municipality": MUNICIPALITIES[m],
            "key": dataset_key(number),
            "title": marker(m, "dataset") if hidden else f"Haushaltsplan {m}",
            "links": [{"title": "Plan", "url": "https://example.org/plan.pdf", "format": "PDF"}],
            "hidden": hidden,
        },
    )
    return number


#: How to make each kind of resource in a municipality (in dependency order).
FACTORIES: dict[str, Any] = {
    "type": _type,
    "object": _object,
    "internal_object": _internal_object,
    "tree": lambda w, m: _object(w, m, type_key="tree"),
    "space": lambda w, m: _object(w, m, type_key="public_space"),
    "file": _file,
    "service": _service,
    "report": _report,
    "booking": _booking,
    "plan": _plan,
    "inspection": _inspection,
    "defect": _defect,
    "work_order": _work_order,
    "process": _process,
    "internal_process": _internal_process,
    "event": _event,
    "faq": _faq,
    "contribution": _contribution,
    "comment": _comment,
    "moderation_report": _moderation_report,
    "draft": _draft,
    "document": _document,
    "layer": _layer,
    "survey": _survey,
    "question": _question,
    "fresh_question": _fresh_question,
    "notice": _notice,
    "internal_notice": _internal_notice,
    "thing": _thing,
    "internal_thing": lambda w, m: _thing(w, m, public=False),
    "webhook": _webhook,
    "building": _building,
    "internal_building": lambda w, m: _building(w, m, public=False),
    "meter": _meter,
    "internal_meter": lambda w, m: _meter(w, m, building="internal_building"),
    "api_key": _api_key,
    "user": _user,
    "datastream": _datastream,
    "internal_datastream": lambda w, m: _datastream(w, m, public=False),
    "plan_entry": _plan_entry,
    "dataset": _dataset,
    "withdrawn_dataset": lambda w, m: _dataset(w, m, hidden=True),
}


def build_world(served: Served) -> World:
    """Every kind of resource once in A and once in B."""
    region = served.region
    admin = bearer(region.key_admin)
    world = World(
        served,
        {
            "a": Place(MUNICIPALITIES["a"], region.municipality_a),
            "b": Place(MUNICIPALITIES["b"], region.municipality_b),
        },
        admin,
    )
    for m in MUNICIPALITIES:
        world.post(f"/api/assets/default-services?municipality={MUNICIPALITIES[m]}", 200)
    for kind, make in FACTORIES.items():
        for m in MUNICIPALITIES:
            world.places[m].ids[kind] = int(make(world, m))
    return world
