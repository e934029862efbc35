"""The pages work as plain HTML forms (no JavaScript): reporting, staff forms, errors."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from allmende.delivery import mail
from allmende.modules.assets import pages_staff
from allmende.modules.assets.models import Report, ReportService, StoredFile, WorkOrder
from allmende.modules.assets.pages_citizens import REPORTS
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, snapshot
from tests.modules.assets.test_files import jpeg_with_gps
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.threads import watch_decoding
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration


def service_id(database: Database, code: str, municipality: int) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(ReportService.id).where(
                    ReportService.code == code, ReportService.municipality_id == municipality
                )
            )
        )


def test_a_citizen_reports_without_javascript(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get("/reports/new")
    assert form.status_code == 200
    assert 'name="address"' in form.text and 'enctype="multipart/form-data"' in form.text
    response = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "service": str(service_id(database, "muell", region.municipality_a)),
            "description": "Sperrmüll neben dem Container",
            "address": "Bahnhofstraße 3",
            "email": "anwohner@example.org",
        },
        files={"photo": ("IMG.jpg", jpeg_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "Sperrmüll neben dem Container" in page.text
    assert "anwohner@example.org" not in page.text
    with database.session() as session:
        report = session.scalars(select(Report)).one()
        photo = session.scalars(select(StoredFile).where(StoredFile.report_id == report.id)).one()
    assert report.channel == "web" and report.contact_email == "anwohner@example.org"
    assert report.media_url == f"http://testserver/api/assets/files/{photo.id}"
    assert report.geom is None and report.address == "Bahnhofstraße 3"
    image = client.get(f"/api/assets/files/{photo.id}")
    assert len(Image.open(io.BytesIO(image.content)).getexif()) == 0


def test_a_signed_in_reporter_is_told_of_the_mails_instead_of_keeping_the_address(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    def report() -> str:
        form = client.get("/reports/new")
        sent = client.post(
            "/reports/new",
            data={
                "csrf_token": csrf_from(form.text),
                "service": str(service_id(database, "muell", region.municipality_a)),
                "description": "Sperrmüll am Bach",
                "address": "Bachweg 1",
            },
        )
        assert sent.status_code == 200 and "msg=received" in str(sent.url)
        return sent.text

    mailed = "Wir haben Ihnen eine Bestätigung per E-Mail geschickt"
    keep = "Merken Sie sich die Adresse dieser Seite"
    anonymous = report()
    assert keep in anonymous and mailed not in anonymous
    sign_in(client, region.citizen_email)
    signed_in = report()
    assert mailed in signed_in and keep not in signed_in
    database.write(lambda s: mail.set_preferences(s, address=region.citizen_email, updates=False))
    assert keep in report()  # who turned the updates off hears nothing


CATEGORY_FIELDSET = re.compile(
    r'<fieldset class="category-fields" data-category="([\w-]+)"([^>]*)>'
)


def test_without_javascript_only_the_chosen_categorys_questions_show(
    client: TestClient, world: World
) -> None:
    empty = client.get("/reports/new")
    fieldsets = CATEGORY_FIELDSET.findall(empty.text)
    assert fieldsets and all("hidden disabled" in rest for _, rest in fieldsets)
    assert 'class="map map--small picker" hidden' in empty.text  # no empty grey box
    assert 'accept="image/*" capture="environment"' in empty.text  # the phone's camera
    assert 'formmethod="get"' in empty.text  # the button that shows the questions
    chosen = fieldsets[0][0]
    page = client.get(
        "/reports/new",
        params={"service": chosen, "description": "Bank wackelt", "step": "category"},
    )
    shown = {ident: "hidden" not in rest for ident, rest in CATEGORY_FIELDSET.findall(page.text)}
    assert [ident for ident, visible in shown.items() if visible] == [chosen]
    assert f'<option value="{chosen}" selected>' in page.text
    assert "Bank wackelt</textarea>" in page.text


def test_the_error_summary_names_fields_by_their_labels(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get("/reports/new")
    refused = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "service": "strassenbeleuchtung",
            "description": "Laterne aus",
            "lat": "49.45",
            "lon": "8.75",  # in B-Dorf: its lamp category asks what is broken
        },
        follow_redirects=False,
    )
    assert refused.status_code == 422
    summary = refused.text.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    label = "Defekte Straßenlaterne: Was ist defekt?"
    assert f'<a href="#f-attribute-strassenbeleuchtung-fault">{label}</a>' in summary
    assert "attribute." not in summary


@pytest.fixture
def decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return watch_decoding(monkeypatch)


def _report(client: TestClient, database: Database, region: Region, photo: bytes):  # type: ignore[no-untyped-def]
    form = client.get("/reports/new")
    return client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "service": str(service_id(database, "muell", region.municipality_a)),
            "description": "Sperrmüll neben dem Container",
            "address": "Bahnhofstraße 3",
        },
        files={"photo": ("IMG.png", photo, "image/png")},
        follow_redirects=False,
    )


def test_a_photo_of_too_many_pixels_is_refused_before_decoding(
    client: TestClient, database: Database, region: Region, world: World, decoding: list[str]
) -> None:
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")  # 160 KB to send, 49 million pixels
    before = snapshot(database)
    response = _report(client, database, region, out.getvalue())
    assert response.status_code == 422
    assert 'id="f-photo-error"' in response.text
    assert decoding == []
    assert snapshot(database) == before


def test_report_photos_are_decoded_in_the_upload_workers(
    client: TestClient, database: Database, region: Region, world: World, decoding: list[str]
) -> None:
    response = _report(client, database, region, jpeg_with_gps())
    assert response.status_code == 303
    assert decoding and all(name.startswith("allmende-upload") for name in decoding)


def test_the_rate_limit_counts_before_the_photo_is_decoded(
    client: TestClient, database: Database, region: Region, world: World, decoding: list[str]
) -> None:
    form = client.get("/reports/new")
    for _ in range(REPORTS.limit):  # attempts count even when the form is refused
        refused = client.post(
            "/reports/new", data={"csrf_token": csrf_from(form.text)}, follow_redirects=False
        )
        assert refused.status_code == 422
    response = _report(client, database, region, jpeg_with_gps())
    assert response.status_code == 429
    assert decoding == []


def test_report_form_errors_are_shown_at_their_fields(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get("/reports/new")
    before = snapshot(database)
    data = {
        "csrf_token": csrf_from(form.text),
        "service": "strassenbeleuchtung",  # a region-level category: no municipality chosen
        "description": "dunkel",
        "lat": "49.45",
        "lon": "9.75",  # outside every municipality
    }
    response = client.post("/reports/new", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert 'aria-describedby="f-location-error"' in response.text
    assert "Dieser Ort liegt außerhalb der Gemeinden der Region" in response.text
    assert "outside" not in response.text
    data["lon"] = "8.75"  # in B-Dorf: B's lamp category, whose fault is required
    response = client.post("/reports/new", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert 'id="f-attribute-strassenbeleuchtung-fault-error"' in response.text
    assert snapshot(database) == before
    data["attribute.strassenbeleuchtung.fault"] = "dark"
    created = client.post("/reports/new", data=data, follow_redirects=False)
    assert created.status_code == 303
    report_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    with database.session() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.municipality_id == region.municipality_b
    missing = client.post(
        "/reports/new", data={"csrf_token": csrf_from(form.text)}, follow_redirects=False
    )
    assert missing.status_code == 422 and "f-service-error" in missing.text
    forged = client.post(
        "/reports/new", data={"csrf_token": "0" * 64, "service": "1"}, follow_redirects=False
    )
    assert forged.status_code == 403


def test_staff_read_the_answers_as_questions_and_choices(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get("/reports/new")
    created = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "service": str(service_id(database, "strassenbeleuchtung", region.municipality_a)),
            "description": "Die Laterne am Eck",
            "address": "Eckweg 1",
            "attribute.strassenbeleuchtung.fault": "dark",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    report_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    sign_in(client, region.staff_a_email)
    detail = client.get(f"/maintenance/reports/{report_id}").text
    assert "<dt>Was ist defekt?</dt><dd>Brennt nicht</dd>" in detail
    assert "<dt>fault</dt>" not in detail


def test_staff_turn_a_report_into_a_closed_work_order(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get(f"/reports/new?object={world.device}")
    assert "Schaukel" in form.text
    created = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf_from(form.text),
            "service": str(service_id(database, "spielplatz", region.municipality_a)),
            "description": "Kette gerissen",
            "object_id": str(world.device),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    report_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    sign_in(client, region.staff_a_email)
    inbox = client.get("/maintenance/reports")
    assert f"/maintenance/reports/{report_id}" in inbox.text
    detail = client.get(f"/maintenance/reports/{report_id}")
    token = csrf_from(detail.text)
    ordered = client.post(
        f"/maintenance/reports/{report_id}/work-order",
        data={
            "csrf_token": token,
            "assignee_kind": "internal",
            "assignee": "Bauhof",
            "due_on": "2031-01-15",
        },
        follow_redirects=False,
    )
    assert ordered.status_code == 303
    order_url = ordered.headers["location"].split("?")[0]
    done = client.post(
        order_url,
        data={
            "csrf_token": token,
            "status": "done",
            "assignee_kind": "internal",
            "due_on": "2031-01-15",
            "completion_note": "Kette getauscht.",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    public = client.get(f"/reports/{report_id}").text
    assert "Kette getauscht." in public
    with database.session() as session:
        report = session.get(Report, report_id)
        order = session.scalars(select(WorkOrder)).one()
    assert report is not None and report.state == "fixed" and report.closed_at is not None
    assert order.status == "done" and str(order.due_on) == "2031-01-15"
    bad = client.post(
        order_url,
        data={"csrf_token": token, "status": "done", "cost": "-3"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "f-cost-error" in bad.text


def test_staff_create_objects_with_form_errors_at_their_fields(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    form = client.get("/assets/new/object?municipality=a-stadt&type=tree")
    token = csrf_from(form.text)
    before = snapshot(database)
    bad = client.post(
        "/assets/new/object?municipality=a-stadt&type=tree",
        data={
            "csrf_token": token,
            "name": "Linde",
            "lat": "49.45",
            "lon": "",
            "attributes.planting_year": "alt",
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert (
        'id="f-attributes-planting_year-error"' in bad.text and 'id="f-geometry-error"' in bad.text
    )
    assert snapshot(database) == before
    good = client.post(
        "/assets/new/object?municipality=a-stadt&type=tree",
        data={
            "csrf_token": token,
            "name": "Linde",
            "lat": "49,45",
            "lon": "8.65",
            "attributes.planting_year": "1999",
            "public": "on",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get(good.headers["location"])
    assert "Linde" in page.text and "1999" in page.text


def test_staff_record_an_inspection_in_the_form(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    sign_in(client, region.staff_a_email)
    due = client.get("/maintenance")
    link = re.search(rf"/assets/{world.device}/inspect\?plan=(\d+)", due.text)
    assert link, due.text
    form = client.get(link.group(0))
    codes = re.findall(r'name="item\.(\w+)" value="ok"', form.text)
    data = {"csrf_token": csrf_from(form.text), **{f"item.{c}": "ok" for c in codes}}
    data[f"item.{codes[0]}"] = "defect"
    missing_note = client.post(link.group(0), data=data, follow_redirects=False)
    assert missing_note.status_code == 422 and f'id="f-note-{codes[0]}-error"' in missing_note.text
    data[f"note.{codes[0]}"] = "Scherben im Sand"
    data[f"priority.{codes[0]}"] = "high"
    saved = client.post(
        link.group(0),
        data=data,
        files=[
            ("photos", ("a.jpg", jpeg_with_gps(), "image/jpeg")),
            ("photos", ("b.jpg", jpeg_with_gps(), "image/jpeg")),
        ],
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "inspection-order" in saved.headers["location"]
    with database.session() as session:
        assert session.scalars(select(WorkOrder)).one().object_id == world.device
        photos = session.scalars(
            select(StoredFile).where(StoredFile.inspection_id.is_not(None))
        ).all()
    assert len(photos) == 2 and not any(p.public for p in photos)


def test_the_due_inspections_are_paged_and_the_pages_keep_the_filter(
    client: TestClient, region: Region, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_staff, "DUE_PAGE_SIZE", 1)
    sign_in(client, region.staff_a_email)
    listed = "/maintenance?municipality=a-stadt&amp;within=366&amp;page="
    rows = []
    for page in range(1, 6):
        html = client.get(
            f"/maintenance?municipality=a-stadt&within=366&page={page}",
            headers={"Accept-Language": "en"},
        ).text
        rows += re.findall(r'href="(/assets/\d+/inspect\?plan=\d+)"', html)
        pager = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', html, re.S)
        assert pager is not None
        assert f'href="{listed}{page}" aria-current="page">' in pager[1]
        assert pager[1].count('aria-current="page"') == 1
        assert (f'href="{listed}{page - 1}" rel="prev"' in pager[1]) == (page > 1)
        assert (f'href="{listed}{page + 1}" rel="next"' in pager[1]) == (page < 5)
    german = client.get("/maintenance?within=366&page=2", headers={"Accept-Language": "de"})
    assert 'aria-label="Seiten"' in german.text and "Vorherige Seite" in german.text
    monkeypatch.setattr(pages_staff, "DUE_PAGE_SIZE", 25)
    whole = client.get("/maintenance?municipality=a-stadt&within=366").text
    assert 'class="pager"' not in whole
    # one inspection a page, in the order of the whole list (the most overdue first)
    assert rows == re.findall(r'href="(/assets/\d+/inspect\?plan=\d+)"', whole)
    assert len(set(rows)) == 5


def test_pages_for_staff_refuse_others(client: TestClient, region: Region, world: World) -> None:
    for path in (
        "/maintenance",
        "/maintenance/reports",
        "/assets/import/objects",
        f"/assets/{world.tree}/edit",
    ):
        assert client.get(path, follow_redirects=False).status_code == 303  # to the sign-in
    sign_in(client, region.citizen_email)
    for path in ("/maintenance", "/maintenance/work-orders", f"/assets/{world.tree}/inspect"):
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 403
    sign_in(client, region.staff_b_email)
    assert client.get(f"/assets/{world.tree}/edit").status_code == 403
    assert client.get(f"/assets/{world.bench_internal}").status_code == 404


def test_choices_of_built_in_types_read_in_german(
    client: TestClient, region: Region, world: World
) -> None:
    """The stored keys ("bark") are the values; German readers see the words ("Rindenmulch")."""
    sign_in(client, region.staff_a_email)
    client.cookies.set("allmende_lang", "de")
    form = client.get(f"/assets/{world.device}/edit").text
    assert '<option value="bark">Rindenmulch</option>' in form
    assert '<option value="none">keiner</option>' in form


def test_the_report_form_lists_every_fault_at_once(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    form = client.get("/reports/new")
    token = csrf_from(form.text)
    before = snapshot(database)
    nothing = client.post(
        "/reports/new",
        data={"csrf_token": token, "description": "x", "lat": "49.45", "lon": "Ost"},
        follow_redirects=False,
    )
    assert nothing.status_code == 422
    for field in ("service", "description", "lon"):
        assert f'id="f-{field}-error"' in nothing.text or f'href="#f-{field}"' in nothing.text
    summary = nothing.text.split('id="form-errors"')[1].split("</div>")[0]
    assert summary.count("<li>") == 3, summary
    # Category and place known: the page's faults and the category's together.
    placed = client.post(
        "/reports/new",
        data={
            "csrf_token": token,
            "service": "strassenbeleuchtung",
            "description": "x",
            "lat": "49.45",
            "lon": "8.75",  # in B-Dorf, whose lamp category requires the fault
            "email": "kein-mail",
        },
        follow_redirects=False,
    )
    assert placed.status_code == 422
    for field in ("description", "attribute-strassenbeleuchtung-fault", "email"):
        assert f'id="f-{field}-error"' in placed.text, field
    assert snapshot(database) == before
