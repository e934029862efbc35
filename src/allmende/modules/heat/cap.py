"""Warnings in the formats warning apps and feed readers take: a CAP 1.2 message per warning
(OASIS Common Alerting Protocol, the format of the federal warning system MoWaS and of the
DWD's warnings) and an Atom feed (RFC 4287).

A warning's message is re-issued with each change: the first is an ``Alert``, later ones are
``Update``s and the message after its end a ``Cancel``, each referring to the first. Times
carry a numeric offset (CAP forbids "Z"); the text comes in German and English, one ``info``
block each; the area is the district's outline as CAP polygons ("lat,lon" pairs) with the
municipality's official key (AGS) as geocode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import shapely
from shapely.geometry.base import BaseGeometry

from allmende.modules.heat.catalogue import LEVELS, LOCAL_ZONE, NOT_DWD

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
#: Vertices of a district's outline at most (CAP receivers limit polygon sizes).
MAX_VERTICES = 100


@dataclass(frozen=True)
class Message:
    """What a CAP message and a feed entry say about a warning."""

    warning_id: int
    version: int
    level: str
    status: str  # active | ended
    forecast: bool
    first_day: str
    last_day: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    updated_at: datetime
    municipality: str
    municipality_key: str
    ags: str
    jurisdiction: str
    contact: str | None
    district: str
    area: BaseGeometry | None  # WGS 84
    evidence: Sequence[dict[str, Any]]
    url: str
    cap_url: str


def cap_time(moment: datetime) -> str:
    """CAP's date-time: seconds and a numeric offset, in the region's time zone."""
    return moment.astimezone(LOCAL_ZONE).replace(microsecond=0).isoformat()


def _identifier(m: Message, version: int) -> str:
    return f"allmende-heat-{m.municipality_key}-{m.warning_id}-v{version}"


def _sender(m: Message) -> str:
    return f"heat@{m.jurisdiction}"


def _polygons(area: BaseGeometry | None) -> list[str]:
    if area is None or area.is_empty:
        return []
    parts = list(getattr(area, "geoms", [area]))
    out = []
    for part in parts:
        if part.geom_type != "Polygon":
            continue
        ring = part.exterior
        tolerance = 0.0
        while len(ring.coords) > MAX_VERTICES:
            tolerance = tolerance * 2 or 1e-5
            ring = shapely.simplify(part, tolerance).exterior
        coords = list(ring.coords)
        if len(coords) >= 4:
            out.append(" ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in coords))
    return out


def _de(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _summary(m: Message, german: bool) -> str:
    level = LEVELS[m.level]
    days = m.first_day if m.first_day == m.last_day else f"{m.first_day} – {m.last_day}"
    latest = m.evidence[-1] if m.evidence else {}
    utci = latest.get("afternoon_utci")
    night = latest.get("night_min_ta")
    share = latest.get("area_share", 0.25)
    if german:
        text = f"{level.headline_de} in {m.municipality}, {m.district} ({days})."
        if utci is not None:
            text += f" Nachmittags UTCI über {_de(utci)} °C auf {share:.0%} der Fläche."
        if night is not None:
            text += f" Nächtliches Minimum der Lufttemperatur {_de(night)} °C."
        text += (
            " UTCI (Universal Thermal Climate Index) aus der Hitzekarte und den Messstationen; "
            "nicht die „Gefühlte Temperatur“ des Deutschen Wetterdienstes."
        )
        if m.forecast:
            text += " Teilweise aus einer Vorhersage."
        return text
    text = f"{level.headline_en} in {m.municipality}, {m.district} ({days})."
    if utci is not None:
        text += f" Afternoon UTCI above {utci:.1f} °C on {share:.0%} of the area."
    if night is not None:
        text += f" Night minimum of air temperature {night:.1f} °C."
    text += f" UTCI (Universal Thermal Climate Index) from the heat map and the stations. {NOT_DWD}"
    if m.forecast:
        text += " Partly from a forecast."
    return text


def cap_message(m: Message, *, now: datetime | None = None) -> bytes:
    """The warning's current CAP 1.2 message (UTF-8 XML)."""
    ET.register_namespace("", CAP_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    sent = m.updated_at if m.version > 1 else m.created_at
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    sub(alert, "identifier", _identifier(m, m.version))
    sub(alert, "sender", _sender(m))
    sub(alert, "sent", cap_time(sent))
    sub(alert, "status", "Actual")
    kind = "Cancel" if m.status == "ended" else ("Update" if m.version > 1 else "Alert")
    sub(alert, "msgType", kind)
    sub(alert, "scope", "Public")
    if kind != "Alert":
        sub(alert, "references", f"{_sender(m)},{_identifier(m, 1)},{cap_time(m.created_at)}")
    level = LEVELS[m.level]
    moment = now or datetime.now(UTC)
    for language, german in (("de-DE", True), ("en-GB", False)):
        info = sub(alert, "info")
        sub(info, "language", language)
        sub(info, "category", "Met")
        sub(info, "category", "Health")
        sub(info, "event", "Hitzewarnung" if german else "Heat warning")
        sub(info, "responseType", "AllClear" if m.status == "ended" else "Prepare")
        if m.status == "ended":
            urgency = "Past"
        else:
            urgency = "Immediate" if m.starts_at <= moment else "Expected"
        sub(info, "urgency", urgency)
        sub(info, "severity", level.severity)
        sub(info, "certainty", "Likely" if m.forecast else "Observed")
        code = sub(info, "eventCode")
        sub(code, "valueName", "ALLMENDE_HEAT_LEVEL")
        sub(code, "value", m.level)
        sub(info, "effective", cap_time(sent))
        sub(info, "onset", cap_time(m.starts_at))
        sub(info, "expires", cap_time(m.ends_at))
        sub(info, "senderName", m.municipality)
        headline = level.headline_de if german else level.headline_en
        sub(info, "headline", f"{headline}: {m.municipality}, {m.district}")
        sub(info, "description", _summary(m, german))
        if m.status != "ended":
            sub(info, "instruction", level.advice_de if german else level.advice_en)
        sub(info, "web", m.url)
        if m.contact:
            sub(info, "contact", m.contact)
        latest = m.evidence[-1] if m.evidence else {}
        for name, key in (("UTCI_AFTERNOON", "afternoon_utci"), ("TA_NIGHT_MIN", "night_min_ta")):
            if latest.get(key) is not None:
                parameter = sub(info, "parameter")
                sub(parameter, "valueName", name)
                sub(parameter, "value", f"{latest[key]:.1f}")
        area = sub(info, "area")
        sub(area, "areaDesc", f"{m.municipality}, {m.district}")
        for polygon in _polygons(m.area):
            sub(area, "polygon", polygon)
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "AGS")
        sub(geocode, "value", m.ags)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(alert, encoding="utf-8"))


