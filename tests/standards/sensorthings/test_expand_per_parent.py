"""``$expand`` with ``$top``/``$orderby``/``$filter`` per parent: the same answers as each
parent's own navigation path, from a plan that reads only each parent's page (an index scan
per parent: LATERAL on PostgreSQL, a correlated ``IN (… LIMIT)`` on SQLite), and a stream's
newest Observation from the pointer the stream keeps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import event, text

from allmende.sensing import read
from allmende.storage.database import Database
from tests.standards.sensorthings.conftest import Sta
from tests.support.region import Region

pytestmark = pytest.mark.integration

T0 = 1_700_000_000_000_000
MINUTE = 60_000_000
#: Observations per Datastream: empty, one, a few, and enough for a plan to see an index.
SIZES = (0, 1, 7, 40, 600, 1200)


def _network(database: Database, region: Region) -> dict[str, list[int]]:
    """Three public Things and one internal, sharing Locations two by two, with Datastreams of
    the sizes above (results that repeat, so ordering by result needs its tie-break)."""

    def build(session: Any) -> dict[str, list[int]]:
        a = region.municipality_a
        sensor = read.create_sensor(session, municipality_id=a, name="s")
        prop = read.create_observed_property(session, municipality_id=a, name="t", definition="d")
        things, streams = [], []
        for n in range(4):
            thing = read.create_thing(
                session, municipality_id=a, name=f"thing {n}", lon=8.6 + n / 100, lat=49.4,
                public=n != 3,
            )  # fmt: skip
            things.append(thing)
            for size in SIZES[n % 2 :: 2] if n < 2 else SIZES[n - 2 :: 3]:
                stream = read.create_datastream(
                    session, thing_id=thing, sensor_id=sensor, observed_property_id=prop,
                    name=f"stream {n}/{size}", unit={"name": "c", "symbol": "c", "definition": "c"},
                )  # fmt: skip
                streams.append(stream)
                times = [T0 + i * MINUTE for i in range(size)]
                read.ingest_series(
                    session, datastream_id=stream, times=times, values=[i % 13 for i in range(size)]
                )
        return {"things": things, "streams": streams}

    return database.write(build)


@pytest.fixture
def network(database: Database, region: Region) -> dict[str, list[int]]:
    made = _network(database, region)
    database.write(lambda session: session.execute(text("ANALYZE")))  # as the table is
    return made


def _path_of(link: str) -> str:
    return link.split("/v1.1/", 1)[1]


EXPANDS = (
    "Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))",
    "Datastreams($top=2;$orderby=id desc;$expand=Observations($orderby=phenomenonTime desc;"
    "$top=3;$skip=2))",
    "Datastreams($expand=Observations($filter=result gt 9;$orderby=result desc;$top=4))",
    "Datastreams($expand=Observations($filter=phenomenonTime ge 2023-11-14T22:40:00Z;$top=2;"
    "$count=true))",
    "Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1;$count=true;"
    "$select=result))",
    "Locations($orderby=name desc;$top=1)",
)


@pytest.mark.parametrize("expanded", EXPANDS)
def test_each_parent_gets_its_own_page(
    anonymous: Sta, sta: Sta, network: dict[str, list[int]], expanded: str
) -> None:
    for client in (anonymous, sta):
        things = client.get(f"Things?$orderby=id&$expand={quote(expanded)}")["value"]
        assert len(things) == (3 if client is anonymous else 4)
        for thing in things:
            _same_as_navigation(client, thing, expanded)


def _same_as_navigation(client: Sta, parent: dict[str, Any], expanded: str) -> None:
    """Each expanded set equals a GET of the parent's navigation path with the same options,
    nextLink and count included; one level down likewise."""
    name, _, inner = expanded.partition("(")
    options, nested = _split(inner[:-1]) if inner else ("", "")
    query = "&".join(o for o in options.split(";") if o)
    page = client.get(f"{_path_of(parent['@iot.selfLink'])}/{name}?{query}")
    own = parent[name]
    assert [_shown(c) for c in own] == [_shown(c) for c in page["value"]]
    assert (f"{name}@iot.nextLink" in parent) == ("@iot.nextLink" in page)
    if "@iot.count" in page:
        assert parent[f"{name}@iot.count"] == page["@iot.count"]
    if nested:
        for child in own:
            _same_as_navigation(client, child, nested)


def _shown(entity: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entity.get(k) for k in ("@iot.id", "name", "result", "phenomenonTime"))


def _split(options: str) -> tuple[str, str]:
    """``a;b;$expand=X(…)`` into ``a;b`` and ``X(…)``."""
    match = re.search(r"\$expand=(.*)$", options)
    if match is None:
        return options, ""
    return options[: match.start()].rstrip(";"), match.group(1)


def test_the_newest_one_comes_from_the_pointer(
    anonymous: Sta, database: Database, network: dict[str, list[int]]
) -> None:
    with _statements(database) as seen:
        things = anonymous.get(
            "Things?$expand=Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))"
        )["value"]
    newest = [s for s in seen if "latest_observation_id" in s[0] and "JOIN" in s[0]]
    assert len(newest) == 1
    streams = [d for t in things for d in t["Datastreams"]]
    assert [len(d["Observations"]) for d in streams] == [
        0 if d["name"].endswith("/0") else 1 for d in streams
    ]
    for stream in streams:
        if stream["Observations"]:
            size = int(stream["name"].rsplit("/", 1)[1])
            assert stream["Observations"][0]["result"] == (size - 1) % 13
            assert ("Observations@iot.nextLink" in stream) == (size > 1)


# --- plans -----------------------------------------------------------------------------------


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _plan(database: Database, statement: str, parameters: Any) -> str:
    with database.engine.connect() as connection:
        if database.is_sqlite:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(r[-1]) for r in rows)
        rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        return json.dumps(rows.scalar())


INDEX_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")
PAGES = (
    "Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=3))",
    "Datastreams($expand=Observations($filter=phenomenonTime lt 2023-11-14T23:00:00Z;"
    "$orderby=phenomenonTime desc;$top=2))",
    "Datastreams($expand=Observations($top=2))",
)


@pytest.mark.parametrize("expanded", PAGES)
def test_each_page_is_an_index_scan_per_parent(
    anonymous: Sta, database: Database, network: dict[str, list[int]], expanded: str
) -> None:
    with _statements(database) as seen:
        anonymous.get(f"Things?$expand={quote(expanded)}")
    pages = [s for s in seen if "sensing_observations" in s[0] and "__parent" in s[0]]
    assert len(pages) == 1
    plan = _plan(database, *pages[0])
    if database.is_sqlite:
        assert "SEARCH" in plan and "ix_sensing_observations_datastream_time" in plan, plan
        assert "SCAN sensing_observations" not in plan, plan
        assert "CORRELATED LIST SUBQUERY" in plan, plan
    else:
        nodes = _nodes(json.loads(plan))
        scans = {n["Relation Name"]: n["Node Type"] for n in nodes if "Relation Name" in n}
        assert scans["sensing_observations"] in INDEX_SCANS, plan
        indexes = {n.get("Index Name") for n in nodes}
        assert "ix_sensing_observations_datastream_time" in indexes, plan
        assert any(n["Node Type"] == "Limit" for n in nodes), plan
        assert "WindowAgg" not in {n["Node Type"] for n in nodes}, plan
        assert "LATERAL" in pages[0][0]


def test_the_pointer_is_a_primary_key_join(
    anonymous: Sta, database: Database, network: dict[str, list[int]]
) -> None:
    with _statements(database) as seen:
        anonymous.get(
            "Things?$expand=Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))"
        )
    (newest,) = [s for s in seen if "latest_observation_id" in s[0] and "JOIN" in s[0]]
    plan = _plan(database, *newest)
    if database.is_sqlite:
        assert "SEARCH sensing_observations USING INTEGER PRIMARY KEY" in plan, plan
    else:
        nodes = _nodes(json.loads(plan))
        scans = {n["Relation Name"]: n["Node Type"] for n in nodes if "Relation Name" in n}
        assert scans["sensing_observations"] in ("Index Scan", "Index Only Scan"), plan
        assert "pk_sensing_observations" in {n.get("Index Name") for n in nodes}, plan


def _nodes(plan: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [p["Plan"] for p in plan]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.get("Plans", []))
    return found
