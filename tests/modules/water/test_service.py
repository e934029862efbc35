"""The water module on both backends: the register copy and every tree's balance, probes
checked, ET0 and district balances published, waterings by crews and citizens, irrigation
zones with their valves, leak alarms."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.core.errors import Forbidden, ValidationFailed
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.delivery import mail, mailer
from allmende.delivery.events import events_after, publish
from allmende.delivery.models import Notification
from allmende.identity.service import user_by_email
from allmende.modules.assets.adoption import service as adoption
from allmende.modules.assets.schemas import ActivityCreate
from allmende.modules.water import service, usage, zones
from allmende.modules.water import stations as meteo
from allmende.modules.water.models import (
    Decision,
    Group,
    Leak,
    Probe,
    Station,
    Tree,
    Watering,
    Zone,
)
from allmende.modules.water.schemas import ZoneCreate
from allmende.sdk import actuation, sensing, utcnow, vocabulary
from allmende.sensing import read as sensing_read
from allmende.sensing.models import Datastream, Observation, Thing
from allmende.storage.database import Database
from allmende.web.mail import MailTemplates
from tests.modules.water.conftest import Water, hours, refresh, stream, thing, young_lime
from tests.support.region import People, Region
from tests.support.smtp import SmtpServer, text_of

pytestmark = pytest.mark.integration


def trees(database: Database) -> dict[int, Tree]:
    with database.session() as session:
        return {t.object_id: t for t in session.scalars(select(Tree))}


def make_internal(session: Session, *thing_ids: int) -> None:
    for thing_id in thing_ids:
        session.get(Thing, thing_id).public = False  # type: ignore[union-attr]
        for ds in session.scalars(select(Datastream).where(Datastream.thing_id == thing_id)):
            ds.public = False


def test_a_refresh_computes_every_public_tree(
    database: Database, registry: Registry, settings: Settings, water: Water
) -> None:
    summary = refresh(database, registry, settings, water.now)
    found = trees(database)
    assert set(found) == {water.young, water.old, water.birch}  # the internal tree stays out
    young, old = found[water.young], found[water.old]
    # The young tree's probe dried to 120 kPa: the balance follows it.
    assert young.status == "now" and young.source == "probe" and young.suction_kpa > 81
    assert 0 < young.dose_l <= 100 and young.need_l >= young.dose_l
    assert len(young.forecast_kpa) == 14 and young.forecast_source == "recent"
    assert old.taw_l > 20 * young.taw_l  # an old plane tree roots far beyond its pit
    assert summary.statuses["now"] >= 1 and sum(summary.statuses.values()) == 3
    with database.session() as session:
        probes = {p.thing_id: p for p in session.scalars(select(Probe))}
        station = session.scalar(select(Station))
        assert station is not None and station.et0_datastream_id is not None
        et0 = sensing.series(
            session,
            datastream_ids=[station.et0_datastream_id],
            start=water.now - timedelta(days=30),
            end=water.now,
        )[station.et0_datastream_id]
        groups = session.scalars(select(Group)).all()
    assert probes[water.probe].status == "ok" and probes[water.probe].bias is not None
    assert probes[water.negative].status == "flagged"
    assert probes[water.stuck].status == "flagged"
    assert len(et0.values) >= 19 and all(1.0 < v < 8.0 for v in et0.values)
    # Hourly ET0 too, for every measured hour: its days add up to about the daily values.
    assert station.et0_hourly_datastream_id is not None
    with database.session() as session:
        hourly = sensing.series(
            session,
            datastream_ids=[station.et0_hourly_datastream_id],
            start=water.now - timedelta(days=30),
            end=water.now,
        )[station.et0_hourly_datastream_id]
    assert len(hourly.values) == 21 * 24 - 1  # up to the last complete hour
    assert hourly.values.sum() == pytest.approx(et0.values.sum(), rel=0.25)
    assert len(groups) == 1 and set(groups[0].datastreams) == {"suction", "now", "soon", "need"}
    # The birch's stuck probe is left out: the birch is computed from the model (and the young
    # tree's probe nearby), not from the stuck readings.
    assert found[water.birch].source in ("nearby", "model")


def test_a_second_refresh_publishes_nothing_twice(
    database: Database, registry: Registry, settings: Settings, water: Water
) -> None:
    refresh(database, registry, settings, water.now)
    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(Observation))
    again = refresh(database, registry, settings, water.now)
    with database.session() as session:
        after = session.scalar(select(func.count()).select_from(Observation))
    assert again.et0_values == 0 and after == before


def test_a_crew_watering_updates_the_tree_at_once(
    database: Database, registry: Registry, settings: Settings, water: Water, people: People
) -> None:
    refresh(database, registry, settings, water.now)
    before = trees(database)[water.young]
    database.write(
        lambda s: service.record_crew_watering(
            s, principal=people.staff_a, object_id=water.young, litres=before.need_l
        )
    )
    after = trees(database)[water.young]
    assert after.depletion_l == pytest.approx(max(before.depletion_l - before.need_l, 0), abs=0.2)
    assert after.suction_kpa < before.suction_kpa and after.status in ("ok", "soon")
    assert after.watered_30d_l == round(before.need_l) and after.last_watered_at is not None
    with database.session() as session:
        events = events_after(session, names=[service.WATERING_RECORDED], after_id=0)
    assert [e.payload["object_id"] for e in events] == [water.young]
    # The next refresh counts it too.
    refresh(database, registry, settings, water.now)
    assert trees(database)[water.young].suction_kpa < before.suction_kpa


def test_watering_refusals_and_permissions(
    database: Database, registry: Registry, settings: Settings, water: Water, people: People
) -> None:
    refresh(database, registry, settings, water.now)
    now = utcnow()
    for litres, at, field in (
        (0, None, "body.litres"),
        (1001, None, "body.litres"),
        (50, now + timedelta(hours=2), "body.at"),
        (50, now - timedelta(days=40), "body.at"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            database.write(
                lambda s, litres=litres, at=at: service.record_crew_watering(
                    s, principal=people.staff_a, object_id=water.young, litres=litres, at=at
                )
            )
        assert refused.value.errors[0].field == field
    for who in (people.citizen, people.staff_b):
        with pytest.raises(Forbidden):
            database.write(
                lambda s, who=who: service.record_crew_watering(
                    s, principal=who, object_id=water.young, litres=50
                )
            )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Watering)) == 0


def test_citizens_waterings_are_counted_once_from_the_adoption_events(
    database: Database, registry: Registry, settings: Settings, water: Water, people: People,
    region: Region,
) -> None:  # fmt: skip
    refresh(database, registry, settings, water.now)
    database.write(lambda s: adoption.adopt(s, principal=people.citizen, object_id=water.young))
    database.write(
        lambda s: adoption.log_activity(
            s, principal=people.citizen, object_id=water.young, data=ActivityCreate(amount=80)
        )
    )
    # A payload that did not come from the adoption form: 5000 litres is refused.
    database.write(
        lambda s: publish(
            s, service.CITIZEN_WATERING, {"object_id": water.young, "litres": 5000},
            municipality_id=region.municipality_a,
        )
    )  # fmt: skip
    assert database.write(service.consume_citizen_waterings) == (1, 1)
    assert database.write(service.consume_citizen_waterings) == (0, 0)
    with database.session() as session:
        rows = session.scalars(select(Watering)).all()
    assert [(w.source, w.litres) for w in rows] == [("citizen", 80.0)]
    assert trees(database)[water.young].watered_30d_l == 80


def zone_data(region: Region, probe: int | None) -> ZoneCreate:
    return ZoneCreate(
        municipality_id=region.municipality_a, name="Rasen Mitte", kind="lawn", area_m2=500,
        coefficient=0.8, taw_mm=40, rate_mm_per_h=12, lon=8.654, lat=49.451,
        probe_datastream_id=probe,
    )  # fmt: skip


def test_a_zone_waters_when_dry_and_its_valve_is_followed_up(
    database: Database, registry: Registry, settings: Settings, water: Water, people: People,
    region: Region,
) -> None:  # fmt: skip
    refresh(database, registry, settings, water.now)
    with pytest.raises(Forbidden):
        database.write(
            lambda s: zones.create_zone(s, principal=people.staff_b, data=zone_data(region, None))
        )
    zone_id = database.write(
        lambda s: (
            zones.create_zone(
                s, principal=people.staff_a, data=zone_data(region, water.probe_stream)
            ).id
        )
    )
    morning = water.now.replace(hour=6)

    def decide(s, outlook):  # type: ignore[no-untyped-def]
        zone = s.get(Zone, zone_id)
        zone.balance_day = (morning.date() - timedelta(days=3)).isoformat()
        zone.depletion_mm, zone.variance = 15.0, 0.01
        return zones.decide_zone(s, zone, now=morning, outlook=outlook)

    # Rain tomorrow: no watering, and the log says why.
    skipped = database.write(lambda s: decide(s, ([3.0, 3.0], [25.0, 5.0])))
    assert skipped.reason == "rain_expected" and skipped.task_id is None
    database.write(lambda s: s.delete(s.get(Decision, skipped.id)))
    # Dry: the probe (120 kPa) says the soil is dry; the valve gets a Task.
    watered = database.write(lambda s: decide(s, ([4.0, 4.0], [0.0, 0.0])))
    assert watered.reason == "water" and watered.minutes > 0 and watered.task_id is not None
    assert watered.facts["probe_depletion"] > 0.7
    assert database.write(lambda s: decide(s, ([4.0], [0.0]))) is None  # once a day
    # The valve never answers: resent, then failed; staff are told.
    start = utcnow()
    for minutes in (2, 5, 10, 20):
        database.write(
            lambda s, minutes=minutes: actuation.process_deliveries(
                s, now=start + timedelta(minutes=minutes), ack_timeout=timedelta(seconds=60),
                max_attempts=3,
            )
        )  # fmt: skip
    with database.session() as session:
        zone = session.get(Zone, zone_id)
        log = zones.decisions(session, zone=zone)
        notes = session.scalars(select(Notification)).all()
    assert log[0][1].state == actuation.FAILED and log[0][1].attempts == 3
    assert any(n.kind == actuation.TASK_FAILED for n in notes)


def test_a_zone_reads_no_internal_station_or_probe_of_another_municipality(
    database: Database, water: Water, people: People, region: Region
) -> None:
    """A's weather station and soil probe: B's zone may name them while they are public; once
    A makes them internal, B's zone may not (naming the field), A's may, and B's existing zone
    decides without them."""
    mine = zone_data(region, water.probe_stream).model_copy(
        update={"station_thing_id": water.station}
    )
    theirs = mine.model_copy(update={"municipality_id": region.municipality_b})
    b_zone = database.write(
        lambda s: zones.create_zone(s, principal=people.staff_b, data=theirs).id
    )

    database.write(lambda s: make_internal(s, water.station, water.probe))
    for field, named in (
        ("body.station_thing_id", {"probe_datastream_id": None}),
        ("body.probe_datastream_id", {"station_thing_id": None}),
    ):
        with pytest.raises(ValidationFailed) as refused:
            database.write(
                lambda s, named=named: zones.create_zone(
                    s, principal=people.staff_b, data=theirs.model_copy(update=named)
                )
            )
        assert [e.field for e in refused.value.errors] == [field]
    a_zone = database.write(lambda s: zones.create_zone(s, principal=people.staff_a, data=mine))
    assert (a_zone.station_thing_id, a_zone.probe_kind) == (water.station, "suction")
    decided = database.write(
        lambda s: zones.decide_zone(s, s.get(Zone, b_zone), now=water.now.replace(hour=6))
    )
    assert decided is not None and decided.reason == "no_data"


def test_a_tree_reads_no_internal_station_or_probe_of_another_municipality(
    database: Database,
    registry: Registry,
    settings: Settings,
    water: Water,
    people: People,
    region: Region,
) -> None:
    """B's public lime tree 22 m from A's probed one, with no station of its own: while A's
    probe and station are public it is corrected from the probe and computed with the
    station; once A makes them internal, B's tree uses neither (nor a second internal probe
    of A right at it), A's own trees still do, and without any station B may read the tree is
    left out of the balance."""
    b_tree = database.write(
        lambda s: young_lime(
            s, people.staff_b, "b-dorf", "Linde B", (8.6503, 49.4501), water.now.year
        )
    )
    refresh(database, registry, settings, water.now)
    found = trees(database)
    assert found[b_tree].source == "nearby"
    assert found[b_tree].probe_tree_id == found[water.young].id

    def add_internal_probe_at_b(session: Session) -> int:
        probe = thing(session, region.municipality_a, "Fühler A", 8.65031, 49.45011)
        times = hours(water.now)
        stream(
            session,
            probe,
            "Saugspannung",
            vocabulary.SOIL_WATER_TENSION,
            ("kilopascal", "kPa"),
            np.round(20 * 6.0 ** (np.arange(len(times)) / len(times)), 1).tolist(),
            times,
        )
        make_internal(session, probe)
        return probe

    at_b = database.write(add_internal_probe_at_b)
    database.write(lambda s: make_internal(s, water.probe))
    assert refresh(database, registry, settings, water.now).trees == 4
    found = trees(database)
    assert (found[b_tree].source, found[b_tree].probe_tree_id) == ("model", None)
    assert found[water.young].source == "probe"  # A's internal probe serves A's trees
    with database.session() as session:
        assert session.scalar(select(Probe.tree_id).where(Probe.thing_id == at_b)) is None
        assert session.scalar(select(Probe.tree_id).where(Probe.thing_id == water.probe)) == (
            found[water.young].id
        )

    database.write(lambda s: make_internal(s, water.station))
    assert refresh(database, registry, settings, water.now).trees == 3  # A's, not B's
    # B's tree keeps no earlier state: a need shown as today's would be days old.
    left_out = trees(database)[b_tree]
    assert (left_out.status, left_out.computed_at, left_out.need_l) == (None, None, None)
    assert trees(database)[water.young].status is not None


def test_an_internal_forecast_feeds_its_own_municipality_s_stations_only(
    database: Database, water: Water, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's forecast names B's public station: while internal it feeds A's station instead."""

    def build(session: Session) -> tuple[int, int]:
        times = hours(water.now, 1)
        b_station = thing(session, region.municipality_b, "Wetterstation B", 8.75, 49.45)
        forecast = thing(
            session,
            region.municipality_a,
            "Wettervorhersage A",  # after the stations by name
            8.75,
            49.45,
            kind="weather-forecast",
            station_thing_id=b_station,
        )
        for made in (b_station, forecast):
            stream(
                session,
                made,
                "Lufttemperatur",
                vocabulary.AIR_TEMPERATURE,
                ("degree Celsius", "Cel"),
                [20.0] * len(times),
                times,
            )
        make_internal(session, forecast)
        return b_station, forecast

    b_station, forecast = database.write(build)

    def fed() -> set[int]:
        with database.session() as session:
            return set(meteo.find_forecasts(session, meteo.find_stations(session)))

    assert fed() == {water.station}

    def make_public(session: Session) -> None:
        session.get(Thing, forecast).public = True  # type: ignore[union-attr]

    database.write(make_public)
    assert fed() == {b_station}
    # Forecast Things are found past a page of the listing (5 000 Things; here 1).
    monkeypatch.setattr(sensing_read, "MAX_THINGS", 1)
    assert fed() == {b_station}