def atom_feed(
    messages: Sequence[Message], *, title: str, self_url: str, alternate_url: str, german: bool
) -> bytes:
    """An Atom feed of warnings, newest change first."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", self_url)
    sub(feed, "title", title)
    ordered = sorted(messages, key=lambda m: m.updated_at, reverse=True)
    newest = ordered[0].updated_at if ordered else datetime(2000, 1, 1, tzinfo=UTC)
    sub(feed, "updated", _rfc3339(newest))
    sub(feed, "link", rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    sub(feed, "link", rel="alternate", href=alternate_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "Allmende")
    for m in ordered:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{m.url}#v{m.version}")
        level = LEVELS[m.level]
        headline = level.headline_de if german else level.headline_en
        ended = (" – aufgehoben" if german else " – ended") if m.status == "ended" else ""
        sub(entry, "title", f"{headline}: {m.municipality}, {m.district}{ended}")
        sub(entry, "published", _rfc3339(m.created_at))
        sub(entry, "updated", _rfc3339(m.updated_at))
        sub(entry, "link", rel="alternate", href=m.url, type="text/html")
        sub(entry, "link", rel="related", href=m.cap_url, type=CAP_MEDIA_TYPE)
        summary = _summary(m, german)
        if m.status != "ended":
            summary += " " + (level.advice_de if german else level.advice_en)
        sub(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(feed, encoding="utf-8"))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
