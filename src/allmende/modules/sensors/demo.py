"""The demo sensor network: four weeks of plausible data up to the current hour.

* a weather station per municipality (air temperature, relative humidity, precipitation, wind
  speed, global radiation): a late-summer/autumn diurnal cycle on a cooling trend, humidity
  from a dew point (so it falls as the air warms), regional rain events, the real position of
  the sun for the radiation;
* soil-moisture probes at street trees (30 and 60 cm): rain wets the upper layer at once and
  the deeper one later and less, trees dry both by day;
* water meters of public buildings (reading in m³ and flow in l/h) with a daily pattern, one
  with a leak-like flow through the night from the tenth day before the end;
* energy meters of public buildings (reading in kWh and power in kW) with working hours on
  weekdays; the building yard's is internal.

Everything is vectorised with numpy from a fixed seed: the same ``now`` gives the same data.
Values are stored through the batched ingest (about 126 000 Observations, a few seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from allmende.modules.sensors.catalogue import KINDS, LOCAL_ZONE, Kind
from allmende.sdk import DemoContext, Municipality, sensing

SEED = 20260905
DAYS = 28
STEP = timedelta(minutes=15)
STEPS_PER_HOUR = 4
UCUM = "http://unitsofmeasure.org/ucum.html"
Array = NDArray[np.float64]

KIND = {k.key: k for k in KINDS}
#: Kind key → (German name of the ObservedProperty, UCUM unit name, UCUM code).
MEASURES = {
    "air-temperature": ("Lufttemperatur", "degree Celsius", "Cel"),
    "relative-humidity": ("Relative Luftfeuchte", "percent", "%"),
    "precipitation": ("Niederschlag", "millimetre", "mm"),
    "wind-speed": ("Windgeschwindigkeit", "metre per second", "m/s"),
    "global-radiation": ("Globalstrahlung", "watt per square metre", "W/m2"),
    "soil-moisture": ("Volumetrischer Wassergehalt des Bodens", "percent", "%"),
    "water-volume": ("Zählerstand Wasser", "cubic metre", "m3"),
    "water-flow": ("Durchfluss Wasser", "litre per hour", "L/h"),
    "energy": ("Zählerstand Strom", "kilowatt hour", "kW.h"),
    "power": ("Elektrische Leistung", "kilowatt", "kW"),
}
#: Per municipality: the weather station's offsets (temperature K, wind factor, rain factor).
CLIMATE = {
    "auenstadt": (0.0, 1.0, 1.0),
    "lindenbach": (-0.4, 1.1, 1.15),
    "eichtal": (-1.1, 1.35, 1.3),
}
#: Soil-moisture probes per municipality.
PROBES = {"auenstadt": 4, "lindenbach": 2, "eichtal": 2}
#: (municipality, building, profile, offset east m, offset north m, public)
WATER = (
    ("auenstadt", "Rathaus Auenstadt", "office", 120, 80, True),
    ("auenstadt", "Grundschule am Auenpark", "school", -380, 260, True),
    ("lindenbach", "Sporthalle Lindenbach", "sports", 210, -150, True),
    ("eichtal", "Wohnanlage Eichtal, Am Hang 4", "homes", -160, 240, True),
)
ENERGY = (
    ("auenstadt", "Rathaus Auenstadt", "office", 130, 90, True),
    ("auenstadt", "Bauhof Auenstadt", "yard", 700, -520, False),
    ("lindenbach", "Grundschule Lindenbach", "school", -240, 170, True),
    ("eichtal", "Feuerwehrhaus Eichtal", "station", 260, -90, True),
)
LEAKING = "Sporthalle Lindenbach"


@dataclass
class Clock:
    """The time grid and what the generators need of it (all arrays of one length)."""

    micros: list[int]
    hours: Array  # since the start
    solar_hour: Array  # local mean solar time at 8.7° E
    local_hour: Array  # wall-clock hour in Europe/Berlin (with fractions)
    weekday: NDArray[np.int64]  # 0 = Monday, local
    day_of_year: Array

    @property
    def size(self) -> int:
        return len(self.micros)


def _clock(now: datetime) -> Clock:
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    count = DAYS * 24 * STEPS_PER_HOUR
    start = end - STEP * (count - 1)
    moments = [start + STEP * i for i in range(count)]
    local = [m.astimezone(LOCAL_ZONE) for m in moments]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    micros = [(m - epoch) // timedelta(microseconds=1) for m in moments]
    hours = np.arange(count, dtype=np.float64) / STEPS_PER_HOUR
    utc_hour = np.array([m.hour + m.minute / 60 for m in moments])
    return Clock(
        micros=micros,
        hours=hours,
        solar_hour=(utc_hour + 8.7 / 15) % 24,
        local_hour=np.array([m.hour + m.minute / 60 for m in local]),
        weekday=np.array([m.weekday() for m in local], dtype=np.int64),
        day_of_year=np.array([m.timetuple().tm_yday for m in moments], dtype=np.float64),
    )


def _smooth(rng: np.random.Generator, size: int, hours: float, scale: float) -> Array:
    """Red noise: an AR(1) series with the given correlation time and standard deviation."""
    phi = float(np.exp(-1 / (hours * STEPS_PER_HOUR)))
    shocks = rng.normal(0, scale * np.sqrt(1 - phi * phi), size)
    out = np.empty(size)
    level = rng.normal(0, scale)
    for i in range(size):  # a few thousand steps; the recursion is not vectorisable
        level = phi * level + shocks[i]
        out[i] = level
    return out


@dataclass
class Weather:
    """The regional weather every station shares (before its local offsets)."""

    rain: Array  # mm/h
    cloud: Array  # 0..1
    temperature: Array  # °C
    dew_point: Array  # °C
    wind: Array  # m/s
    radiation: Array  # W/m²


def _sun(clock: Clock, latitude: float = 49.5) -> Array:
    """Sine of the sun's elevation (negative at night)."""
    declination = np.radians(23.44) * np.sin(2 * np.pi * (284 + clock.day_of_year) / 365)
    hour_angle = np.radians(15 * (clock.solar_hour - 12))
    lat = np.radians(latitude)
    return np.asarray(
        np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(hour_angle)
    )


