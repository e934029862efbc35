"""Staff configure a process in the browser alone: surveys with their questions, plan images
placed on the map by their corners, drafts. Refusals come back beside their fields and write
nothing; staff of another municipality are refused."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from allmende.modules.participation.models import (
    Document,
    Draft,
    PlanLayer,
    Question,
    Response,
    Survey,
)
from allmende.storage.database import Database
from tests.modules.participation.conftest import count
from tests.modules.participation.test_api import _process
from tests.modules.participation.test_files import jpeg_with_location
from tests.modules.participation.test_pages import _form
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration
HTML = {"accept": "text/html", "accept-language": "en"}
GERMAN = {"accept": "text/html", "accept-language": "de"}


def _post(client: TestClient, path: str, data: dict[str, Any], headers: dict[str, str] = HTML):  # type: ignore[no-untyped-def]
    return client.post(path, data=data, headers=headers, follow_redirects=False)


@pytest.fixture
def process_id(client: TestClient, region: Region) -> int:
    return _process(client, region, categories=["Grün"])


def _staff(client: TestClient, region: Region, process_id: int) -> str:
    """Signs staff of A in; the CSRF token of their forms."""
    sign_in(client, region.staff_a_email)
    page = client.get(f"/participation/{process_id}/cockpit", headers=HTML)
    assert page.status_code == 200
    assert f'href="/participation/{process_id}/surveys/new"' in page.text
    return csrf_from(page.text)


def _questions(client: TestClient, survey_id: int) -> list[dict[str, Any]]:
    return list(client.get(f"/api/participation/surveys/{survey_id}").json()["questions"])


def test_staff_build_open_and_close_a_survey(
    client: TestClient, region: Region, process_id: int, database: Database
) -> None:
    token = _staff(client, region, process_id)
    new = f"/participation/{process_id}/surveys/new"
    assert client.get(new, headers=HTML).status_code == 200
    untitled = _post(client, new, {"csrf_token": token, "title": " "})
    assert untitled.status_code == 422 and 'id="f-title-error"' in untitled.text
    assert count(database, Survey) == 0
    created = _post(
        client, new, {"csrf_token": token, "title": "Spielgeräte", "results_public": "yes"}
    )
    assert created.status_code == 303, created.text
    survey_id = int(created.headers["location"].split("/")[3])
    edit = f"/participation/surveys/{survey_id}/edit"
    process_page = client.get(f"/participation/{process_id}", headers=HTML).text
    assert "Spielgeräte</a> (closed)" in process_page  # built, not yet open
    assert "Open the survey" in client.get(edit, headers=HTML).text
    empty = _post(
        client, f"/participation/surveys/{survey_id}/state", {"csrf_token": token, "open": "yes"}
    )
    assert empty.status_code == 422 and 'id="state-error"' in empty.text
    assert "add a question before opening" in empty.text and 'value="Spielgeräte"' in empty.text

    add = f"/participation/surveys/{survey_id}/questions"
    one_option = _post(
        client,
        add,
        {"csrf_token": token, "kind": "single", "prompt": "Welches Gerät?", "options": "Rutsche\n"},
    )
    assert one_option.status_code == 422
    assert 'id="f-options-error"' in one_option.text and "at least two options" in one_option.text
    assert 'value="Welches Gerät?"' in one_option.text  # the form comes back as it was sent
    bad_scale = _post(
        client,
        add,
        {"csrf_token": token, "kind": "scale", "prompt": "Wie wichtig?", "scale_max": "viel"},
    )
    assert bad_scale.status_code == 422 and 'id="f-scale_max-error"' in bad_scale.text
    no_prompt = _post(client, add, {"csrf_token": token, "kind": "text", "prompt": ""})
    assert no_prompt.status_code == 422 and 'id="f-prompt-error"' in no_prompt.text
    assert count(database, Question) == 0
    for data in (
        {
            "kind": "single",
            "prompt": "Welches Gerät?",
            "options": "Rutsche\nSchaukel",
            "required": "yes",
        },
        {"kind": "scale", "prompt": "Wie wichtig?", "scale_min": "1", "scale_max": "5"},
        {"kind": "text", "prompt": "Was noch?"},
    ):
        assert _post(client, add, {"csrf_token": token, **data}).status_code == 303
    questions = _questions(client, survey_id)
    assert [q["kind"] for q in questions] == ["single", "scale", "text"]

    # Change, move and remove
    first = questions[0]["id"]
    form = client.get(f"/participation/questions/{first}/edit", headers=HTML)
    assert "Rutsche\nSchaukel</textarea>" in form.text
    changed = _post(
        client,
        f"/participation/questions/{first}/edit",
        {"csrf_token": token, "kind": "multiple", "prompt": "Welche Geräte?",
         "options": "Rutsche\nSchaukel\nWippe"},
    )  # fmt: skip
    assert changed.status_code == 303
    repeated = _post(
        client,
        f"/participation/questions/{first}/edit",
        {"csrf_token": token, "kind": "multiple", "prompt": "x", "options": "A\nA"},
    )
    assert repeated.status_code == 422 and "must not repeat an option" in repeated.text
    text_id = questions[2]["id"]
    moved = _post(
        client, f"/participation/questions/{text_id}/move", {"csrf_token": token, "to": "up"}
    )
    assert moved.status_code == 303
    assert [q["kind"] for q in _questions(client, survey_id)] == ["multiple", "text", "scale"]
    removed = _post(client, f"/participation/questions/{text_id}/delete", {"csrf_token": token})
    assert removed.status_code == 303
    questions = _questions(client, survey_id)
    assert [(q["kind"], q["prompt"], q["options"]) for q in questions] == [
        ("multiple", "Welche Geräte?", ["Rutsche", "Schaukel", "Wippe"]),
        ("scale", "Wie wichtig?", []),
    ]

    # Closed, nobody answers; opened, a citizen answers on the public page
    public = f"/participation/surveys/{survey_id}"
    assert "This survey is closed." in client.get(public, headers=HTML).text
    opened = _post(
        client, f"/participation/surveys/{survey_id}/state", {"csrf_token": token, "open": "yes"}
    )
    assert opened.status_code == 303
    client.cookies.clear()
    multiple, scale = (q["id"] for q in questions)
    answered = _post(
        client, public, {**_form(client, public), f"q{multiple}": ["0", "2"], f"q{scale}": "4"}
    )
    assert answered.status_code == 303, answered.text
    assert count(database, Response) == 1
    results = client.get(f"/api/participation/surveys/{survey_id}/results").json()
    assert [o["count"] for o in results["questions"][0]["options"]] == [1, 0, 1]

    # Answered: the questions stay; closing stops further answers
    token = _staff(client, region, process_id)
    locked = _post(client, f"/participation/questions/{multiple}/delete", {"csrf_token": token})
    assert locked.status_code == 422 and "have answered this survey already" in locked.text
    assert len(_questions(client, survey_id)) == 2
    closed = _post(
        client, f"/participation/surveys/{survey_id}/state", {"csrf_token": token, "open": ""}
    )
    assert closed.status_code == 303
    client.cookies.clear()
    assert "This survey is closed." in client.get(public, headers=HTML).text
    contribute = f"/participation/{process_id}/contribute"  # a page with a form, for its token
    refused = _post(client, public, {**_form(client, contribute), f"q{multiple}": "1"})
    assert refused.status_code == 422 and count(database, Response) == 1


def test_survey_pages_speak_german(client: TestClient, region: Region, process_id: int) -> None:
    token = _staff(client, region, process_id)
    created = _post(
        client,
        f"/participation/{process_id}/surveys/new",
        {"csrf_token": token, "title": "Umfrage"},
    )
    survey_id = int(created.headers["location"].split("/")[3])
    page = client.get(f"/participation/surveys/{survey_id}/edit", headers=GERMAN)
    assert "Frage hinzufügen" in page.text and "Add a question" not in page.text
    refused = _post(
        client,
        f"/participation/surveys/{survey_id}/questions",
        {"csrf_token": token, "kind": "ranking", "prompt": "Was zuerst?", "options": "A"},
        GERMAN,
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-options-error".*mindestens zwei', refused.text, re.S)


def test_staff_of_another_municipality_are_refused(
    client: TestClient, region: Region, process_id: int, database: Database
) -> None:
    token = _staff(client, region, process_id)
    created = _post(
        client,
        f"/participation/{process_id}/surveys/new",
        {"csrf_token": token, "title": "Umfrage"},
    )
    survey_id = int(created.headers["location"].split("/")[3])
    client.cookies.clear()
    sign_in(client, region.staff_b_email)
    token = csrf_from(client.get("/participation", headers=HTML).text)
    assert client.get(f"/participation/{process_id}/surveys/new", headers=HTML).status_code == 403
    assert client.get(f"/participation/surveys/{survey_id}/edit", headers=HTML).status_code == 403
    stranger = _post(
        client,
        f"/participation/surveys/{survey_id}/questions",
        {"csrf_token": token, "kind": "text", "prompt": "Wer?"},
    )
    assert stranger.status_code == 403
    assert (
        _post(
            client, f"/participation/{process_id}/surveys/new", {"csrf_token": token, "title": "x"}
        ).status_code
        == 403
    )
    assert count(database, Question) == 0 and count(database, Survey) == 1


# --- plans and drafts -----------------------------------------------------------------------------

CORNERS = {"nw_lat": "49,445", "nw_lon": "8,625", "se_lat": "49.435", "se_lon": "8,655"}


def _upload(client: TestClient, process_id: int, token: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/participation/{process_id}/plans",
        data={"csrf_token": token, "title": "Lageplan", **fields},
        files={"file": ("plan.jpg", content, "image/jpeg")},
        headers=HTML,
        follow_redirects=False,
    )


def test_a_plan_image_is_placed_by_its_corners(
    client: TestClient, region: Region, process_id: int, database: Database
) -> None:
    token = _staff(client, region, process_id)
    page = client.get(f"/participation/{process_id}/plans", headers=HTML)
    assert page.status_code == 200 and 'id="f-nw_lat"' in page.text
    photo = jpeg_with_location()

    out_of_range = _upload(client, process_id, token, photo, **{**CORNERS, "nw_lat": "95"})
    assert out_of_range.status_code == 422
    assert 'id="f-nw_lat-error"' in out_of_range.text and "between -90 and 90" in out_of_range.text
    missing = _upload(client, process_id, token, photo, **{**CORNERS, "se_lon": ""})
    assert missing.status_code == 422 and 'id="f-se_lon-error"' in missing.text
    swapped = _upload(client, process_id, token, photo, **{**CORNERS, "se_lat": "49,45"})
    assert swapped.status_code == 422 and "south of the upper-left corner" in swapped.text
    words = _upload(client, process_id, token, photo, **{**CORNERS, "nw_lon": "Ost"})
    assert words.status_code == 422 and 'id="f-nw_lon-error"' in words.text
    pdf = _upload(client, process_id, token, b"%PDF-1.4\n%%EOF\n", **CORNERS)
    assert pdf.status_code == 415 and 'id="f-file-error"' in pdf.text
    assert count(database, Document) == 0 and count(database, PlanLayer) == 0

    placed = _upload(client, process_id, token, photo, **CORNERS)
    assert placed.status_code == 303, placed.text
    (layer,) = client.get(f"/api/participation/processes/{process_id}").json()["layers"]
    assert layer["kind"] == "image" and layer["bounds"] == [8.625, 49.435, 8.655, 49.445]
    stored = client.get(layer["image_url"])
    assert stored.status_code == 200
    assert len(Image.open(io.BytesIO(stored.content)).getexif()) == 0  # no camera, no position
    public = client.get(f"/participation/{process_id}", headers=HTML).text
    assert "data-layers=" in public and "49.445" in public and layer["image_url"] in public
    german = client.get(f"/participation/{process_id}/plans", headers=GERMAN).text
    assert "49,445" in german  # the bounds in the reader's notation

    deleted = _post(client, f"/participation/layers/{layer['id']}/delete", {"csrf_token": token})
    assert deleted.status_code == 303
    assert count(database, Document) == 0 and count(database, PlanLayer) == 0
    assert client.get(layer["image_url"]).status_code == 404

    client.cookies.clear()
    sign_in(client, region.staff_b_email)
    token = csrf_from(client.get("/participation", headers=HTML).text)
    assert client.get(f"/participation/{process_id}/plans", headers=HTML).status_code == 403
    assert _upload(client, process_id, token, photo, **CORNERS).status_code == 403
    assert count(database, Document) == 0


def test_staff_add_change_and_delete_drafts(
    client: TestClient, region: Region, process_id: int, database: Database
) -> None:
    token = _staff(client, region, process_id)
    add = f"/participation/{process_id}/drafts"
    bad_facts = _post(
        client, add, {"csrf_token": token, "draft.title": "Variante A", "draft.facts": "Bäume"}
    )
    assert bad_facts.status_code == 422 and 'id="f-draft.facts-error"' in bad_facts.text
    untitled = _post(client, add, {"csrf_token": token, "draft.title": ""})
    assert untitled.status_code == 422 and 'id="f-draft.title-error"' in untitled.text
    assert count(database, Draft) == 0
    for title in ("Variante A", "Variante B"):
        data = {"csrf_token": token, "draft.title": title, "draft.facts": "Bäume: 14 neue"}
        assert _post(client, add, data).status_code == 303
    drafts = client.get(f"/api/participation/processes/{process_id}").json()["drafts"]
    assert [(d["title"], d["facts"]) for d in drafts] == [
        ("Variante A", {"Bäume": "14 neue"}),
        ("Variante B", {"Bäume": "14 neue"}),
    ]
    first, second = (d["id"] for d in drafts)
    form = client.get(f"/participation/drafts/{first}/edit", headers=HTML)
    assert "Bäume: 14 neue</textarea>" in form.text
    changed = _post(
        client,
        f"/participation/drafts/{first}/edit",
        {"csrf_token": token, "draft.title": "Variante Nord", "draft.summary": "Mit Brunnen."},
    )
    assert changed.status_code == 303
    assert (
        _post(client, f"/participation/drafts/{second}/delete", {"csrf_token": token}).status_code
        == 303
    )
    (draft,) = client.get(f"/api/participation/processes/{process_id}").json()["drafts"]
    assert (draft["title"], draft["summary"], draft["facts"]) == (
        "Variante Nord",
        "Mit Brunnen.",
        {},
    )
    compare = client.get(f"/participation/{process_id}/drafts", headers=HTML)
    assert "Variante Nord" in compare.text

    # A plan image of the draft shows on the drafts page's map
    placed = _upload(
        client, process_id, token, jpeg_with_location(), **CORNERS, draft_id=str(draft["id"])
    )
    assert placed.status_code == 303
    compare = client.get(f"/participation/{process_id}/drafts", headers=HTML)
    assert 'id="drafts-map"' in compare.text and "8.625" in compare.text
