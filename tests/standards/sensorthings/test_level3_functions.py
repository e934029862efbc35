"""The v1.1 filter functions on the datasets of FROST-Server's tests, with their expected
results: temporal relations between instants and intervals, durations, geo functions,
and JSON properties (``properties/…``, ``parameters/…``, ``resultQuality/…``, ``in``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from allmende.core.registry import Registry
from allmende.storage.database import Database
from tests.standards import conftest as standards_fixtures
from tests.standards.sensorthings.conftest import Sta
from tests.support import reports_module
from tests.support.read_only import (  # noqa: F401 (fixtures: one backend per module)
    ReadOnly,
    backend_per_module,
    postgres_marked,
    read_only_app,
)
from tests.support.region import Region
from tests.support.seeds import app_client, seed
from tests.support.web import bearer

pytestmark = pytest.mark.integration


T = TypeVar("T")

T2014 = "2014-01-01T06:00:00.000Z"
T2015 = "2015-01-01T06:00:00.000Z"
T600 = "2016-01-01T06:00:00.000Z"
T659 = "2016-01-01T06:59:00.000Z"
T700 = "2016-01-01T07:00:00.000Z"
T701 = "2016-01-01T07:01:00.000Z"
T759 = "2016-01-01T07:59:00.000Z"
T800 = "2016-01-01T08:00:00.000Z"
T801 = "2016-01-01T08:01:00.000Z"
T900 = "2016-01-01T09:00:00.000Z"
T2015_2 = "2015-01-01T07:00:00.000Z"
T2017 = "2017-01-01T09:00:00.000Z"
T2017_2 = "2017-01-01T10:00:00.000Z"
T2018 = "2018-01-01T09:00:00.000Z"


def iv(a: str, b: str) -> str:
    return f"{a}/{b}"


I78 = iv(T700, T800)


def _base(sta: Sta, *, location: Any = None) -> tuple[int, int, int]:
    thing = {"name": "Thing 1", "description": "The first thing."}
    if location is not None:
        thing["Locations"] = [
            {
                "name": "Location 1.0",
                "description": "Location of Thing 1.",
                "encodingType": "application/vnd.geo+json",
                "location": location,
            }
        ]
    thing_id = sta.post("Things", thing)
    sensor = sta.post(
        "Sensors",
        {
            "name": "Sensor 1",
            "description": "The first sensor.",
            "encodingType": "text",
            "metadata": "Some metadata.",
        },
    )
    prop = sta.post(
        "ObservedProperties",
        {
            "name": "Temperature",
            "definition": "http://ucom.org/temperature",
            "description": "The temperature of the thing.",
        },
    )
    return thing_id, sensor, prop


def _stream(sta: Sta, thing: int, sensor: int, prop: int, name: str, unit: Any = None) -> int:
    return sta.post(
        "Datastreams",
        {
            "name": name,
            "description": f"{name} of thing 1",
            "observationType": "someType",
            "unitOfMeasurement": unit
            or {"name": "degree celcius", "symbol": "°C", "definition": "ucum:T"},
            "Thing": {"@iot.id": thing},
            "Sensor": {"@iot.id": sensor},
            "ObservedProperty": {"@iot.id": prop},
        },
    )


def _posted(database: Database, region: Region, post: Callable[[Sta], T]) -> T:
    """A seed's entities, posted once per backend and copied with the database into each test."""
    reports_module.create_tables(database)  # as the standards tests' ``database`` does
    with app_client(database, Registry([reports_module.MODULE])) as client:
        return post(Sta(client, bearer(region.key_sensorthings_a)))


# --- times -----------------------------------------------------------------------------------

