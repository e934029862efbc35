"""Hypothesis against the query language: any $filter text, and any mix of query options,
gets a complete answer — 200 with valid JSON, or a 4xx that says what is wrong — never a 500.

Expressions are generated from the grammar's own pieces (so most are well-formed and reach
the compiler and the database), mixed with random text (so the parser's errors are hit)."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allmende.standards.sensorthings.query.parser import QueryError, parse
from tests.standards.sensorthings.conftest import FilterFixture, Sta

pytestmark = pytest.mark.integration

MEMBERS = [
    "id",
    "name",
    "description",
    "result",
    "phenomenonTime",
    "resultTime",
    "validTime",
    "parameters/a",
    "properties/reference",
    "properties/list[0]",
    "unitOfMeasurement/name",
    "location",
    "feature",
    "observedArea",
    "time",
    "Datastream/name",
    "Datastream/Thing/name",
    "Datastream/Thing/properties/reference",
    "FeatureOfInterest/feature",
    "Thing/Locations/name",
    "Datastreams/Observations/result",
    "Observations/result",
    "Locations/location",
    "nonsense",
    "resultQuality[1]/x",
    "LatestObservation/result",
    "encodingType",
    "definition",
]
LITERALS = [
    "1",
    "-3",
    "2.5",
    "1e308",
    "0",
    "9223372036854775807",
    "99999999999999999999999",
    "'x'",
    "''",
    "'it''s'",
    "true",
    "false",
    "null",
    "2015-03-01T00:00:00Z",
    "2015-03-01T00:00:00Z/2015-03-02T00:00:00Z",
    "2015-03-01",
    "12:00:00",
    "duration'PT1H'",
    "duration'P1D'",
    "geography'POINT(-117 51)'",
    "geography'POLYGON((-120 50, -100 50, -100 52, -120 52, -120 50))'",
]
UNARY = ["not", "-"]
BINARY = ["eq", "ne", "gt", "ge", "lt", "le", "and", "or", "add", "sub", "mul", "div", "mod"]
FUNCTIONS = {
    1: [
        "length",
        "tolower",
        "toupper",
        "trim",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "fractionalseconds",
        "date",
        "time",
        "round",
        "floor",
        "ceiling",
        "geo.length",
        "totaloffsetminutes",
        "unknown",
    ],
    2: [
        "substringof",
        "startswith",
        "endswith",
        "contains",
        "indexof",
        "concat",
        "substring",
        "geo.distance",
        "geo.intersects",
        "st_within",
        "st_contains",
        "st_equals",
        "st_touches",
        "before",
        "after",
        "meets",
        "during",
        "overlaps",
        "starts",
        "finishes",
    ],
    3: ["substring", "st_relate"],
}

atoms = st.sampled_from(MEMBERS + LITERALS)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(" ".join),
        st.tuples(st.sampled_from(UNARY), children).map(
            lambda t: f"{t[0]} {t[1]}" if t[0] == "not" else f"-{t[1]}"
        ),
        children.map(lambda c: f"({c})"),
        st.tuples(children, st.lists(children, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} in ({', '.join(t[1])})"
        ),
        st.integers(1, 3).flatmap(
            lambda n: st.tuples(
                st.sampled_from(FUNCTIONS[n]), st.lists(children, min_size=n, max_size=n)
            ).map(lambda t: f"{t[0]}({', '.join(t[1])})")
        ),
        children.map(lambda c: f"Datastreams/any(d: d/{c})"),
    )


expressions = st.recursive(atoms, _combine, max_leaves=8)
noise = st.text(
    alphabet=st.sampled_from(list("abcdeqtxyz()'/,;:$ 0123456789.-+[]@&=%\\\"\x00é")),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(expressions, noise))
def test_the_parser_answers_every_text(text: str) -> None:
    try:
        parse("$filter", text, "filter")
    except QueryError as error:
        refused: QueryError | None = error
    else:
        refused = None
    assert refused is None or (refused.status == 400 and str(refused).startswith("$filter"))


def _check(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status in (200, 400, 404), (status, response.text)  # type: ignore[attr-defined]
    body = response.content  # type: ignore[attr-defined]
    if "json" in response.headers.get("content-type", ""):  # type: ignore[attr-defined]
        parsed = orjson.loads(body)  # a truncated body does not parse
        if status == 400:
            assert parsed.get("message") or parsed.get("detail"), response.text  # type: ignore[attr-defined]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entity_set=st.sampled_from(
        [
            "Things",
            "Observations",
            "Datastreams",
            "Locations",
            "FeaturesOfInterest",
            "HistoricalLocations",
            "Datastreams(1)/Observations",
            "Things(1)/Datastreams",
        ]
    ),
    condition=expressions,
)
def test_every_filter_gets_a_complete_answer(
    anonymous: Sta, filtering: FilterFixture, entity_set: str, condition: str
) -> None:
    _check(anonymous.client.get(f"/v1.1/{entity_set}?$filter={quote(condition)}"))
    _check(anonymous.client.get(f"/v1.1/{entity_set}?$orderby={quote(condition)}"))


options = st.fixed_dictionaries(
    {},
    optional={
        "$filter": expressions,
        "$orderby": st.lists(
            st.tuples(atoms, st.sampled_from(["", " asc", " desc"])).map("".join), max_size=3
        ).map(",".join),
        "$select": st.lists(st.sampled_from([*MEMBERS, "*"]), max_size=3).map(",".join),
        "$expand": st.sampled_from(
            [
                "Datastreams",
                "Datastreams($top=1;$expand=Observations($select=result))",
                "Locations,Datastreams/Sensor",
                "Observations($filter=result gt 2;$count=true)",
                "Thing",
                "Nothing",
                "Datastreams($orderby=name desc;$skip=1)",
                "FeatureOfInterest",
            ]
        ),
        "$top": st.one_of(st.integers(-2, 20).map(str), st.text(max_size=5)),
        "$skip": st.one_of(st.integers(0, 20).map(str), st.text(max_size=5)),
        "$count": st.sampled_from(["true", "false", "maybe"]),
        "$resultFormat": st.sampled_from(["dataArray", "GeoJSON", "CSV", "xml"]),
        "$aggregate": st.sampled_from(["PT1H", "P1D", "P1M", "bad"]),
    },
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entity_set=st.sampled_from(
        [
            "Things",
            "Observations",
            "Datastreams(1)/Observations",
            "Things(1)",
            "Sensors",
            "ObservedProperties(2)/Datastreams",
            "Observations(1)/result",
        ]
    ),
    query=options,
)
def test_every_query_string_gets_a_complete_answer(
    anonymous: Sta, filtering: FilterFixture, entity_set: str, query: dict[str, str]
) -> None:
    text = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    _check(anonymous.client.get(f"/v1.1/{entity_set}?{text}"))
