"""The trees' water balance: reading its inputs, computing it, storing and publishing it, and
the waterings that feed it.

One refresh (the job ``water.balance``, hourly and after each watering) is three steps, so that
the numerical work holds no write lock:

1. :func:`gather` reads everything in a read-only session: the trees, the weather per local day
   since the season began, waterings, probe readings, the forecast;
2. :func:`compute` runs the bucket of every tree to the end of yesterday (assimilating the
   probes), spreads the probes' corrections to similar trees nearby, carries the balance
   through today (with today's waterings and rain so far) and assesses the need;
3. :func:`store` writes the states in bulk and the probes' checks, and publishes ET0 per
   station and the district balances as Datastreams.

The season starts on 1 March (the soil is at field capacity after winter), or on the first
day the stations measured, whichever is later. Days a station did not measure take its
climatology (and its ET0 says so); days without a rain measurement take the mean of the days
with one.

Per-tree Datastreams are not published: 100 000 trees would be 100 000 Things with a value a
day each, for a quantity the module recomputes from its inputs at any time. The SensorThings
API gets it per district (mean modelled suction, trees needing water now and soon, litres
needed) and per station (ET0); every tree's state is in the module's API and on its map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from allmende.modules.water import balance, needs, probes, soil
from allmende.modules.water import stations as meteo
from allmende.modules.water.catalogue import (
    AGE_CLASSES,
    COUNT,
    DEFAULT_AGE_YEARS,
    DEFAULT_MICROCLIMATE,
    DEFAULT_OPEN_AREA_M2,
    DEFAULT_PIT_VOLUME_M3,
    DEFAULT_SEALED_SHARE,
    KPA,
    LITRE,
    MAX_CITIZEN_LITRES,
    MAX_CREW_LITRES,
    SCOPE,
    WATER_USE,
)
from allmende.modules.water.models import Cursor, Group, Probe, Station, Tree, Watering
from allmende.modules.water.schemas import TreeSettings
from allmende.sdk import (
    Action,
    NotFound,
    Principal,
    ValidationFailed,
    as_utc,
    events_after,
    isoformat,
    parse_datetime,
    publish,
    require,
    sensing,
    utcnow,
    vocabulary,
)

Array = NDArray[np.float64]

SEASON_START = (3, 1)
CITIZEN_WATERING = "assets.watering.recorded"
#: Published after a watering changed a tree's balance (crews' and citizens').
WATERING_RECORDED = "water.watering.recorded"
#: Trees needing water in a district (a count): this module's own ObservedProperty.
TREES_NEEDING_WATER = vocabulary.ALLMENDE + "trees_needing_water"
#: Events are read again from a little before the last id seen: on PostgreSQL ids become
#: visible out of order (see sdk.events_after).
EVENT_OVERLAP = 100
PROBE_DEFINITIONS = {
    vocabulary.SOIL_WATER_TENSION: "suction",
    vocabulary.SOIL_MOISTURE: "volumetric",
}
#: A probe Thing without ``tree_object_id`` belongs to a tree this close, if any (m).
PROBE_RADIUS_M = 8.0
RECENT_DAYS = 30
#: Readings whose model error the spread averages, per probe.
BIAS_READINGS = 7
CURVE = soil.DEFAULT_CURVE


def season_start(today: date) -> date:
    start = date(today.year, *SEASON_START)
    return start if start <= today else date(today.year - 1, *SEASON_START)


def metres(lon: Array, lat: Array, lon0: float, lat0: float) -> tuple[Array, Array]:
    """A local equirectangular projection: good to a few metres across a region."""
    x = (lon - lon0) * 111_320 * np.cos(np.radians(lat0))
    y = (lat - lat0) * 111_320
    return np.asarray(x), np.asarray(y)


# --- step 1: gather --------------------------------------------------------------------------


@dataclass
class ProbeInput:
    datastream_id: int
    thing_id: int
    name: str
    municipality_id: int
    public: bool
    kind: str
    curve_key: str
    tree_row: int  # index into Inputs.trees, −1 when at no known tree it may serve
    readings: probes.DailyReadings
    last_value: float | None
    last_time: datetime | None


@dataclass
class Inputs:
    now: datetime
    today: date
    first: date  # the first day of the balance
    trees: list[dict[str, Any]]
    stations: list[meteo.StationInfo]
    et0_streams: dict[int, int | None]
    weather: dict[int, meteo.DailyWeather]  # from ``first`` through today
    outlooks: dict[int, meteo.Outlook]  # from today
    waterings: list[tuple[int, int, float]]  # tree row, day index from ``first``, litres
    probes: list[ProbeInput]
    recent: dict[int, tuple[float, datetime | None]] = field(default_factory=dict)
    hourly: dict[int, meteo.HourlyET0] = field(default_factory=dict)

    @property
    def days(self) -> int:
        """Complete days: from ``first`` to yesterday."""
        return max((self.today - self.first).days, 0)


TREE_COLUMNS = (
    "id",
    "municipality_id",
    "object_id",
    "water_use",
    "planting_year",
    "crown_diameter_m",
    "lon",
    "lat",
    "district",
    "pit_volume_m3",
    "open_area_m2",
    "sealed_share",
    "microclimate",
)


def gather(session: Session, *, now: datetime) -> Inputs:
    """Everything a refresh needs, read in one read-only session."""
    today = meteo.local_day(now)
    trees = [
        dict(zip(TREE_COLUMNS, row, strict=True))
        for row in session.execute(
            select(*(getattr(Tree, c) for c in TREE_COLUMNS)).order_by(Tree.id)
        )
    ]
    found = meteo.find_stations(session)
    # A tree is computed from its own municipality's stations or public ones: another's
    # internal station is not its to read. One with neither is left out.
    if not any(s.public for s in found):
        owners = {s.municipality_id for s in found}
        trees = [t for t in trees if t["municipality_id"] in owners]
    first = season_start(today)
    weather = meteo.daily_weather(
        session, stations=found, first=first, days=(today - first).days + 1
    )
    measured_from = _first_measured(weather)
    if measured_from is not None and measured_from > first:
        first = measured_from
        weather = {k: _cut(w, first, None) for k, w in weather.items()}
    et0_streams = dict(session.execute(select(Station.thing_id, Station.et0_datastream_id)).all())
    hourly_until = dict(session.execute(select(Station.thing_id, Station.hourly_until)).all())
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    hourly = {}
    for s in found:
        done = hourly_until.get(s.thing_id)
        start = this_hour - meteo.HOURLY_BACK
        if done is not None:
            start = max(start, as_utc(done) + timedelta(hours=1))
        hourly[s.thing_id] = meteo.hourly_et0(session, station=s, start=start, end=this_hour)
    measured_weather = weather
    weather = {k: meteo.fill_rain(w) for k, w in weather.items()}
    forecasts = meteo.find_forecasts(session, found)
    outlooks = {
        s.thing_id: meteo.outlook(
            session,
            station=s,
            et0_stream=et0_streams.get(s.thing_id),
            history=_cut(measured_weather[s.thing_id], first, today),
            forecast_streams=forecasts.get(s.thing_id),
            first=today,
            days=needs.HORIZON_DAYS + 1,
        )
        for s in found
    }
    index = {t["id"]: i for i, t in enumerate(trees)}
    waterings = [
        (index[tree], (meteo.local_day(as_utc(at)) - first).days, float(litres))
        for tree, at, litres in session.execute(
            select(Watering.tree_id, Watering.at, Watering.litres).where(
                Watering.at >= meteo.day_start(first)
            )
        )
        if tree in index
    ]
    since = now - timedelta(days=RECENT_DAYS)
    recent = {
        tree: (float(total or 0), as_utc(last) if last else None)
        for tree, total, last in session.execute(
            select(
                Watering.tree_id,
                func.sum(Watering.litres).filter(Watering.at >= since),
                func.max(Watering.at),
            ).group_by(Watering.tree_id)
        )
    }
    return Inputs(
        now=now,
        today=today,
        first=first,
        trees=trees,
        stations=found,
        et0_streams=et0_streams,
        weather=weather,
        outlooks=outlooks,
        waterings=waterings,
        probes=_probe_inputs(session, trees, first, (today - first).days + 1),
        recent=recent,
        hourly=hourly,
    )


def _first_measured(weather: dict[int, meteo.DailyWeather]) -> date | None:
    firsts = []
    for w in weather.values():
        measured = np.flatnonzero(~(w.flags & meteo.NO_WEATHER).astype(bool))
        if measured.size:
            firsts.append(w.first + timedelta(days=int(measured[0])))
    return min(firsts) if firsts else None


def _cut(w: meteo.DailyWeather, first: date, end: date | None) -> meteo.DailyWeather:
    """The days of ``w`` from ``first`` up to (not including) ``end``."""
    lo = (first - w.first).days
    hi = w.days if end is None else max((end - w.first).days, lo)
    return meteo.DailyWeather(first, w.et0[lo:hi], w.flags[lo:hi], w.rain[lo:hi], w.tmin[lo:hi])


def _probe_inputs(
    session: Session, trees: list[dict[str, Any]], first: date, days: int
) -> list[ProbeInput]:
    things = sensing.every_thing(
        session, principal=meteo.SYSTEM, definitions=list(PROBE_DEFINITIONS)
    )
    # The districts' published balances measure nothing: their modelled suction is no probe.
    published = set(session.scalars(select(Group.thing_id)))
    assigned = dict(session.execute(select(Probe.datastream_id, Probe.tree_id)).all())
    curves = dict(session.execute(select(Probe.datastream_id, Probe.curve)).all())
    by_id = {t["id"]: i for i, t in enumerate(trees)}
    by_object = {t["object_id"]: i for i, t in enumerate(trees)}
    lon = np.array([t["lon"] for t in trees])
    lat = np.array([t["lat"] for t in trees])
    owner = np.array([t["municipality_id"] for t in trees], dtype=np.int64)
    streams = []
    for thing in things:
        if thing.lon is None or thing.lat is None or thing.id in published:
            continue
        # An internal probe serves its own municipality's trees only.
        serves = np.ones(len(trees), bool) if thing.public else owner == thing.municipality_id
        for stream in thing.streams:
            kind = PROBE_DEFINITIONS.get(stream.definition)
            if kind is None:
                continue
            row = _probe_tree(thing, assigned.get(stream.id), by_id, by_object, lon, lat, serves)
            curve_key = curves.get(stream.id) or str(thing.properties.get("soil") or "")
            streams.append((thing, stream, kind, row, curve_key))
    start = meteo.day_start(first)
    series = sensing.series(
        session,
        datastream_ids=[s.id for _, s, *_ in streams],
        start=start,
        end=meteo.day_start(first + timedelta(days=days)),
    )
    result = []
    for thing, stream, kind, row, curve_key in streams:
        data = series[stream.id]
        seconds = (data.times.astype("datetime64[us]").astype(np.int64) / 1e6).astype(np.float64)
        curve = soil.CURVES.get(curve_key, CURVE)
        daily = probes.daily(
            seconds,
            data.values,
            kind=kind,
            start_s=start.timestamp(),
            days=days,
            curve=curve,
            day_index=meteo.day_index(data.times, first) if data.times.size else None,
        )
        result.append(
            ProbeInput(
                datastream_id=stream.id,
                thing_id=thing.id,
                name=f"{thing.name} – {stream.name}",
                municipality_id=thing.municipality_id,
                public=thing.public,
                kind=kind,
                curve_key=curve.name.replace(" ", "_"),
                tree_row=row,
                readings=daily,
                last_value=float(data.values[-1]) if data.values.size else None,
                last_time=as_utc(data.times[-1].astype(datetime)) if data.times.size else None,
            )
        )
    return result


def _probe_tree(
    thing: sensing.ThingSummary,
    assigned: int | None,
    by_id: dict[int, int],
    by_object: dict[int, int],
    lon: Array,
    lat: Array,
    serves: NDArray[np.bool_],
) -> int:
    """The tree a probe stands at: assigned by staff, named by the Thing or the nearest
    within reach, of those it ``serves``; −1 for none."""
    if assigned is not None and assigned in by_id:
        return by_id[assigned] if serves[by_id[assigned]] else -1
    named = thing.properties.get("tree_object_id")
    if isinstance(named, int) and named in by_object:
        return by_object[named] if serves[by_object[named]] else -1
    if serves.any() and thing.lon is not None and thing.lat is not None:
        x, y = metres(lon, lat, thing.lon, thing.lat)
        distance = np.where(serves, np.hypot(x, y), np.inf)
        nearest = int(distance.argmin())
        if distance[nearest] <= PROBE_RADIUS_M:
            return nearest
    return -1


# --- step 2: compute -------------------------------------------------------------------------


@dataclass
class Computed:
    tree_ids: list[int]
    station: NDArray[np.int64]  # row into Inputs.stations, −1 for none
    plants: balance.Plants | None
    age: Array
    depletion_l: Array  # end of today
    sigma: Array
    source: list[str]
    probe_tree: list[int | None]
    probe_distance: Array
    assessed: needs.Needs | None
    forecast_source: list[str | None]
    #: End of yesterday, for the published district balances.
    yesterday_suction: Array
    yesterday_need: Array
    yesterday_band: NDArray[np.int8]
    probe_status: dict[int, tuple[str, float | None]]  # datastream → (status, bias)


def _stations_of(inputs: Inputs) -> NDArray[np.int64]:
    """Each tree's station: the nearest of its municipality, else the nearest public one
    (``gather`` left out trees with neither)."""
    n = len(inputs.trees)
    if not inputs.stations or n == 0:
        return np.full(n, -1, dtype=np.int64)
    lon = np.array([t["lon"] for t in inputs.trees])
    lat = np.array([t["lat"] for t in inputs.trees])
    municipality = np.array([t["municipality_id"] for t in inputs.trees])
    s_lon = np.array([s.lon for s in inputs.stations])
    s_lat = np.array([s.lat for s in inputs.stations])
    s_mun = np.array([s.municipality_id for s in inputs.stations])
    s_public = np.array([s.public for s in inputs.stations])
    distance = (lon[:, None] - s_lon[None, :]) ** 2 * np.cos(np.radians(lat[:, None])) ** 2 + (
        lat[:, None] - s_lat[None, :]
    ) ** 2
    own = np.where(municipality[:, None] == s_mun[None, :], distance, np.inf)
    best_own = own.argmin(axis=1)
    has_own = np.isfinite(own[np.arange(n), best_own])
    best_public = np.where(s_public[None, :], distance, np.inf).argmin(axis=1)
    return np.asarray(np.where(has_own, best_own, best_public), dtype=np.int64)


def traits(rows: list[dict[str, Any]], station: NDArray[np.int64], year: int) -> balance.TreeTraits:
    def column(key: str, default: float) -> Array:
        return np.array([default if r[key] is None else float(r[key]) for r in rows])

    planted = column("planting_year", np.nan)
    age = np.where(np.isnan(planted), DEFAULT_AGE_YEARS, np.maximum(year - planted, 0.5))
    return balance.TreeTraits(
        species_factor=np.array([WATER_USE[r["water_use"]] for r in rows]),
        age_years=age,
        crown_diameter_m=column("crown_diameter_m", np.nan),
        pit_volume_m3=column("pit_volume_m3", DEFAULT_PIT_VOLUME_M3),
        open_area_m2=column("open_area_m2", DEFAULT_OPEN_AREA_M2),
        sealed_share=column("sealed_share", DEFAULT_SEALED_SHARE),
        microclimate=column("microclimate", DEFAULT_MICROCLIMATE),
        available_water=CURVE.available_water,
        station=np.maximum(station, 0),
    )


def _matrix(inputs: Inputs, days: slice, key: str) -> Array:
    rows = []
    for s in inputs.stations:
        values = getattr(inputs.weather[s.thing_id], key)[days]
        rows.append(np.nan_to_num(values, nan=0.0))
    return np.array(rows) if rows else np.zeros((0, 0))


def compute(inputs: Inputs) -> Computed:
    """The balance of every tree (see the module text)."""
    n = len(inputs.trees)
    station = _stations_of(inputs)
    empty = Computed(
        tree_ids=[t["id"] for t in inputs.trees],
        station=station,
        plants=None,
        age=np.zeros(n),
        depletion_l=np.full(n, np.nan),
        sigma=np.full(n, np.nan),
        source=["model"] * n,
        probe_tree=[None] * n,
        probe_distance=np.full(n, np.nan),
        assessed=None,
        forecast_source=[None] * n,
        yesterday_suction=np.full(n, np.nan),
        yesterday_need=np.zeros(n),
        yesterday_band=np.zeros(n, np.int8),
        probe_status={p.datastream_id: _probe_state(p, None) for p in inputs.probes},
    )
    if n == 0 or not inputs.stations:
        return empty
    t = traits(inputs.trees, station, inputs.today.year)
    plants = balance.tree_plants(t)
    days = inputs.days
    water_rows = np.array([w[0] for w in inputs.waterings], dtype=np.int64)
    water_days = np.array([w[1] for w in inputs.waterings], dtype=np.int64)
    litres = np.array([w[2] for w in inputs.waterings])
    past = water_days < days
    usable = [p for p in inputs.probes if p.tree_row >= 0 and _probe_state(p, None)[0] == "ok"]
    readings = _readings(usable, days)
    keep = np.array(sorted({p.tree_row for p in usable}), dtype=np.int64)
    until_yesterday = balance.run(
        plants,
        et0=_matrix(inputs, slice(0, days), "et0"),
        rain=_matrix(inputs, slice(0, days), "rain"),
        supplies=balance.Supplies.of(water_days[past], water_rows[past], litres[past]),
        readings=readings,
        keep=keep,
    )
    taw = plants.taw_l
    fraction = until_yesterday.depletion_l / taw
    bias, bias_sigma, probe_status = _biases(inputs.probes, usable, readings, until_yesterday, taw)
    probe_rows = np.array(sorted(bias), dtype=np.int64)
    x, y = metres(
        np.array([r["lon"] for r in inputs.trees]),
        np.array([r["lat"] for r in inputs.trees]),
        float(np.mean([r["lon"] for r in inputs.trees])),
        float(np.mean([r["lat"] for r in inputs.trees])),
    )
    water_class = np.array([list(WATER_USE).index(r["water_use"]) for r in inputs.trees])
    age_class = np.searchsorted(np.array(AGE_CLASSES), t.age_years, side="right")
    spread = probes.spread(
        x_m=x,
        y_m=y,
        water_class=water_class,
        age_class=age_class,
        model_variance=until_yesterday.variance,
        probe_rows=probe_rows,
        bias=np.array([bias[r] for r in probe_rows.tolist()]),
        bias_sigma=np.array([bias_sigma[r] for r in probe_rows.tolist()]),
        owner=np.array([r["municipality_id"] for r in inputs.trees], dtype=np.int64),
        shared=_shared(usable, probe_rows),
    )
    fraction = np.clip(fraction + spread.correction, 0.0, 1.0)
    yesterday = fraction * taw
    today = days
    et0_today = np.array([[inputs.outlooks[s.thing_id].et0[0]] for s in inputs.stations])
    rain_today = _matrix(inputs, slice(today, today + 1), "rain")
    now_water = water_days == today
    through_today = balance.run(
        plants,
        et0=et0_today,
        rain=rain_today if rain_today.size else np.zeros_like(et0_today),
        supplies=balance.Supplies.of(
            np.zeros(int(now_water.sum()), dtype=np.int64), water_rows[now_water], litres[now_water]
        ),
        initial_depletion_l=yesterday,
    )
    et0_ahead = np.array([inputs.outlooks[s.thing_id].et0[1:] for s in inputs.stations])
    rain_ahead = np.array([inputs.outlooks[s.thing_id].rain[1:] for s in inputs.stations])
    assessed = needs.assess(
        plants,
        depletion_l=through_today.depletion_l,
        age_years=t.age_years,
        et0_forecast=et0_ahead,
        rain_forecast=np.nan_to_num(rain_ahead),
        curve=CURVE,
    )
    source = np.where(
        spread.correlation >= 0.999, "probe", np.where(spread.correlation > 0.1, "nearby", "model")
    )
    tree_ids = [r["id"] for r in inputs.trees]
    suction_y = CURVE.suction_of_depletion(fraction)
    need_y = np.maximum(yesterday - needs.TARGET_DEPLETION * taw, 0.0)
    return Computed(
        tree_ids=tree_ids,
        station=station,
        plants=plants,
        age=t.age_years,
        depletion_l=through_today.depletion_l,
        sigma=spread.sigma,
        source=[str(s) for s in source],
        probe_tree=[
            tree_ids[p] if p >= 0 and source[i] != "model" else None
            for i, p in enumerate(spread.probe.tolist())
        ],
        probe_distance=np.where(source == "model", np.nan, spread.distance_m),
        assessed=assessed,
        forecast_source=[inputs.outlooks[inputs.stations[s].thing_id].source for s in station],
        yesterday_suction=suction_y,
        yesterday_need=np.where(soil.band(suction_y) > soil.GOOD, need_y, 0.0),
        yesterday_band=soil.band(suction_y),
        probe_status=probe_status,
    )


def _shared(usable: list[ProbeInput], probe_rows: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Per probe tree: are all its probes public (its error may then reach any tree)?"""
    internal = {p.tree_row for p in usable if not p.public}
    return np.array([r not in internal for r in probe_rows.tolist()], dtype=bool)