TIMES = [  # phenomenonTime, resultTime, validTime (indexes as in FROST's DateTimeTests)
    (T600, T600, None),
    (T659, T659, None),
    (T700, T700, None),
    (T701, T701, None),
    (T759, T759, None),
    (T800, T800, None),
    (T801, T801, None),
    (T900, T900, None),
    (iv(T600, T659), None, iv(T600, T659)),
    (iv(T600, T700), None, iv(T600, T700)),
    (iv(T600, T701), None, iv(T600, T701)),
    (iv(T700, T800), None, iv(T700, T800)),
    (iv(T701, T759), None, iv(T701, T759)),
    (iv(T759, T900), None, iv(T759, T900)),
    (iv(T800, T900), None, iv(T800, T900)),
    (iv(T801, T900), None, iv(T801, T900)),
    (iv(T659, T801), None, iv(T659, T801)),
    (iv(T700, T759), None, iv(T700, T759)),
    (iv(T700, T801), None, iv(T700, T801)),
    (iv(T659, T800), None, iv(T659, T800)),
    (iv(T701, T800), None, iv(T701, T800)),
    (T2015, T2015, None),
    (T2017, T2017, None),
    (iv(T2015, T2015_2), T2015, iv(T2015, T2015_2)),
    (iv(T2017, T2017_2), T2017_2, iv(T2017, T2017_2)),
]


@seed
def times(database: Database, region: Region) -> dict[str, Any]:
    return _posted(database, region, _post_times)


def _post_times(sta: Sta) -> dict[str, Any]:
    thing, sensor, prop = _base(sta, location={"type": "Point", "coordinates": [8, 51]})
    stream = _stream(sta, thing, sensor, prop, "Datastream 1")
    observations = []
    for index, (pt, rt, vt) in enumerate(TIMES):
        body: dict[str, Any] = {"result": index, "phenomenonTime": pt}
        if rt:
            body["resultTime"] = rt
        if vt:
            body["validTime"] = vt
        observations.append(sta.post(f"Datastreams({stream})/Observations", body))
    second = _stream(sta, thing, sensor, prop, "Datastream 2")
    return {"observations": observations, "datastreams": [stream, second]}


def _obs(sta: Sta, condition: str) -> list[int]:
    body = sta.get("Observations", params={"$filter": condition, "$top": "100"})
    return sorted(int(o["result"]) for o in body["value"])


def _streams(sta: Sta, times: dict[str, Any], condition: str) -> list[int]:
    body = sta.get("Datastreams", params={"$filter": condition})
    return sorted(times["datastreams"].index(d["@iot.id"]) for d in body["value"])


# (operator, time-op-T700 for rt/vt/pt, time-op-I78 for rt/vt/pt)
OPERATORS = {
    "lt": (
        [0, 1, 21, 23],
        [8, 9, 23],
        [0, 1, 8, 9, 21, 23],
        [0, 1, 21, 23],
        [8, 9, 23],
        [0, 1, 8, 9, 21, 23],
    ),
    "gt": (
        [3, 4, 5, 6, 7, 22, 24],
        [12, 13, 14, 15, 20, 24],
        [3, 4, 5, 6, 7, 12, 13, 14, 15, 20, 22, 24],
        [5, 6, 7, 22, 24],
        [14, 15, 24],
        [5, 6, 7, 14, 15, 22, 24],
    ),
    "le": (
        [0, 1, 2, 21, 23],
        [8, 9, 23],
        [0, 1, 2, 8, 9, 21, 23],
        [0, 1, 2, 21, 23],
        [8, 9, 10, 11, 17, 19, 23],
        [0, 1, 2, 8, 9, 10, 11, 17, 19, 21, 23],
    ),
    "ge": (
        [2, 3, 4, 5, 6, 7, 22, 24],
        [11, 12, 13, 14, 15, 17, 18, 20, 24],
        [2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 17, 18, 20, 22, 24],
        [5, 6, 7, 22, 24],
        [11, 13, 14, 15, 18, 20, 24],
        [5, 6, 7, 11, 13, 14, 15, 18, 20, 22, 24],
    ),
    "eq": ([2], [], [2], [], [11], [11]),
}
MIRROR = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le", "eq": "eq"}
FUNCTIONS = {
    "before": OPERATORS["lt"],
    "after": OPERATORS["gt"],
    "meets": ([2], [9, 11, 17, 18], [2, 9, 11, 17, 18], [2, 5], [9, 14], [2, 5, 9, 14]),
    "overlaps": (
        [2],
        [10, 11, 16, 17, 18, 19],
        [2, 10, 11, 16, 17, 18, 19],
        [2, 3, 4],
        [10, 11, 12, 13, 16, 17, 18, 19, 20],
        [2, 3, 4, 10, 11, 12, 13, 16, 17, 18, 19, 20],
    ),
    "starts": ([2], [11, 17, 18], [2, 11, 17, 18], [2], [11, 17, 18], [2, 11, 17, 18]),
    "finishes": ([2], [9], [2, 9], [5], [11, 19, 20], [5, 11, 19, 20]),
}
SYMMETRIC = {"meets", "overlaps", "starts", "finishes"}


