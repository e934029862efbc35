"""A POST of one plain Observation is stored with the group and answered from the stored row:
the same answers as the general path (which ``?public=true`` forces without changing
anything for an Observation), refusals included."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from allmende.core.timeutil import utcnow
from allmende.http.middleware import route_label
from allmende.identity.credentials import split_api_key
from allmende.identity.models import ApiKey
from allmende.standards.sensorthings import PREFIX, Api
from allmende.standards.sensorthings.api import SingleObservationRoute
from allmende.storage.database import Database
from tests.standards.sensorthings.conftest import Sta, location_id
from tests.standards.sensorthings.test_auth import _network
from tests.support.aio import run_to_end
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration

BODIES: list[dict[str, Any]] = [
    {"phenomenonTime": "2024-03-01T10:00:00Z", "result": 21.5},
    {"phenomenonTime": "2024-03-01T10:00:01+01:00", "result": 7},
    {"phenomenonTime": "2024-03-01T10:00:02Z/2024-03-01T11:00:00Z", "result": "text"},
    {"phenomenonTime": "2024-03-01T10:00:03Z", "result": {"a": [1, 2]}, "resultQuality": [1]},
    {
        "phenomenonTime": "2024-03-01T10:00:04Z",
        "result": True,
        "resultTime": "2024-03-01T10:00:05Z",
        "validTime": "2024-03-01T10:00:00Z/2024-03-02T10:00:00Z",
        "parameters": {"depth": 2},
    },
    {"phenomenonTime": "2024-03-01T10:00:06Z", "result": None},
    {"phenomenonTime": "2024-03-01T10:00:07Z", "result": 2**60},
]


def _post(client: TestClient, key: str, path: str, body: Any) -> tuple[int, Any]:
    response = client.post(f"/v1.1/{path}", json=body, headers=bearer(key))
    content = response.json() if response.content else None
    return response.status_code, (content, response.headers.get("location"))


@pytest.mark.parametrize("body", BODIES)
def test_the_answer_is_the_stored_observation(
    client: TestClient, region: Region, body: dict[str, Any]
) -> None:
    key = region.key_sensorthings_a
    stream = _network(Sta(client, bearer(key)))["datastream"]
    status, (answer, location) = _post(client, key, f"Datastreams({stream})/Observations", body)
    assert status == 201
    api = client.app.state.allmende.service(Api)  # type: ignore[attr-defined]
    assert "group" in api.__dict__
    assert location == answer["@iot.selfLink"]
    assert Sta(client, bearer(key)).get(location) == answer
    general = {**body, "phenomenonTime": "2024-04-01T00:00:00Z"}
    general_path = f"Datastreams({stream})/Observations?public=true"
    _, (expected, _) = _post(client, key, general_path, general)
    assert set(answer) == set(expected)
    linked = {**body, "Datastream": {"@iot.id": stream}, "phenomenonTime": "2024-05-01T00:00:00Z"}
    status, (by_link, _) = _post(client, key, "Observations", linked)
    assert status == 201 and set(by_link) == set(answer)


def test_refusals_are_the_general_paths(client: TestClient, region: Region) -> None:
    admin = Sta(client, bearer(region.key_admin))
    key_a = region.key_sensorthings_a
    mine = _network(Sta(client, bearer(key_a)))["datastream"]
    theirs = _network(admin, query="?municipality=b-dorf", name="theirs")["datastream"]
    hidden = _network(admin, query="?municipality=b-dorf&public=false", name="hidden")
    body = {"phenomenonTime": "2024-03-01T10:00:00Z", "result": 1}
    cases = [
        (key_a, f"Datastreams({theirs})/Observations", body, 403),
        (key_a, f"Datastreams({hidden['datastream']})/Observations", body, 404),
        (key_a, f"Datastreams({mine + 1000})/Observations", body, 404),
        (key_a, "Observations", {**body, "Datastream": {"@iot.id": mine + 1000}}, 400),
        (key_a, "Observations", {**body, "Datastream": {"@iot.id": hidden["datastream"]}}, 400),
        (key_a, f"MultiDatastreams({mine})/Observations", body, 404),
    ]
    for key, path, sent, status in cases:
        fast = _post(client, key, path, sent)
        separator = "&" if "?" in path else "?"
        general = _post(client, key, f"{path}{separator}public=true", sent)
        assert fast[0] == general[0] == status, (path, fast, general)
        assert fast[1][0]["detail"] == general[1][0]["detail"]
    created = _post(client, key_a, f"Datastreams({mine})/Observations", body)
    twice = _post(client, key_a, f"Datastreams({mine})/Observations", body)
    assert twice[0] == 409
    assert f"Observations({location_id(created[1][1])})" in twice[1][0]["detail"]
    anonymous = client.post(f"/v1.1/Datastreams({mine})/Observations", json=body)
    assert anonymous.status_code == 401


def _gathered(client: TestClient, key: str, posts: list[tuple[str, Any]]) -> list[httpx.Response]:
    """The POSTs sent at once, as concurrent requests on one event loop: they wait for each
    other's transaction and are stored together."""
    transport = httpx.ASGITransport(app=client.app)

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(
                    *(
                        http.post(f"/v1.1/{path}", json=body, headers=bearer(key))
                        for path, body in posts
                    )
                )
            )

    return run_to_end(run())


