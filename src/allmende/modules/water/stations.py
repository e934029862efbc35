"""Weather for the balance: the region's weather stations per local day, their FAO-56 ET0
published as a Datastream per station, and the coming days from a forecast or climatology.

A weather station is a Thing with an air-temperature Datastream (kernel vocabulary); what else
it measures (humidity, radiation, wind, precipitation) is used where present, FAO-56's
fallbacks fill the rest and every value says which it needed. A Thing's ``properties`` may give
``elevation_m`` (default 100 m) and ``wind_height_m`` (default 10 m).

A weather forecast is a Thing with ``properties.kind == "weather-forecast"`` and air
temperature and precipitation Datastreams whose Observations lie in the future (e.g. fed from
the DWD's MOSMIX); it serves the station named in ``properties.station_thing_id``, else the
nearest station of its municipality.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.water import et0 as fao
from allmende.modules.water import needs
from allmende.modules.water.catalogue import LOCAL_ZONE, MM, N_
from allmende.modules.water.models import Station
from allmende.sdk import Principal, sensing, vocabulary

Array = NDArray[np.float64]

#: Jobs read every municipality's data (they publish only derived, public-as-their-source values).
SYSTEM = Principal(kind="api_key", name="water", is_admin=True)
DEFAULT_ELEVATION_M = 100.0
DEFAULT_WIND_HEIGHT_M = 10.0
ET0_NAME = "Referenzverdunstung ET0 (FAO-56)"
#: A day needs readings in this many distinct hours to count as measured.
MIN_HOURS = 18
MEASURED = {
    "temperature": vocabulary.AIR_TEMPERATURE,
    "humidity": vocabulary.RELATIVE_HUMIDITY,
    "radiation": vocabulary.GLOBAL_RADIATION,
    "wind": vocabulary.WIND_SPEED,
    "rain": vocabulary.PRECIPITATION,
}
FORECAST_KIND = "weather-forecast"
NO_WEATHER = 16  # an ET0 flag of ours: the day had no temperature; climatology filled it
FLAG_NAMES = {**fao.FLAG_NAMES, NO_WEATHER: N_("no measurements: climatology")}


def _doy(day: date) -> int:
    return day.timetuple().tm_yday


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


def day_start(day: date) -> datetime:
    """The UTC instant a local day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_ZONE).astimezone(UTC)


def day_index(times: NDArray[np.datetime64], first: date) -> NDArray[np.int64]:
    """Local day of each UTC time, counted from ``first`` (one conversion per distinct hour)."""
    hours = times.astype("datetime64[h]").astype(np.int64)
    unique, inverse = np.unique(hours, return_inverse=True)
    ordinal = first.toordinal()
    days = np.array([_local_ordinal(h) - ordinal for h in unique.tolist()], dtype=np.int64)
    return days[inverse] if days.size else np.zeros(0, np.int64)


@functools.lru_cache(maxsize=1 << 16)
def _local_ordinal(hour: int) -> int:
    """The local day (ordinal) of the hour ``hour`` since the epoch: the stations' series
    share their hours, so each is converted once."""
    return local_day(_EPOCH + timedelta(hours=hour)).toordinal()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class StationInfo:
    thing_id: int
    name: str
    municipality_id: int
    public: bool
    lon: float
    lat: float
    elevation_m: float
    wind_height_m: float
    streams: dict[str, int] = field(default_factory=dict)


def find_stations(
    session: Session, *, principal: Principal = SYSTEM, thing_ids: Collection[int] | None = None
) -> list[StationInfo]:
    """Every Thing measuring air temperature that is not a forecast (or those of
    ``thing_ids``), with its known streams (those ``principal`` may read: a zone's rules read
    as its municipality does)."""
    found = []
    for thing in sensing.every_thing(
        session,
        principal=principal,
        definitions=[vocabulary.AIR_TEMPERATURE],
        thing_ids=thing_ids,
    ):
        if thing.properties.get("kind") == FORECAST_KIND or thing.lon is None or thing.lat is None:
            continue
        streams: dict[str, int] = {}
        for stream in thing.streams:
            for key, definition in MEASURED.items():
                if stream.definition == definition and key not in streams:
                    streams[key] = stream.id
        found.append(
            StationInfo(
                thing_id=thing.id,
                name=thing.name,
                municipality_id=thing.municipality_id,
                public=thing.public,
                lon=thing.lon,
                lat=float(thing.lat),
                elevation_m=_number(thing.properties.get("elevation_m"), DEFAULT_ELEVATION_M),
                wind_height_m=_number(thing.properties.get("wind_height_m"), DEFAULT_WIND_HEIGHT_M),
                streams=streams,
            )
        )
    return found


