"""Reading the query parameters of OGC API - Features: strictly, naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.core.errors import BadRequest
from allmende.standards.ogcapi_features import params

pytestmark = pytest.mark.unit
QUERYABLES = {"species": "string", "height": "number", "planted": "integer", "protected": "boolean"}


def _field(error: pytest.ExceptionInfo[BadRequest]) -> str:
    return error.value.errors[0].field


def test_defaults() -> None:
    query = params.feature_query({}, QUERYABLES)
    assert (query.limit, query.offset, query.bbox, query.properties) == (10, 0, None, {})


@pytest.mark.parametrize(
    ("given_params", "field"),
    [
        ([("limt", "5")], "limt"),
        ([("limit", "5"), ("limit", "6")], "limit"),
        ([("bbox-crs", "x")], "bbox-crs"),
    ],
)
def test_unknown_and_repeated_parameters(given_params: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(BadRequest) as refused:
        params.single_values(given_params, params.ITEMS)
    assert _field(refused) == field


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "8,49,0,9,50,100"}, "bbox"),
        ({"bbox": "8,49,nan,50"}, "bbox"),
        ({"bbox": "8,49,190,50"}, "bbox"),
        ({"bbox": "9,49,8,50"}, "bbox"),
        ({"datetime": "gestern"}, "datetime"),
        ({"datetime": "2025-01-01T10:00:00"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"datetime": "2025-02-01/2025-01-01"}, "datetime"),
        ({"datetime": "a/b/c"}, "datetime"),
        ({"datetime": "0001-01-01T00:00:00+01:00"}, "datetime"),
        ({"height": "hoch"}, "height"),
        ({"planted": "1990.5"}, "planted"),
        ({"protected": "ja"}, "protected"),
        ({"height": "inf"}, "height"),
    ],
)
def test_invalid_values(values: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest) as refused:
        params.feature_query(values, QUERYABLES)
    assert _field(refused) == field


def test_six_numbers_say_3d_is_not_supported() -> None:
    with pytest.raises(BadRequest) as refused:
        params.bbox("8,49,0,9,50,100")
    assert "two-dimensional" in refused.value.errors[0].reason


def test_instants_and_intervals() -> None:
    day = params.interval("2025-06-03")
    assert day == (
        datetime(2025, 6, 3, tzinfo=UTC),
        datetime(2025, 6, 3, 23, 59, 59, 999999, tzinfo=UTC),
    )
    instant = params.interval("2025-06-03T10:00:00+02:00")
    assert instant[0] == instant[1] == datetime(2025, 6, 3, 8, tzinfo=UTC)
    assert params.interval("../2025-06-03T00:00:00Z") == (None, datetime(2025, 6, 3, tzinfo=UTC))
    assert params.interval("2025-06-03T00:00:00Z/..") == (datetime(2025, 6, 3, tzinfo=UTC), None)
    assert params.interval("2025-06-03T00:00:00Z/")[1] is None
    start, end = params.interval("2025-06-01/2025-06-02")
    assert start == datetime(2025, 6, 1, tzinfo=UTC) and end is not None and end.day == 2


def test_property_values_are_checked_by_type() -> None:
    query = params.feature_query(
        {"species": "Tilia cordata", "height": "12.5", "planted": "1991", "protected": "TRUE"},
        QUERYABLES,
    )
    assert query.properties == {
        "species": "Tilia cordata",
        "height": "12.5",
        "planted": "1991",
        "protected": "true",
    }


def _refused_field(parse, text: str):  # type: ignore[no-untyped-def]
    """The parsed value, or the field a refusal names (never another exception)."""
    try:
        return parse(text), None
    except BadRequest as refused:
        return None, refused.errors[0].field


NUMBERS = st.lists(
    st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=5)).map(str), max_size=7
).map(",".join)
DATES = st.one_of(st.text(max_size=60), st.datetimes().map(lambda d: d.isoformat() + "Z"))


@given(st.one_of(st.text(max_size=60), NUMBERS))
def test_any_bbox_text_is_parsed_or_refused(text: str) -> None:
    box, field = _refused_field(params.bbox, text)
    assert field == "bbox" if box is None else box[0] <= box[2] and box[1] <= box[3]


@given(st.one_of(DATES, st.tuples(DATES, DATES).map("/".join)))
def test_any_datetime_text_is_parsed_or_refused(text: str) -> None:
    interval, field = _refused_field(params.interval, text)
    if interval is None:
        assert field == "datetime"
    else:
        start, end = interval
        assert start is None or end is None or start <= end
