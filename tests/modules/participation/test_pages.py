"""The pages without JavaScript: forms post, refusals come back as accessible messages on the
form (linked with aria-describedby, listed in an error summary), staff pages stay with staff."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from shapely.geometry import mapping

from allmende.modules.participation import challenge
from allmende.modules.participation.models import Contribution, Response
from allmende.storage.database import Database
from tests.conftest import SECRET
from tests.modules.participation.conftest import AREA, OUTSIDE, count
from tests.modules.participation.test_api import _phases, _process
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration
HTML = {"accept": "text/html", "accept-language": "en"}


def _old_token() -> str:
    return challenge.issue(SECRET, now=time.time() - 10)


def _form(client: TestClient, path: str) -> dict[str, str]:
    """The hidden fields of the page's form, with a challenge that is old enough."""
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    return {"csrf_token": csrf_from(page.text), "challenge": _old_token(), "homepage": ""}


def _post(client: TestClient, path: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


@pytest.fixture
def process_id(client: TestClient, region: Region) -> int:
    return _process(client, region, categories=["Grün", "Verkehr"])


def test_the_pages_of_a_process_show(client: TestClient, process_id: int) -> None:
    for path in (
        "/participation",
        f"/participation/{process_id}",
        f"/participation/{process_id}/contribute",
        f"/participation/{process_id}/contributions",
    ):
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert "<main" in response.text and 'lang="' in response.text
    assert client.get("/participation/999999", headers=HTML).status_code == 404
    assert client.get(f"/participation/{process_id}/drafts", headers=HTML).status_code == 404


def test_contributing_without_javascript_and_without_an_account(
    client: TestClient, process_id: int, database: Database
) -> None:
    path = f"/participation/{process_id}/contribute"
    data = {
        **_form(client, path),
        "title": "Schatten",
        "text": "Bäume an der Südseite",
        "category": "Grün",
        "place": "Südseite, vor der Apotheke",
        "geometry": "",
    }
    response = _post(client, path, data)
    assert response.status_code == 303
    assert "notice=contributed" in response.headers["location"]
    page = client.get(response.headers["location"], headers=HTML)
    assert "Südseite, vor der Apotheke" in page.text
    assert 'role="status"' in page.text
    assert count(database, Contribution) == 1


def test_form_errors_are_linked_to_their_fields(
    client: TestClient, process_id: int, database: Database
) -> None:
    path = f"/participation/{process_id}/contribute"
    response = _post(client, path, {**_form(client, path), "title": "", "text": ""})
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html and 'href="#f-title"' in html
    assert re.search(r'id="f-title"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="f-title"[^>]*aria-describedby="[^"]*f-title-error', html)
    assert 'id="f-title-error"' in html
    outside = _post(
        client,
        path,
        {
            **_form(client, path),
            "title": "Weit weg",
            "text": "x",
            "category": "Grün",
            "geometry": json.dumps(OUTSIDE),
        },
    )
    assert outside.status_code == 422
    assert 'id="f-geometry-error"' in outside.text and "outside the area" in outside.text
    assert 'value="Weit weg"' in outside.text  # what was typed is kept
    assert count(database, Contribution) == 0


def test_refusals_arrive_in_german(client: TestClient, region: Region) -> None:
    closed = _process(client, region, phases=_phases("comment"), area=mapping(AREA))
    page = client.get(
        f"/participation/{closed}/contribute", headers={**HTML, "accept-language": "de"}
    )
    assert "Die aktuelle Phase „Ideen“ erlaubt das nicht: Beiträge einreichen." in page.text
    assert 'id="closed-notice"' in page.text


def test_the_honeypot_and_the_timing_check(client: TestClient, process_id: int) -> None:
    path = f"/participation/{process_id}/contribute"
    values = {"title": "Bot", "text": "Spam", "category": "Grün"}
    trapped = _post(client, path, {**_form(client, path), **values, "homepage": "http://spam"})
    assert trapped.status_code == 422 and "automatically" in trapped.text
    fresh = _form(client, path)
    fresh["challenge"] = challenge.issue(SECRET)
    hurried = _post(client, path, {**fresh, **values})
    assert hurried.status_code == 422 and "too quickly" in hurried.text


def test_comment_support_report_and_survey_forms(
    client: TestClient, process_id: int, region: Region, database: Database
) -> None:
    path = f"/participation/{process_id}/contribute"
    created = _post(
        client,
        path,
        {**_form(client, path), "title": "Bänke", "text": "Mehr Bänke", "category": "Grün"},
    )
    page = created.headers["location"].split("?")[0]
    comment = _post(client, f"{page}/comments", {**_form(client, page), "text": "Ja, bitte!"})
    assert comment.status_code == 303 and "#comment-" in comment.headers["location"]
    support = _post(client, f"{page}/support", {**_form(client, page), "action": "support"})
    assert support.status_code == 303
    shown = client.get(page, headers=HTML).text
    assert "Ja, bitte!" in shown and "Withdraw my support" in shown
    item = page.rsplit("/", 1)[1]
    report_page = f"/participation/report?contribution={item}"
    report = _post(
        client,
        "/participation/report",
        {**_form(client, report_page), "contribution_id": item, "reason": "spam"},
    )
    assert report.status_code == 303 and "notice=reported" in report.headers["location"]

    survey = client.post(
        f"/api/participation/processes/{process_id}/surveys",
        json={
            "title": "Umfrage",
            "questions": [
                {
                    "kind": "single",
                    "prompt": "Wie oft?",
                    "required": True,
                    "options": ["oft", "nie"],
                },
                {"kind": "ranking", "prompt": "Was zuerst?", "options": ["A", "B"]},
                {"kind": "location", "prompt": "Wo?"},
            ],
        },
        headers=bearer(region.key_admin),
    ).json()
    q = [question["id"] for question in survey["questions"]]
    survey_path = f"/participation/surveys/{survey['id']}"
    same_rank = _post(
        client,
        survey_path,
        {**_form(client, survey_path), f"q{q[0]}": "0", f"q{q[1]}-0": "1", f"q{q[1]}-1": "1"},
    )
    assert same_rank.status_code == 422 and f'href="#f-q{q[1]}"' in same_rank.text
    assert re.search(rf'id="q{q[0]}-0"[^>]*checked', same_rank.text)  # the choice is kept
    answered = _post(
        client,
        survey_path,
        {
            **_form(client, survey_path),
            f"q{q[0]}": "1",
            f"q{q[1]}-0": "2",
            f"q{q[1]}-1": "1",
            f"q{q[2]}-geometry": "",
            f"q{q[2]}-text": "Am Brunnen",
        },
    )
    assert answered.status_code == 303, answered.text
    assert "already answered" not in client.get(survey_path, headers=HTML).text
    assert "You have answered this survey" in client.get(survey_path, headers=HTML).text
    assert count(database, Response) == 1


def test_a_ranking_question_shows_one_hint(
    client: TestClient, process_id: int, region: Region
) -> None:
    """Its own help replaces the general one (the demo showed both, one under the other)."""
    survey = client.post(
        f"/api/participation/processes/{process_id}/surveys",
        json={
            "title": "Umfrage",
            "questions": [
                {
                    "kind": "ranking",
                    "prompt": "Ziele?",
                    "help": "Rang 1 zuerst.",
                    "options": ["A", "B"],
                },
                {"kind": "ranking", "prompt": "Orte?", "options": ["C", "D"]},
            ],
        },
        headers=bearer(region.key_admin),
    ).json()
    page = client.get(f"/participation/surveys/{survey['id']}", headers=HTML).text
    assert page.count("Rang 1 zuerst.") == 1
    assert page.count("Give each option a rank: 1 is the most important.") == 1


def test_moderation_pages_are_for_staff_of_the_municipality(
    client: TestClient, process_id: int, region: Region
) -> None:
    cockpit = f"/participation/{process_id}/cockpit"
    assert client.get(cockpit, headers=HTML, follow_redirects=False).status_code == 303
    sign_in(client, region.staff_b_email)
    assert client.get(cockpit, headers=HTML).status_code == 403
    client.cookies.clear()
    sign_in(client, region.staff_a_email)
    for view in ("new", "discussed", "categories", "map", "reports"):
        assert client.get(cockpit, params={"view": view}, headers=HTML).status_code == 200


def test_a_moderator_answers_on_the_contribution_page(
    client: TestClient, process_id: int, region: Region
) -> None:
    path = f"/participation/{process_id}/contribute"
    created = _post(
        client,
        path,
        {**_form(client, path), "title": "Brunnen", "text": "Bitte", "category": "Grün"},
    )
    page = created.headers["location"].split("?")[0]
    sign_in(client, region.staff_a_email)
    token = csrf_from(client.get(page, headers=HTML).text)
    missing = _post(
        client, f"{page}/visibility", {"csrf_token": token, "action": "hide", "reason": ""}
    )
    assert missing.status_code == 422 and 'id="f-reason-error"' in missing.text
    answered = _post(
        client,
        f"{page}/feedback",
        {"csrf_token": token, "status": "implemented", "answer": "Steht seit Mai."},
    )
    assert answered.status_code == 303
    client.cookies.clear()
    public = client.get(page, headers=HTML).text
    assert "Steht seit Mai." in public and "Implemented" in public


def test_my_participation_page(client: TestClient, process_id: int, region: Region) -> None:
    assert client.get("/participation/me", headers=HTML, follow_redirects=False).status_code == 303
    sign_in(client, region.citizen_email)
    page = client.get("/participation/me", headers=HTML)
    assert page.status_code == 200
    token = csrf_from(page.text)
    followed = _post(
        client, f"/participation/{process_id}/follow", {"csrf_token": token, "action": "follow"}
    )
    assert followed.status_code == 303
    assert "Stop following" in client.get(f"/participation/{process_id}", headers=HTML).text
    data = client.get("/participation/me/data")
    assert data.headers["content-disposition"].startswith("attachment")
    assert data.json()["follows"][0]["process_id"] == process_id
    unconfirmed = _post(client, "/participation/me/delete", {"csrf_token": token})
    assert unconfirmed.status_code == 422 and 'id="f-confirm-error"' in unconfirmed.text
    deleted = _post(client, "/participation/me/delete", {"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 303
    assert client.get("/participation/me/data").json()["follows"] == []


def test_staff_start_and_edit_a_process_in_the_browser(
    client: TestClient, region: Region, database: Database
) -> None:
    assert client.get("/participation/new", headers=HTML, follow_redirects=False).status_code == 303
    sign_in(client, region.citizen_email)
    assert client.get("/participation/new", headers=HTML).status_code == 403
    client.cookies.clear()
    sign_in(client, region.staff_a_email)
    page = client.get("/participation/new", headers=HTML)
    assert 'value="a-stadt"' in page.text and 'value="b-dorf"' not in page.text
    token = csrf_from(page.text)
    base = {
        "csrf_token": token,
        "municipality": "a-stadt",
        "title": "Neuer Spielplatz",
        "summary": "Wir planen einen Spielplatz.",
        "categories": "Spielgeräte\nSicherheit\n",
        "area": json.dumps(mapping(AREA)),
        "public": "yes",
        "allow_anonymous": "yes",
        "phases.0.title": "Ideen",
        "phases.0.starts_at": "2026-01-01",
        "phases.0.ends_at": "2026-01-31",
        "phases.0.allows": "contribute",
        "phases.2.title": "Auswertung",
        "phases.2.starts_at": "2026-01-15",  # overlaps the first
        "phases.2.ends_at": "2026-02-28",
    }
    refused = _post(client, "/participation/new", base)
    assert refused.status_code == 422 and "overlap" in refused.text
    bad_date = _post(client, "/participation/new", {**base, "phases.2.starts_at": "morgen"})
    assert bad_date.status_code == 422 and 'id="f-phases.2.starts_at-error"' in bad_date.text
    created = _post(client, "/participation/new", {**base, "phases.2.starts_at": "2026-02-01"})
    assert created.status_code == 303, created.text
    process_id = int(created.headers["location"].split("/")[2])
    detail = client.get(f"/api/participation/processes/{process_id}").json()
    assert detail["categories"] == ["Spielgeräte", "Sicherheit"]
    assert [p["title"] for p in detail["phases"]] == ["Ideen", "Auswertung"]
    assert detail["phases"][0]["starts_at"].startswith("2025-12-31T23:00")  # midnight in Berlin
    assert detail["phases"][0]["allows"] == ["contribute"]

    edit = client.get(f"/participation/{process_id}/edit", headers=HTML)
    assert 'value="2026-01-31"' in edit.text  # the last day, as it was entered
    changed = _post(
        client,
        f"/participation/{process_id}/edit",
        {**base, "title": "Spielplatz am Anger", "phases.2.starts_at": "2026-02-01"},
    )
    assert changed.status_code == 303
    for path, data in (
        ("faq", {"question": "Wann?", "answer": "Im Frühjahr."}),
        ("events", {"title": "Begehung", "starts_at": "2026-01-10T16:00", "place": "Anger"}),
    ):
        response = _post(
            client, f"/participation/{process_id}/{path}", {"csrf_token": token, **data}
        )
        assert response.status_code == 303, response.text
    layer = client.post(
        f"/participation/{process_id}/layers",
        data={"csrf_token": token, "title": "Spielgeräte"},
        files={
            "file": (
                "plan.geojson",
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [8.64, 49.44]},
                                "properties": {"name": "Rutsche"},
                            }
                        ],
                    }
                ),
                "application/geo+json",
            )
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert layer.status_code == 303
    empty_faq = _post(client, f"/participation/{process_id}/faq", {"csrf_token": token})
    assert empty_faq.status_code == 422
    detail = client.get(f"/api/participation/processes/{process_id}").json()
    assert detail["title"] == "Spielplatz am Anger"
    assert [f["question"] for f in detail["faq"]] == ["Wann?"]
    assert detail["events"][0]["starts_at"].startswith("2026-01-10T15:00")
    assert [layer["title"] for layer in detail["layers"]] == ["Spielgeräte"]
    client.cookies.clear()
    sign_in(client, region.staff_b_email)
    assert client.get(f"/participation/{process_id}/edit", headers=HTML).status_code == 403


def test_reading_sets_no_cookie_and_support_counts_once_per_browser(
    client: TestClient, process_id: int
) -> None:
    path = f"/participation/{process_id}/contribute"
    client.get(f"/participation/{process_id}", headers=HTML)
    hidden = _form(client, path)
    assert challenge.PARTICIPANT_COOKIE not in client.cookies  # reading sets nothing
    created = _post(client, path, {**hidden, "title": "Bänke", "text": "x", "category": "Grün"})
    assert challenge.PARTICIPANT_COOKIE in client.cookies  # taking part does
    page = created.headers["location"].split("?")[0]
    for _ in range(2):
        response = _post(client, f"{page}/support", {**_form(client, page), "action": "support"})
        assert response.status_code == 303
    item = page.rsplit("/", 1)[1]
    assert client.get(f"/api/participation/contributions/{item}").json()["support_count"] == 1
    assert challenge.PARTICIPANT_COOKIE in client.cookies
