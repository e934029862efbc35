"""The heat module's rules that the other services share: settings per municipality, the
municipalities and districts it works on, local days and hours, and who may change what.

The work itself lives beside this file, each a service of the same kind (keyword-only
functions taking a session): :mod:`.stations` (live indices), :mod:`.maps` (land cover and the
hourly map), :mod:`.alerts` (warnings), :mod:`.plan` (the action plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.heat.catalogue import AREA_SHARES, LOCAL_ZONE, N_, SCOPE
from allmende.modules.heat.models import HeatSettings
from allmende.sdk import (
    Action,
    Database,
    District,
    Municipality,
    NotFound,
    Principal,
    ValidationFailed,
    acting_for,
    readable_municipalities,
    require,
    sensing,
    utcnow,
)

T = TypeVar("T")

#: Settings that name a Thing of the sensing core.
THING_FIELDS = ("reference_thing_id", "forecast_thing_id")


def reads_internal(principal: Principal, municipality_id: int) -> bool:
    """Whether the caller sees the internal evidence of the municipality's heat warnings."""
    readable = readable_municipalities(principal, scope=SCOPE)
    return readable is None or municipality_id in readable


class Store(Protocol):
    """Where jobs read and write: ``read(fn)`` runs ``fn(session)`` read-only, ``write(fn)`` in
    one transaction (a job's database, or a command's installation)."""

    def read(self, fn: Callable[[Session], T]) -> T: ...

    def write(self, fn: Callable[[Session], T]) -> T: ...


@dataclass(frozen=True)
class DatabaseStore:
    database: Database

    def read(self, fn: Callable[[Session], T]) -> T:
        with self.database.session() as session:
            return fn(session)

    def write(self, fn: Callable[[Session], T]) -> T:
        return self.database.write(fn)


#: How jobs read the region: every record, public or not (they publish only what may be).
SYSTEM = Principal(kind="system", name="heat", is_admin=True)


def working_for(municipality_id: int) -> Principal:
    """How the module reads for one municipality's maps and warnings: the region's public
    stations and the municipality's own internal ones, never another's internal ones."""
    return acting_for(municipality_id, name="heat")


def municipality(session: Session, *, key: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.key == key))
    if found is None:
        raise NotFound(detail=f"No municipality '{key}'.")
    return found


def municipalities(session: Session) -> list[Municipality]:
    return list(session.scalars(select(Municipality).order_by(Municipality.name)))


def districts(session: Session, *, municipality_id: int) -> list[District]:
    return list(
        session.scalars(
            select(District)
            .where(District.municipality_id == municipality_id)
            .order_by(District.name, District.id)
        )
    )


def require_staff(principal: Principal, municipality_id: int) -> None:
    require(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The warning rules and map settings of a municipality (the defaults without a row)."""

    strong_utci: float = 32.0
    night_min_ta: float = 20.0
    extreme_utci: float = 38.0
    area_share: float = 0.25
    afternoon_from: int = 12
    afternoon_to: int = 18
    night_from: int = 22
    night_to: int = 6
    cell_m: float = 10.0
    reference_thing_id: int | None = None
    forecast_thing_id: int | None = None

    @property
    def quantile(self) -> str:
        """The district quantile the thresholds are compared with (1 − area share)."""
        return {0.5: "utci_p50", 0.25: "utci_p75", 0.1: "utci_p90", 0.05: "utci_p95"}[
            self.area_share
        ]


FIELDS = tuple(Rules.__dataclass_fields__)


def rules(session: Session, *, municipality_id: int) -> Rules:
    row = session.get(HeatSettings, municipality_id)
    if row is None:
        return Rules()
    return Rules(**{name: getattr(row, name) for name in FIELDS})


def update_rules(session: Session, *, municipality_id: int, values: dict[str, Any]) -> Rules:
    """Change some settings of a municipality; every value is checked, nothing half-stored."""
    current = rules(session, municipality_id=municipality_id)
    merged = {**current.__dict__, **values}
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValidationFailed.one(unknown[0], N_("is not a setting of the heat module"))
    checked = _check(merged)
    named = {name: checked[name] for name in THING_FIELDS if checked[name] is not None}
    existing = sensing.thing_municipalities(session, thing_ids=named.values()) if named else {}
    usable = (
        {
            t.id
            for t in sensing.list_things(
                session, principal=working_for(municipality_id), thing_ids=named.values()
            )
        }
        if named
        else set()
    )
    for name, thing_id in named.items():
        if thing_id not in existing:  # the foreign key would refuse it at the flush: a 500
            raise ValidationFailed.one(name, N_("names no Thing"))
        if thing_id not in usable:
            raise ValidationFailed.one(name, N_("is an internal Thing of another municipality"))
    row = session.get(HeatSettings, municipality_id)
    if row is None:
        row = HeatSettings(municipality_id=municipality_id)
        session.add(row)
    for name in FIELDS:
        setattr(row, name, checked[name])
    row.updated_at = utcnow()
    session.flush()
    return Rules(**{name: checked[name] for name in FIELDS})


def _check(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in ("strong_utci", "extreme_utci", "night_min_ta"):
        value = out[name]
        if not isinstance(value, int | float) or isinstance(value, bool) or not -50 <= value <= 60:
            raise ValidationFailed.one(name, N_("must be a temperature between −50 and 60 °C"))
        out[name] = float(value)
    if out["extreme_utci"] <= out["strong_utci"]:
        raise ValidationFailed.one(
            "extreme_utci", N_("must be above the threshold of strong stress")
        )
    if out["area_share"] not in AREA_SHARES:
        raise ValidationFailed.one(
            "area_share", f"must be one of {', '.join(str(s) for s in AREA_SHARES)}"
        )
    for name in ("afternoon_from", "afternoon_to", "night_from", "night_to"):
        value = out[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 23:
            raise ValidationFailed.one(name, N_("must be an hour from 0 to 23"))
    if out["afternoon_to"] <= out["afternoon_from"]:
        raise ValidationFailed.one("afternoon_to", N_("must be after the afternoon's first hour"))
    if out["night_from"] <= out["night_to"]:
        raise ValidationFailed.one("night_from", N_("the night must span midnight (e.g. 22 to 6)"))
    cell = out["cell_m"]
    if not isinstance(cell, int | float) or isinstance(cell, bool) or not 5 <= cell <= 100:
        raise ValidationFailed.one("cell_m", N_("must be 5 to 100 metres"))
    out["cell_m"] = float(cell)
    for name in THING_FIELDS:
        value = out[name]
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValidationFailed.one(name, N_("must be the id of a Thing"))
    return out


# --- local time --------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


def local_hour(day: date, hour: int) -> datetime:
    """The UTC instant of ``hour`` o'clock local time on ``day``."""
    return datetime.combine(day, time(hour), tzinfo=LOCAL_ZONE).astimezone(LOCAL_ZONE)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start of ``day`` and of the next one, local time (23 or 25 hours on a change)."""
    return local_hour(day, 0), local_hour(day + timedelta(days=1), 0)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