def test_staff_who_opted_in_read_a_leak_by_mail_in_their_language(
    database: Database, water: Water, region: Region, app: Any, tmp_path: Path
) -> None:
    assert usage.check_meters(database, now=water.now) == 1

    def opt_in(session: Session) -> None:
        for email in (region.staff_a_email, region.staff_b_email):
            mail.set_preferences(session, address=email, staff_alerts=True)
            user_by_email(session, email=email).locale = "en"

    database.write(opt_in)
    assert database.write(lambda s: mailer.mail_staff_notifications(s, now=water.now)) == 1
    server = SmtpServer(tmp_path).start()
    try:
        context = app.state.allmende
        configured = context.settings.model_copy(update=server.settings())
        mailer.send_round(database, configured, context.service(MailTemplates))
        [message] = server.wait_for(1)
    finally:
        server.stop()
    assert re.fullmatch(r"\[[^]]+\] Suspected leak: .+", str(message["Subject"]))
    text = text_of(message)
    assert "has not stood still for an hour since" in text and "/water/meters/" in text
    assert "At night at least" in text and "l/h (usually 0 l/h)." in text


def test_a_leak_is_found_announced_once_and_shown_with_its_evidence(
    database: Database, water: Water
) -> None:
    assert usage.check_meters(database, now=water.now) == 1
    assert usage.check_meters(database, now=water.now) == 0  # the same episode
    with database.session() as session:
        leak = session.scalar(select(Leak))
        events = events_after(session, names=[usage.LEAK_DETECTED], after_id=0)
        notes = session.scalars(select(Notification)).all()
    assert leak is not None and leak.state == "open"
    assert 25 <= leak.night_minimum_l_per_h <= 35 and leak.usual_night_minimum_l_per_h == 0
    assert water.now - leak.since < timedelta(days=6)
    assert len(events) == 1 and len(events[0].payload["evidence"]["litres_per_hour"]) == 72
    assert [n.kind for n in notes] == [usage.LEAK_DETECTED]
    assert notes[0].link.startswith("/water/meters/")
