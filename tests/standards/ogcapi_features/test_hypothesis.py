"""Whatever the query holds, the answer is a FeatureCollection or an OGC exception with a 4xx,
never a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.standards.conftest import Things
from tests.standards.ogcapi_features.support import API
from tests.support.client import TestClient

pytestmark = pytest.mark.integration

NAMES = st.sampled_from(
    ["limit", "offset", "bbox", "datetime", "f", "species", "height", "planted", "protected"]
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
VALUES = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "8.6,49.4,8.7,49.5",
            "-180,-90,180,90",
            "2025-06-01/..",
            "../..",
            "9999-12-31",
            "0001-01-01T00:00:00+01:00",
            "json",
            "html",
            "true",
            "1e400",
        ]
    ),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(
        ["/collections/trees/items", "/collections/benches/items", "/collections/trees/items/1"]
    ),
    params=st.lists(st.tuples(NAMES | TEXT, VALUES), max_size=6),
)
def test_items_never_break(client: TestClient, things: Things, path: str, params) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "description"}
    elif response.headers["content-type"] == "application/geo+json" and path.endswith("items"):
        document = response.json()
        assert document["numberReturned"] == len(document["features"])
