"""The JSON API: refusals name the field and the reason (problem+json), nothing is written on a
refusal, anonymous participation needs the challenge and is rate-limited, uploads are checked."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from shapely.geometry import mapping

from allmende.app import create_app
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.modules.participation import challenge
from allmende.modules.participation.models import Contribution, Document
from allmende.storage.database import Database
from tests.conftest import SECRET
from tests.modules.participation.conftest import AREA, INSIDE, OUTSIDE, count
from tests.modules.participation.test_files import jpeg_with_location
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration
API = "/api/participation"


def _phases(*acts: str, offset: int = 0) -> list[dict[str, Any]]:
    now = utcnow() + timedelta(days=offset)
    return [
        {
            "title": "Ideen",
            "starts_at": (now - timedelta(days=5)).isoformat(),
            "ends_at": (now + timedelta(days=5)).isoformat(),
            "allows": list(acts),
        }
    ]


def _process(client: TestClient, region: Region, **overrides: Any) -> int:
    body = {
        "municipality": "a-stadt",
        "title": "Marktplatz",
        "area": mapping(AREA),
        "public": True,
        "phases": _phases("contribute", "comment", "support", "survey"),
        **overrides,
    }
    response = client.post(f"{API}/processes", json=body, headers=bearer(region.key_admin))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _token() -> str:
    """A challenge token issued a little while ago, as after reading a form."""
    return challenge.issue(SECRET, now=time.time() - 10)


def _contribute(client: TestClient, process_id: int, **values: Any):  # type: ignore[no-untyped-def]
    body = {"title": "Bänke", "text": "Mehr Bänke", **values}
    return client.post(f"{API}/processes/{process_id}/contributions", json=body)


def _problem(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_processes_are_created_read_and_listed(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    detail = client.get(f"{API}/processes/{process_id}").json()
    assert detail["state"] == "running" and detail["allowed_actions"] == [
        "comment",
        "contribute",
        "support",
        "survey",
    ]
    assert [
        p["id"] for p in client.get(f"{API}/processes", params={"state": "running"}).json()
    ] == [process_id]
    assert client.get(f"{API}/processes", params={"state": "ended"}).json() == []


def test_anonymous_contributions_need_the_challenge(
    client: TestClient, region: Region, database: Database
) -> None:
    process_id = _process(client, region)
    missing = _contribute(client, process_id, geometry=INSIDE)
    assert missing.status_code == 422
    assert _problem(missing)["errors"][0]["field"] == "body.challenge"
    issued = client.get(f"{API}/challenge").json()
    assert issued["usable_after_seconds"] == 3  # the setting's default
    fresh = issued["token"]
    too_fast = _contribute(client, process_id, challenge=fresh)
    assert too_fast.status_code == 422 and "too quickly" in too_fast.json()["detail"]
    forged = _contribute(client, process_id, challenge=_token()[:-4] + "0000")
    assert forged.status_code == 422
    assert count(database, Contribution) == 0
    created = _contribute(client, process_id, geometry=INSIDE, challenge=_token())
    assert created.status_code == 201, created.text
    assert created.json()["author_name"] is None


def test_outside_the_area_or_the_phase_is_refused_naming_why(
    client: TestClient, region: Region, database: Database
) -> None:
    process_id = _process(client, region)
    outside = _contribute(client, process_id, geometry=OUTSIDE, challenge=_token())
    assert outside.status_code == 422
    error = _problem(outside)["errors"][0]
    assert error["field"] == "body.geometry" and "outside the area" in error["reason"]
    closed = _process(client, region, phases=_phases("comment"))
    refused = _contribute(client, closed, geometry=INSIDE, challenge=_token())
    assert refused.status_code == 409
    assert _problem(refused)["errors"][0]["field"] == "phase"
    ended = _process(client, region, phases=_phases("contribute", offset=-30))
    assert _contribute(client, ended, challenge=_token()).status_code == 409
    assert count(database, Contribution) == 0


def test_processes_without_anonymous_participation(client: TestClient, region: Region) -> None:
    process_id = _process(client, region, allow_anonymous=False)
    refused = _contribute(client, process_id, challenge=_token())
    assert refused.status_code == 401
    sign_in(client, region.citizen_email)
    token = csrf_from(client.get("/login").text)
    created = client.post(
        f"{API}/processes/{process_id}/contributions",
        json={"title": "Mit Konto", "text": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert created.status_code == 201, created.text


def test_anonymous_participation_is_rate_limited(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    limit, _ = challenge.LIMITS["contribution"]
    for _ in range(limit):
        assert _contribute(client, process_id, challenge=_token()).status_code == 201
    refused = _contribute(client, process_id, challenge=_token())
    assert refused.status_code == 429
    assert "Try again" in refused.json()["detail"]


def test_support_comment_and_survey_without_an_account(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    item = _contribute(client, process_id, challenge=_token()).json()["id"]
    client.get(f"{API}/challenge")  # sets the browser-key cookie
    first = client.post(f"{API}/contributions/{item}/support", json={"challenge": _token()})
    again = client.post(f"{API}/contributions/{item}/support", json={"challenge": _token()})
    assert first.json()["support_count"] == again.json()["support_count"] == 1
    comment = client.post(
        f"{API}/contributions/{item}/comments", json={"text": "Gut!", "challenge": _token()}
    )
    assert comment.status_code == 201
    survey = client.post(
        f"{API}/processes/{process_id}/surveys",
        json={"title": "U", "questions": [{"kind": "scale", "prompt": "Wie?", "required": True}]},
        headers=bearer(region.key_admin),
    ).json()
    answer = {"answers": [{"question_id": survey["questions"][0]["id"], "number": 9}]}
    wrong = client.post(
        f"{API}/surveys/{survey['id']}/responses", json={**answer, "challenge": _token()}
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == f"body.answers.{survey['questions'][0]['id']}"
    answer["answers"][0]["number"] = 4
    assert (
        client.post(
            f"{API}/surveys/{survey['id']}/responses", json={**answer, "challenge": _token()}
        ).status_code
        == 201
    )
    assert client.get(f"{API}/surveys/{survey['id']}/results").status_code == 403


def test_official_feedback_reaches_the_author(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    sign_in(client, region.citizen_email)
    csrf = {"X-CSRF-Token": csrf_from(client.get("/login").text)}
    item = client.post(
        f"{API}/processes/{process_id}/contributions",
        json={"title": "Brunnen", "text": "Bitte"},
        headers=csrf,
    ).json()["id"]
    assert (
        client.post(
            f"{API}/contributions/{item}/feedback", json={"status": "accepted"}, headers=csrf
        ).status_code
        == 403
    )
    answered = client.post(
        f"{API}/contributions/{item}/feedback",
        json={"status": "accepted", "answer": "Kommt im Frühjahr."},
        headers=bearer(region.key_admin),
    )
    assert answered.status_code == 200
    notes = client.get(f"{API}/me/notifications").json()
    assert notes[0]["kind"] == "answer" and notes[0]["contribution_id"] == item
    assert client.get(f"{API}/contributions/{item}").json()["answer"] == "Kommt im Frühjahr."
    assert client.post(f"{API}/me/notifications/read", headers=csrf).status_code == 204
    assert client.get(f"{API}/me/notifications").json()[0]["read"] is True
    data = client.get(f"{API}/me/data").json()
    assert [c["title"] for c in data["contributions"]] == ["Brunnen"]
    deleted = client.delete(f"{API}/me/data", headers=csrf).json()
    assert deleted["contributions"] == 1


def test_keys_need_the_participation_scope(client: TestClient, region: Region) -> None:
    response = client.post(
        f"{API}/processes",
        json={"municipality": "a-stadt", "title": "x"},
        headers=bearer(region.key_sensorthings_a),
    )
    assert response.status_code == 403 and "participation" in response.json()["detail"]
    # Following belongs to a person's account: a key is known, so refused with 403.
    process_id = _process(client, region)
    response = client.put(f"{API}/processes/{process_id}/follow", headers=bearer(region.key_admin))
    assert response.status_code == 403 and "account" in response.json()["detail"]


def test_uploads_are_checked_and_stored_without_metadata(
    client: TestClient, region: Region, settings: Settings
) -> None:
    process_id = _process(client, region)
    admin = bearer(region.key_admin)
    upload = client.post(
        f"{API}/processes/{process_id}/documents",
        data={"title": "Foto"},
        files={"file": ("foto.jpg", jpeg_with_location(), "image/jpeg")},
        headers=admin,
    )
    assert upload.status_code == 201, upload.text
    document = upload.json()
    stored = client.get(document["url"])
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert len(Image.open(io.BytesIO(stored.content)).getexif()) == 0
    folder = settings.data_dir / "participation" / "documents"
    assert len(list(folder.iterdir())) == 1
    pdf = client.post(
        f"{API}/processes/{process_id}/documents",
        data={"title": "Plan"},
        files={"file": ("plan.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=admin,
    )
    assert pdf.status_code == 201
    text = client.post(
        f"{API}/processes/{process_id}/documents",
        data={"title": "x"},
        files={"file": ("x.html", b"<script>", "text/html")},
        headers=admin,
    )
    assert text.status_code == 415
    layer = client.post(
        f"{API}/processes/{process_id}/layers",
        json={
            "title": "Plan",
            "kind": "image",
            "document_id": document["id"],
            "bounds": [8.62, 49.42, 8.66, 49.46],
        },
        headers=admin,
    )
    assert layer.status_code == 201 and layer.json()["image_url"] == document["url"]
    assert client.delete(f"{API}/documents/{document['id']}", headers=admin).status_code == 204
    assert len(list(folder.iterdir())) == 1  # the file went with its record
    assert client.get(document["url"]).status_code == 404


def _bad_files() -> list[tuple[str, bytes, int]]:
    """The same faulty files as tests/modules/assets/test_files.py: the same answers."""
    huge = io.BytesIO()
    Image.new("1", (7000, 7000)).save(huge, "PNG")
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")
    return [
        ("photo.jpg", b"not an image at all", 415),
        ("photo.bmp", bmp.getvalue(), 415),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 422),
        ("photo.png", huge.getvalue(), 422),
    ]


@pytest.mark.parametrize(("name", "content", "status"), _bad_files())
def test_faulty_files_get_the_answer_the_assets_module_gives(
    client: TestClient, region: Region, name: str, content: bytes, status: int
) -> None:
    process_id = _process(client, region)
    response = client.post(
        f"{API}/processes/{process_id}/documents",
        data={"title": "x"},
        files={"file": (name, content, "application/octet-stream")},
        headers=bearer(region.key_admin),
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["field"] == "file"


def test_uploads_beyond_the_limit_are_refused(
    settings: Settings,
    database: Database,
    region: Region,
    registry,  # type: ignore[no-untyped-def]
) -> None:
    small = settings.model_copy(update={"upload_max_bytes": 1000})
    with TestClient(create_app(small, database=database, registry=registry)) as client:
        process_id = _process(client, region)
        response = client.post(
            f"{API}/processes/{process_id}/documents",
            data={"title": "Groß"},
            files={"file": ("big.pdf", b"%PDF-" + b"0" * 5000, "application/pdf")},
            headers=bearer(region.key_admin),
        )
    assert response.status_code == 413
    assert count(database, Document) == 0


def test_geojson_plan_layers(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    admin = bearer(region.key_admin)
    bad = client.post(
        f"{API}/processes/{process_id}/layers",
        json={
            "title": "x",
            "kind": "geojson",
            "data": {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [500, 1]}}
                ],
            },
        },
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith(
        "body.data.features.0"
    )
    good = client.post(
        f"{API}/processes/{process_id}/layers",
        json={
            "title": "Bäume",
            "kind": "geojson",
            "data": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": INSIDE,
                        "properties": {"name": "Linde", "x": {"nested": 1}},
                    }
                ],
            },
        },
        headers=admin,
    ).json()
    data = client.get(good["data_url"]).json()
    assert data["features"][0]["properties"] == {"name": "Linde"}


def test_exports_have_their_media_types(client: TestClient, region: Region) -> None:
    process_id = _process(client, region)
    admin = bearer(region.key_admin)
    for fmt, media in (
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("geojson", "application/geo+json"),
    ):
        response = client.get(
            f"{API}/processes/{process_id}/export", params={"format": fmt}, headers=admin
        )
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert client.get(f"{API}/processes/{process_id}/export").status_code == 401
