"""The open GeoJSON feed parses with a standard GeoJSON library and carries no personal data."""

from __future__ import annotations

import re
from typing import Any

import geojson
import pytest
from sqlalchemy import select

from allmende.identity.models import User
from allmende.modules.participation import contributions, moderation
from allmende.modules.participation.schemas import CommentCreate, ContributionCreate, FeedbackIn
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import INSIDE, MakeProcess, anonymous
from tests.support.client import TestClient
from tests.support.region import People

pytestmark = pytest.mark.integration
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
PERSONAL_KEYS = ("author", "user", "mail", "reporter", "moderator", "answered_by", "voter")
NAMES_OF_PLACES = ("municipality_name", "object_name")
PUBLIC_NAME = "Cem Beispiel"


@pytest.fixture
def filled(database: Database, make_process: MakeProcess, people: People) -> dict[str, int]:
    public = make_process(title="Öffentlich")
    internal = make_process(title="Intern", public=False)
    ids = {}
    for key, participant, geometry in (
        ("account", Participant(people.citizen), INSIDE),
        ("anonymous", anonymous(), INSIDE),
        ("no-location", anonymous("b"), None),
        ("hidden", anonymous("c"), INSIDE),
    ):
        data = ContributionCreate(
            title=f"Idee {key}",
            text="Text",
            category="Grün",
            geometry=geometry,
            author_name=PUBLIC_NAME,
        )
        ids[key] = database.write(
            lambda s, participant=participant, data=data: contributions.create_contribution(
                s, participant=participant, process_id=public, data=data
            )
        ).id
    database.write(
        lambda s: contributions.create_comment(
            s,
            participant=Participant(people.citizen),
            contribution_id=ids["anonymous"],
            data=CommentCreate(text="Kommentar", author_name=PUBLIC_NAME),
        )
    )
    database.write(
        lambda s: moderation.give_feedback(
            s,
            principal=people.staff_a,
            contribution_id=ids["account"],
            data=FeedbackIn(status="accepted", answer="Machen wir."),
        )
    )
    database.write(
        lambda s: moderation.set_contribution_hidden(
            s, principal=people.staff_a, contribution_id=ids["hidden"], hidden=True, reason="Spam"
        )
    )
    internal_item = ContributionCreate(title="Interne Idee", text="x", category="Grün")
    database.write(
        lambda s: contributions.create_contribution(
            s, participant=Participant(people.staff_a), process_id=internal, data=internal_item
        )
    )
    return {"public": public, "internal": internal, **ids}


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _walk(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [item for v in value for item in _walk(v, path)]
    return [(path, value)]


def test_the_feed_is_valid_geojson_without_personal_data(
    client: TestClient, database: Database, filled: dict[str, int]
) -> None:
    response = client.get("/api/participation/feed")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = geojson.loads(response.text)
    assert isinstance(collection, geojson.FeatureCollection)
    assert collection.is_valid, collection.errors()
    for feature in collection["features"]:
        assert geojson.Feature(**feature).is_valid

    kinds = {(f["properties"]["kind"], f["properties"]["title"]) for f in collection["features"]}
    assert ("process", "Öffentlich") in kinds
    assert ("contribution", "Idee account") in kinds and ("contribution", "Idee anonymous") in kinds
    titles = {t for _, t in kinds}
    assert "Intern" not in titles and "Interne Idee" not in titles  # unpublished process
    assert "Idee hidden" not in titles  # hidden by moderation
    assert "Idee no-location" not in titles  # no place: counted, not mapped
    answered = next(f for f in collection["features"] if f["properties"]["title"] == "Idee account")
    assert answered["properties"]["answer"] == "Machen wir."

    with database.session() as session:
        users = session.scalars(select(User)).all()
    personal = [u.email for u in users] + [u.display_name for u in users] + [PUBLIC_NAME]
    for path, value in _walk([f["properties"] for f in collection["features"]]):
        key = path.rsplit(".", 1)[-1].lower()
        assert not any(word in key for word in PERSONAL_KEYS), path
        assert not key.endswith("name") or key in NAMES_OF_PLACES, path
        if isinstance(value, str):
            assert not EMAIL.search(value), (path, value)
            for item in personal:
                assert item.lower() not in value.lower(), (path, value)


def test_the_feed_filters_by_kind_and_process(client: TestClient, filled: dict[str, int]) -> None:
    only = client.get(
        "/api/participation/feed", params={"kind": "contribution", "process": filled["public"]}
    ).json()
    assert {f["properties"]["kind"] for f in only["features"]} == {"contribution"}
    assert client.get("/api/participation/feed", params={"kind": "nonsense"}).status_code == 422
    internal = client.get("/api/participation/feed", params={"process": filled["internal"]})
    assert internal.json()["features"] == []
