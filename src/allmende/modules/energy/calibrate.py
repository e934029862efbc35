"""Calibrating a zone on what its building measured: the indoor temperature of the zone, the
heat meter and the municipality's weather station, hour by hour over the last four weeks.

The 5R1C prior comes from the register data of the zone; :func:`calibration.calibrate` fits
its four multipliers (envelope, ventilation, heat capacity, solar aperture) to the measured
indoor temperature with the metered heat as input. The result is stored on the zone with its
error (RMSE and bias of the temperature in K, CV(RMSE) and NMBE of the daily heat in %), and
from then on the plans use the calibrated model. Too little data stores nothing and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.energy import calibration, outlook, service
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.models import Building, Meter, Zone
from allmende.sdk import isoformat, sensing

Array = NDArray[np.float64]
HOUR = timedelta(hours=1)
#: Days of measurements a calibration reads, and the hours with all of them it needs.
DAYS = 28
MIN_HOURS = 14 * 24
#: Boilers and district-heat stations: the share of the metered fuel that reaches the rooms.
FUEL_TO_HEAT = 0.92


@dataclass(frozen=True)
class Outcome:
    """The calibration stored on the zone, or why there is none: ``why`` is a message marked
    for translation, ``params`` its values."""

    zone: Zone
    stored: dict[str, object] | None
    why: str | None = None
    params: dict[str, object] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        return None if self.why is None else self.why % self.params


NO_METER = N_("the building has no heat, gas or oil meter")
NO_OUTDOOR = N_("the municipality has no outdoor temperature")
TOO_FEW = N_(
    "%(hours)s hours with indoor temperature, heat and outdoor temperature in the last "
    "%(days)s days; a calibration needs at least %(needed)s"
)


def heat_meter(session: Session, building: Building) -> tuple[Meter | None, float]:
    """The meter of the heat delivered to the building and the share of its reading that is
    heat: a heat pump's or a district-heat meter (all of it), else the gas or oil meter."""
    found = service.meters(session, building_ids=[building.id])
    for carrier, share in (("heat", 1.0), ("gas", FUEL_TO_HEAT), ("oil", FUEL_TO_HEAT)):
        for meter in found:
            if meter.carrier == carrier:
                return meter, share
    return None, 0.0


def _hourly_means(series: sensing.Series, hours: list[datetime]) -> Array:
    """Mean of the values in each hour [h, h + 1 h); NaN where there are none."""
    edges = np.array(
        [np.datetime64(h.replace(tzinfo=None), "us") for h in [*hours, hours[-1] + HOUR]]
    )
    index = np.searchsorted(edges, series.times, side="right") - 1
    inside = (index >= 0) & (index < len(hours))
    sums = np.bincount(index[inside], weights=series.values[inside], minlength=len(hours))
    counts = np.bincount(index[inside], minlength=len(hours))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _fill(values: Array) -> Array:
    """Gaps closed by linear interpolation (the outside air and the radiation change slowly)."""
    known = np.isfinite(values)
    if known.all() or not known.any():
        return values
    at = np.arange(len(values))
    return np.asarray(np.interp(at, at[known], values[known]), dtype=np.float64)


def calibrate_zone(session: Session, *, zone_id: int, now: datetime) -> Outcome:
    zone = service.get_zone(session, zone_id)
    building = service.get_building(session, zone.building_id)
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    hours = [start + HOUR * k for k in range(DAYS * 24)]
    meter, share = heat_meter(session, building)
    if meter is None:
        return Outcome(zone, None, NO_METER)
    streams = outlook.streams(session, municipality_id=building.municipality_id)
    if streams.outdoor is None:
        return Outcome(zone, None, NO_OUTDOOR)
    ids = [zone.indoor_stream_id, streams.outdoor]
    if streams.radiation is not None:
        ids.append(streams.radiation)
    found = sensing.series(session, datastream_ids=ids, start=start, end=end)
    indoor = _hourly_means(found[zone.indoor_stream_id], hours)
    outdoor = _hourly_means(found[streams.outdoor], hours)
    used = service.consumption(session, meter=meter, start=start, end=end)
    heat_kw = _hourly_sums(used.end, used.value, hours) * share
    usable = np.isfinite(indoor) & np.isfinite(heat_kw) & np.isfinite(outdoor)
    if usable.sum() < MIN_HOURS:
        return Outcome(
            zone, None, TOO_FEW, {"hours": int(usable.sum()), "days": DAYS, "needed": MIN_HOURS}
        )
    # The model runs from the first hour with all measurements (it starts from that hour's
    # indoor temperature) to the end; later gaps in the outside air are interpolated.
    first = int(np.argmax(usable))
    hours, usable, indoor = hours[first:], usable[first:], indoor[first:]
    t_out, heat_kw = _fill(outdoor[first:]), heat_kw[first:]
    if streams.radiation is not None:
        ghi = np.nan_to_num(_fill(_hourly_means(found[streams.radiation], hours)))
        gains_sun = outlook.solar_gains(
            session, zone=zone, building=building, grid=hours, ghi=ghi, step=HOUR
        )
    else:
        gains_sun = np.zeros(len(hours))
    gains = zone.floor_area * np.where(
        outlook.occupied(zone, hours), outlook.GAINS_OCCUPIED, outlook.GAINS_EMPTY
    )
    prior = service.zone_model(zone, calibrated=False)
    fitted = calibration.calibrate(
        prior,
        t_out=t_out,
        solar_gains=gains_sun,
        internal_gains=gains,
        heating_power=np.nan_to_num(heat_kw) * 1000.0,
        t_indoor=np.where(usable, indoor, np.nan),
    )
    stored: dict[str, object] = {
        "multipliers": {k: round(v, 4) for k, v in fitted.multipliers.items()},
        "rmse_k": round(fitted.rmse_k, 3),
        "bias_k": round(fitted.bias_k, 3),
        "cv_rmse": round(fitted.heat.cv_rmse, 2),
        "nmbe": round(fitted.heat.nmbe, 2),
        "meets_guideline14": fitted.heat.meets("daily"),
        "converged": fitted.converged,
        "hours": int(usable.sum()),
        "start": isoformat(start),
        "end": isoformat(end),
        "meter": meter.id,
        "calibrated_at": isoformat(now),
    }
    zone.calibration = stored
    session.flush()
    return Outcome(zone, stored)


def _hourly_sums(ends: NDArray[np.datetime64], values: Array, hours: list[datetime]) -> Array:
    """Energy of the intervals that end in (h, h + 1 h] per hour, as mean power (kWh/h = kW);
    NaN for hours without a reading."""
    edges = np.array(
        [np.datetime64(h.replace(tzinfo=None), "us") for h in [*hours, hours[-1] + HOUR]]
    )
    index = np.searchsorted(edges, ends, side="left") - 1
    inside = (index >= 0) & (index < len(hours)) & np.isfinite(values)
    sums = np.bincount(index[inside], weights=values[inside], minlength=len(hours))
    counts = np.bincount(index[inside], minlength=len(hours))
    return np.where(counts > 0, sums, np.nan)


def calibrate_all(session: Session, *, now: datetime) -> list[Outcome]:
    """Every zone (the weekly job); those without enough data say why."""
    return [
        calibrate_zone(session, zone_id=zone_id, now=now)
        for zone_id in session.scalars(select(Zone.id).order_by(Zone.id))
    ]


LABELS = {
    "envelope": N_("Envelope conductance"),
    "ventilation": N_("Ventilation"),
    "capacity": N_("Heat capacity"),
    "solar": N_("Solar aperture"),
}
