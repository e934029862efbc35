"""Every adapter reads times with the one parser of ``allmende.core.timeutil``: the same text
gets the same answer, or the same refusal, from SensorThings (bodies, MQTT, ``$filter``),
GeoReport and OGC API - Features."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allmende.core.errors import AllmendeError, ValidationFailed
from allmende.core.timeutil import parse_datetime, parse_datetime_or_date
from allmende.sensing.times import parse_instant, to_micros
from allmende.standards.ogcapi_features.params import interval
from allmende.standards.open311.params import w3c_datetime
from allmende.standards.sensorthings.mqtt.create import MessageError, parse_observation
from allmende.standards.sensorthings.mqtt.topics import CreateTarget
from allmende.standards.sensorthings.query.parser import QueryError, parse

pytestmark = pytest.mark.unit

#: What the query grammar hands to the time parser (its DATETIME terminal).
LEXED_AS_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?"
)

texts = st.one_of(
    st.sampled_from(
        [
            "2025-01-01T00:00:00Z",
            "2025-01-01t00:00:00z",
            "2025-01-01T00:00:00",
            "2025-01-01T00:00+0100",
            "2025-02-30T00:00:00Z",
            "9999-12-31T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "1500-01-01T00:00:00Z",
            "2025-01-01",
            "9999-12-31",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("0123456789-:TtZz+.")), max_size=30),
).filter(lambda text: "/" not in text)


def _outcome(parse_one, text):  # type: ignore[no-untyped-def]
    """The value, or the reason of the refusal."""
    try:
        return parse_one(text)
    except ValidationFailed as refused:
        return refused.errors[0].reason
    except AllmendeError as refused:
        return refused.errors[0].reason


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(texts)
def test_instants_are_read_alike_everywhere(text: str) -> None:
    expected = _outcome(lambda t: to_micros(parse_datetime(t, field="f")), text)
    assert _outcome(lambda t: parse_instant(t, field="f"), text) == expected
    try:
        row = parse_observation(
            CreateTarget("Datastream", 1), b'{"result": 1, "resultTime": "%s"}' % text.encode()
        )
        mqtt: object = row.result_time
    except MessageError as refused:
        mqtt = str(refused).removeprefix("resultTime: ")
    assert mqtt == expected
    if LEXED_AS_TIME.fullmatch(text):
        assert _query_outcome(text) == (expected if isinstance(expected, str) else None)


def _query_outcome(text: str) -> str | None:
    """None when ``$filter`` takes the time, else the parser's refusal."""
    try:
        parse("$filter", f"resultTime eq {text}", "filter")
    except QueryError as refused:
        return str(refused).split(f"'{text[:40]}' ", 1)[-1].rsplit(" at position", 1)[0]
    return None


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(texts)
def test_dates_or_instants_are_read_alike_by_the_standards_that_allow_dates(text: str) -> None:
    expected = _outcome(lambda t: parse_datetime_or_date(t.strip(), field="f"), text)
    open311 = _outcome(lambda t: w3c_datetime(t, "start_date"), text)
    features = _outcome(lambda t: interval(t)[0], text)
    if isinstance(expected, str):
        assert features == expected
        assert open311 == expected or not text.strip()  # GeoReport: empty means absent
    else:
        assert features is not None and open311 is not None
