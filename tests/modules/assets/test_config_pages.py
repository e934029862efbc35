"""Staff configure their municipality in the browser: report categories, object types and
inspection plans through plain HTML forms; bad input is shown at its field and writes nothing;
staff of another municipality are refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from allmende.modules.assets.models import InspectionPlan, ObjectType, ReportService
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, snapshot
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration


def _token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def _service(database: Database, code: str) -> ReportService:
    with database.session() as session:
        return session.scalars(select(ReportService).where(ReportService.code == code)).one()


def _id_after(response_location: str, listing: str, name: str, client: TestClient) -> int:
    page = client.get(response_location).text
    found = re.search(rf'href="{listing}/(\d+)">{name}<', page)
    assert found, page
    return int(found.group(1))


def test_staff_add_edit_and_deactivate_a_category(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    listing = client.get("/maintenance")
    assert 'href="/maintenance/categories"' in listing.text
    assert 'href="/maintenance/types"' in listing.text
    assert 'href="/maintenance/plans"' in listing.text
    token = _token(client, "/maintenance/categories/new")
    before = snapshot(database)
    bad = client.post(
        "/maintenance/categories/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "code": "Bank Schaden!",
            "name": "",
            "attributes.0.description": "Was ist kaputt?",
            "attributes.0.datatype": "singlevaluelist",
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    for field in ("code", "name", "attributes-0-values"):  # every fault, not only the first
        assert f'id="f-{field}-error"' in bad.text, field
    assert "Kleinbuchstaben" in bad.text and "ist erforderlich" in bad.text
    assert snapshot(database) == before
    created = client.post(
        "/maintenance/categories/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "code": "bank-schaden",
            "name": "Beschädigte Bank",
            "description": "Lose Latten, Graffiti",
            "group": "Grün und Spiel",
            "keywords": "Bank, Sitzbank",
            "object_types": ["bench"],
            "attributes.0.description": "Was ist kaputt?",
            "attributes.0.datatype": "singlevaluelist",
            "attributes.0.values": "Latte, Lehne",
            "attributes.0.required": "on",
            "attributes.1.description": "",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    s = _service(database, "bank-schaden")
    assert s.municipality_id == region.municipality_a and s.active
    assert s.keywords == ["Bank", "Sitzbank"] and s.object_types == ["bench"]
    assert s.attributes[0]["code"] == "was_ist_kaputt" and s.attributes[0]["required"]
    assert [v["name"] for v in s.attributes[0]["values"]] == ["Latte", "Lehne"]
    again = client.post(
        "/maintenance/categories/new",
        data={"csrf_token": token, "municipality": "a-stadt", "code": "bank-schaden", "name": "X"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "existiert bereits" in again.text

    edit = client.get(f"/maintenance/categories/{s.id}")
    assert 'value="Latte, Lehne"' in edit.text
    saved = client.post(
        f"/maintenance/categories/{s.id}",
        data={
            "csrf_token": token,
            "name": "Kaputte Bank",
            "group": "Grün und Spiel",
            "attributes.0.code": "was_ist_kaputt",
            "attributes.0.description": "Was ist kaputt?",
            "attributes.0.datatype": "singlevaluelist",
            "attributes.0.values": "Latte, Lehne, Fuß",
            "active": "on",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    s = _service(database, "bank-schaden")
    assert s.name == "Kaputte Bank" and len(s.attributes[0]["values"]) == 3
    assert s.object_types == [] and not s.attributes[0]["required"]

    off = client.post(
        f"/maintenance/categories/{s.id}/active", data={"csrf_token": token, "active": ""}
    )
    assert off.status_code == 200 and "Reaktivieren" in off.text
    assert not _service(database, "bank-schaden").active
    assert "Kaputte Bank" not in client.get("/reports/new").text
    client.post(
        f"/maintenance/categories/{s.id}/active", data={"csrf_token": token, "active": "on"}
    )
    assert _service(database, "bank-schaden").active


def test_staff_of_another_municipality_are_refused(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_b_email)
    token = _token(client, "/maintenance/categories/new")
    with database.session() as session:
        a_service = session.scalars(
            select(ReportService.id).where(ReportService.municipality_id == region.municipality_a)
        ).first()
    assert a_service is not None
    before = snapshot(database)
    assert client.get(f"/maintenance/categories/{a_service}").status_code == 403
    refused = client.post(
        "/maintenance/categories/new",
        data={"csrf_token": token, "municipality": "a-stadt", "code": "fremd", "name": "Fremd"},
    )
    assert refused.status_code == 403
    off = client.post(
        f"/maintenance/categories/{a_service}/active", data={"csrf_token": token, "active": ""}
    )
    assert off.status_code == 403
    typed = client.post(
        "/maintenance/types/new",
        data={"csrf_token": token, "municipality": "a-stadt", "key": "fremd", "name": "Fremd"},
    )
    assert typed.status_code == 403
    planned = client.post(
        "/maintenance/plans/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "type": "bench",
            "kind": "visual",
            "name": "Fremd",
            "interval_days": "7",
            "checklist.0.label": "Sitz",
        },
    )
    assert planned.status_code == 403
    assert snapshot(database) == before
    new_form = client.get("/maintenance/categories/new").text
    assert 'value="a-stadt"' not in new_form and 'value="b-dorf"' in new_form


def test_staff_create_and_edit_an_object_type_with_attributes(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    token = _token(client, "/maintenance/types/new")
    before = snapshot(database)
    bad = client.post(
        "/maintenance/types/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "key": "Brunnen",
            "name": "Brunnen",
            "attributes.0.name": "hoehe m",
            "attributes.0.type": "number",
            "attributes.1.name": "baujahr",
            "attributes.1.type": "integer",
            "attributes.1.minimum": "2000",
            "attributes.1.maximum": "1900",
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    for field in ("key", "attributes-0-name", "attributes-1-maximum"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert snapshot(database) == before
    created = client.post(
        "/maintenance/types/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "key": "brunnen",
            "name": "Brunnen",
            "geometry_kind": "point",
            "public": "on",
            "attributes.0.name": "hoehe_m",
            "attributes.0.title": "Höhe (m)",
            "attributes.0.type": "number",
            "attributes.0.minimum": "0",
            "attributes.0.maximum": "12,5",
            "attributes.0.public": "on",
            "attributes.1.name": "wasser",
            "attributes.1.title": "Wasserart",
            "attributes.1.type": "string",
            "attributes.1.allowed": "Trinkwasser, Brauchwasser",
            "attributes.1.required": "on",
            "attributes.2.name": "",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    with database.session() as session:
        t = session.scalars(select(ObjectType).where(ObjectType.key == "brunnen")).one()
    assert t.municipality_id == region.municipality_a and t.public_attributes == ["hoehe_m"]
    props = t.attribute_schema["properties"]
    assert props["hoehe_m"] == {
        "type": "number",
        "title": "Höhe (m)",
        "minimum": 0.0,
        "maximum": 12.5,
    }
    assert props["wasser"]["enum"] == ["Trinkwasser", "Brauchwasser"]
    assert t.attribute_schema["required"] == ["wasser"]
    assert t.attribute_schema["additionalProperties"] is False
    listing = client.get("/maintenance/types")
    assert f'href="/maintenance/types/{t.id}"' in listing.text
    edit = client.get(f"/maintenance/types/{t.id}")
    assert 'value="Trinkwasser, Brauchwasser"' in edit.text and 'value="12,5"' in edit.text
    saved = client.post(
        f"/maintenance/types/{t.id}",
        data={
            "csrf_token": token,
            "name": "Trinkbrunnen",
            "public": "on",
            "attributes.0.name": "hoehe_m",
            "attributes.0.title": "Höhe (m)",
            "attributes.0.type": "number",
            "attributes.1.name": "baujahr",
            "attributes.1.type": "integer",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with database.session() as session:
        t = session.scalars(select(ObjectType).where(ObjectType.key == "brunnen")).one()
    assert t.name == "Trinkbrunnen" and set(t.attribute_schema["properties"]) == {
        "hoehe_m",
        "baujahr",
    }
    assert "required" not in t.attribute_schema and t.public_attributes == []
    with database.session() as session:
        builtin = session.scalars(select(ObjectType.id).where(ObjectType.key == "tree")).first()
    assert client.get(f"/maintenance/types/{builtin}").status_code == 403  # admins only


def test_staff_create_edit_and_delete_an_inspection_plan(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    token = _token(client, "/maintenance/plans/new")
    before = snapshot(database)
    bad = client.post(
        "/maintenance/plans/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "type": "",
            "kind": "visual",
            "name": "",
            "interval_days": "oft",
            "checklist.0.label": "",
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    for field in ("type", "name", "interval_days", "checklist-0-label"):
        assert f'id="f-{field}-error"' in bad.text, field
    assert snapshot(database) == before
    created = client.post(
        "/maintenance/plans/new",
        data={
            "csrf_token": token,
            "municipality": "a-stadt",
            "type": "bench",
            "kind": "operational",
            "name": "Bank prüfen",
            "interval_days": "90",
            "checklist.0.label": "Standsicherheit",
            "checklist.1.label": "",
            "checklist.2.label": "Schäden am Sitz",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    with database.session() as session:
        plan = session.scalars(
            select(InspectionPlan).where(InspectionPlan.name == "Bank prüfen")
        ).one()
    assert plan.municipality_id == region.municipality_a and plan.interval_days == 90
    assert [i["code"] for i in plan.checklist] == ["standsicherheit", "schaeden_am_sitz"]
    listing = client.get("/maintenance/plans")
    assert f'href="/maintenance/plans/{plan.id}"' in listing.text and "alle 90 Tage" in listing.text
    saved = client.post(
        f"/maintenance/plans/{plan.id}",
        data={
            "csrf_token": token,
            "kind": "operational",
            "name": "Bank prüfen",
            "interval_days": "30",
            "checklist.0.code": "standsicherheit",
            "checklist.0.label": "Steht fest",
            "checklist.1.code": "schaeden_am_sitz",
            "checklist.1.label": "",
            "checklist.2.label": "Farbe",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with database.session() as session:
        changed = session.get(InspectionPlan, plan.id)
        assert changed is not None
        assert changed.interval_days == 30
        assert changed.checklist == [
            {"code": "standsicherheit", "label": "Steht fest"},
            {"code": "farbe", "label": "Farbe"},
        ]
    deleted = client.post(
        f"/maintenance/plans/{plan.id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert client.get(f"/maintenance/plans/{plan.id}").status_code == 404
    with database.session() as session:
        gone = session.get(InspectionPlan, plan.id)
        assert gone is not None and not gone.active


def test_editing_a_standard_category_keeps_the_keys_of_its_choices(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    with database.session() as session:
        lamp = session.scalars(
            select(ReportService).where(
                ReportService.code == "strassenbeleuchtung",
                ReportService.municipality_id == region.municipality_a,
            )
        ).one()
    page = client.get(f"/maintenance/categories/{lamp.id}")
    choices = "Brennt nicht, Flackert, Leuchtet tagsüber, Mast beschädigt"
    assert f'value="{choices}"' in page.text
    saved = client.post(
        f"/maintenance/categories/{lamp.id}",
        data={
            "csrf_token": csrf_from(page.text),
            "name": lamp.name,
            "attributes.0.code": "fault",
            "attributes.0.description": "Was ist defekt?",
            "attributes.0.datatype": "singlevaluelist",
            "attributes.0.values": f"{choices}, Schief",
            "attributes.0.required": "on",
            "object_types": ["street_light"],
            "active": "on",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with database.session() as session:
        changed = session.get(ReportService, lamp.id)
        assert changed is not None
        values = changed.attributes[0]["values"]
    assert [v["key"] for v in values] == ["dark", "flicker", "day", "damaged", "Schief"]


def test_a_stored_bound_is_shown_as_readers_write_it_however_large() -> None:
    """Babel could not write 1e30 with ten optional decimals (a 500 on the type's form)."""
    from allmende.modules.assets.pages_config import _bound

    assert _bound("2.5", "de") == "2,5"
    assert _bound("0.1234567891", "en") == "0.1234567891"
    assert _bound("1e30", "de") == "1" + "0" * 30
    assert _bound("", "de") == ""