def _number(value: object, default: float) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


@dataclass(frozen=True)
class DailyWeather:
    """One station over consecutive local days from ``first``."""

    first: date
    et0: Array  # mm/day, climatology where there was no temperature
    flags: NDArray[np.uint8]
    rain: Array  # mm/day; NaN where not measured
    tmin: Array  # °C; NaN where not measured

    @property
    def days(self) -> int:
        return int(self.et0.size)


def daily_weather(
    session: Session, *, stations: Sequence[StationInfo], first: date, days: int
) -> dict[int, DailyWeather]:
    """Daily weather of the stations over ``days`` local days from ``first``, read in one query."""
    ids = [i for s in stations for i in s.streams.values()]
    start = day_start(first)
    end = day_start(first + timedelta(days=days))
    series = sensing.series(session, datastream_ids=ids, start=start, end=end) if ids else {}
    return {s.thing_id: _station_days(s, series, first, days) for s in stations}


def _aggregate(
    series: sensing.Series | None, first: date, days: int, how: str
) -> tuple[Array, NDArray[np.int64]]:
    """Per day: the value (max, min, mean or sum) and the number of distinct hours measured."""
    out = np.full(days, np.nan)
    hours = np.zeros(days, np.int64)
    if series is None or series.times.size == 0:
        return out, hours
    index = day_index(series.times, first)
    inside = (index >= 0) & (index < days) & np.isfinite(series.values)
    index, values = index[inside], series.values[inside]
    hour_of = series.times[inside].astype("datetime64[h]").astype(np.int64)
    pairs = np.unique(np.stack([index, hour_of]), axis=1)
    hours = np.bincount(pairs[0], minlength=days)[:days] if pairs.size else hours
    if how == "max":
        np.fmax.at(out, index, values)
    elif how == "min":
        np.fmin.at(out, index, values)
    else:
        total = np.bincount(index, weights=values, minlength=days)[:days]
        count = np.bincount(index, minlength=days)[:days]
        if how == "mean":
            out = np.divide(total, count, out=np.full(days, np.nan), where=count > 0)
        else:
            out = np.where(count > 0, total, np.nan)
    return out, hours


def _station_days(
    station: StationInfo, series: dict[int, sensing.Series], first: date, days: int
) -> DailyWeather:
    def get(key: str, how: str) -> tuple[Array, NDArray[np.int64]]:
        stream = station.streams.get(key)
        return _aggregate(series.get(stream) if stream else None, first, days, how)

    tmax, t_hours = get("temperature", "max")
    tmin, _ = get("temperature", "min")
    rh_max, h_hours = get("humidity", "max")
    rh_min, _ = get("humidity", "min")
    radiation, r_hours = get("radiation", "mean")
    wind, w_hours = get("wind", "mean")
    rain, p_hours = get("rain", "sum")
    measured = t_hours >= MIN_HOURS
    tmax, tmin = np.where(measured, tmax, np.nan), np.where(measured, tmin, np.nan)
    humid = h_hours >= MIN_HOURS
    doy = np.array([_doy(first + timedelta(days=d)) for d in range(days)], dtype=np.float64)
    result = fao.et0_daily(
        tmax=np.where(measured, tmax, 20.0),
        tmin=np.where(measured, tmin, 10.0),
        latitude=station.lat,
        elevation=station.elevation_m,
        day_of_year=doy,
        rs=np.where(r_hours >= MIN_HOURS, radiation * 0.0864, np.nan),  # W/m² mean → MJ/m²/day
        wind_2m=np.where(w_hours >= MIN_HOURS, fao.wind_at_2m(wind, station.wind_height_m), np.nan),
        rh_max=np.where(humid, rh_max, np.nan),
        rh_min=np.where(humid, rh_min, np.nan),
    )
    values, flags = result.values.copy(), result.flags.copy()
    if not measured.all():
        fill = float(values[measured].mean()) if measured.any() else 2.0
        values[~measured] = fill
        flags[~measured] = NO_WEATHER
    rain = np.where(p_hours >= MIN_HOURS, rain, np.nan)
    return DailyWeather(first, values, flags, rain, tmin)