def test_comparisons_of_instants_and_intervals(sta: Sta, times: dict[str, Any]) -> None:
    for op, expected in OPERATORS.items():
        for index, (value, column) in enumerate(
            [(T700, c) for c in ("resultTime", "validTime", "phenomenonTime")]
            + [(I78, c) for c in ("resultTime", "validTime", "phenomenonTime")]
        ):
            assert _obs(sta, f"{column} {op} {value}") == expected[index], (column, op, value)
            mirrored = _obs(sta, f"{value} {MIRROR[op]} {column}")
            assert mirrored == expected[index], (value, MIRROR[op], column)


def test_temporal_functions(sta: Sta, times: dict[str, Any]) -> None:
    for name, expected in FUNCTIONS.items():
        for index, (value, column) in enumerate(
            [(T700, c) for c in ("resultTime", "validTime", "phenomenonTime")]
            + [(I78, c) for c in ("resultTime", "validTime", "phenomenonTime")]
        ):
            assert _obs(sta, f"{name}({column},{value})") == expected[index], (name, column)
            if name in SYMMETRIC:
                assert _obs(sta, f"{name}({value},{column})") == expected[index]


def test_during(sta: Sta, times: dict[str, Any]) -> None:
    for condition in ("during(resultTime,%s)", "during(validTime,%s)", "during(%s,resultTime)"):
        response = sta.client.get("/v1.1/Observations", params={"$filter": condition % T700})
        assert response.status_code == 400
    assert _obs(sta, f"during(resultTime,{I78})") == [2, 3, 4]
    assert _obs(sta, f"during(validTime,{I78})") == [11, 12, 17, 20]
    assert _obs(sta, f"during(phenomenonTime,{I78})") == [2, 3, 4, 11, 12, 17, 20]
    assert _obs(sta, f"during({T700},validTime)") == [10, 11, 16, 17, 18, 19]
    assert _obs(sta, f"during({T700},phenomenonTime)") == [10, 11, 16, 17, 18, 19]
    assert _obs(sta, f"during({I78},phenomenonTime)") == [11, 16, 18, 19]


# {} op value → which of the two Datastreams (the first spans T2015…T2017_2, the second none)
STREAM_VALUES = [
    T2014,
    T2015,
    T700,
    T2017_2,
    T2018,
    I78,
    iv(T2014, T2015),
    iv(T2014, T2017_2),
    iv(T2014, T2018),
    iv(T2015, T2017_2),
    iv(T2015, T2018),
    iv(T2017_2, T2018),
]
E, D = [], [0]
STREAM_EXPECTED = {
    "{} lt %s": [E, E, E, D, D, E, E, E, E, E, E, D],
    "{} gt %s": [D, E, E, E, E, E, D, E, E, E, E, E],
    "{} le %s": [E, E, E, D, D, E, E, E, E, D, D, D],
    "{} ge %s": [D, D, E, E, E, E, D, D, E, D, E, E],
    "{} eq %s": [E, E, E, E, E, E, E, E, E, D, E, E],
    "before({}, %s)": [E, E, E, D, D, E, E, E, E, E, E, D],
    "after({}, %s)": [D, E, E, E, E, E, D, E, E, E, E, E],
    "meets({}, %s)": [E, D, E, D, E, E, D, E, E, E, E, D],
    "overlaps({}, %s)": [E, D, D, E, E, D, E, D, D, D, D, E],
    "starts({}, %s)": [E, D, E, E, E, E, E, E, E, D, D, E],
    "finishes({}, %s)": [E, E, E, D, E, E, E, D, E, D, E, E],
}


