"""Exports of reports and work orders (CSV for German spreadsheets, XLSX, GeoJSON) with their
filters and rights, and the report pages routed by place: the address search without
JavaScript, the "same problem?" step, the staff map and forwarding."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from allmende.core.timeutil import utcnow
from allmende.modules.assets import exports
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import Report, ReportNote
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import WorkOrderFromReport
from allmende.modules.assets.service import Actor
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration


def new_report(database: Database, region: Region, **fields: object) -> int:
    data = reports.Submission(
        **{
            "service_code": "muell",
            "lat": 49.45,
            "long": 8.65,
            "description": "Sperrmüll; am Weg",
            "email": "anwohnerin@example.org",
            "phone": "+49 6221 000",
            **fields,  # type: ignore[arg-type]
        }
    )
    return database.write(
        lambda s: (
            reports.submit(
                s, municipality_id=region.municipality_a, data=data, actor=Actor(None, "Bürger")
            ).id
        )
    )


def rows_of(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_report_exports_in_three_formats_without_personal_data(
    client: TestClient, database: Database, region: Region, people: People, world: World
) -> None:
    shown = new_report(database, region)
    hidden = new_report(database, region, description="=HYPERLINK(1)")
    database.write(lambda s: setattr(s.get(Report, hidden), "public", False))
    csv_public = client.get("/api/assets/exports/reports.csv", params={"municipality": "a-stadt"})
    assert csv_public.status_code == 200
    assert csv_public.headers["content-type"] == "text/csv; charset=utf-8"
    header = csv_public.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id;municipality;category_code;category;state;status;")
    rows = rows_of(csv_public.content)
    assert [(r["id"], r["lat"], r["description"]) for r in rows] == [
        (str(shown), "49,45", "Sperrmüll; am Weg")
    ]
    assert b"anwohnerin" not in csv_public.content and b"6221" not in csv_public.content

    staff_client(client, region.staff_a_email)
    everything = rows_of(client.get("/api/assets/exports/reports.csv").content)
    assert [r["id"] for r in everything] == [str(shown), str(hidden)]
    assert everything[1]["description"] == "'=HYPERLINK(1)"  # never a formula
    xlsx = client.get("/api/assets/exports/reports.xlsx", params={"status": "open"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:3] == ["id", "municipality", "category_code"]
    assert [row[0] for row in table[1:]] == [shown, hidden]
    assert table[2][9] == "'=HYPERLINK(1)"
    geo = client.get("/api/assets/exports/reports.geojson", params={"category": "muell"}).json()
    assert [f["id"] for f in geo["features"]] == [shown, hidden]
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [8.65, 49.45]}
    assert "contact" not in str(geo) and "anwohnerin" not in str(geo)
    assert (
        client.get("/api/assets/exports/reports.geojson", params={"status": "fixed"}).json()[
            "features"
        ]
        == []
    )
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    later = client.get("/api/assets/exports/reports.csv", params={"start": tomorrow})
    assert rows_of(later.content) == []
    blank = client.get(  # an export form left blank: every filter absent
        "/api/assets/exports/reports.csv",
        params={"municipality": "", "status": "", "category": "", "start": "", "end": ""},
    )
    assert len(rows_of(blank.content)) == 2
    bad = client.get("/api/assets/exports/reports.csv", params={"start": "31.12.2025"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "start"


def test_work_order_exports_are_for_staff(
    client: TestClient, database: Database, region: Region, people: People, world: World
) -> None:
    report_id = new_report(database, region)
    order_id = database.write(
        lambda s: (
            workorders.from_report(
                s, principal=people.staff_a, report_id=report_id, data=WorkOrderFromReport()
            ).id
        )
    )
    assert client.get("/api/assets/exports/work-orders.csv").status_code == 401
    sign_in(client, region.citizen_email)
    assert client.get("/api/assets/exports/work-orders.csv").status_code == 403
    staff_client(client, region.staff_a_email)
    rows = rows_of(client.get("/api/assets/exports/work-orders.csv").content)
    assert [(r["id"], r["report_ids"], r["lat"]) for r in rows] == [
        (str(order_id), str(report_id), "49,45")
    ]
    geo = client.get("/api/assets/exports/work-orders.geojson").json()
    assert geo["features"][0]["properties"]["status"] == "open"
    done = client.get("/api/assets/exports/work-orders.csv", params={"status": "done"})
    assert rows_of(done.content) == []
    today = utcnow().date()
    days = {
        "start": (today - timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=1)).isoformat(),
    }
    within = client.get("/api/assets/exports/work-orders.csv", params=days)
    assert [r["id"] for r in rows_of(within.content)] == [str(order_id)]
    later = {"start": (today + timedelta(days=2)).isoformat()}
    assert rows_of(client.get("/api/assets/exports/work-orders.csv", params=later).content) == []
    earlier = {"end": (today - timedelta(days=2)).isoformat()}
    assert rows_of(client.get("/api/assets/exports/work-orders.csv", params=earlier).content) == []


# --- pages ----------------------------------------------------------------------------------


def test_a_citizen_finds_the_place_by_address_and_sees_the_same_problem(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    earlier = new_report(database, region, lat=49.4501, long=8.6500)
    form = client.get("/reports/new")
    assert 'name="place_query"' in form.text and 'data-locate="f-picker"' in form.text
    base = {
        "csrf_token": csrf_from(form.text),
        "service": "muell",
        "description": "Sperrmüll unter der Linde",
    }
    found = client.post(
        "/reports/new", data={**base, "place_query": "Winter-Linde", "action": "search"}
    )
    assert found.status_code == 200
    hit = f"49.45|8.65|{world.tree}|Winter-Linde A-1, A-Stadt"  # the register's tree
    assert f'name="pick" value="{hit}"' in found.text
    none = client.post(
        "/reports/new", data={**base, "place_query": "Nirgendwo", "action": "search"}
    )
    assert "Nichts gefunden" in none.text and 'id="f-place_query-error"' in none.text
    picked = client.post("/reports/new", data={**base, "pick": hit})
    assert 'value="49.45"' in picked.text and 'value="Winter-Linde A-1, A-Stadt"' in picked.text
    assert f'name="object_id" value="{world.tree}"' in picked.text  # the report is about it
    assert f"/reports/{earlier}" in picked.text  # open reports near the place
    send = {**base, "lat": "49.45", "lon": "8.65", "address": "Winter-Linde A-1"}
    send["object_id"] = str(world.tree)
    step = client.post("/reports/new", data=send, follow_redirects=False)
    assert step.status_code == 200 and "Dasselbe Problem?" in step.text
    assert 'name="confirm_nearby"' in step.text
    sent = client.post("/reports/new", data={**send, "confirm_nearby": "1"}, follow_redirects=False)
    assert sent.status_code == 303
    with database.session() as session:
        report = session.scalars(select(Report).order_by(Report.id.desc())).first()
    assert report is not None and report.municipality_id == region.municipality_a
    assert report.address == "Winter-Linde A-1" and report.object_id == world.tree


def test_staff_see_a_map_and_forward_a_report(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    report_id = new_report(database, region, attributes={"object_id": str(world.tree)})
    sign_in(client, region.staff_a_email)
    page = client.get(f"/maintenance/reports/{report_id}")
    assert f'data-geojson-url="/maintenance/reports/{report_id}/map.geojson"' in page.text
    assert f'href="/assets/{world.tree}"' in page.text
    assert 'name="note_public"' in page.text and 'name="note_public" checked' not in page.text
    assert "checked" not in page.text.split('name="note_public"')[1].split(">")[0]
    places = client.get(f"/maintenance/reports/{report_id}/map.geojson").json()
    assert [f["properties"].get("url") for f in places["features"]] == [
        None,
        f"/assets/{world.tree}",
    ]
    token = csrf_from(page.text)
    blank = client.post(
        f"/maintenance/reports/{report_id}/forward",
        data={"csrf_token": token, "municipality": "b-dorf", "forward_note": ""},
        follow_redirects=False,
    )
    assert blank.status_code == 422 and 'id="f-forward_note-error"' in blank.text
    moved = client.post(
        f"/maintenance/reports/{report_id}/forward",
        data={"csrf_token": token, "municipality": "b-dorf", "forward_note": "Grenzweg"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "msg=forwarded" in moved.headers["location"]
    with database.session() as session:
        report = session.get(Report, report_id)
        note = session.scalars(
            select(ReportNote).where(ReportNote.report_id == report_id).order_by(ReportNote.id)
        ).all()[-1]
    assert report is not None and report.municipality_id == region.municipality_b
    assert report.object_id is None and not note.public
    assert client.get(f"/maintenance/reports/{report_id}").status_code == 403
    order_page = client.get("/maintenance/work-orders")
    assert 'action="/api/assets/exports/work-orders.csv"' in order_page.text


def test_the_staff_report_list_maps_its_filtered_reports(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    open_a = new_report(database, region)
    fixed_a = new_report(database, region, lat=49.451)
    new_report(database, region, lat=None, long=None, address="Bahnhofstraße 3")  # no place
    in_b = reports.Submission(service_code="muell", lat=49.45, long=8.75, description="Sperrmüll")
    database.write(
        lambda s: reports.submit(
            s, municipality_id=region.municipality_b, data=in_b, actor=Actor(None, "Bürger")
        )
    )
    database.write(
        lambda s: reports.change_state(
            s, s.get(Report, fixed_a), Actor(None, "Bauhof"), state="fixed", text=""
        )
    )
    url = "/maintenance/reports/map.geojson"
    anonymous = client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    sign_in(client, region.citizen_email)
    assert client.get(url).status_code == 403
    sign_in(client, region.staff_a_email)
    page = client.get("/maintenance/reports", params={"state": "fixed"})
    assert f'data-geojson-url="{url}?state=fixed"' in page.text
    assert 'data-cluster="1" hidden>' in page.text  # no empty box without JavaScript
    assert 'aria-label="Karte der aufgeführten Meldungen (die Tabelle darunter' in page.text
    assert f'href="/maintenance/reports/{fixed_a}"' in page.text  # the table stays

    def mapped(**params: str) -> list[tuple[str, str, list[float]]]:
        answer = client.get(url, params=params)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/geo+json"
        return [
            (f["properties"]["name"], f["properties"]["url"], f["geometry"]["coordinates"])
            for f in answer.json()["features"]
        ]

    assert mapped() == [
        (f"#{open_a} Müll und illegale Ablagerung", f"/maintenance/reports/{open_a}", [8.65, 49.45])
    ]
    assert mapped(state="fixed") == [
        (
            f"#{fixed_a} Müll und illegale Ablagerung",
            f"/maintenance/reports/{fixed_a}",
            [8.65, 49.451],
        )
    ]
    assert [u for _, u, _ in mapped(state="all")] == [
        f"/maintenance/reports/{fixed_a}",
        f"/maintenance/reports/{open_a}",
    ]  # newest first, without the report that has no place, without B's
    assert mapped(municipality="b-dorf") == []


def test_xlsx_drops_control_characters_and_never_writes_a_formula() -> None:
    table = exports.Table("reports", ["title"], [["Bank\x13 kaputt\x03"], ["=1+1"]], [None, None])
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "title",
        "Bank kaputt",
        "'=1+1",
    ]