def _probe_state(p: ProbeInput, bias: float | None) -> tuple[str, float | None]:
    if p.readings.total == 0:
        return "silent", None
    if p.readings.last_flags:
        return "flagged", None
    return "ok", bias


def _readings(usable: list[ProbeInput], days: int) -> balance.Readings:
    """One reading per tree and day: the mean of its probes' streams, σ shrinking with their
    number."""
    combined: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for p in usable:
        for d, value in zip(p.readings.day.tolist(), p.readings.depletion.tolist(), strict=True):
            if d < days:
                combined.setdefault((d, p.tree_row), []).append((value, p.readings.sigma))
    if not combined:
        return balance.Readings.none()
    keys = sorted(combined)
    values = [combined[k] for k in keys]
    return balance.Readings.of(
        [k[0] for k in keys],
        [k[1] for k in keys],
        [float(np.mean([v for v, _ in vs])) for vs in values],
        [float(np.mean([s for _, s in vs]) / np.sqrt(len(vs))) for vs in values],
    )


def _biases(
    everyone: list[ProbeInput],
    usable: list[ProbeInput],
    readings: balance.Readings,
    run: balance.Balance,
    taw: Array,
) -> tuple[dict[int, float], dict[int, float], dict[int, tuple[str, float | None]]]:
    """Per probe tree: how far its readings moved the model over the season (a share of its
    available water), with the probe's σ; and every probe's state."""
    bias: dict[int, float] = {}
    sigma: dict[int, float] = {}
    for row in sorted({p.tree_row for p in usable}):
        mine = np.flatnonzero(readings.index == row)
        if mine.size:
            bias[row] = float(run.corrections_l[row] / taw[row])
            sigma[row] = float(readings.sigma[mine[-BIAS_READINGS:]].mean())
    states = {p.datastream_id: _probe_state(p, bias.get(p.tree_row)) for p in everyone}
    return bias, sigma, states