def test_the_time_ranges_of_datastreams(sta: Sta, times: dict[str, Any]) -> None:
    for template, expected in STREAM_EXPECTED.items():
        for value, wanted in zip(STREAM_VALUES, expected, strict=True):
            for column in ("phenomenonTime", "resultTime"):
                condition = template.replace("{}", column) % value
                assert _streams(sta, times, condition) == wanted, condition
    during = ["during({}, %s)".replace("{}", "phenomenonTime") % v for v in STREAM_VALUES[5:]]
    assert [_streams(sta, times, c) for c in during] == [E, E, D, D, D, D, E]


def test_date_parts_and_durations(sta: Sta, times: dict[str, Any]) -> None:
    assert _obs(sta, "year(resultTime) eq 2015") == [21, 23]
    assert _obs(sta, "year(validTime) eq 2015") == [23]
    assert _obs(sta, "year(phenomenonTime) eq 2015") == [21, 23]
    later = ([6, 7, 22, 24], [15, 24], [6, 7, 15, 22, 24])
    for index, column in enumerate(("resultTime", "validTime", "phenomenonTime")):
        assert _obs(sta, f"{column} add duration'PT1H' gt {T900}") == later[index]
        assert _obs(sta, f"{column} gt {T900} sub duration'PT1H'") == later[index]
        assert _obs(sta, f"{column} sub duration'PT1H' gt {T700}") == later[index]
    assert _obs(sta, f"resultTime lt {iv(T600, T700)} add duration'PT1H'") == [0, 1, 21, 23]
    assert _obs(sta, f"validTime gt {iv(T800, T900)} sub duration'PT1H'") == [14, 15, 24]
    assert _obs(sta, f"phenomenonTime sub {T800} eq duration'PT1H'") == [7]
    assert _obs(sta, f"not resultTime lt {T700} and not resultTime ge {T800}") == [2, 3, 4]
    assert _obs(sta, f"not validTime lt {T700} and not validTime ge {T800}") == [
        10,
        11,
        12,
        13,
        16,
        17,
        18,
        19,
        20,
    ]


def test_a_datastream_time_range_empties_with_its_observations(
    sta: Sta, times: dict[str, Any]
) -> None:
    first = times["datastreams"][0]
    assert sta.get(f"Datastreams({first})")["phenomenonTime"] == f"{T2015[:19]}Z/{T2017_2[:19]}Z"
    for observation in times["observations"]:
        sta.delete(f"Observations({observation})")
    for stream in times["datastreams"]:
        assert "phenomenonTime" not in sta.get(f"Datastreams({stream})")


def test_filtered_delete_of_observations(sta: Sta, times: dict[str, Any]) -> None:
    stream = times["datastreams"][0]
    path = f"Datastreams({stream})/Observations"
    remaining = set(range(25))
    for condition, gone in (
        (f"resultTime lt {T700}", {0, 1, 21, 23}),
        (f"validTime lt {T700}", {8, 9}),
        (f"{T800} lt phenomenonTime", {6, 7, 15, 22, 24}),
    ):
        response = sta.client.delete(
            f"/v1.1/{path}", params={"$filter": condition}, headers=sta.headers
        )
        assert response.status_code == 200, response.text
        remaining -= gone
        assert _obs(sta, "true") == sorted(remaining)
    assert sta.count(path) == len(remaining)


# --- geometry --------------------------------------------------------------------------------