def _weather(rng: np.random.Generator, clock: Clock) -> Weather:
    n = clock.size
    rain = np.zeros(n)
    for _ in range(7):  # rain events of 2 to 14 hours, showers to steady rain
        start = int(rng.integers(0, n - 8))
        length = int(rng.integers(2 * STEPS_PER_HOUR, 14 * STEPS_PER_HOUR))
        peak = rng.uniform(0.3, 2.8)
        shape = np.sin(np.linspace(0, np.pi, length)) ** 0.7
        stop = min(n, start + length)
        rain[start:stop] += peak * shape[: stop - start] * rng.lognormal(0, 0.5, stop - start)
    raining = rain > 0.05
    # Cloud cover: slow variation, overcast while it rains and in the hours before.
    cloud = np.clip(0.45 + _smooth(rng, n, 18, 0.3), 0, 1)
    ahead = np.convolve(raining.astype(float), np.ones(4 * STEPS_PER_HOUR), mode="full")[:n]
    cloud = np.where(ahead > 0, np.maximum(cloud, 0.85), cloud)
    # The season of the dates: the Upper Rhine's daily mean, about 2 °C in mid-January and
    # 20 °C in mid-July, and a day-night swing that is smaller in winter.
    season = (1 - np.cos(2 * np.pi * (clock.day_of_year - 15) / 365.25)) / 2  # 0 Jan … 1 Jul
    trend = 2.0 + 18.4 * season
    synoptic = _smooth(rng, n, 60, 2.2)
    amplitude = (3.0 + 3.0 * season) * (1 - 0.65 * cloud)
    diurnal = amplitude * np.cos(2 * np.pi * (clock.solar_hour - 15) / 24)
    temperature = trend + synoptic + diurnal - 1.5 * np.clip(rain, 0, 1)
    dew_point = trend + synoptic - 2.5 - 4.5 * (1 - cloud) + _smooth(rng, n, 6, 0.6)
    gusty = np.clip(np.sin(np.pi * (clock.solar_hour - 9) / 12), 0, None)
    fronts = np.convolve(rain, np.ones(3 * STEPS_PER_HOUR) / (3 * STEPS_PER_HOUR), "same")
    wind = 2.4 + _smooth(rng, n, 30, 1.1) + 1.3 * gusty + 1.2 * np.clip(fronts, 0, 2)
    sine = np.clip(_sun(clock), 0, None)
    clear = 1098 * sine * np.exp(-0.057 / np.maximum(sine, 1e-3))
    radiation = clear * (1 - 0.75 * cloud**3.4) * np.exp(_smooth(rng, n, 0.5, 0.08))
    return Weather(rain, cloud, temperature, dew_point, wind, np.where(sine > 0, radiation, 0))