def fill_rain(weather: DailyWeather) -> DailyWeather:
    """Days without a rain measurement take the mean of the station's measured days (none
    measured: no rain); the tree balance must not dry out on a broken gauge."""
    rain = weather.rain.copy()
    measured = np.isfinite(rain)
    rain[~measured] = float(rain[measured].mean()) if measured.any() else 0.0
    return DailyWeather(weather.first, weather.et0, weather.flags, rain, weather.tmin)


# --- publishing ------------------------------------------------------------------------------


def remember(session: Session, stations: Sequence[StationInfo]) -> dict[int, Station]:
    """The module's row per station (made when first seen)."""
    rows = {s.thing_id: s for s in session.scalars(select(Station))}
    for info in stations:
        row = rows.get(info.thing_id)
        if row is None:
            row = Station(
                municipality_id=info.municipality_id,
                thing_id=info.thing_id,
                name=info.name,
                elevation_m=info.elevation_m,
                lon=info.lon,
                lat=info.lat,
            )
            session.add(row)
            rows[info.thing_id] = row
        row.name, row.lon, row.lat, row.elevation_m = (
            info.name,
            info.lon,
            info.lat,
            info.elevation_m,
        )
    session.flush()
    return rows


def publish_et0(
    session: Session,
    *,
    station: StationInfo,
    row: Station,
    weather: DailyWeather,
    today: date,
) -> int:
    """Publish the complete days (before ``today``) not yet published; returns how many."""
    if "temperature" not in station.streams:
        return 0
    stream = row.et0_datastream_id = sensing.ensure_datastream(
        session,
        thing_id=station.thing_id,
        name=ET0_NAME,
        definition=vocabulary.REFERENCE_EVAPOTRANSPIRATION,
        observed_property_name="Referenzverdunstung ET0",
        unit_name=MM[0],
        unit_symbol=MM[1],
        unit_definition=MM[2],
        description=(
            "Gras-Referenzverdunstung je Tag nach FAO-56 Penman-Monteith aus den Messungen "
            "dieser Station; fehlende Größen nach den Ersatzverfahren von FAO-56 "
            "(parameters.estimated nennt sie)."
        ),
        public=station.public,
        properties={"method": "FAO-56 Penman-Monteith, daily", "interval": "P1D"},
    )
    already = date.fromisoformat(row.published_until) if row.published_until else None
    times, values, parameters = [], [], []
    for d in range(weather.days):
        day = weather.first + timedelta(days=d)
        if day >= today or (already is not None and day <= already):
            continue
        if weather.flags[d] & NO_WEATHER:
            continue  # nothing measured: no value to publish
        times.append(day_start(day))
        values.append(round(float(weather.et0[d]), 2))
        names = [name for bit, name in FLAG_NAMES.items() if int(weather.flags[d]) & bit]
        parameters.append({"estimated": names} if names else None)
    if times:
        sensing.ingest_series(
            session,
            datastream_id=stream,
            times=times,
            values=values,
            parameters=parameters,
            duplicates=sensing.DuplicatePolicy.IGNORE,
        )
        row.published_until = local_day(times[-1]).isoformat()
    return len(times)


# --- hourly ----------------------------------------------------------------------------------

ET0_HOURLY_NAME = "Referenzverdunstung ET0 (FAO-56, stündlich)"
#: Hourly ET0 is published for at most this far back (a new station, a long outage).
HOURLY_BACK = timedelta(days=30)


@dataclass(frozen=True)
class HourlyET0:
    starts: list[datetime]
    values: Array
    flags: NDArray[np.uint8]


