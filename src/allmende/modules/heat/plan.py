"""The heat action plan: devices that a warning switches on and its end switches back.

Each entry is a TaskingCapability (made here with :func:`add_entry` on the device's Thing, with
the parameter ``state`` "on"/"off" unless the entry says otherwise). When a warning starts, or
rises to an entry's level, every entry it covers that no other active warning keeps on gets a
Task with its ``on`` parameters; when the last warning covering an entry ends, its ``off``
parameters. Every switch is logged with its reason. Sending happens in the warning's own
transaction, in a savepoint per device: a device that cannot be reached (its capability gone)
is logged with the error and does not stop the others; devices that do not answer are resent
and finally marked failed by the kernel (``sdk.actuation``), which staff see on the plan page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.heat.catalogue import DEVICE_KINDS, LEVELS, N_, ORIGIN
from allmende.modules.heat.models import HeatWarning, PlanEntry, Switch
from allmende.sdk import (
    AllmendeError,
    District,
    Message,
    NotFound,
    Principal,
    ValidationFailed,
    actuation,
    message_from_json,
    message_to_json,
    sensing,
    utcnow,
)

ON_OFF = {
    "type": "DataRecord",
    "field": [
        {
            "name": "state",
            "label": "Zustand",
            "description": "on: switched on for a heat warning; off: back to normal",
            "type": "Category",
            "constraint": {"type": "AllowedTokens", "value": ["on", "off"]},
        }
    ],
}


def add_entry(
    session: Session,
    *,
    principal: Principal,
    municipality_id: int,
    thing_id: int,
    name: str,
    device_kind: str,
    min_level: str,
    district_id: int | None,
) -> PlanEntry:
    """Put a device (a Thing of the municipality) into the plan: its TaskingCapability is made
    (or found) and switched with ``{"state": "on"}`` / ``{"state": "off"}``."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.one("name", N_("must be 1 to 200 characters"))
    if device_kind not in DEVICE_KINDS:
        raise ValidationFailed.one("device_kind", N_("is not one of the choices"))
    if min_level not in LEVELS:
        raise ValidationFailed.one("min_level", N_("is not one of the choices"))
    try:
        thing = sensing.get_thing(session, principal=principal, thing_id=thing_id)
    except NotFound:
        raise ValidationFailed.one("thing_id", N_("names no Thing you may see")) from None
    if thing.municipality_id != municipality_id:
        raise ValidationFailed.one("thing_id", N_("the Thing belongs to another municipality"))
    if district_id is not None:
        district = session.get(District, district_id)
        if district is None or district.municipality_id != municipality_id:
            raise ValidationFailed.one("district_id", N_("is not a district of the municipality"))
    capability_id = actuation.ensure_actuator(
        session,
        thing_id=thing_id,
        name=name,
        description=f"{DEVICE_KINDS[device_kind]} of the heat action plan",
        parameters=ON_OFF,
        public=False,
        properties={"heatActionPlan": True, "deviceKind": device_kind},
    )
    entry = PlanEntry(
        municipality_id=municipality_id,
        name=name,
        device_kind=device_kind,
        capability_id=capability_id,
        district_id=district_id,
        min_level=min_level,
        on_parameters={"state": "on"},
        off_parameters={"state": "off"},
        active=True,
        created_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, *, municipality_id: int) -> list[PlanEntry]:
    return list(
        session.scalars(
            select(PlanEntry)
            .where(PlanEntry.municipality_id == municipality_id)
            .order_by(PlanEntry.name, PlanEntry.id)
        )
    )


def remove_entry(session: Session, *, municipality_id: int, entry_id: int) -> None:
    entry = session.get(PlanEntry, entry_id)
    if entry is None or entry.municipality_id != municipality_id:
        raise NotFound(detail=f"No entry {entry_id} in this action plan.")
    entry.active = False
    session.flush()


def _covers(entry: PlanEntry, warning: HeatWarning) -> bool:
    return (
        entry.active
        and entry.municipality_id == warning.municipality_id
        and entry.district_id in (None, warning.district_id)
        and LEVELS[warning.level].rank >= LEVELS[entry.min_level].rank
    )


def _kept_on_by_others(session: Session, entry: PlanEntry, warning: HeatWarning) -> bool:
    others = session.scalars(
        select(HeatWarning).where(
            HeatWarning.municipality_id == warning.municipality_id,
            HeatWarning.status == "active",
            HeatWarning.id != warning.id,
        )
    )
    return any(_covers(entry, other) for other in others)


def _reason(warning: HeatWarning, district: str, action: str) -> Message:
    level = LEVELS[warning.level].label
    if action == "on":
        return Message(
            N_("%(level)s: warning for %(district)s from %(day)s (warning %(id)s)"),
            level=level,
            district=district,
            day=warning.first_day.isoformat(),
            id=warning.id,
        )
    return Message(
        N_("%(level)s: warning for %(district)s ended after %(day)s (warning %(id)s)"),
        level=level,
        district=district,
        day=warning.last_day.isoformat(),
        id=warning.id,
    )