def _humidity(temperature: Array, dew_point: Array) -> Array:
    """Relative humidity (%) from temperature and dew point (Magnus formula)."""
    dew = np.minimum(dew_point, temperature)

    def saturation(t: Array) -> Array:
        return np.asarray(np.exp(17.625 * t / (243.04 + t)))

    return np.asarray(100 * saturation(dew) / saturation(temperature))


def _soil(
    rng: np.random.Generator, weather: Weather, probes: int, clock: Clock
) -> tuple[Array, Array]:
    """Volumetric water content (%) at 30 and 60 cm, one column per probe.

    A bucket model per layer: rain fills the upper layer (what exceeds field capacity drains
    into the lower one, delayed); roots draw water in proportion to the evaporative demand
    (sun and warmth) and to how much is left above the wilting point.
    """
    n = clock.size
    wilting, capacity = 9.0, 38.0
    upper = rng.uniform(22, 30, probes)
    lower = upper + rng.uniform(2, 5, probes)
    thirst = rng.uniform(0.8, 1.3, probes)  # larger crowns draw more
    demand = (weather.radiation / 600) * np.clip(weather.temperature - 4, 0, None) / 12
    rain_mm = weather.rain / STEPS_PER_HOUR
    delay = 10 * STEPS_PER_HOUR
    seep = np.zeros((n + delay, probes))
    out_upper = np.empty((n, probes))
    out_lower = np.empty((n, probes))
    for i in range(n):
        upper = (
            upper
            + 0.3 * rain_mm[i]
            - 0.1 * thirst * demand[i] * (upper - wilting) / (capacity - wilting)
        )
        excess = np.clip(upper - capacity, 0, None)
        upper = upper - excess
        seep[i + delay] += 0.6 * excess + 0.04 * rain_mm[i]
        lower = (
            lower + seep[i] - 0.035 * thirst * demand[i] * (lower - wilting) / (capacity - wilting)
        )
        lower = np.minimum(lower, capacity + 2)
        out_upper[i] = upper
        out_lower[i] = lower
    noise = rng.normal(0, 0.04, (2, n, probes))
    return out_upper + noise[0], out_lower + noise[1]


def _water_flow(rng: np.random.Generator, clock: Clock, profile: str) -> Array:
    h, weekday = clock.local_hour, clock.weekday < 5

    def bump(centre: float, width: float) -> Array:
        return np.asarray(np.exp(-0.5 * ((h - centre) / width) ** 2))

    if profile == "homes":  # morning and evening peaks every day
        flow = 25 + 520 * bump(7, 1.0) + 300 * bump(12.5, 1.5) + 610 * bump(19.5, 1.6)
    elif profile == "school":
        flow = 8 + weekday * (380 * bump(10, 2.0) + 260 * bump(12.5, 0.8))
    elif profile == "sports":  # showers after training in the evening, all week
        flow = 10 + 900 * bump(19, 1.3) + (~weekday) * 500 * bump(14, 2.5)
    else:  # office
        flow = 6 + weekday * (220 * bump(9, 1.5) + 180 * bump(14, 2.0))
    flow = flow * rng.lognormal(0, 0.25, clock.size)
    if profile == "sports":  # a leak from ten days before the end: steady flow all night
        flow = flow + np.where(clock.hours >= clock.hours[-1] - 10 * 24, 65.0, 0.0)
    return np.asarray(flow)


def _power(rng: np.random.Generator, clock: Clock, profile: str) -> Array:
    h, weekday = clock.local_hour, (clock.weekday < 5).astype(float)
    occupied = np.clip((h - 6.5) * 2, 0, 1) * np.clip((17.5 - h) * 2, 0, 1)
    dark = ((h < 7.5) | (h > 17)).astype(float)
    base = {"office": 4.0, "school": 3.0, "yard": 6.0, "station": 1.8}[profile]
    peak = {"office": 22.0, "school": 28.0, "yard": 35.0, "station": 3.5}[profile]
    power = base + weekday * occupied * peak * rng.uniform(0.85, 1.1, clock.size)
    power += 0.15 * peak * dark * (h > 5) * (h < 22) * weekday  # lights around working hours
    if profile == "station":  # drill night on Wednesdays, weekend lighting of the yard
        power += (clock.weekday == 2) * ((h > 18.5) & (h < 21.5)) * 9.0
    return np.asarray(power * rng.lognormal(0, 0.05, clock.size))


