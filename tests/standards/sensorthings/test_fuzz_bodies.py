"""Hypothesis against the JSON bodies of every SensorThings entity type: generated from the data
model (its properties, navigation properties, nested entities and links, plus strangers), sent
as POST to the entity set and as PATCH to an existing entity. Every body is stored (201/200)
or refused with a 4xx that leaves the database as it was; never a 500.

Each example writes, so each gets a database of its own: a copy of a seeded file (SQLite; a
few examples on PostgreSQL, whose databases cost more to make)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from allmende.core.errors import AllmendeError
from allmende.core.settings import Mode, Settings
from allmende.identity.principal import Principal
from allmende.sensing import models
from allmende.standards.sensorthings.exchange import StaRequest
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.model import ENTITY_TYPES, Kind, Nav, Prop, entity_type
from allmende.storage.database import Database
from allmende.storage.ephemeral_pg import EphemeralPostgres
from tests.conftest import SECRET, Templates

pytestmark = pytest.mark.integration

ROOT = "http://testserver/v1.1"
TABLES = [
    models.Thing,
    models.Location,
    models.HistoricalLocation,
    models.Sensor,
    models.ObservedProperty,
    models.Datastream,
    models.MultiDatastream,
    models.Observation,
    models.FeatureOfInterest,
    models.Actuator,
    models.TaskingCapability,
    models.Task,
]
_names = itertools.count()

# --- values, by the kind of property --------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
times = st.one_of(
    st.sampled_from(
        [
            "2025-01-01T00:00:00Z",
            "2025-01-01t10:00:00.5z",
            "2025-01-01T00:00:00+01:00",
            "2025-01-01T00:00:00Z/2025-01-02T00:00:00Z",
            "2025-01-02T00:00:00Z/2025-01-01T00:00:00Z",
            "9999-12-31T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "2025-01-01T00:00:00",
            "2025-01-01",
            "",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("0123456789-:TZ+./")), max_size=25),
    scalars,
)
geometries = st.one_of(
    st.builds(
        lambda x, y: {"type": "Point", "coordinates": [x, y]},
        st.floats(-200, 200, allow_nan=False),
        st.floats(-100, 100, allow_nan=False),
    ),
    st.just({"type": "Polygon", "coordinates": [[[8, 49], [9, 49], [9, 50], [8, 49]]]}),
    st.just({"type": "Feature", "geometry": {"type": "Point", "coordinates": [8, 49]}}),
    json_values,
)
texts = st.one_of(st.text(max_size=20), st.just("x" * 70_000), st.just("nul \x00"), scalars)
links = st.builds(
    lambda n: {"@iot.id": n},
    st.one_of(st.integers(1, 3), st.integers(-5, 2**63), st.text(max_size=3), st.none()),
)


def _value(prop: Prop) -> st.SearchStrategy[Any]:
    if prop.kind is Kind.TEXT:
        return texts
    if prop.kind is Kind.DOCUMENT:
        return geometries
    if prop.kind in (Kind.INSTANT, Kind.TIME, Kind.INTERVAL):
        return times
    return json_values


def _navigation(nav: Nav, depth: int) -> st.SearchStrategy[Any]:
    one = links if depth <= 0 else st.one_of(links, body(nav.target, depth - 1))
    return st.lists(one, max_size=2) if nav.many else st.one_of(one, scalars)


def body(name: str, depth: int = 1) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON body for an entity of type ``name``: any of its keys, plausible or not."""
    etype = entity_type(name)
    optional: dict[str, st.SearchStrategy[Any]] = {
        prop.name: _value(prop) for prop in etype.props if prop.name != "id"
    }
    optional.update({nav.name: _navigation(nav, depth) for nav in etype.navs})
    optional["@iot.id"] = st.integers(-1, 10)
    optional["nonsense"] = json_values
    return st.fixed_dictionaries({}, optional=optional)


# --- a fresh database per example ----------------------------------------------------------


