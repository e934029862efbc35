"""Generated input against existing resources never breaks anything: every answer is a 2xx or a
4xx problem that names a field, never a 5xx."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allmende.modules.participation import challenge
from tests.conftest import SECRET
from tests.modules.participation.test_api import _process
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = [
    pytest.mark.integration,
    # NaN coordinates are refused; shapely warns while building them first.
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
coordinates = st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=3)
geometries = st.one_of(
    json_values,
    st.builds(lambda c: {"type": "Point", "coordinates": c}, coordinates),
    st.builds(
        lambda cs: {"type": "LineString", "coordinates": cs}, st.lists(coordinates, max_size=4)
    ),
    st.builds(
        lambda ring: {"type": "Polygon", "coordinates": [ring]}, st.lists(coordinates, max_size=5)
    ),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def process_id(client: TestClient, region: Region) -> int:
    return _process(client, region)


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


@FUZZ
@given(
    title=st.text(max_size=210),
    text=st.text(max_size=50),
    category=st.one_of(st.none(), st.text(max_size=10)),
    geometry=geometries,
)
def test_contributions_with_generated_input(
    client: TestClient,
    region: Region,
    process_id: int,
    title: str,
    text: str,
    category: Any,
    geometry: Any,
) -> None:
    body = {"title": title, "text": text, "category": category, "geometry": geometry}
    _check(
        client.post(
            f"/api/participation/processes/{process_id}/contributions",
            content=json.dumps(body),  # NaN and Infinity too, as lenient encoders send them
            headers={**bearer(region.key_admin), "content-type": "application/json"},
        )
    )


features = st.lists(
    st.one_of(
        json_values,
        st.builds(lambda g: {"type": "Feature", "geometry": g, "properties": {}}, geometries),
    ),
    max_size=3,
)


@FUZZ
@given(
    data=st.one_of(
        json_values, st.builds(lambda f: {"type": "FeatureCollection", "features": f}, features)
    )
)
def test_plan_layers_with_generated_input(
    client: TestClient, region: Region, process_id: int, data: Any
) -> None:
    body = {"title": "Plan", "kind": "geojson", "data": data}
    _check(
        client.post(
            f"/api/participation/processes/{process_id}/layers",
            content=json.dumps(body),
            headers={**bearer(region.key_admin), "content-type": "application/json"},
        )
    )


@FUZZ
@given(answers=st.lists(json_values, max_size=4), browser=st.uuids())
def test_survey_answers_with_generated_input(
    client: TestClient, survey: dict[str, Any], answers: list[Any], browser: Any
) -> None:
    """Anonymous answers, each from another browser, so every example reaches the checks."""
    client.app.state.allmende.rate_limits.forget(challenge.ANONYMOUS_LIMITS["survey"], "testclient")  # type: ignore[attr-defined]
    client.cookies.set(challenge.PARTICIPANT_COOKIE, browser.hex)
    ids = [q["id"] for q in survey["questions"]]
    shaped = [
        {**a, "question_id": ids[i % len(ids)]} if isinstance(a, dict) else a
        for i, a in enumerate(answers)
    ]
    token = challenge.issue(SECRET, now=time.time() - 10)
    _check(
        client.post(
            f"/api/participation/surveys/{survey['id']}/responses",
            content=json.dumps({"answers": shaped, "challenge": token}),
            headers={"content-type": "application/json"},
        )
    )


@pytest.fixture
def survey(client: TestClient, region: Region, process_id: int) -> dict[str, Any]:
    response = client.post(
        f"/api/participation/processes/{process_id}/surveys",
        json={
            "title": "U",
            "questions": [
                {
                    "kind": kind,
                    "prompt": kind,
                    "options": ["a", "b"] if kind in ("single", "multiple", "ranking") else [],
                }
                for kind in ("single", "multiple", "scale", "text", "ranking", "location")
            ],
        },
        headers=bearer(region.key_admin),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
