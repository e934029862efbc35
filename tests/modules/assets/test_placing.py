"""Reports routed by place: the municipality from the location, the region's categories once
per code, open reports nearby, the address search (a Photon- or Nominatim-compatible geocoder
served on loopback, or the register's own names) and forwarding between municipalities."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from allmende.core.errors import AllmendeError, ValidationFailed
from allmende.modules.assets.catalogue import DEFAULT_SERVICES
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import Report, ReportNote, ReportService
from allmende.modules.assets.reports import geocoding, placing
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import WorkOrderFromReport
from allmende.modules.assets.service import Actor
from allmende.storage.database import Database
from tests.modules.assets.conftest import World
from tests.support.client import TestClient
from tests.support.region import People, Region
from tests.support.web import csrf_from

pytestmark = pytest.mark.integration


def new_report(
    database: Database, municipality: int, lat: float, lon: float, code: str = "muell"
) -> int:
    data = reports.Submission(service_code=code, lat=lat, long=lon, description="Sperrmüll")
    return database.write(
        lambda s: (
            reports.submit(
                s, municipality_id=municipality, data=data, actor=Actor(None, "Bürger")
            ).id
        )
    )


def test_the_location_picks_the_municipality(
    database: Database, region: Region, world: World
) -> None:
    with database.session() as session:
        assert placing.municipality_at(session, lat=49.45, lon=8.65).id == region.municipality_a
        assert placing.municipality_at(session, lat=49.45, lon=8.75).id == region.municipality_b
        with pytest.raises(ValidationFailed) as refused:
            placing.municipality_at(session, lat=49.45, lon=9.5)
    assert [(e.field, e.reason) for e in refused.value.errors or []] == [("lat", placing.OUTSIDE)]


def test_categories_of_the_same_code_appear_once(
    database: Database, region: Region, world: World
) -> None:
    with database.session() as session:
        categories = placing.region_categories(session)
        offered = session.scalars(select(ReportService.code)).all()
    codes = [c.code for c in categories]
    assert len(offered) == 2 * len(DEFAULT_SERVICES)  # both municipalities have them all
    assert sorted(codes) == sorted(s["code"] for s in DEFAULT_SERVICES)


def test_open_reports_nearby_of_the_same_category(
    database: Database, region: Region, people: People, world: World
) -> None:
    here = new_report(database, region.municipality_a, 49.4300, 8.6300)
    other_kind = new_report(database, region.municipality_a, 49.4301, 8.6300, "strassenschaden")
    new_report(database, region.municipality_a, 49.4310, 8.6300)  # about 111 m north
    with database.session() as session:
        near = placing.nearby_open(session, lat=49.4302, lon=8.6300, code="muell")
        any_kind = placing.nearby_open(session, lat=49.4302, lon=8.6300)
    assert [n.report.id for n in near] == [here]
    assert 20 < near[0].distance_m < 25
    assert [n.report.id for n in any_kind] == [other_kind, here]
    database.write(
        lambda s: reports.change_state(
            s, s.get(Report, here), Actor(None, "Bauhof"), state="fixed", text=""
        )
    )
    with database.session() as session:
        assert placing.nearby_open(session, lat=49.4302, lon=8.6300, code="muell") == []


def test_forwarding_moves_a_report_with_an_internal_note(
    database: Database, region: Region, people: People, world: World
) -> None:
    report_id = new_report(database, region.municipality_a, 49.45, 8.65)

    def forward(who: Any, municipality: str = "b-dorf", note: str = "Grenzweg gehört B") -> Any:
        return database.write(
            lambda s: placing.forward(
                s, principal=who, report_id=report_id, municipality=municipality, note=note
            )
        )

    for who, status in ((people.anonymous, 401), (people.citizen, 403), (people.staff_b, 403)):
        with pytest.raises(AllmendeError) as refused:
            forward(who)
        assert refused.value.status == status
    for municipality, note, field in (("a-stadt", "x", "municipality"), ("b-dorf", " ", "note")):
        with pytest.raises(ValidationFailed) as invalid:
            forward(people.staff_a, municipality, note)
        assert [e.field for e in invalid.value.errors or []] == [field]
    with database.session() as session:
        muell_b = session.scalar(
            select(ReportService).where(
                ReportService.municipality_id == region.municipality_b,
                ReportService.code == "muell",
            )
        )
        assert muell_b is not None
    database.write(lambda s: setattr(s.get(ReportService, muell_b.id), "active", False))
    with pytest.raises(ValidationFailed) as not_there:  # B does not take such reports
        forward(people.staff_a)
    assert [(e.field, e.reason) for e in not_there.value.errors or []] == [
        ("municipality", placing.NOT_OFFERED_THERE)
    ]
    database.write(lambda s: setattr(s.get(ReportService, muell_b.id), "active", True))
    forward(people.staff_a)
    with database.session() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.municipality_id == region.municipality_b
        service = session.get(ReportService, report.service_id)
        assert service is not None
        assert (service.code, service.municipality_id) == ("muell", region.municipality_b)
        notes = session.scalars(select(ReportNote).where(ReportNote.report_id == report_id)).all()
    assert [(n.public, n.text) for n in notes][-1] == (
        False,
        "Weitergeleitet von A-Stadt an B-Dorf: Grenzweg gehört B",
    )
    with pytest.raises(AllmendeError) as gone:  # now B's: A's staff may no longer forward it
        forward(people.staff_a, "a-stadt")
    assert gone.value.status == 403


def test_a_report_with_an_open_work_order_stays(
    database: Database, region: Region, people: People, world: World
) -> None:
    report_id = new_report(database, region.municipality_a, 49.45, 8.65)
    database.write(
        lambda s: workorders.from_report(
            s, principal=people.staff_a, report_id=report_id, data=WorkOrderFromReport()
        )
    )
    with pytest.raises(AllmendeError) as refused:
        database.write(
            lambda s: placing.forward(
                s, principal=people.staff_a, report_id=report_id, municipality="b-dorf", note="x"
            )
        )
    assert refused.value.status == 409


# --- the address search ---------------------------------------------------------------------


class Geocoder(BaseHTTPRequestHandler):
    """A Photon- and Nominatim-compatible geocoder on loopback: two hits, one of them outside
    the region; it records the query it was asked."""

    asked: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        Geocoder.asked.append(query)
        if url.path == "/api":
            body: Any = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [8.651, 49.451]},
                        "properties": {
                            "name": "Rathaus",
                            "street": "Marktstraße",
                            "housenumber": "1",
                            "postcode": "69000",
                            "city": "A-Stadt",
                        },
                    },
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [9.9, 50.5]},
                        "properties": {"name": "Marktstraße", "city": "Anderswo"},
                    },
                ],
            }
        elif url.path == "/search":
            body = [
                {"display_name": "Marktstraße 1, B-Dorf", "lat": "49.45", "lon": "8.75"},
                {"display_name": "Marktstraße, Anderswo", "lat": "50.5", "lon": "9.9"},
            ]
        else:
            self.send_error(500)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def geocoder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Geocoder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_photon_geocoder_is_asked_within_the_region(
    database: Database, region: Region, world: World, geocoder: str
) -> None:
    with database.session() as session:
        found = geocoding.search(
            session, query="Marktstraße 1", geocoder_url=f"{geocoder}/api", geocoder_kind="photon"
        )
    assert [(p.label, p.lat, p.lon, p.municipality_id) for p in found] == [
        ("Rathaus, Marktstraße 1, 69000 A-Stadt", 49.451, 8.651, region.municipality_a)
    ]
    asked = Geocoder.asked[-1]
    assert asked["q"] == ["Marktstraße 1"] and asked["bbox"] == [
        "8.600000,49.400000,8.800000,49.500000"
    ]


def test_a_nominatim_geocoder_and_the_fallback_to_the_register(
    database: Database, region: Region, world: World, geocoder: str
) -> None:
    with database.session() as session:
        found = geocoding.search(
            session,
            query="Marktstraße",
            geocoder_url=f"{geocoder}/search",
            geocoder_kind="nominatim",
        )
        assert [(p.label, p.municipality_id) for p in found] == [
            ("Marktstraße 1, B-Dorf", region.municipality_b)
        ]
        assert Geocoder.asked[-1]["bounded"] == ["1"]
        # a failing geocoder: the register's own names answer instead
        broken = geocoding.search(session, query="winter-linde", geocoder_url=f"{geocoder}/broken")
        local = geocoding.search(session, query="winter-linde", geocoder_url=None)
        internal = geocoding.search(session, query="Bank intern", geocoder_url=None)
    assert broken == local
    assert [(p.label, p.lat, p.lon) for p in local] == [("Winter-Linde A-1, A-Stadt", 49.45, 8.65)]
    assert internal == []  # internal objects are no search hits


def test_the_routed_municipalitys_definition_of_a_shared_code_is_asked_and_checked(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    """A and B both define "muell" (asking "waste_kind"); B, the higher id, asks its own
    required question instead. A place in B shows B's question and B checks the report; a place
    in A, and the form before the place is known, show A's definition."""
    question = {
        "code": "volume",
        "description": "Wie viele Säcke etwa?",
        "datatype": "number",
        "required": True,
        "order": 1,
    }

    def ask_in_b(session: Any) -> None:
        muell_b = session.scalar(
            select(ReportService).where(
                ReportService.municipality_id == region.municipality_b,
                ReportService.code == "muell",
            )
        )
        muell_b.attributes = [question]

    database.write(ask_in_b)
    in_a, in_b = ("49.45", "8.65"), ("49.45", "8.75")
    with database.session() as session:
        routed_b = placing.region_categories(session, routed_to=region.municipality_b)
        unplaced = placing.region_categories(session)
    assert next(c for c in routed_b if c.code == "muell").service.attributes == [question]
    assert [
        a["code"] for a in next(c for c in unplaced if c.code == "muell").service.attributes
    ] == ["waste_kind"]

    def form(lat: str, lon: str) -> str:
        page = client.get("/reports/new", params={"service": "muell", "lat": lat, "lon": lon})
        assert page.status_code == 200
        return page.text

    shown_in_b, shown_in_a = form(*in_b), form(*in_a)
    assert 'name="attribute.muell.volume"' in shown_in_b
    assert 'name="attribute.muell.waste_kind"' not in shown_in_b
    assert 'name="attribute.muell.waste_kind"' in shown_in_a
    assert 'name="attribute.muell.volume"' not in shown_in_a

    def send(**answers: str) -> Any:
        return client.post(
            "/reports/new",
            data={
                "csrf_token": csrf_from(client.get("/reports/new").text),
                "service": "muell",
                "description": "Sperrmüll am Grenzweg",
                "lat": in_b[0],
                "lon": in_b[1],
                "confirm_nearby": "1",
                **answers,
            },
            follow_redirects=False,
        )

    missing = send()
    assert missing.status_code == 422
    assert 'name="attribute.muell.volume"' in missing.text
    assert 'name="attribute.muell.waste_kind"' not in missing.text
    sent = send(**{"attribute.muell.volume": "3"})
    assert sent.status_code == 303, sent.text
    with database.session() as session:
        report = session.scalars(select(Report)).one()
        service = session.get(ReportService, report.service_id)
    assert report.municipality_id == region.municipality_b
    assert service is not None and service.municipality_id == region.municipality_b
    assert report.attributes == {"volume": "3"}