def test_concurrent_posts_each_get_their_own_answer(client: TestClient, region: Region) -> None:
    key = region.key_sensorthings_a
    sta = Sta(client, bearer(key))
    mine = _network(sta)["datastream"]
    admin = Sta(client, bearer(region.key_admin))
    theirs = _network(admin, query="?municipality=b-dorf", name="theirs")["datastream"]
    path = f"Datastreams({mine})/Observations"
    posts: list[tuple[str, Any]] = [
        (path, {"phenomenonTime": f"2024-03-01T10:00:{n:02d}Z", "result": n}) for n in range(10)
    ]
    refused = {
        3: ((f"Datastreams({theirs})/Observations", posts[0][1]), 403),
        5: ((f"Datastreams({mine + 1000})/Observations", posts[0][1]), 404),
        7: ((path, {"phenomenonTime": "2024-03-01T11:00:00Z"}), 400),  # no result
    }
    for index, (post, _) in sorted(refused.items()):
        posts.insert(index, post)
    twins = [(path, {"phenomenonTime": "2024-03-01T12:00:00Z", "result": 1})] * 2
    responses = _gathered(client, key, posts + twins)
    for index, (_, status) in refused.items():
        assert responses[index].status_code == status, responses[index].text
    created = [r for i, r in enumerate(responses[: len(posts)]) if i not in refused]
    assert [r.status_code for r in created] == [201] * 10
    answers = [r.json() for r in created]
    assert len({a["@iot.id"] for a in answers}) == 10
    for response, answer, n in zip(created, answers, range(10), strict=True):
        assert answer["result"] == n
        assert answer["phenomenonTime"] == f"2024-03-01T10:00:{n:02d}Z"
        assert response.headers["location"] == answer["@iot.selfLink"]
        assert sta.get(response.headers["location"]) == answer
    first, second = sorted(responses[len(posts) :], key=lambda r: r.status_code)
    assert (first.status_code, second.status_code) == (201, 409)
    assert f"Observations({first.json()['@iot.id']})" in second.json()["detail"]
    count = sta.get(f"{path}?$count=true&$top=0")["@iot.count"]
    assert count == 1 + 11  # the network's own, the ten and one twin


def test_a_remembered_key_that_expired_is_401(
    client: TestClient, database: Database, region: Region
) -> None:
    key = region.key_sensorthings_a
    mine = _network(Sta(client, bearer(key)))["datastream"]
    path = f"Datastreams({mine})/Observations"
    body = {"phenomenonTime": "2024-03-01T10:00:00Z", "result": 1}
    assert _post(client, key, path, body)[0] == 201
    parts = split_api_key(key)
    assert parts is not None
    expired = (
        update(ApiKey)
        .where(ApiKey.prefix == parts[0])
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    database.write(lambda s: s.execute(expired))
    status, (problem, _) = _post(client, key, path, {**body, "result": 2})
    assert status == 401 and "expired" in problem["detail"]
    count = Sta(client, bearer(region.key_admin)).get(f"{path}?$count=true&$top=0")
    assert count["@iot.count"] == 2  # the network's own and the first


def test_the_first_route_takes_plain_observations_and_hands_on_the_rest_with_the_body(
    client: TestClient, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = region.key_sensorthings_a
    stream = _network(Sta(client, bearer(key)))["datastream"]
    taken: list[bool] = []
    single = Api.single_observation

    async def counted(self: Api, request: Any, *, confirm_key: bool = False) -> Any:
        result = await single(self, request, confirm_key=confirm_key)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(Api, "single_observation", counted)
    status, _ = _post(client, key, f"Datastreams({stream})/Observations", BODIES[0])
    assert (status, taken) == (201, [True])  # taken by SingleObservationRoute alone
    own_feature = {
        "phenomenonTime": "2024-03-01T11:00:00Z",
        "result": 3,
        "FeatureOfInterest": {
            "name": "Beet",
            "description": "-",
            "encodingType": "application/geo+json",
            "feature": {"type": "Point", "coordinates": [8.6, 49.4]},
        },
    }
    status, (answer, _) = _post(client, key, f"Datastreams({stream})/Observations", own_feature)
    # Handed on: the general route asked again, read the same body and stored it.
    assert (status, taken[1:]) == (201, [False, False])
    assert answer["result"] == 3
    assert route_label({"route": SingleObservationRoute()}) == PREFIX + "/{path}"
