"""Administration in the browser (without JavaScript): municipalities with boundaries and
districts, accounts and roles, API keys shown once; administrators only, forms with CSRF,
refusals beside their fields."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from shapely.geometry import box, mapping

from allmende.identity import service
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.smtp import deliver
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration
AREA = mapping(box(8.80, 49.40, 8.90, 49.50))


def _post(client: TestClient, page: str, target: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf_from(client.get(page).text)
    return client.post(target, data={**data, "csrf_token": token}, **kwargs)


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/municipalities",
        "/admin/municipalities/a-stadt",
        "/admin/users",
        "/admin/users/new",
        "/admin/apikeys",
        "/admin/outbox",
    ],
)
def test_only_administrators_come_in(client: TestClient, region: Region, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
    for who in (region.citizen_email, region.staff_a_email):
        sign_in(client, who)
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 403
        client.cookies.clear()
    sign_in(client, region.admin_email)
    assert client.get(path).status_code == 200
    assert client.get(path, headers=bearer(region.key_admin)).status_code == 200


def test_forms_need_their_token(client: TestClient, region: Region) -> None:
    sign_in(client, region.admin_email)
    answer = client.post("/admin/municipalities/new", data={"key": "x", "name": "X"})
    assert answer.status_code == 403


def test_add_a_municipality_with_a_boundary_file(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.admin_email)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": mapping(box(8.80, 49.40, 8.85, 49.50)),
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": mapping(box(8.85, 49.40, 8.90, 49.50)),
            },
        ],
    }
    token = csrf_from(client.get("/admin/municipalities/new").text)
    answer = client.post(
        "/admin/municipalities/new",
        data={
            "csrf_token": token,
            "key": "c-hausen",
            "name": "C-Hausen",
            "kind": "Gemeinde",
            "ags": "08999103",
            "jurisdiction_id": "c-hausen.example",
            "contact_email": "rathaus@c-hausen.example",
        },
        files={"boundary_file": ("grenze.geojson", json.dumps(collection), "application/geo+json")},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/admin/municipalities/c-hausen?done=created"
    page = client.get(answer.headers["location"])
    assert "Die Kommune ist angelegt" in page.text
    with database.session() as session:
        made = service.municipality_by_key(session, key="c-hausen")
        assert (made.ags, made.jurisdiction_id) == ("08999103", "c-hausen.example")
        assert made.geom is not None and made.geom.bounds == (8.80, 49.40, 8.90, 49.50)
    assert "C-Hausen" in client.get("/").text
    assert client.get("/api/municipalities/c-hausen").json()["bbox"] == [8.8, 49.4, 8.9, 49.5]


def test_refusals_are_listed_beside_their_fields_in_plain_words(
    client: TestClient, region: Region
) -> None:
    sign_in(client, region.admin_email)
    answer = _post(
        client,
        "/admin/municipalities/new",
        "/admin/municipalities/new",
        {"key": "Neu Stadt", "name": "Neu", "ags": "08999101", "boundary": "{kein json"},
    )
    assert answer.status_code == 422
    assert "Das Formular hat 3 Fehler" in answer.text  # all of them, not the first only
    assert "nur Kleinbuchstaben, Ziffern und" in answer.text
    assert 'id="f-ags-error">eine andere Kommune hat ihn bereits</p>' in answer.text
    assert "ist kein GeoJSON (der Text ist kein gültiges JSON)" in answer.text
    point = _post(
        client,
        "/admin/municipalities/new",
        "/admin/municipalities/new",
        {
            "key": "neu",
            "name": "Neu",
            "boundary": json.dumps({"type": "Point", "coordinates": [8, 49]}),
        },
    )
    assert "muss ein Polygon oder MultiPolygon sein" in point.text
    client.cookies.set("allmende_lang", "en")
    english = client.post(
        "/admin/municipalities/new",
        data={"key": "neu", "name": "", "csrf_token": csrf_from(point.text)},
    )
    assert 'id="f-name-error">must not be empty</p>' in english.text


def test_change_a_municipality_and_its_districts(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.admin_email)
    page = "/admin/municipalities/b-dorf"
    saved = _post(
        client,
        page,
        page,
        {"name": "Bach-Dorf", "kind": "Gemeinde", "ags": "08999102", "boundary": json.dumps(AREA)},
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"{page}?done=saved"
    districts = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Oberdorf", "population": 1200},
                "geometry": mapping(box(8.80, 49.45, 8.90, 49.50)),
            },
            {
                "type": "Feature",
                "properties": {"name": "Unterdorf"},
                "geometry": mapping(box(8.80, 49.40, 8.90, 49.45)),
            },
        ],
    }
    token = csrf_from(client.get(page).text)
    added = client.post(
        f"{page}/districts",
        data={"csrf_token": token, "district_name": ""},
        files={"district_boundary_file": ("ot.geojson", json.dumps(districts), "application/json")},
        follow_redirects=False,
    )
    assert added.status_code == 303
    one = _post(client, page, f"{page}/districts", {"district_name": "Mühle", "population": "80"})
    assert one.status_code == 200  # followed the redirect
    twice = _post(client, page, f"{page}/districts", {"district_name": "Mühle"})
    assert twice.status_code == 409  # a conflict with what exists
    assert "diese Kommune hat bereits einen Ortsteil dieses Namens" in twice.text
    with database.session() as session:
        place = service.municipality_by_key(session, key="b-dorf")
        found = {d.name: d.population for d in place.districts}
        assert place.name == "Bach-Dorf" and found == {
            "Mühle": 80,
            "Oberdorf": 1200,
            "Unterdorf": None,
        }
        mill = next(d.id for d in place.districts if d.name == "Mühle")
    _post(client, page, f"{page}/districts/{mill}/delete", {})
    with database.session() as session:
        assert len(service.municipality_by_key(session, key="b-dorf").districts) == 2


def test_invite_staff_who_set_their_password_from_the_outbox(
    client: TestClient, app: Any, database: Database, region: Region
) -> None:
    sign_in(client, region.admin_email)
    made = _post(
        client,
        "/admin/users/new",
        "/admin/users/new",
        {
            "display_name": "Sam Staff",
            "email": "sam@a-stadt.example",
            "role": "staff",
            "municipality": "a-stadt",
            "language": "de",
        },
        follow_redirects=False,
    )
    assert re.fullmatch(r"/admin/users/\d+\?done=invited", made.headers["location"])
    deliver(app)  # no SMTP server configured: the mail lands in the outbox
    outbox = client.get("/admin/outbox")
    assert "Ihr Konto bei Testregion" in outbox.text and "sam@a-stadt.example" in outbox.text
    link = re.search(r'href="(http://testserver/password/reset\?t=[^"]+)"', outbox.text)
    assert link is not None
    client.cookies.clear()
    page = client.get(link.group(1))
    assert "sam@a-stadt.example" in page.text
    client.post(
        "/password/reset",
        data={
            "t": link.group(1).split("t=", 1)[1],
            "password": "Sams Passwort",
            "csrf_token": csrf_from(page.text),
        },
    )
    sign_in(client, "sam@a-stadt.example", "Sams Passwort")
    assert "A-Stadt" in client.get("/account").text


def test_roles_and_switching_an_account_off(
    client: TestClient, database: Database, region: Region
) -> None:
    with database.session() as session:
        citizen = service.user_by_email(session, email=region.citizen_email).id
        admin = service.user_by_email(session, email=region.admin_email).id
    sign_in(client, region.admin_email)
    page = f"/admin/users/{citizen}"
    _post(client, page, f"{page}/staff", {"municipality": "b-dorf"})
    _post(client, page, f"{page}/admin", {"admin": "on"})
    with database.session() as session:
        user = service.user_by_id(session, user_id=citizen)
        principal = service.principal_for_user(user)
        assert principal.is_admin and principal.staff_of == frozenset({region.municipality_b})
    _post(client, page, f"{page}/unstaff", {"municipality_id": str(region.municipality_b)})
    _post(client, page, f"{page}/admin", {})
    _post(client, page, f"{page}/active", {})
    with database.session() as session:
        user = service.user_by_id(session, user_id=citizen)
        assert (user.is_admin, user.memberships, user.is_active) == (False, [], False)
    mine = _post(client, f"/admin/users/{admin}", f"/admin/users/{admin}/active", {})
    assert mine.status_code == 422 and "Ihr eigenes Konto können Sie nicht sperren" in mine.text
    listed = client.get("/admin/users?q=CITIZEN")
    assert "gesperrt" in listed.text and region.staff_a_email not in listed.text
    by_place = client.get("/admin/users?municipality=a-stadt")
    assert region.staff_a_email in by_place.text and region.staff_b_email not in by_place.text


def test_an_api_key_is_shown_once_and_revoked(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.admin_email)
    made = _post(
        client,
        "/admin/apikeys",
        "/admin/apikeys",
        {
            "name": "Wetterstation",
            "scopes": ["sensorthings"],
            "municipality": "a-stadt",
            "expires": "2099-12-31",
        },
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    key = re.search(r'value="(alm_[a-z0-9]{8}_[A-Za-z0-9_-]+)"', made.text)
    assert key is not None
    me = client.get("/api/me", headers=bearer(key.group(1))).json()
    assert (me["kind"], me["scopes"]) == ("api_key", ["sensorthings"])
    listing = client.get("/admin/apikeys")
    assert key.group(1) not in listing.text and "Wetterstation" in listing.text
    with database.session() as session:
        key_id = next(k.id for k in service.list_api_keys(session) if k.name == "Wetterstation")
    _post(client, "/admin/apikeys", f"/admin/apikeys/{key_id}/revoke", {})
    assert client.get("/api/me", headers=bearer(key.group(1))).status_code == 401
    refused = _post(
        client, "/admin/apikeys", "/admin/apikeys", {"name": "ohne", "expires": "2001-01-01"}
    )
    assert refused.status_code == 422
    assert (
        "wählen Sie mindestens eine Berechtigung" in refused.text
        or "liegt in der Vergangenheit" in refused.text
    )