@dataclass
class Seeded:
    backend: str
    source: str  # a file (SQLite) or a template database (PostgreSQL)
    principal: Principal
    folder: Path
    server: EphemeralPostgres | None = None


def _api(url: str) -> Api:
    return Api(
        Database(url),
        Settings(mode=Mode.DEV, database_url=url, secret_key=SECRET, mqtt_mode="off"),
    )


def _send(api: Api, principal: Principal, method: str, path: str, data: Any) -> Any:
    return api.handle(
        StaRequest(
            method=method,
            path=path,
            query="",
            principal=principal,
            root=ROOT,
            body=orjson.dumps(data),
            content_type="application/json",
        )
    )


def _seed(api: Api, principal: Principal) -> None:
    """One entity of each type (ids 1), two of some."""
    stream = {
        "name": "s",
        "description": "",
        "observationType": "OM_Measurement",
        "unitOfMeasurement": {"name": "C", "symbol": "Cel", "definition": "ucum:Cel"},
        "ObservedProperty": {"name": "T", "definition": "urn:t", "description": ""},
        "Sensor": {"name": "S", "description": "", "encodingType": "text/plain", "metadata": "m"},
        "Observations": [{"phenomenonTime": "2025-01-01T00:00:00Z", "result": 1}],
    }
    for path, data in (
        (
            "Things",
            {
                "name": "t",
                "description": "",
                "Locations": [
                    {
                        "name": "l",
                        "description": "",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.6, 49.4]},
                    }
                ],
                "Datastreams": [stream, {**stream, "Observations": []}],
            },
        ),
        (
            "MultiDatastreams",
            {
                "name": "m",
                "description": "",
                "observationType": "OM_ComplexObservation",
                "multiObservationDataTypes": ["OM_Measurement"],
                "unitOfMeasurements": [{"name": "C", "symbol": "Cel", "definition": "ucum"}],
                "Thing": {"@iot.id": 1},
                "Sensor": {"@iot.id": 1},
                "ObservedProperties": [{"@iot.id": 1}],
            },
        ),
        ("Actuators", {"name": "a", "description": "", "encodingType": "t", "metadata": "m"}),
        (
            "TaskingCapabilities",
            {
                "name": "c",
                "description": "",
                "taskingParameters": {"type": "DataRecord"},
                "Thing": {"@iot.id": 1},
                "Actuator": {"@iot.id": 1},
            },
        ),
        ("Tasks", {"taskingParameters": {"on": True}, "TaskingCapability": {"@iot.id": 1}}),
    ):
        assert _send(api, principal, "POST", path, data).status == 201


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    backend = request.param
    name = "sqlite_templates" if backend == "sqlite" else "postgres_templates"
    templates: Templates = request.getfixturevalue(name)
    region = templates.region
    principal = Principal(kind="user", name="staff", staff_of=frozenset({region.municipality_a}))
    folder = tmp_path_factory.mktemp("bodies")
    server: EphemeralPostgres | None = None
    if backend == "sqlite":
        source = str(folder / "seed.sqlite3")
        shutil.copyfile(templates.with_region, source)
        url = f"sqlite:///{source}"
    else:
        server = request.getfixturevalue("postgres_server")
        source = "allmende_bodies_seed"
        url = server.create_database(source, template=templates.with_region)
    api = _api(url)
    _seed(api, principal)
    api.database.close()
    yield Seeded(backend, source, principal, folder, server)
    if server is not None:
        server.drop_database(source)


@pytest.fixture(scope="module")
def fresh(seeded: Seeded) -> Any:
    """Makes an Api on a database of its own, a copy of the seeded one."""

    def make() -> tuple[Api, Any]:
        if seeded.server is None:
            path = seeded.folder / f"example-{next(_names)}.sqlite3"
            shutil.copyfile(seeded.source, path)
            return _api(f"sqlite:///{path}"), path.unlink
        server = seeded.server
        name = f"allmende_bodies_{next(_names)}"
        url = server.create_database(name, template=seeded.source)
        return _api(url), lambda: server.drop_database(name)

    return make


