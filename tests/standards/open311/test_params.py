"""Reading GeoReport v2 parameters (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.core.errors import BadRequest
from allmende.core.open311 import Service, ServiceAttribute
from allmende.standards.open311 import params

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SERVICE = Service(
    code="s",
    name="S",
    attributes=(
        ServiceAttribute(code="when", description="", datatype="datetime"),
        ServiceAttribute(code="size", description="", datatype="number", required=True),
        ServiceAttribute(
            code="kind", description="", datatype="multivaluelist", values=(("a", "A"), ("b", "B"))
        ),
        ServiceAttribute(code="info", description="", variable=False),
    ),
)


def test_default_window_is_the_last_90_days() -> None:
    query = params.request_query({}, now=NOW)
    assert query.start == NOW - timedelta(days=90) and query.end is None
    assert (query.limit, query.offset, query.with_notes) == (1000, 0, False)


def test_ids_override_everything_and_lists_are_comma_separated_or_repeated() -> None:
    query = params.request_query(
        {"service_request_id": ["1, 2", "3"], "status": ["bogus"], "start_date": ["x"]}, now=NOW
    )
    assert query.ids == ["1", "2", "3"] and query.start is None and query.statuses is None
    codes = params.request_query({"service_code": ["a,b", "c"], "status": ["OPEN"]}, now=NOW)
    assert codes.service_codes == ["a", "b", "c"] and codes.statuses == ["open"]


def test_paging() -> None:
    query = params.request_query(
        {"page": ["3"], "page_size": ["20"], "extensions": ["true"]}, now=NOW
    )
    assert (query.limit, query.offset, query.with_notes) == (20, 40, True)


def test_attributes_follow_the_definition() -> None:
    raw = params.raw_attributes(
        [
            ("attribute[size]", "12.5"),
            ("attribute[kind][]", "a"),
            ("attribute[kind][]", "b"),
            ("attribute[kind][]", "a"),
            ("attribute[when]", ""),
            ("attribute[info]", "ignored"),
            ("email", "x@example.org"),
        ]
    )
    assert params.attributes(raw, SERVICE) == {"size": "12.5", "kind": ["a", "b"]}
    with pytest.raises(BadRequest) as refused:
        params.attributes({"kind": ["a"]}, SERVICE)
    assert refused.value.errors[0].field == "attribute[size]"
    with pytest.raises(BadRequest):
        params.attributes({"size": ["1"], "when": ["2025-01-01T10:00:00"]}, SERVICE)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "service_request_id",
                "service_code",
                "start_date",
                "end_date",
                "status",
                "page",
                "page_size",
                "extensions",
            ]
        ),
        st.lists(st.text(max_size=30), max_size=3),
    )
)
def test_any_query_is_read_or_refused_naming_a_parameter(values: dict[str, list[str]]) -> None:
    try:
        query = params.request_query(values, now=NOW)
    except BadRequest as refused:
        field = refused.errors[0].field
        assert field in values, (field, values)
    else:
        assert 1 <= query.limit <= 1000 and query.offset >= 0