# --- step 3: store ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    trees: int
    statuses: dict[str, int]
    et0_values: int
    probes: int
    flagged_probes: int


def store(session: Session, inputs: Inputs, computed: Computed) -> Summary:
    """Write the trees' states, the probes' checks; publish ET0 and the district balances."""
    now = inputs.now
    a = computed.assessed
    counts = dict.fromkeys(needs.STATUSES, 0)
    if a is not None and computed.plants is not None:
        taw = computed.plants.taw_l
        status = [needs.STATUSES[s] for s in a.status.tolist()]
        for s in status:
            counts[s] += 1
        rows = []
        for i, tree_id in enumerate(computed.tree_ids):
            total, last = inputs.recent.get(tree_id, (0.0, None))
            rows.append(
                {
                    "b_id": tree_id,
                    "computed_at": now,
                    "station_thing_id": inputs.stations[int(computed.station[i])].thing_id,
                    "taw_l": round(float(taw[i]), 1),
                    "depletion_l": round(float(computed.depletion_l[i]), 1),
                    "suction_kpa": round(float(a.suction_kpa[i]), 1),
                    "sigma": round(float(computed.sigma[i]), 3),
                    "status": status[i],
                    "need_l": round(float(a.need_l[i])),
                    "dose_l": round(float(a.dose_l[i])),
                    "critical_in_days": int(a.critical_in_days[i]),
                    "source": computed.source[i],
                    "probe_tree_id": computed.probe_tree[i],
                    "probe_distance_m": None
                    if np.isnan(computed.probe_distance[i])
                    else round(float(computed.probe_distance[i])),
                    "forecast_kpa": [round(float(v), 1) for v in a.forecast_kpa[:, i]],
                    "forecast_source": computed.forecast_source[i],
                    "last_watered_at": last,
                    "watered_30d_l": round(total),
                }
            )
        table = cast(Table, Tree.__table__)
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")),
            rows,
            execution_options={"synchronize_session": False},
        )
    _clear_left_out(session, now)
    _store_probes(session, inputs, computed)
    published = _publish_stations(session, inputs)
    if a is not None:
        _publish_groups(session, inputs, computed)
    flagged = sum(1 for s, _ in computed.probe_status.values() if s == "flagged")
    return Summary(len(computed.tree_ids), counts, published, len(inputs.probes), flagged)