def hourly_et0(
    session: Session, *, station: StationInfo, start: datetime, end: datetime
) -> HourlyET0:
    """FAO-56 hourly ET0 (eq. 53) for the whole hours in [start, end) with a temperature."""
    hours = int((end - start).total_seconds() // 3600)
    if hours <= 0 or "temperature" not in station.streams:
        return HourlyET0([], np.zeros(0), np.zeros(0, np.uint8))
    ids = list(station.streams.values())
    series = sensing.series(session, datastream_ids=ids, start=start, end=end)
    origin = np.datetime64(start.replace(tzinfo=None), "s")

    def mean(key: str) -> Array:
        out = np.full(hours, np.nan)
        stream = station.streams.get(key)
        data = series.get(stream) if stream else None
        if data is None or data.times.size == 0:
            return out
        slot = ((data.times.astype("datetime64[s]") - origin).astype(np.int64) // 3600).astype(
            np.int64
        )
        keep = (slot >= 0) & (slot < hours) & np.isfinite(data.values)
        total = np.bincount(slot[keep], weights=data.values[keep], minlength=hours)
        count = np.bincount(slot[keep], minlength=hours)
        return np.asarray(np.divide(total, count, out=out, where=count > 0))

    temperature = mean("temperature")
    measured = np.isfinite(temperature)
    if not measured.any():
        return HourlyET0([], np.zeros(0), np.zeros(0, np.uint8))
    filled = np.interp(np.arange(hours), np.flatnonzero(measured), temperature[measured])
    wind = mean("wind")
    result = fao.et0_hourly(
        temperature=filled,
        start_utc=origin + np.arange(hours) * np.timedelta64(3600, "s"),
        latitude=station.lat,
        longitude=station.lon,
        elevation=station.elevation_m,
        rh=mean("humidity"),
        rs=mean("radiation") * 0.0036,  # W/m² mean over the hour → MJ/m²
        wind_2m=fao.wind_at_2m(wind, station.wind_height_m),
    )
    starts = [start + timedelta(hours=h) for h in np.flatnonzero(measured).tolist()]
    return HourlyET0(starts, result.values[measured], result.flags[measured])


def publish_hourly(
    session: Session, *, station: StationInfo, row: Station, hourly: HourlyET0
) -> int:
    """Publish the hourly ET0 not yet published; returns how many values."""
    if not hourly.starts:
        return 0
    row.et0_hourly_datastream_id = stream = sensing.ensure_datastream(
        session,
        thing_id=station.thing_id,
        name=ET0_HOURLY_NAME,
        definition=vocabulary.REFERENCE_EVAPOTRANSPIRATION,
        observed_property_name="Referenzverdunstung ET0",
        unit_name=MM[0],
        unit_symbol=MM[1],
        unit_definition=MM[2],
        description=(
            "Gras-Referenzverdunstung je Stunde nach FAO-56 Penman-Monteith (Gl. 53) aus den "
            "Messungen dieser Station; parameters.estimated nennt Ersatzverfahren."
        ),
        public=station.public,
        properties={"method": "FAO-56 Penman-Monteith, hourly", "interval": "PT1H"},
    )
    parameters = []
    for bits in hourly.flags.tolist():
        names = [name for bit, name in FLAG_NAMES.items() if bits & bit]
        parameters.append({"estimated": names} if names else None)
    stored = sensing.ingest_series(
        session,
        datastream_id=stream,
        times=hourly.starts,
        values=[round(float(v), 3) for v in hourly.values],
        parameters=parameters,
        duplicates=sensing.DuplicatePolicy.IGNORE,
    )
    row.hourly_until = hourly.starts[-1]
    return stored


# --- the coming days -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlook:
    """ET0 and rain for the coming days of one station, and where they came from."""

    et0: Array
    rain: Array
    source: str  # forecast | years | recent


def find_forecasts(session: Session, stations: Sequence[StationInfo]) -> dict[int, dict[str, int]]:
    """Forecast streams (temperature, rain…) per station Thing id (every forecast Thing, past
    the first page of the listing)."""
    result: dict[int, dict[str, int]] = {}
    for thing in sensing.every_thing(
        session, principal=SYSTEM, definitions=[vocabulary.AIR_TEMPERATURE]
    ):
        if thing.properties.get("kind") != FORECAST_KIND or thing.lon is None:
            continue
        lon, lat = thing.lon, thing.lat or 0.0
        # An internal forecast feeds its own municipality's stations only.
        serves = [s for s in stations if thing.public or s.municipality_id == thing.municipality_id]
        target = thing.properties.get("station_thing_id")
        if not isinstance(target, int) or target not in {s.thing_id for s in serves}:
            same = [s for s in serves if s.municipality_id == thing.municipality_id] or serves
            if not same:
                continue
            target = min(same, key=lambda s: (s.lon - lon) ** 2 + (s.lat - lat) ** 2).thing_id
        streams = {}
        for stream in thing.streams:
            for key, definition in MEASURED.items():
                if stream.definition == definition and key not in streams:
                    streams[key] = stream.id
        result[int(target)] = streams
    return result


def outlook(
    session: Session,
    *,
    station: StationInfo,
    et0_stream: int | None,
    history: DailyWeather,
    forecast_streams: dict[str, int] | None,
    first: date,
    days: int,
) -> Outlook:
    """ET0 and rain for ``days`` days from ``first``: the forecast where it covers them, the
    rest from the station's climatology."""
    et0_values, rain_values, source = _climatology(
        session, station, et0_stream, history, first, days
    )
    if forecast_streams and "temperature" in forecast_streams:
        ahead = _station_days(
            StationInfo(**{**station.__dict__, "streams": forecast_streams}),
            sensing.series(
                session,
                datastream_ids=list(forecast_streams.values()),
                start=day_start(first),
                end=day_start(first + timedelta(days=days)),
            ),
            first,
            days,
        )
        covered = ~(ahead.flags & NO_WEATHER).astype(bool)
        if covered.any():
            et0_values = np.where(covered, ahead.et0, et0_values)
            rain_values = np.where(covered & np.isfinite(ahead.rain), ahead.rain, rain_values)
            source = "forecast"
    return Outlook(et0_values, rain_values, source)


#: How far back the climatology reads the station's own record.
CLIMATE_YEARS = 3


def _climatology(
    session: Session,
    station: StationInfo,
    et0_stream: int | None,
    history: DailyWeather,
    first: date,
    days: int,
) -> tuple[Array, Array, str]:
    """The same calendar days of earlier years of the station's record (its published ET0 and
    its rain gauge), else the mean of the last 30 days of ``history``."""
    target = [_doy(first + timedelta(days=d)) for d in range(days)]
    back = history.first - timedelta(days=366 * CLIMATE_YEARS)
    span = (history.first - back).days
    older = {}
    ids = [i for i in (et0_stream, station.streams.get("rain")) if i is not None]
    if ids:
        older = sensing.series(
            session, datastream_ids=ids, start=day_start(back), end=day_start(history.first)
        )
    past_et0, _ = _aggregate(older.get(et0_stream) if et0_stream else None, back, span, "mean")
    rain_id = station.streams.get("rain")
    past_rain, hours = _aggregate(older.get(rain_id) if rain_id else None, back, span, "sum")
    past_rain = np.where(hours >= MIN_HOURS, past_rain, np.nan)
    measured = ~(history.flags & NO_WEATHER).astype(bool)
    et0_all = np.r_[past_et0, np.where(measured, history.et0, np.nan)]
    rain_all = np.r_[past_rain, history.rain]
    dates = [back + timedelta(days=d) for d in range(span + history.days)]
    doy = np.array([_doy(d) for d in dates])
    # "Earlier years": more than 300 days before the first forecast day.
    years = np.array([0 if (first - d).days > 300 else 1 for d in dates])
    results = []
    for values in (et0_all, rain_all):
        finite = np.isfinite(values)
        results.append(
            needs.climatology(
                doy[finite],
                values[finite],
                years=years[finite],
                target_day_of_year=target,
                current_year=1,
            )
        )
    (et0_values, source), (rain_values, _) = results
    return et0_values, rain_values, source
