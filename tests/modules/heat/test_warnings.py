"""Warnings per district and day from the map's district aggregates: the rules, the life of a
warning (events, CAP versions), and the action plan it switches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.delivery import mail, mailer
from allmende.identity import service
from allmende.modules.heat import alerts, plan
from allmende.modules.heat.models import DistrictHour, HeatWarning, PlanEntry, Switch
from allmende.modules.heat.service import DatabaseStore, local_hour, update_rules
from allmende.sdk import District, actuation, events_after, sensing
from allmende.storage.database import Database
from allmende.web.mail import MailTemplates
from tests.support.client import TestClient
from tests.support.region import People, Region
from tests.support.smtp import SmtpServer, text_of
from tests.support.web import bearer

pytestmark = pytest.mark.integration

DAYS = [date(2026, 7, 14) + timedelta(days=i) for i in range(4)]
#: Per day: (afternoon UTCI of the hottest quarter, night-before median air temperature).
WEATHER = {
    DAYS[0]: (33.5, 19.0),  # hot afternoon, but the night cooled: no warning
    DAYS[1]: (34.0, 21.0),  # strong
    DAYS[2]: (39.5, 22.0),  # extreme
    DAYS[3]: (30.0, 22.0),  # over
}


@dataclass(frozen=True)
class Setup:
    centre: int
    edge: int
    misting: int
    fountain: int
    broken: int


def _hours(
    session: Session, district: int, municipality: int, day: date, utci: float, night: float
) -> None:
    for hour in range(-2, 24):  # the night before starts at 22 h the day before
        moment = local_hour(day, 0) + timedelta(hours=hour)
        afternoon = 12 <= hour < 18
        u = utci if afternoon else 20.0
        session.merge(
            DistrictHour(
                district_id=district,
                hour=moment.astimezone(UTC),
                municipality_id=municipality,
                source="measured",
                cells=100,
                utci_p50=u - 2,
                utci_p75=u,
                utci_p90=u + 1,
                utci_p95=u + 1.5,
                utci_max=u + 3,
                ta_p50=night if (hour < 6) else 25.0,
                ta_min=night - 1,
                ta_max=30.0,
            )
        )


@pytest.fixture
def setup(database: Database, region: Region, people: People) -> Setup:
    a = region.municipality_a

    def build(session: Session) -> Setup:
        centre = District(municipality_id=a, name="Mitte")
        centre.geom = shapely.box(8.64, 49.44, 8.66, 49.46)
        edge = District(municipality_id=a, name="Rand")
        edge.geom = shapely.box(8.60, 49.40, 8.62, 49.42)
        session.add_all([centre, edge])
        session.flush()
        device = sensing.create_thing(
            session, municipality_id=a, name="Sprühnebel", lon=8.65, lat=49.45, public=False
        )
        fountain = sensing.create_thing(
            session, municipality_id=a, name="Fontäne", lon=8.65, lat=49.45, public=False
        )
        gone = sensing.create_thing(
            session, municipality_id=a, name="Abgebaut", lon=8.65, lat=49.45, public=False
        )
        entries = [
            plan.add_entry(
                session,
                principal=people.staff_a,
                municipality_id=a,
                thing_id=thing,
                name=name,
                device_kind=kind,
                min_level=level,
                district_id=district,
            )
            for thing, name, kind, level, district in (
                (device, "Sprühnebel Markt", "misting", "strong", centre.id),
                (fountain, "Fontäne Park", "fountain", "extreme", None),
                (gone, "Alte Anlage", "misting", "strong", None),
            )
        ]
        entries[2].capability_id = None  # its capability was deleted
        return Setup(centre.id, edge.id, entries[0].id, entries[1].id, entries[2].id)

    made = database.write(build)

    def weather(session: Session) -> None:
        for day, (utci, night) in WEATHER.items():
            _hours(session, made.centre, a, day, utci, night)
            _hours(session, made.edge, a, day, 28.0, 18.0)  # the edge stays moderate

    database.write(weather)
    return made


def test_the_rules_per_day(database: Database, region: Region, setup: Setup) -> None:
    with database.session() as session:
        found = {
            (v.district_id, v.day): v
            for v in alerts.verdicts(session, municipality_id=region.municipality_a, days=DAYS)
        }
    centre = [found[(setup.centre, d)] for d in DAYS]
    assert [v.level for v in centre] == [None, "strong", "extreme", None]
    assert all(v.decided for v in centre)
    assert centre[1].afternoon_utci == 34.0 and centre[1].night_min_ta == 21.0
    assert centre[0].evidence["night_min_ta"] == 19.0  # the night before cooled to 19 °C
    assert [found[(setup.edge, d)].level for d in DAYS] == [None] * 4
    # A day without its afternoon in the map is not decided yet.
    with database.session() as session:
        later = alerts.verdicts(
            session, municipality_id=region.municipality_a, days=[DAYS[-1] + timedelta(days=1)]
        )
    assert not any(v.decided for v in later)


def test_thresholds_are_settings(database: Database, region: Region, setup: Setup) -> None:
    database.write(
        lambda s: update_rules(
            s,
            municipality_id=region.municipality_a,
            values={"strong_utci": 35.0, "extreme_utci": 40.0},
        )
    )
    with database.session() as session:
        found = alerts.verdicts(session, municipality_id=region.municipality_a, days=DAYS)
    assert [v.level for v in found if v.district_id == setup.centre] == [None, None, "strong", None]


def _run(database: Database, now: datetime) -> alerts.Applied:
    return alerts.update(DatabaseStore(database), now=now)


def test_a_warning_starts_rises_and_ends_and_switches_the_plan(
    database: Database, region: Region, setup: Setup
) -> None:
    a = region.municipality_a
    done = _run(database, datetime(2026, 7, 18, 8, 0, tzinfo=UTC))
    assert len(done.started) == 1 and len(done.changed) == 1 and len(done.ended) == 1
    with database.session() as session:
        warning = session.scalars(select(HeatWarning)).one()
        assert (warning.district_id, warning.level, warning.status) == (
            setup.centre,
            "extreme",
            "ended",
        )
        assert (warning.first_day, warning.last_day, warning.version) == (DAYS[1], DAYS[2], 3)
        assert warning.starts_at == local_hour(DAYS[1], 0) and warning.ends_at == local_hour(
            DAYS[3], 0
        )
        assert [day["day"] for day in warning.evidence] == ["2026-07-15", "2026-07-16"]
        events = events_after(session, names=["heat.warning.*"], after_id=0)
        assert [e.name for e in events] == [
            "heat.warning.started",
            "heat.warning.changed",
            "heat.warning.ended",
        ]
        assert events[0].public and events[0].municipality_id == a
        assert events[0].payload["district"] == "Mitte" and events[0].payload["level"] == "strong"
        assert events[1].payload["level"] == "extreme"
        switches = session.scalars(select(Switch).order_by(Switch.id)).all()
        log = [(s.entry_id, s.action, s.task_id is not None, s.error) for s in switches]
        gone = "The device's TaskingCapability was deleted."
        assert log[
            :2
        ] == [  # the warning started (strong): the centre's misting, and one that fails
            (setup.broken, "on", False, gone),
            (setup.misting, "on", True, None),
        ]
        assert log[2] == (setup.fountain, "on", True, None)  # it rose to extreme
        assert log[3:] == [  # it ended
            (setup.broken, "off", False, gone),
            (setup.fountain, "off", True, None),
            (setup.misting, "off", True, None),
        ]
        assert "warning for Mitte from 2026-07-15" in switches[1].reason
        tasks = actuation.task_states(session, municipality_ids=[a], origin="heat.action-plan")
        assert sorted(t.parameters["state"] for t in tasks) == ["off", "off", "on", "on"]
        assert all(t.state == "pending" for t in tasks)
        rows = plan.switch_rows(session, municipality_id=a)
        assert {r.state for r in rows} == {"pending", "error"}
    # Nothing changes when the same days are decided again.
    again = _run(database, datetime(2026, 7, 18, 9, 0, tzinfo=UTC))
    assert (again.started, again.changed, again.ended) == ([], [], [])


def test_staff_who_opted_in_get_a_mail_when_a_warning_starts_and_rises(
    database: Database, region: Region, setup: Setup, app: Any, tmp_path: Path
) -> None:
    staff = region.staff_a_email

    def opt_in(session: Session) -> None:
        mail.set_preferences(session, address=staff, staff_alerts=True)
        service.user_by_email(session, email=staff).locale = "en"

    database.write(opt_in)
    _run(database, datetime(2026, 7, 18, 8, 0, tzinfo=UTC))
    _run(database, datetime(2026, 7, 18, 9, 0, tzinfo=UTC))  # decided again: no second mail
    queued = database.write(lambda s: mailer.mail_staff_notifications(s, now=datetime.now(UTC)))
    assert queued == 2  # started (strong), raised (extreme); the end is no alarm

    server = SmtpServer(tmp_path).start()
    try:
        context = app.state.allmende
        configured = context.settings.model_copy(update=server.settings())
        mailer.send_round(database, configured, context.service(MailTemplates))
        server.wait_for(2)
    finally:
        server.stop()
    started, raised = server.to(staff)
    assert str(started["Subject"]) == "[A-Stadt] Heat warning for Mitte: Strong heat stress"
    text = text_of(started)
    assert "A heat warning is in force for Mitte from Jul 15, 2026: Strong heat stress." in text
    assert "/heat/warnings/" in text
    assert str(raised["Subject"]) == "[A-Stadt] Heat warning for Mitte: Extreme heat stress"
    assert "is raised to: Extreme heat stress." in text_of(raised)


def test_sta_clients_read_the_plans_tasks(
    database: Database, region: Region, setup: Setup, client: TestClient
) -> None:
    _run(database, datetime(2026, 7, 18, 8, 0, tzinfo=UTC))
    with database.session() as session:
        entry = session.get(PlanEntry, setup.misting)
        assert entry is not None
        capability = entry.capability_id
    tasks = client.get(
        f"/v1.1/TaskingCapabilities({capability})/Tasks", headers=bearer(region.key_admin)
    )
    assert tasks.status_code == 200
    states = sorted(t["taskingParameters"]["state"] for t in tasks.json()["value"])
    assert states == ["off", "on"]
    assert client.get(f"/v1.1/TaskingCapabilities({capability})").status_code == 404  # internal


def test_a_failed_switch_can_be_sent_again(
    database: Database, region: Region, setup: Setup
) -> None:
    _run(database, datetime(2026, 7, 18, 8, 0, tzinfo=UTC))

    def fix_and_resend(session: Session) -> Switch:
        broken = session.get(PlanEntry, setup.broken)
        working = session.get(PlanEntry, setup.misting)
        assert broken is not None and working is not None
        broken.capability_id = working.capability_id  # staff repaired the device's link
        failed = session.scalars(select(Switch).where(Switch.entry_id == setup.broken)).first()
        assert failed is not None
        return plan.resend(
            session, municipality_id=region.municipality_a, switch_id=failed.id, by="Sam"
        )

    again = database.write(fix_and_resend)
    assert again.task_id is not None and again.error is None
    assert again.reason.endswith("; sent again by Sam")


def test_a_warning_without_a_map_after_it_expires(
    database: Database, region: Region, setup: Setup
) -> None:
    def only_the_first_days(session: Session) -> None:
        for row in session.scalars(
            select(DistrictHour).where(DistrictHour.hour >= local_hour(DAYS[2], 0))
        ):
            session.delete(row)

    database.write(only_the_first_days)
    _run(database, datetime(2026, 7, 16, 8, 0, tzinfo=UTC))
    with database.session() as session:
        assert session.scalars(select(HeatWarning.status)).all() == ["active"]
    done = _run(database, datetime(2026, 7, 20, 8, 0, tzinfo=UTC))
    assert len(done.ended) == 1
    with database.session() as session:
        events = events_after(session, names=["heat.warning.ended"], after_id=0)
        assert events[0].payload["reason"] == "no map after its last day"