#: What a refresh computes for a tree, cleared when it cannot compute it any more.
_COMPUTED_STATE = (
    "computed_at",
    "station_thing_id",
    "taw_l",
    "depletion_l",
    "suction_kpa",
    "sigma",
    "status",
    "need_l",
    "dose_l",
    "critical_in_days",
    "source",
    "probe_tree_id",
    "probe_distance_m",
    "forecast_kpa",
    "forecast_source",
)


def _clear_left_out(session: Session, now: datetime) -> None:
    """Trees this refresh could not compute (no station their municipality may read, or none
    at all) lose their earlier state: a stale need shown as today's would send crews and
    citizens to the wrong trees. Their pages say the tree is not calculated. Every tree it
    computed was stored at ``now`` just before."""
    table = cast(Table, Tree.__table__)
    session.execute(
        update(table).where(table.c.computed_at < now).values(dict.fromkeys(_COMPUTED_STATE)),
        execution_options={"synchronize_session": False},
    )


def _store_probes(session: Session, inputs: Inputs, computed: Computed) -> None:
    # Earlier versions took the districts' published balances for probes.
    session.execute(delete(Probe).where(Probe.thing_id.in_(select(Group.thing_id))))
    existing = {p.datastream_id: p for p in session.scalars(select(Probe))}
    tree_ids = [t["id"] for t in inputs.trees]
    for p in inputs.probes:
        row = existing.get(p.datastream_id)
        if row is None:
            row = Probe(
                municipality_id=p.municipality_id,
                datastream_id=p.datastream_id,
                thing_id=p.thing_id,
                kind=p.kind,
                curve=p.curve_key,
                status="silent",
            )
            session.add(row)
        state, bias = computed.probe_status.get(p.datastream_id, ("silent", None))
        row.name = p.name[:300]
        row.tree_id = tree_ids[p.tree_row] if p.tree_row >= 0 else None
        row.status = state
        row.bias = None if bias is None else round(bias, 3)
        row.last_flags = p.readings.last_flags
        row.flagged = p.readings.flagged
        row.total = p.readings.total
        row.last_value = p.last_value
        row.last_time = p.last_time
        row.checked_at = inputs.now
    session.flush()