def _counts(database: Database) -> list[int]:
    with database.session() as session:
        return [int(session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES]


POINT = {"type": "Point", "coordinates": [8.6, 49.4]}
#: A body of each type that is stored as it is; the examples change a few of its members.
MINIMAL: dict[str, dict[str, Any]] = {
    "Thing": {"name": "t", "description": ""},
    "Location": {"name": "l", "description": "", "encodingType": "application/geo+json"}
    | {"location": POINT},
    "HistoricalLocation": {"time": "2025-01-01T00:00:00Z", "Thing": {"@iot.id": 1}},
    "Sensor": {"name": "S", "description": "", "encodingType": "text/plain", "metadata": "m"},
    "ObservedProperty": {"name": "T", "definition": "urn:t", "description": ""},
    "Datastream": {
        "name": "s",
        "description": "",
        "observationType": "OM_Measurement",
        "unitOfMeasurement": {"name": "C", "symbol": "Cel", "definition": "ucum:Cel"},
        "Thing": {"@iot.id": 1},
        "Sensor": {"@iot.id": 1},
        "ObservedProperty": {"@iot.id": 1},
    },
    "MultiDatastream": {
        "name": "m",
        "description": "",
        "observationType": "OM_ComplexObservation",
        "multiObservationDataTypes": ["OM_Measurement"],
        "unitOfMeasurements": [{"name": "C", "symbol": "Cel", "definition": "ucum"}],
        "Thing": {"@iot.id": 1},
        "Sensor": {"@iot.id": 1},
        "ObservedProperties": [{"@iot.id": 1}],
    },
    "Observation": {"result": 1, "Datastream": {"@iot.id": 1}},
    "FeatureOfInterest": {"name": "f", "description": "", "encodingType": "application/geo+json"}
    | {"feature": POINT},
    "Actuator": {"name": "a", "description": "", "encodingType": "t", "metadata": "m"},
    "TaskingCapability": {
        "name": "c",
        "description": "",
        "taskingParameters": {"type": "DataRecord"},
        "Thing": {"@iot.id": 1},
        "Actuator": {"@iot.id": 1},
    },
    "Task": {"taskingParameters": {"on": True}, "TaskingCapability": {"@iot.id": 1}},
}


def _changed(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """The minimal body of ``name`` with up to two members changed or added."""
    return st.tuples(body(name), st.integers(0, 2)).map(
        lambda t: {**MINIMAL[name], **dict(list(t[0].items())[: t[1]])}
    )


requests = st.sampled_from(sorted(ENTITY_TYPES)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.sampled_from(["POST", "PATCH"]),
        st.one_of(_changed(name), body(name)),
    )
)


@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=requests)
def test_every_body_is_stored_or_refused_whole(
    seeded: Seeded, fresh: Any, request: tuple[str, str, dict[str, Any]]
) -> None:
    if seeded.backend == "postgresql" and next(_names) % 10:
        return  # a database per example costs more here: every tenth example
    name, method, data = request
    plural = entity_type(name).plural
    path = plural if method == "POST" else f"{plural}(1)"
    api, cleanup = fresh()
    try:
        before = _counts(api.database)
        status, detail = _outcome(api, seeded.principal, method, path, data)
        event(f"{method} {status}")
        if status < 400:
            assert status == (201 if method == "POST" else 200)
        else:
            assert 400 <= status < 500, (status, detail)
            assert _counts(api.database) == before, "a refused body left rows behind"
    finally:
        api.database.close()
        cleanup()


def _outcome(api: Api, principal: Principal, method: str, path: str, data: Any) -> tuple[int, str]:
    try:
        return _send(api, principal, method, path, data).status, ""
    except AllmendeError as refused:
        return refused.status, str(refused)