def _trees(session: Session, municipality: Municipality, count: int) -> list[tuple[Any, ...]]:
    """Public trees of the assets module's register, if it is installed (read through SQL, as
    modules do not import each other)."""
    if not inspect(session.connection()).has_table("assets_objects"):
        return []
    rows = session.execute(
        text(
            "SELECT o.id, o.name, o.bbox_minx, o.bbox_miny, o.address FROM assets_objects o "
            "JOIN assets_types t ON t.id = o.type_id "
            "WHERE t.key = 'tree' AND o.municipality_id = :m AND o.public "
            "AND o.bbox_minx IS NOT NULL ORDER BY o.id"
        ),
        {"m": municipality.id},
    ).all()
    if not rows:
        return []
    stride = max(1, len(rows) // count)  # spread over the district, not the first street
    return [tuple(r) for r in rows[::stride][:count]]


class Network:
    """Creates Things and Datastreams; one Sensor and ObservedProperty per municipality and kind."""

    def __init__(self, ctx: DemoContext, clock: Clock) -> None:
        self.session = ctx.session
        self.clock = clock
        self.sensors: dict[tuple[int, str], int] = {}
        self.properties: dict[tuple[int, str], int] = {}
        self.series: list[tuple[int, list[float]]] = []
        self.things = 0

    def thing(
        self,
        m: Municipality,
        name: str,
        lon: float,
        lat: float,
        *,
        description: str,
        properties: dict[str, Any],
        public: bool = True,
    ) -> int:
        self.things += 1
        return sensing.create_thing(
            self.session,
            municipality_id=m.id,
            name=name,
            lon=round(lon, 6),
            lat=round(lat, 6),
            description=description,
            properties=properties,
            public=public,
        )

    def stream(
        self,
        m: Municipality,
        thing_id: int,
        sensor: str,
        kind: str,
        values: Array,
        decimals: int,
        name: str | None = None,
    ) -> None:
        label, unit_name, code = MEASURES[kind]
        sensor_id = self.sensors.get((m.id, sensor))
        if sensor_id is None:
            sensor_id = self.sensors[(m.id, sensor)] = sensing.create_sensor(
                self.session, municipality_id=m.id, name=sensor, description=sensor
            )
        known: Kind = KIND[kind]
        op_id = self.properties.get((m.id, kind))
        if op_id is None:
            op_id = self.properties[(m.id, kind)] = sensing.create_observed_property(
                self.session,
                municipality_id=m.id,
                name=label,
                definition=known.definition,
                description=label,
            )
        stream_id = sensing.create_datastream(
            self.session,
            thing_id=thing_id,
            sensor_id=sensor_id,
            observed_property_id=op_id,
            name=name or label,
            description=name or label,
            unit={"name": unit_name, "symbol": code, "definition": f"{UCUM}#{code}"},
        )
        self.series.append((stream_id, np.round(values, decimals).tolist()))

    def store(self) -> int:
        stored = 0
        for stream_id, values in self.series:
            stored += sensing.ingest_series(
                self.session, datastream_id=stream_id, times=self.clock.micros, values=values
            )
        return stored


def _near(m: Municipality, east_m: float, north_m: float) -> tuple[float, float]:
    assert m.geom is not None
    centre = m.geom.centroid
    lat = centre.y + north_m / 111_320
    lon = centre.x + east_m / (111_320 * np.cos(np.radians(centre.y)))
    return float(lon), float(lat)


def add_demo_network(ctx: DemoContext) -> None:
    """The ModuleSpec.demo hook."""
    rng = np.random.default_rng(SEED)
    clock = _clock(ctx.now)
    net = Network(ctx, clock)
    weather = _weather(rng, clock)
    places = [(key, ctx.municipalities[key]) for key in CLIMATE if key in ctx.municipalities]

    for key, m in places:
        warmer, windier, wetter = CLIMATE[key]
        lon, lat = _near(m, 250, -180)
        thing = net.thing(
            m,
            f"Wetterstation {m.name}",
            lon,
            lat,
            description=f"Wetterstation des Klimanetzes auf dem Dach eines Gebäudes in {m.name}.",
            properties={"kind": "weather-station"},
        )
        local = np.random.default_rng([SEED, m.id])
        temperature = weather.temperature + warmer + _smooth(local, clock.size, 3, 0.25)
        humidity = np.clip(_humidity(temperature, weather.dew_point + warmer * 0.8), 20, 100)
        humidity = np.where(weather.rain > 0.1, np.maximum(humidity, 93), humidity)
        rain = weather.rain * wetter * local.lognormal(0, 0.3, clock.size) / STEPS_PER_HOUR
        rain = np.where(rain >= 0.05, np.round(rain, 1), 0.0)  # a 0.1 mm tipping bucket
        wind = np.clip(weather.wind * windier + local.normal(0, 0.5, clock.size), 0, None)
        sensor = "Kompakt-Wetterstation WS-600"
        net.stream(m, thing, sensor, "air-temperature", temperature, 1, "Lufttemperatur 2 m")
        net.stream(m, thing, sensor, "relative-humidity", humidity, 0, "Relative Luftfeuchte 2 m")
        net.stream(m, thing, sensor, "precipitation", rain, 1, "Niederschlag je 15 Minuten")
        net.stream(m, thing, sensor, "wind-speed", wind, 1, "Windgeschwindigkeit 10 m")
        net.stream(m, thing, sensor, "global-radiation", weather.radiation, 0, "Globalstrahlung")

    for key, m in places:
        count = PROBES[key]
        trees = _trees(ctx.session, m, count)
        upper, lower = _soil(rng, weather, count, clock)
        for n in range(count):
            if n < len(trees):
                tree_id, tree_name, lon, lat, address = trees[n]
                lon, lat = lon + 0.00001, lat + 0.00001  # beside the trunk
                where = f" ({address})" if address else ""
                properties = {"kind": "soil-moisture", "tree": tree_name, "tree_object_id": tree_id}
            else:
                tree_name, where = f"Straßenbaum {n + 1}", ""
                lon, lat = _near(m, -300 + 220 * n, 150 - 90 * n)
                properties = {"kind": "soil-moisture", "tree": tree_name}
            thing = net.thing(
                m,
                f"Bodenfeuchte {tree_name}",
                lon,
                lat,
                description=f"Bodenfeuchtesonde im Wurzelraum von {tree_name}{where}.",
                properties=properties,
            )
            sensor = "Bodenfeuchtesonde TDR-2"
            net.stream(m, thing, sensor, "soil-moisture", upper[:, n], 1, "Bodenfeuchte 30 cm")
            net.stream(m, thing, sensor, "soil-moisture", lower[:, n], 1, "Bodenfeuchte 60 cm")

    by_key = dict(places)
    for key, building, profile, east, north, public in WATER:
        if key not in by_key:
            continue
        m = by_key[key]
        lon, lat = _near(m, east, north)
        flow = _water_flow(rng, clock, profile)
        reading = rng.uniform(800, 6000) + np.cumsum(flow) / STEPS_PER_HOUR / 1000
        thing = net.thing(
            m,
            f"Wasserzähler {building}",
            lon,
            lat,
            description=f"Hauptwasserzähler von {building} mit Funkmodul.",
            properties={"kind": "water-meter", "building": building},
            public=public,
        )
        sensor = "Wasserzähler mit Funkmodul"
        net.stream(m, thing, sensor, "water-volume", reading, 3, "Zählerstand Wasser")
        net.stream(m, thing, sensor, "water-flow", flow, 0, "Durchfluss")

    for key, building, profile, east, north, public in ENERGY:
        if key not in by_key:
            continue
        m = by_key[key]
        lon, lat = _near(m, east, north)
        power = _power(rng, clock, profile)
        reading = rng.uniform(20_000, 400_000) + np.cumsum(power) / STEPS_PER_HOUR
        thing = net.thing(
            m,
            f"Stromzähler {building}",
            lon,
            lat,
            description=f"Intelligentes Messsystem (Stromzähler) von {building}.",
            properties={"kind": "energy-meter", "building": building},
            public=public,
        )
        sensor = "Intelligentes Messsystem"
        net.stream(m, thing, sensor, "energy", reading, 1, "Zählerstand Strom")
        net.stream(m, thing, sensor, "power", power, 2, "Wirkleistung")

    stored = net.store()
    ctx.notes.append(
        f"Sensors: {net.things} sensor Things with {stored} Observations ({DAYS} days) at /sensors"
    )
