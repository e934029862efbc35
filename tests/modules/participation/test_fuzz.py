"""Generated input against existing resources never breaks anything: every answer is a 2xx or a
4xx problem that names a field, never a 5xx."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allmende.core.registry import Registry, discover
from allmende.modules.participation import challenge
from allmende.storage.database import Database
from tests.conftest import SECRET, ResetDatabase
from tests.modules.participation.test_api import _process
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.seeds import app_client, seed
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


@dataclass(frozen=True)
class Target:
    process_id: int
    survey: dict[str, Any]


@seed
def target(database: Database, region: Region) -> Target:
    """A process with a survey of every kind of question, created through the API."""
    with app_client(database, Registry.build(discover())) as client:
        process_id = _process(client, region)
        return Target(process_id, _survey(client, region, process_id))


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
    reset_database: ResetDatabase,
    region: Region,
    target: Target,
    title: str,
    text: str,
    category: Any,
    geometry: Any,
) -> None:
    body = {"title": title, "text": text, "category": category, "geometry": geometry}
    reset_database()
    _check(
        client.post(
            f"/api/participation/processes/{target.process_id}/contributions",
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
    client: TestClient, reset_database: ResetDatabase, region: Region, target: Target, data: Any
) -> None:
    body = {"title": "Plan", "kind": "geojson", "data": data}
    reset_database()
    _check(
        client.post(
            f"/api/participation/processes/{target.process_id}/layers",
            content=json.dumps(body),
            headers={**bearer(region.key_admin), "content-type": "application/json"},
        )
    )


@FUZZ
@given(answers=st.lists(json_values, max_size=4), browser=st.uuids())
def test_survey_answers_with_generated_input(
    client: TestClient,
    reset_database: ResetDatabase,
    target: Target,
    answers: list[Any],
    browser: Any,
) -> None:
    """Anonymous answers, each from another browser and on the database as the test began (no
    earlier answer, no rate limit), so every example reaches the checks."""
    ids = [q["id"] for q in target.survey["questions"]]
    shaped = [
        {**a, "question_id": ids[i % len(ids)]} if isinstance(a, dict) else a
        for i, a in enumerate(answers)
    ]
    token = challenge.issue(SECRET, now=time.time() - 10)
    reset_database()
    client.app.state.allmende.rate_limits.forget(challenge.ANONYMOUS_LIMITS["survey"], "testclient")  # type: ignore[attr-defined]
    client.cookies.set(challenge.PARTICIPANT_COOKIE, browser.hex)
    _check(
        client.post(
            f"/api/participation/surveys/{target.survey['id']}/responses",
            content=json.dumps({"answers": shaped, "challenge": token}),
            headers={"content-type": "application/json"},
        )
    )


def _survey(client: TestClient, region: Region, process_id: int) -> dict[str, Any]:
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
