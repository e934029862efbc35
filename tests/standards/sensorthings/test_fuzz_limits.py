"""Hypothesis against the bounds of a read: ``$expand`` trees of any depth and width, ``$top``
and ``$skip`` of any size, times of any year and durations of any length in ``$filter`` and
``$aggregate``, every result format — on a small read-only fixture (built once per backend)
that also holds a time stored before the supported range was enforced. Every answer is 200
with valid JSON, or a 4xx that says what is wrong; never a 500."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.sensing.models import Observation
from allmende.storage.database import Database
from allmende.storage.ephemeral_pg import EphemeralPostgres
from tests.conftest import SECRET, Templates
from tests.standards.sensorthings.conftest import Sta
from tests.support.client import TestClient
from tests.support.web import bearer

pytestmark = pytest.mark.integration

NAVIGATIONS = [
    "Thing",
    "Things",
    "Datastreams",
    "Datastream",
    "Locations",
    "HistoricalLocations",
    "Observations",
    "FeatureOfInterest",
    "Sensor",
    "ObservedProperty",
    "Nothing",
]
SETS = ["Things", "Datastreams", "Observations", "Locations", "Things(1)", "Datastreams(1)"]


def _stream(name: str, day: int) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "observationType": "OM_Measurement",
        "unitOfMeasurement": {"name": "C", "symbol": "Cel", "definition": "ucum:Cel"},
        "ObservedProperty": {"name": "T", "definition": "urn:t", "description": ""},
        "Sensor": {"name": "S", "description": "", "encodingType": "text/plain", "metadata": "m"},
        "Observations": [
            {"phenomenonTime": f"2025-01-{day + n:02d}T00:00:00Z", "result": n} for n in range(3)
        ],
    }


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def reader(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sta]:
    """An app on its own database with two Things, three Datastreams, nine Observations (one
    of them stored at 9999-12-31 before the range was enforced); read-only from here on."""
    backend = request.param
    name = "sqlite_templates" if backend == "sqlite" else "postgres_templates"
    templates: Templates = request.getfixturevalue(name)
    dropped = None
    if backend == "sqlite":
        path = Path(tmp_path_factory.mktemp("fuzz")) / "allmende.sqlite3"
        shutil.copyfile(templates.with_region, path)
        url = f"sqlite:///{path}"
    else:
        server: EphemeralPostgres = request.getfixturevalue("postgres_server")
        dropped = "allmende_fuzz_limits"
        url = server.create_database(dropped, template=templates.with_region)
    database = Database(url)
    settings_ = Settings(
        mode=Mode.DEV, database_url=url, secret_key=SECRET, mqtt_mode="off", run_jobs=False
    )
    app = create_app(settings_, database=database, registry=Registry([]))
    with TestClient(app, base_url="http://testserver") as client:
        writer = Sta(client, bearer(templates.region.key_sensorthings_a))
        for name, streams in (("one", ["a", "b"]), ("two", ["c"])):
            writer.post(
                "Things",
                {
                    "name": name,
                    "description": name,
                    "properties": {"n": len(streams)},
                    "Locations": [
                        {
                            "name": name,
                            "description": "",
                            "encodingType": "application/geo+json",
                            "location": {"type": "Point", "coordinates": [8.6, 49.4]},
                        }
                    ],
                    "Datastreams": [_stream(s, 1 + 3 * i) for i, s in enumerate(streams)],
                },
            )
        database.write(
            lambda session: session.execute(
                update(Observation)
                .where(Observation.id == 1)
                .values(
                    phenomenon_time=253402214400_000000, phenomenon_time_end=253402214400_000000
                )
            )
        )
        yield Sta(client, {})
    database.close()
    if dropped is not None:
        request.getfixturevalue("postgres_server").drop_database(dropped)


def _check(response: Any) -> None:
    assert response.status_code in (200, 400, 404), (response.status_code, response.text[:500])
    if "json" in response.headers.get("content-type", ""):
        body = orjson.loads(response.content)
        if response.status_code == 400:
            assert body.get("message"), response.text


#: Counts, with the edges of 64 bits that a sum can cross.
counts = st.one_of(
    st.integers(0, 20), st.sampled_from([2**63 - 2, 2**63 - 1, 2**63, 2**64, 10**30])
)


def _expand_item(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    options = st.lists(
        st.one_of(
            counts.map(lambda n: f"$top={n}"),
            counts.map(lambda n: f"$skip={n}"),
            st.sampled_from(["$count=true", "$select=id,name", "$filter=id gt 0", "$orderby=id"]),
            st.lists(children, min_size=1, max_size=3).map(lambda c: "$expand=" + ",".join(c)),
        ),
        max_size=3,
    )
    return st.tuples(st.sampled_from(NAVIGATIONS), options).map(
        lambda t: f"{t[0]}({';'.join(t[1])})" if t[1] else t[0]
    )


expands = st.lists(
    st.recursive(st.sampled_from(NAVIGATIONS), _expand_item, max_leaves=12),
    min_size=1,
    max_size=2,
).map(",".join)

years = st.one_of(st.integers(0, 9999), st.sampled_from([1582, 1583, 2999, 3000, 9999, 0]))
times = st.builds(
    lambda y, m, d, z: f"{y:04d}-{m:02d}-{d:02d}T12:00:00{z}",
    years,
    st.integers(1, 13),
    st.integers(1, 31),
    st.sampled_from(["Z", "z", "+01:00", "-23:59", "", "+24:00"]),
)
durations = st.builds(
    lambda sign, n, unit: f"{sign}P{'T' if unit in 'HMS' else ''}{n}{unit}",
    st.sampled_from(["", "-"]),
    st.one_of(st.integers(0, 10), st.integers(0, 10**20)),
    st.sampled_from(list("WDHMS")),
)
conditions = st.one_of(
    st.builds(lambda t: f"phenomenonTime gt {t}", times),
    st.builds(lambda t, u: f"during(phenomenonTime, {t}/{u})", times, times),
    st.builds(
        lambda ds: "now() sub " + " sub ".join(f"duration'{d}'" for d in ds) + " lt phenomenonTime",
        st.lists(durations, min_size=1, max_size=30),
    ),
    st.builds(lambda d: f"phenomenonTime add duration'{d}' gt maxdatetime()", durations),
    st.sampled_from(["year(phenomenonTime) gt 2000", "month(phenomenonTime) eq 12"]),
)
queries = st.fixed_dictionaries(
    {},
    optional={
        "$expand": expands,
        "$filter": conditions,
        "$top": counts.map(str),
        "$skip": counts.map(str),
        "$count": st.sampled_from(["true", "false"]),
        "$resultFormat": st.sampled_from(["dataArray", "GeoJSON", "CSV"]),
        "$aggregate": st.one_of(durations, st.sampled_from(["P1M", "P1Y", "PT1H"])),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entity_set=st.sampled_from(SETS), query=queries)
def test_every_bounded_read_gets_a_complete_answer(
    reader: Sta, entity_set: str, query: dict[str, str]
) -> None:
    text = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    _check(reader.client.get(f"/v1.1/{entity_set}?{text}"))