GEOMETRIES = [
    {"type": "Point", "coordinates": [8, 51]},
    {"type": "Point", "coordinates": [8, 52]},
    {"type": "Point", "coordinates": [8, 53]},
    {"type": "Point", "coordinates": [8, 54]},
    {"type": "Polygon", "coordinates": [[[8, 53], [7, 52], [7, 53], [8, 53]]]},
    {"type": "LineString", "coordinates": [[5, 52], [5, 53]]},
    {"type": "LineString", "coordinates": [[5, 52], [6, 53]]},
    {"type": "LineString", "coordinates": [[4, 52], [8, 52]]},
]
BOX = "POLYGON((7.5 51.5, 7.5 53.5, 8.5 53.5, 8.5 51.5, 7.5 51.5))"


@seed
def geo(database: Database, region: Region) -> dict[str, list[int]]:
    return _posted(database, region, _post_geo)


def _post_geo(sta: Sta) -> dict[str, list[int]]:
    things = [sta.post("Things", {"name": f"Thing {i}", "description": "x"}) for i in range(4)]
    _, sensor, prop = _base(sta)
    streams = [_stream(sta, things[i], sensor, prop, f"Datastream {i}") for i in range(3)]
    owner = [0, 0, 1, 2, 3, None, None, None]
    locations, features, observations = [], [], []
    for index, geometry in enumerate(GEOMETRIES):
        body: dict[str, Any] = {
            "name": f"Location {index}",
            "description": "x",
            "encodingType": "application/vnd.geo+json",
            "location": geometry,
        }
        if owner[index] is not None:
            body["Things"] = [{"@iot.id": things[owner[index]]}]
        locations.append(sta.post("Locations", body))
        features.append(
            sta.post(
                "FeaturesOfInterest",
                {
                    "name": f"FoI {index}",
                    "description": "x",
                    "encodingType": "application/geo+json",
                    "feature": geometry,
                },
            )
        )
        if index < 4:
            stream = streams[[0, 0, 1, 2][index]]
            observations.append(
                sta.post(
                    "Observations",
                    {
                        "result": index + 1,
                        "phenomenonTime": f"2016-01-0{index + 1}T01:01:01Z",
                        "Datastream": {"@iot.id": stream},
                        "FeatureOfInterest": {"@iot.id": features[-1]},
                    },
                )
            )
    return {
        "locations": locations,
        "features": features,
        "observations": observations,
        "datastreams": streams,
    }


def _which(sta: Sta, ids: list[int], entity_set: str, condition: str) -> list[int]:
    body = sta.get(entity_set, params={"$filter": condition})
    return sorted(ids.index(e["@iot.id"]) for e in body["value"])


@pytest.fixture(scope="module")
def geo_app(backend: str, request: pytest.FixtureRequest) -> Iterator[ReadOnly]:
    """The geo entities' database, app and client, once per backend for the geo function
    tests (which only read)."""
    registry = Registry([reports_module.MODULE])
    # In the order a test asking for ``geo`` gets them: the template it would copy.
    with read_only_app(request, backend, registry, geo, standards_fixtures.provider_tables) as app:
        yield app