def _send(
    session: Session, entry: PlanEntry, action: str, reason: str, warning_id: int | None
) -> Switch:
    parameters: dict[str, Any] = entry.on_parameters if action == "on" else entry.off_parameters
    task_id: int | None = None
    error: str | None = None
    savepoint = session.begin_nested()
    try:
        if entry.capability_id is None:
            raise NotFound(detail="The device's TaskingCapability was deleted.")
        task_id = actuation.send_task(
            session,
            capability_id=entry.capability_id,
            parameters=parameters,
            reason=reason,
            origin=ORIGIN,
        )
        savepoint.commit()
    except AllmendeError as exc:
        savepoint.rollback()
        error = str(exc)
    switch = Switch(
        municipality_id=entry.municipality_id,
        entry_id=entry.id,
        warning_id=warning_id,
        action=action,
        task_id=task_id,
        reason=reason,
        reason_text=message_to_json(reason),
        error=error,
        created_at=utcnow(),
    )
    session.add(switch)
    session.flush()
    return switch


def switch_on(
    session: Session, *, warning: HeatWarning, district: str, only_new_level: str | None = None
) -> list[Switch]:
    """Switch on what ``warning`` covers and no other active warning already keeps on.
    ``only_new_level``: the warning rose from that level; switch only what the rise adds."""
    done = []
    for entry in entries(session, municipality_id=warning.municipality_id):
        if not _covers(entry, warning) or _kept_on_by_others(session, entry, warning):
            continue
        if (
            only_new_level is not None
            and LEVELS[only_new_level].rank >= LEVELS[entry.min_level].rank
        ):
            continue
        done.append(_send(session, entry, "on", _reason(warning, district, "on"), warning.id))
    return done


def switch_off(session: Session, *, warning: HeatWarning, district: str) -> list[Switch]:
    """Switch back what ``warning`` covered, unless another active warning keeps it on."""
    done = []
    for entry in entries(session, municipality_id=warning.municipality_id):
        if not _covers(entry, warning) or _kept_on_by_others(session, entry, warning):
            continue
        done.append(_send(session, entry, "off", _reason(warning, district, "off"), warning.id))
    return done


def resend(session: Session, *, municipality_id: int, switch_id: int, by: str) -> Switch:
    """Send a switch again (staff, after a failed Task)."""
    earlier = session.get(Switch, switch_id)
    if earlier is None or earlier.municipality_id != municipality_id:
        raise NotFound(detail=f"No switch {switch_id} in this action plan.")
    entry = session.get(PlanEntry, earlier.entry_id)
    assert entry is not None
    reason = Message(N_("%(reason)s; sent again by %(by)s"), reason=reason_of(earlier), by=by)
    return _send(session, entry, earlier.action, reason, earlier.warning_id)


def reason_of(switch: Switch) -> str:
    """The switch's reason: a message to show in the reader's language (plain text if old)."""
    return message_from_json(switch.reason_text, switch.reason)


def switches(session: Session, *, municipality_id: int, limit: int = 200) -> list[Switch]:
    return list(
        session.scalars(
            select(Switch)
            .where(Switch.municipality_id == municipality_id)
            .order_by(Switch.created_at.desc(), Switch.id.desc())
            .limit(limit)
        )
    )


def task_states(session: Session, *, municipality_id: int) -> dict[int, actuation.TaskState]:
    """The kernel's delivery state of the plan's Tasks, by the first Task's id."""
    return {
        s.task_id: s
        for s in actuation.task_states(
            session, municipality_ids=[municipality_id], origin=ORIGIN, limit=1000
        )
    }


@dataclass(frozen=True)
class SwitchRow:
    """A logged switch with its Task's delivery as staff see it."""

    switch: Switch
    entry: PlanEntry
    state: str  # pending | done | failed | error (not sent)
    attempts: int
    error: str | None
    reason: str


def switch_rows(session: Session, *, municipality_id: int, limit: int = 200) -> list[SwitchRow]:
    states = task_states(session, municipality_id=municipality_id)
    names = {e.id: e for e in entries(session, municipality_id=municipality_id)}
    rows = []
    for s in switches(session, municipality_id=municipality_id, limit=limit):
        delivery = states.get(s.task_id) if s.task_id is not None else None
        if s.task_id is None:
            state, attempts, error = "error", 0, s.error
        elif delivery is None:
            state, attempts, error = "pending", 1, None
        else:
            state, attempts, error = delivery.state, delivery.attempts, delivery.error
        rows.append(SwitchRow(s, names[s.entry_id], state, attempts, error, reason_of(s)))
    return rows


def days_text(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