def _publish_stations(session: Session, inputs: Inputs) -> int:
    rows = meteo.remember(session, inputs.stations)
    published = 0
    for s in inputs.stations:
        row = rows[s.thing_id]
        published += meteo.publish_et0(
            session, station=s, row=row, weather=inputs.weather[s.thing_id], today=inputs.today
        )
        if s.thing_id in inputs.hourly:
            meteo.publish_hourly(session, station=s, row=row, hourly=inputs.hourly[s.thing_id])
        outlook = inputs.outlooks[s.thing_id]
        row.outlook_et0 = [round(float(v), 2) for v in outlook.et0]
        row.outlook_rain = [round(float(v), 1) for v in np.nan_to_num(outlook.rain)]
        row.outlook_source = outlook.source
        row.outlook_day = inputs.today.isoformat()
    return published


GROUP_STREAMS = {
    "suction": (
        "Mittlere Saugspannung (Modell)",
        vocabulary.SOIL_WATER_TENSION,
        KPA,
        "Mittlere Saugspannung im Wurzelraum der Stadtbäume des Stadtteils am Ende des "
        "Tages, aus der Wasserbilanz (FAO-56) mit Bodensonden korrigiert.",
    ),
    "now": (
        "Bäume mit Wasserbedarf jetzt",
        TREES_NEEDING_WATER,
        COUNT,
        "Stadtbäume des Stadtteils im kritischen Bereich (Saugspannung über 81 kPa).",
    ),
    "soon": (
        "Bäume mit Wasserbedarf bald",
        TREES_NEEDING_WATER,
        COUNT,
        "Stadtbäume des Stadtteils im mittleren Bereich (33 bis 81 kPa).",
    ),
    "need": (
        "Wasserbedarf der Stadtbäume",
        vocabulary.SOIL_WATER_DEFICIT,
        LITRE,
        "Liter, die Bäume im mittleren und kritischen Bereich zurück in den guten Bereich bringen.",
    ),
}