@pytest.mark.parametrize(
    ("kind", "condition", "expected"),
    [
        ("locations", "geo.distance(location, geography'POINT(8 54.1)') lt 1", [3]),
        (
            "locations",
            "geo.distance(location, geography'POINT(8 54.1)') gt 1",
            [0, 1, 2, 4, 5, 6, 7],
        ),
        (
            "observations",
            "geo.distance(FeatureOfInterest/feature, geography'POINT(8 54.1)') lt 1",
            [3],
        ),
        (
            "observations",
            "geo.distance(FeatureOfInterest/feature, geography'POINT(8 54.1)') gt 1",
            [0, 1, 2],
        ),
        ("locations", "geo.intersects(location, geography'LINESTRING(7.5 51, 7.5 54)')", [4, 7]),
        ("features", "geo.intersects(feature, geography'LINESTRING(7.5 51, 7.5 54)')", [4, 7]),
        ("datastreams", f"geo.intersects(observedArea, geography'{BOX}')", [0, 1]),
        ("locations", "geo.length(location) gt 1", [6, 7]),
        ("locations", "geo.length(location) ge 1", [5, 6, 7]),
        ("locations", "geo.length(location) eq 1", [5]),
        ("locations", "geo.length(location) ne 1", [0, 1, 2, 3, 4, 6, 7]),
        ("locations", "geo.length(location) le 4", [0, 1, 2, 3, 4, 5, 6, 7]),
        ("features", "geo.length(feature) lt 4", [0, 1, 2, 3, 4, 5, 6]),
        ("locations", f"st_contains(geography'{BOX}', location)", [1, 2]),
        ("observations", f"st_contains(geography'{BOX}', FeatureOfInterest/feature)", [1, 2]),
        ("datastreams", f"st_contains(geography'{BOX}', observedArea)", [1]),
        ("locations", "st_crosses(geography'LINESTRING(7.5 51.5, 7.5 53.5)', location)", [4, 7]),
        ("locations", f"st_disjoint(geography'{BOX}', location)", [0, 3, 5, 6]),
        ("features", f"st_disjoint(geography'{BOX}', feature)", [0, 3, 5, 6]),
        ("locations", "st_equals(location, geography'POINT(8 53)')", [2]),
        ("locations", "st_intersects(location, geography'LINESTRING(7.5 51, 7.5 54)')", [4, 7]),
        ("datastreams", f"st_intersects(observedArea, geography'{BOX}')", [0, 1]),
        ("locations", f"st_overlaps(geography'{BOX}', location)", [4]),
        ("locations", f"st_relate(geography'{BOX}', location, 'T********')", [1, 2, 4, 7]),
        ("features", f"st_relate(geography'{BOX}', feature, 'T********')", [1, 2, 4, 7]),
        (
            "locations",
            "st_touches(geography'POLYGON((8 53, 7.5 54.5, 8.5 54.5, 8 53))', location)",
            [2, 4],
        ),
        ("locations", "st_within(geography'POINT(7.5 52.75)', location)", [4]),
        ("features", "st_within(geography'POINT(7.5 52.75)', feature)", [4]),
        ("observations", f"st_within(FeatureOfInterest/feature, geography'{BOX}')", [1, 2]),
    ],
)
def test_geo_functions(geo_app: ReadOnly, kind: str, condition: str, expected: list[int]) -> None:
    sta = Sta(geo_app.client, bearer(geo_app.region.key_sensorthings_a))
    geo: dict[str, list[int]] = geo_app.seeded["geo"]
    entity_set = {
        "locations": "Locations",
        "features": "FeaturesOfInterest",
        "observations": "Observations",
        "datastreams": "Datastreams",
    }[kind]
    assert _which(sta, geo[kind], entity_set, condition) == expected


# --- JSON properties -------------------------------------------------------------------------


def _letters(start: int, length: int = 10) -> str:
    return "".join(chr(ord("a") + (start + i) % 26) for i in range(length))


def _objects(start: int, length: int = 3) -> list[dict[str, Any]]:
    return [
        {"string": _letters(v), "boolean": v % 2 == 0, "int": v, "intArray": list(range(v, v + 3))}
        for v in range(start, start + length)
    ]


def _int_ints(start: int, length: int = 3) -> list[list[int]]:
    return [list(range(v, v + length)) for v in range(start, start + length)]


QUALITY_OBJECT = {"DQ_Status": {"code": 2, "label": "Niveau 1", "comment": "contrôlée"}}
QUALITY_ARRAY = [
    {"nameOfMeasure": "DQ_Status", "DQ_Result": {"code": 2, "label": "Niveau 1"}},
    {"nameOfMeasure": "DQ_Qualification", "DQ_Result": {"code": 1, "label": "Correcte"}},
]


@seed
def properties(database: Database, region: Region) -> dict[str, list[int]]:
    return _posted(database, region, _post_properties)


