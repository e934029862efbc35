"""Demand response: Allmende as an OpenADR 3.0 VEN (REST/JSON, OAuth2 client credentials).

A municipality links one building to a VTN (``energy_ven_links``). Every poll the VEN

1. takes a bearer token from the VTN's token endpoint (``GET /auth/server`` names it);
2. registers once (``POST /vens``, ``VEN_VEN_REQUEST``) and keeps the VTN's id;
3. reads the programmes and their events (``GET /programs``, ``GET /events?programID=``);
4. stores new or changed events: ``IMPORT_CAPACITY_LIMIT`` (kW) becomes an import limit per
   interval; ``SIMPLE`` levels 1/2/3 cap the import at 80/60/40 % of the building's reference
   power (its heating capacity over a COP of 3 plus its base load); ``PRICE`` (€/kWh) replaces
   the tariff in those intervals;
5. re-plans the building's zones at once, so a new event is planned for within one poll
   (30 s) of its publication;
6. after an event has ended, reports the metered mean import per interval (``POST /reports``,
   payload ``USAGE`` in kW) and records the share of intervals that stayed under the limit.

The HTTP client is httpx; the VTN the tests run is written from the OpenAPI objects of the
specification (programs, events with intervals and payloads, reports, VENs, token endpoint).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.energy import service
from allmende.modules.energy.models import Building, DemandEvent, Meter, VenLink, Zone
from allmende.modules.energy.outlook import interval_bounds
from allmende.sdk import (
    Database,
    ValidationFailed,
    isoformat,
    parse_datetime,
    parse_duration,
    publish,
)

log = logging.getLogger(__name__)
SIMPLE_SHARE = {0: 1.0, 1: 0.8, 2: 0.6, 3: 0.4}
#: The longest interval an event may have; OpenADR's "P9999Y" (no end) is not a fixed length.
LONGEST_INTERVAL = timedelta(days=7)


class VtnClient:
    """The few OpenADR 3.0 calls a VEN needs."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, *, timeout: float = 10):
        self.base = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = httpx.Client(timeout=timeout)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def _auth(self) -> dict[str, str]:
        if self.token is None:
            server = self.http.get(f"{self.base}/auth/server")
            server.raise_for_status()
            token_url = server.json()["tokenURL"]
            answer = self.http.post(
                token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
            answer.raise_for_status()
            self.token = str(answer.json()["access_token"])
        return {"Authorization": f"Bearer {self.token}"}

    def _get(self, path: str, **params: str) -> Any:
        response = self.http.get(f"{self.base}{path}", params=params, headers=self._auth())
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(f"{self.base}{path}", json=body, headers=self._auth())
        response.raise_for_status()
        return response.json()

    def register(self, ven_name: str) -> str:
        found = self._get("/vens", venName=ven_name)
        if found:
            return str(found[0]["id"])
        return str(
            self._post("/vens", {"objectType": "VEN_VEN_REQUEST", "venName": ven_name})["id"]
        )

    def programs(self) -> list[dict[str, Any]]:
        return list(self._get("/programs"))

    def events(self, program_id: str) -> list[dict[str, Any]]:
        return list(self._get("/events", programID=program_id))

    def report(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._post("/reports", body))


# --- events in, plans out, reports back ----------------------------------------------------


def reference_kw(session: Session, building: Building) -> float:
    capacity = sum(
        z.heating_kw for z in session.scalars(select(Zone).where(Zone.building_id == building.id))
    )
    return capacity / 3.0 + building.floor_area * 0.003


def intervals_of(event: dict[str, Any], *, reference: float) -> tuple[str, list[dict[str, Any]]]:
    """The event's payload type and its intervals as ``{"start", "seconds", "value",
    "limit_kw" | "price"}``; intervals without their own period follow each other from the
    event's period."""
    descriptors = event.get("payloadDescriptors") or []
    top = event.get("intervalPeriod") or {}
    cursor = parse_datetime(top["start"], field="intervalPeriod.start") if top else None
    step = _length(top.get("duration", "PT1H"), "intervalPeriod.duration")
    kind = str(descriptors[0]["payloadType"]) if descriptors else ""
    found: list[dict[str, Any]] = []
    for number, interval in enumerate(event.get("intervals") or []):
        period = interval.get("intervalPeriod") or {}
        where = f"intervals[{number}].intervalPeriod"
        start = (
            parse_datetime(period["start"], field=f"{where}.start")
            if period.get("start")
            else cursor
        )
        length = (
            _length(period["duration"], f"{where}.duration") if period.get("duration") else step
        )
        if start is None:
            raise ValidationFailed.one(where, "an interval without a start in an event without one")
        for payload in interval.get("payloads") or []:
            kind = kind or str(payload["type"])
            value = float(payload["values"][0])
            entry: dict[str, Any] = {
                "start": isoformat(start),
                "seconds": int(length.total_seconds()),
                "value": value,
            }
            if payload["type"] == "IMPORT_CAPACITY_LIMIT":
                entry["limit_kw"] = value
            elif payload["type"] == "SIMPLE":
                entry["limit_kw"] = reference * SIMPLE_SHARE.get(int(value), 1.0)
            elif payload["type"] == "PRICE":
                entry["price"] = value
            found.append(entry)
        cursor = start + length
    return kind, found


def _length(text: object, field: str) -> timedelta:
    length = parse_duration(text, field=field)
    if not timedelta(0) < length <= LONGEST_INTERVAL:
        raise ValidationFailed.one(field, "must be longer than zero and at most seven days")
    return length


def store_event(
    session: Session, *, link: VenLink, event: dict[str, Any], now: datetime
) -> DemandEvent | None:
    """Store a new or changed event; None when it is known and unchanged."""
    building = session.get(Building, link.building_id)
    assert building is not None
    kind, intervals = intervals_of(event, reference=reference_kw(session, building))
    if not intervals:
        return None
    bounds = [interval_bounds(i) for i in intervals]
    starts, ends = [b[0] for b in bounds], [b[1] for b in bounds]
    known = session.scalar(
        select(DemandEvent).where(
            DemandEvent.link_id == link.id, DemandEvent.event_id == str(event["id"])
        )
    )
    if known is not None and known.intervals == intervals:
        return None
    row = known or DemandEvent(link_id=link.id, event_id=str(event["id"]))
    row.program_id = str(event.get("programID", ""))
    row.name = str(event.get("eventName") or "")
    row.payload_type = kind
    row.start, row.end = min(starts), max(ends)
    row.intervals = intervals
    row.received_at = now
    row.replanned_at = None
    if known is None:
        session.add(row)
    session.flush()
    publish(
        session,
        "energy.demand_response.event",
        {
            "event": row.event_id,
            "building": building.id,
            "type": kind,
            "start": isoformat(row.start),
        },
        municipality_id=building.municipality_id,
    )
    return row


def metered_power(
    session: Session, *, building: Building, event: DemandEvent
) -> list[float | None]:
    """Mean electric import (kW) per event interval from the building's electricity meter."""
    meter = session.scalar(
        select(Meter).where(
            Meter.building_id == building.id,
            Meter.carrier == "electricity",
            Meter.parent_id.is_(None),
        )
    )
    if meter is None:
        return [None] * len(event.intervals)
    used = service.consumption(session, meter=meter, start=event.start, end=event.end)
    means: list[float | None] = []
    for interval in event.intervals:
        first, last = interval_bounds(interval)
        begin = np.datetime64(first.replace(tzinfo=None), "us")
        finish = np.datetime64(last.replace(tzinfo=None), "us")
        inside = (used.end > begin) & (used.end <= finish) & np.isfinite(used.value)
        if not inside.any():
            means.append(None)
            continue
        means.append(float(used.value[inside].sum()) / (interval["seconds"] / 3600.0))
    return means


def report_body(
    link: VenLink, building: Building, event: DemandEvent, power: list[float | None]
) -> dict[str, Any]:
    return {
        "objectType": "REPORT",
        "programID": event.program_id,
        "eventID": event.event_id,
        "clientName": link.ven_name,
        "reportName": f"{building.name}: Bezug während {event.name or event.event_id}",
        "payloadDescriptors": [
            {
                "objectType": "REPORT_PAYLOAD_DESCRIPTOR",
                "payloadType": "USAGE",
                "readingType": "DIRECT_READ",
                "units": "KW",
            }
        ],
        "resources": [
            {
                "resourceName": building.name,
                "intervals": [
                    {
                        "id": i,
                        "intervalPeriod": {
                            "start": interval["start"],
                            "duration": f"PT{int(interval['seconds'])}S",
                        },
                        "payloads": [{"type": "USAGE", "values": [value]}],
                    }
                    for i, (interval, value) in enumerate(zip(event.intervals, power, strict=True))
                    if value is not None
                ],
            }
        ],
    }


def share_kept(event: DemandEvent, power: list[float | None]) -> float | None:
    judged = [
        (p, i["limit_kw"])
        for p, i in zip(power, event.intervals, strict=True)
        if p is not None and "limit_kw" in i
    ]
    if not judged:
        return None
    return sum(1 for p, limit in judged if p <= limit + 1e-6) / len(judged)


def link_ven(
    session: Session,
    *,
    municipality_id: int,
    building_id: int,
    vtn_url: str,
    client_id: str,
    client_secret: str,
    ven_name: str,
) -> VenLink:
    building = service.get_building(session, building_id)
    if building.municipality_id != municipality_id:
        raise ValidationFailed.one("building_id", "must be a building of the municipality")
    if not vtn_url.startswith(("http://", "https://")):
        raise ValidationFailed.one("vtn_url", "must be an http(s) URL")
    link = session.scalar(select(VenLink).where(VenLink.municipality_id == municipality_id))
    link = link or VenLink(municipality_id=municipality_id)
    link.building_id, link.vtn_url = building_id, vtn_url
    link.client_id, link.client_secret, link.ven_name = client_id, client_secret, ven_name
    session.add(link)
    session.flush()
    return link


def poll(database: Database, *, link_id: int, now: datetime, client: VtnClient) -> list[int]:
    """One poll of one link; returns the ids of the events stored or changed."""
    with database.session() as session:
        link = session.get(VenLink, link_id)
        assert link is not None
        ven_id, ven_name = link.ven_id, link.ven_name
    if ven_id is None:
        ven_id = client.register(ven_name)
    received = [e for p in client.programs() for e in client.events(str(p["id"]))]

    def store(session: Session) -> list[int]:
        link = session.get(VenLink, link_id)
        assert link is not None
        link.ven_id, link.polled_at = ven_id, now
        stored = []
        for event in received:
            try:
                row = store_event(session, link=link, event=event, now=now)
            except (KeyError, TypeError, ValueError, ValidationFailed) as refused:
                # One malformed event must not keep the others from being planned for.
                log.warning(
                    "energy: event %r from %s refused: %s", event.get("id"), link.vtn_url, refused
                )
                continue
            if row is not None:
                stored.append(row.id)
        if stored:
            for zone in session.scalars(
                select(Zone).where(Zone.building_id == link.building_id, Zone.control == "mpc")
            ):
                service.replan_zone(session, zone=zone, now=now)
        return stored

    stored: list[int] = database.write(store)
    send_reports(database, link_id=link_id, now=now, client=client)
    return stored


def send_reports(database: Database, *, link_id: int, now: datetime, client: VtnClient) -> int:
    with database.session() as session:
        link = session.get(VenLink, link_id)
        assert link is not None
        building = session.get(Building, link.building_id)
        assert building is not None
        due = list(
            session.scalars(
                select(DemandEvent).where(
                    DemandEvent.link_id == link_id,
                    DemandEvent.end <= now,
                    DemandEvent.reported_at.is_(None),
                )
            )
        )
        bodies = []
        for event in due:
            power = metered_power(session, building=building, event=event)
            bodies.append(
                (event.id, report_body(link, building, event, power), share_kept(event, power))
            )
    for event_id, body, kept in bodies:
        client.report(body)

        def mark(session: Session, event_id: int = event_id, kept: float | None = kept) -> None:
            row = session.get(DemandEvent, event_id)
            assert row is not None
            row.reported_at, row.share_kept = now, kept

        database.write(mark)
    return len(bodies)


def poll_all(database: Database, *, now: datetime) -> None:
    with database.session() as session:
        links = [
            (link.id, link.vtn_url, link.client_id, link.client_secret)
            for link in session.scalars(select(VenLink).where(VenLink.active))
        ]
    for link_id, url, client_id, secret in links:
        client = VtnClient(url, client_id, secret)
        try:
            poll(database, link_id=link_id, now=now, client=client)
        except (httpx.HTTPError, KeyError, TypeError, ValueError, ValidationFailed) as error:
            log.warning("energy: the VTN at %s could not be polled: %s", url, error)
        finally:
            client.close()