def _publish_groups(session: Session, inputs: Inputs, computed: Computed) -> None:
    """The end of yesterday per (municipality, district), one Observation per stream and day."""
    yesterday = inputs.today - timedelta(days=1)
    if inputs.days == 0:
        return
    groups: dict[tuple[int, str], list[int]] = {}
    for i, t in enumerate(inputs.trees):
        groups.setdefault((t["municipality_id"], t["district"] or "—"), []).append(i)
    existing = {(g.municipality_id, g.district): g for g in session.scalars(select(Group))}
    moment = meteo.day_start(yesterday)
    for (municipality_id, district), members in sorted(groups.items()):
        index = np.array(members)
        row = existing.get((municipality_id, district))
        if row is not None and row.published_until == yesterday.isoformat():
            continue
        lon = float(np.mean([inputs.trees[i]["lon"] for i in members]))
        lat = float(np.mean([inputs.trees[i]["lat"] for i in members]))
        name = f"Stadtbäume {district} – Wasserhaushalt"
        thing = sensing.ensure_thing(
            session,
            name=name,
            municipality_id=municipality_id,
            public=True,
            lon=round(lon, 6),
            lat=round(lat, 6),
            properties={"kind": "tree-water-balance", "district": district, "trees": len(members)},
            description=f"Wasserhaushalt der {len(members)} Stadtbäume im Stadtteil {district}.",
        )
        ids = {}
        for key, (label, definition, unit, description) in GROUP_STREAMS.items():
            ids[key] = sensing.ensure_datastream(
                session,
                thing_id=thing,
                name=label,
                definition=definition,
                observed_property_name=label,
                unit_name=unit[0],
                unit_symbol=unit[1],
                unit_definition=unit[2],
                description=description,
                public=True,
                properties={"derived": True, "interval": "P1D"},
            )
        values = {
            "suction": round(float(computed.yesterday_suction[index].mean()), 1),
            "now": int((computed.yesterday_band[index] == soil.CRITICAL).sum()),
            "soon": int((computed.yesterday_band[index] == soil.MEDIUM).sum()),
            "need": round(float(computed.yesterday_need[index].sum())),
        }
        for key, value in values.items():
            sensing.ingest_series(
                session,
                datastream_id=ids[key],
                times=[moment],
                values=[value],
                duplicates=sensing.DuplicatePolicy.IGNORE,
            )
        if row is None:
            row = Group(
                municipality_id=municipality_id, district=district, thing_id=thing, datastreams=ids
            )
            session.add(row)
        row.thing_id, row.datastreams = thing, ids
        row.published_until = yesterday.isoformat()
    session.flush()