def _post_properties(sta: Sta) -> dict[str, list[int]]:
    things = []
    for i in range(4):
        things.append(
            sta.post(
                "Things",
                {
                    "name": f"Thing {i}",
                    "description": "x",
                    "properties": {
                        "string": _letters(i),
                        "boolean": i % 2 == 0,
                        "int": i + 8,
                        "intArray": list(range(i + 8, i + 13)),
                        "strArray": [f"s{v}" for v in range(i + 8, i + 13)],
                        "intIntArray": _int_ints(i + 8),
                        "objArray": _objects(i + 8),
                    },
                },
            )
        )
    sta.post(
        "Locations",
        {
            "name": "Location 1",
            "description": "x",
            "encodingType": "application/vnd.geo+json",
            "location": {"type": "Point", "coordinates": [8, 52]},
            "Things": [{"@iot.id": things[0]}],
        },
    )
    _, sensor, prop = _base(sta)
    stream = _stream(
        sta,
        things[0],
        sensor,
        prop,
        "Datastream 1",
        {"name": "degree celcius", "symbol": "°C", "definition": "Cel"},
    )
    observations = []
    for i in range(13):
        observations.append(
            sta.post(
                f"Datastreams({stream})/Observations",
                {
                    "result": i,
                    "phenomenonTime": f"2016-01-01T{i:02d}:00:00Z",
                    "resultQuality": QUALITY_OBJECT if i % 2 == 0 else QUALITY_ARRAY,
                    "parameters": {
                        "string": _letters(i),
                        "boolean": i % 2 == 0,
                        "int": i,
                        "intArray": list(range(i, i + 5)),
                        "intIntArray": _int_ints(i),
                        "objArray": _objects(i),
                    },
                },
            )
        )
    bad = [
        {
            "int": _letters(13),
            "string": False,
            "boolean": 13,
            "objArray": list(range(13, 18)),
            "intArray": _int_ints(13),
            "intIntArray": _objects(13),
        },
        {
            "boolean": _letters(14),
            "int": True,
            "string": 14,
            "intIntArray": list(range(14, 19)),
            "objArray": _int_ints(14),
            "intArray": _objects(14),
        },
        {"boolean": "true", "int": "5"},
    ]
    for i, parameters in enumerate(bad):
        observations.append(
            sta.post(
                f"Datastreams({stream})/Observations",
                {
                    "result": f"badVales{i + 1}",
                    "phenomenonTime": f"2016-01-02T0{i}:00:00Z",
                    "parameters": parameters,
                },
            )
        )
    second = _stream(
        sta,
        things[0],
        sensor,
        prop,
        "Datastream 2",
        {"name": "degree Fahrenheit", "symbol": "°F", "definition": "[degF]"},
    )
    return {"things": things, "observations": observations, "datastreams": [stream, second]}


def test_reading_parts_of_json_properties(sta: Sta, properties: dict[str, list[int]]) -> None:
    thing = properties["things"][0]
    base = f"Things({thing})/properties"
    assert sta.get(f"{base}/string") == {"string": "abcdefghij"}
    assert sta.get(f"{base}/boolean") == {"boolean": True}
    assert sta.get(f"{base}/int") == {"int": 8}
    assert sta.get(f"{base}/intArray") == {"intArray": [8, 9, 10, 11, 12]}
    assert sta.get(f"{base}/intArray%5B1%5D") == {"intArray[1]": 9}
    assert sta.get(f"{base}/intIntArray%5B1%5D") == {"intIntArray[1]": [9, 10, 11]}
    assert sta.get(f"{base}/intIntArray%5B0%5D%5B1%5D") == {"intIntArray[0][1]": 9}
    assert sta.get(f"{base}/objArray%5B0%5D/string") == {"string": "ijklmnopqr"}
    observation = properties["observations"][0]
    assert sta.get(f"Observations({observation})/parameters/intArray%5B1%5D") == {"intArray[1]": 1}
    sta.get(f"{base}/missing", status=404)
    sta.get(f"{base}/intArray%5B9%5D", status=404)


def _things(sta: Sta, props: dict[str, list[int]], condition: str) -> list[int]:
    return _which(sta, props["things"], "Things", condition)


