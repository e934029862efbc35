"""Whatever a client puts in the query or the form, the answer is a well-formed Open311
document or error array, never a server error."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ResetDatabase
from tests.standards.open311.support import V2, A
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration

NAMES = st.sampled_from(
    [
        "jurisdiction_id",
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "page",
        "page_size",
        "extensions",
        "lat",
        "long",
        "api_key",
        "attribute[severity]",
        "attribute[parts][]",
        "attribute[girth]",
        "attribute[x][y]",
        "description",
        "address_string",
        "media_url",
        "email",
    ]
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        [
            A,
            "open",
            "closed,open",
            "2025-01-01T00:00:00Z",
            "2025-13-45",
            "0001-01-01",
            "9999-12-31T23:59:59-01:00",
            "-1",
            "1e309",
            "nan",
            "true",
            "high",
            "tree-damage",
            "bulky-waste",
        ]
    ),
)
PARAMS = st.lists(st.tuples(NAMES | TEXT, VALUES), max_size=8)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _well_formed(response, fmt: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.text
    if fmt == "json":
        body = response.json()
        if response.status_code >= 400:
            assert isinstance(body, list) and body and {"code", "description"} <= set(body[0])
    else:
        ElementTree.fromstring(response.content)  # noqa: S314 - our own answer


@SETTINGS
@given(
    path=st.sampled_from(
        ["services", "requests", "services/tree-damage", "requests/1", "tokens/x"]
    ),
    fmt=st.sampled_from(["json", "xml"]),
    params=PARAMS,
)
def test_reads_never_break(client: TestClient, region: Region, path: str, fmt: str, params) -> None:  # type: ignore[no-untyped-def]
    _well_formed(client.get(f"{V2}/{path}.{fmt}", params=params), fmt)


@SETTINGS
@given(fmt=st.sampled_from(["json", "xml"]), params=PARAMS, with_key=st.booleans())
def test_posts_never_break(
    client: TestClient,
    reset_database: ResetDatabase,
    region: Region,
    fmt: str,
    params: list[tuple[str, str]],
    with_key: bool,
) -> None:
    reset_database()  # each example on the database as the test began
    form = [("jurisdiction_id", A), ("service_code", "tree-damage"), *params]
    if with_key:
        form.append(("api_key", region.key_open311))
    response = client.post(
        f"{V2}/requests.{fmt}",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    _well_formed(response, fmt)