# --- waterings -------------------------------------------------------------------------------


def tree_by_object(session: Session, object_id: int) -> Tree:
    tree = session.scalar(
        select(Tree).where(Tree.object_id == object_id).order_by(Tree.id).limit(1)
    )
    if tree is None:
        raise NotFound(detail=f"No tree with id {object_id} in the water balance.")
    return tree


def set_pit(session: Session, *, principal: Principal, object_id: int, data: TreeSettings) -> Tree:
    """Record what the green-space office knows of a tree's pit (None: the default)."""
    tree = tree_by_object(session, object_id)
    require(principal, Action.EDIT, municipality_id=tree.municipality_id, scope=SCOPE)
    tree.pit_volume_m3 = data.pit_volume_m3
    tree.open_area_m2 = data.open_area_m2
    tree.sealed_share = data.sealed_share
    tree.microclimate = data.microclimate
    session.flush()
    return tree


def record_crew_watering(
    session: Session,
    *,
    principal: Principal,
    object_id: int,
    litres: float,
    at: datetime | None = None,
) -> Watering:
    """A crew watered a tree: stored, the tree's balance updated at once, announced."""
    tree = tree_by_object(session, object_id)
    require(principal, Action.EDIT, municipality_id=tree.municipality_id, scope=SCOPE)
    now = utcnow()
    if not 0 < litres <= MAX_CREW_LITRES:
        raise ValidationFailed.one(
            "body.litres", f"must be more than 0 and at most {MAX_CREW_LITRES:.0f} litres"
        )
    moment = now if at is None else at
    if moment.tzinfo is None:
        raise ValidationFailed.one("body.at", "needs a time zone (Z or +HH:MM)")
    if moment > now + timedelta(minutes=5):
        raise ValidationFailed.one("body.at", "lies in the future")
    if moment < now - timedelta(days=RECENT_DAYS):
        raise ValidationFailed.one("body.at", f"lies more than {RECENT_DAYS} days back")
    return add_watering(
        session, tree=tree, litres=litres, at=moment, source="crew", recorded_by=principal.user_id
    )