def _observations(sta: Sta, props: dict[str, list[int]], condition: str) -> list[int]:
    return _which(sta, props["observations"], "Observations", condition)


def test_filters_on_json_properties(sta: Sta, properties: dict[str, list[int]]) -> None:
    p = properties
    assert _things(sta, p, "properties/string eq 'cdefghijkl'") == [2]
    assert _observations(sta, p, "parameters/string eq 'cdefghijkl'") == [2]
    assert _things(sta, p, "substringof('cdefgh', properties/string)") == [0, 1, 2]
    assert _observations(sta, p, "substringof('cdefgh', parameters/string)") == [0, 1, 2]
    assert _things(sta, p, "properties/objArray[0]/string eq 'jklmnopqrs'") == [1]
    assert _observations(sta, p, "parameters/objArray[0]/string eq 'jklmnopqrs'") == [9]
    assert _observations(sta, p, "parameters/int eq '5'") == [5, 15]
    assert _things(sta, p, "properties/int eq 10") == [2]
    assert _observations(sta, p, "parameters/int eq 2") == [2]
    assert _things(sta, p, "properties/int gt 9") == [2, 3]
    assert _observations(sta, p, "parameters/int gt 8") == [9, 10, 11, 12]
    assert _things(sta, p, "properties/int lt 9") == [0]
    assert _observations(sta, p, "parameters/int lt 8") == [0, 1, 2, 3, 4, 5, 6, 7]
    assert _things(sta, p, "properties/intArray[1] gt 10") == [2, 3]
    assert _observations(sta, p, "parameters/intArray[1] gt 9") == [9, 10, 11, 12]
    assert _things(sta, p, "properties/intIntArray[1][0] gt 10") == [2, 3]
    assert _things(sta, p, "properties/objArray[1]/intArray[0] gt 10") == [2, 3]
    assert _observations(sta, p, "parameters/objArray[1]/intArray[0] gt 9") == [9, 10, 11, 12]


def test_booleans_units_comparisons_and_membership(
    sta: Sta, properties: dict[str, list[int]]
) -> None:
    p = properties
    assert _things(sta, p, "properties/boolean eq false") == [1, 3]
    assert _observations(sta, p, "parameters/boolean eq false") == [1, 3, 5, 7, 9, 11]
    assert _things(sta, p, "properties/boolean") == [0, 2]
    assert _observations(sta, p, "parameters/boolean") == [0, 2, 4, 6, 8, 10, 12]
    assert _things(sta, p, "not properties/boolean") == [1, 3]
    assert _things(sta, p, "properties/objArray[1]/boolean") == [1, 3]
    streams = p["datastreams"]
    assert _which(sta, streams, "Datastreams", "unitOfMeasurement/symbol eq '°C'") == [0]
    assert _which(sta, streams, "Datastreams", "unitOfMeasurement/name eq 'degree Fahrenheit'") == [
        1
    ]
    assert _which(sta, streams, "Datastreams", "unitOfMeasurement/definition eq 'Cel'") == [0]
    assert _observations(sta, p, "parameters/int eq Datastream/Thing/properties/int") == [8]
    assert _observations(sta, p, "parameters/string eq Datastream/Thing/properties/string") == [0]
    assert _observations(sta, p, "parameters/boolean eq Datastream/Thing/properties/boolean") == [
        0,
        2,
        4,
        6,
        8,
        10,
        12,
        15,
    ]
    assert _things(sta, p, "properties/int in (8,9)") == [0, 1]
    assert _things(sta, p, "9 in properties/intArray") == [0, 1]
    assert _things(sta, p, "'s10' in properties/strArray") == [0, 1, 2]
    assert _observations(sta, p, "resultQuality/DQ_Status/code eq 2") == [0, 2, 4, 6, 8, 10, 12]
    assert _observations(sta, p, "resultQuality[0]/DQ_Result/code eq 2") == [1, 3, 5, 7, 9, 11]
    assert _observations(sta, p, "result eq 'badVales2'") == [14]
    assert _things(sta, p, "properties/missing eq 1") == []