def add_watering(
    session: Session,
    *,
    tree: Tree,
    litres: float,
    at: datetime,
    source: str,
    recorded_by: int | None = None,
    event_id: int | None = None,
) -> Watering:
    """Store a watering (checked by the caller), carry it into the tree's state, announce it."""
    watering = Watering(
        municipality_id=tree.municipality_id,
        tree_id=tree.id,
        at=as_utc(at),
        litres=float(litres),
        source=source,
        recorded_by=recorded_by,
        event_id=event_id,
        created_at=utcnow(),
    )
    session.add(watering)
    session.flush()
    apply_watering(session, tree, watering)
    _announce(session, tree, watering)
    return watering


def _announce(session: Session, tree: Tree, watering: Watering) -> None:
    publish(
        session,
        WATERING_RECORDED,
        {
            "object_id": tree.object_id,
            "litres": watering.litres,
            "at": isoformat(watering.at),
            "source": watering.source,
            "status": tree.status,
        },
        municipality_id=tree.municipality_id,
        public=False,
    )


def apply_watering(session: Session, tree: Tree, watering: Watering) -> None:
    """Carry a watering into the tree's stored state at once (the next refresh recomputes)."""
    tree.watered_30d_l = round((tree.watered_30d_l or 0) + watering.litres)
    if tree.last_watered_at is None or as_utc(tree.last_watered_at) < as_utc(watering.at):
        tree.last_watered_at = watering.at
    if tree.depletion_l is None or not tree.taw_l:
        return
    station = (
        session.scalar(select(Station).where(Station.thing_id == tree.station_thing_id))
        if tree.station_thing_id is not None
        else None
    )
    row = {c: getattr(tree, c) for c in TREE_COLUMNS}
    plants = balance.tree_plants(traits([row], np.zeros(1, np.int64), utcnow().year))
    depletion = np.array([max(tree.depletion_l - watering.litres, 0.0)])
    outlook_et0 = (
        np.array([station.outlook_et0[1:]]) if station and station.outlook_et0 else np.zeros((1, 0))
    )
    outlook_rain = (
        np.array([station.outlook_rain[1:]])
        if station and station.outlook_rain
        else np.zeros((1, 0))
    )
    a = needs.assess(
        plants,
        depletion_l=depletion,
        age_years=traits([row], np.zeros(1, np.int64), utcnow().year).age_years,
        et0_forecast=outlook_et0,
        rain_forecast=outlook_rain,
        curve=CURVE,
    )
    tree.depletion_l = round(float(depletion[0]), 1)
    tree.suction_kpa = round(float(a.suction_kpa[0]), 1)
    tree.status = needs.STATUSES[int(a.status[0])]
    tree.need_l = round(float(a.need_l[0]))
    tree.dose_l = round(float(a.dose_l[0]))
    tree.critical_in_days = int(a.critical_in_days[0])
    tree.forecast_kpa = [round(float(v), 1) for v in a.forecast_kpa[:, 0]]


def consume_citizen_waterings(session: Session) -> tuple[int, int]:
    """Count the waterings the adoption feature announced, each once; (taken, refused).

    Refused: an unknown tree, or litres that are not more than 0 and at most the adoption
    form's limit (a payload that says otherwise did not come from there)."""
    cursor = session.scalar(select(Cursor).where(Cursor.name == CITIZEN_WATERING))
    if cursor is None:
        cursor = Cursor(name=CITIZEN_WATERING, last_id=0, handled=[])
        session.add(cursor)
        session.flush()
    taken = refused = 0
    handled = set(cursor.handled or [])
    after = max(cursor.last_id - EVENT_OVERLAP, 0)
    while True:
        events = events_after(session, names=[CITIZEN_WATERING], after_id=after, limit=500)
        if not events:
            break
        handled |= set(
            session.scalars(
                select(Watering.event_id).where(Watering.event_id.in_([e.id for e in events]))
            )
        )
        for event in events:
            if event.id in handled:
                continue
            accepted = _citizen_watering(session, event.id, event.payload, event.created)
            taken += accepted
            refused += not accepted
            handled.add(event.id)
        after = events[-1].id
        cursor.last_id = max(cursor.last_id, after)
    cursor.handled = sorted(i for i in handled if i > cursor.last_id - EVENT_OVERLAP)
    return taken, refused


def _citizen_watering(
    session: Session, event_id: int, payload: dict[str, Any], created: datetime
) -> bool:
    object_id, litres = payload.get("object_id"), payload.get("litres")
    if (
        not isinstance(object_id, int)
        or isinstance(litres, bool)
        or not isinstance(litres, int | float)
    ):
        return False
    if not 0 < float(litres) <= MAX_CITIZEN_LITRES:
        return False
    tree = session.scalar(select(Tree).where(Tree.object_id == object_id).limit(1))
    if tree is None:
        return False
    try:
        at = parse_datetime(str(payload.get("at"))) if payload.get("at") else created
    except (ValueError, ValidationFailed):
        at = created
    add_watering(
        session, tree=tree, litres=float(litres), at=at, source="citizen", event_id=event_id
    )
    return True
