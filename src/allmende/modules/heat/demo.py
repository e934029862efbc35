"""Demo data of the heat module: last summer in Auenstadt.

* a rural reference station ("Wetterstation Auenwiesen") with the real hourly weather of the
  DWD/BBSR test reference year for Mannheim (TRY 2010), read from the installed ``teaser``
  package, for June to August of the last summer (its hot spell mid-July included);
* a city climate network of twelve stations in Auenstadt, sited in pairs (a sealed and a green
  site per area), two of them with a black globe: their air temperature is generated from the
  reference weather with the land cover's effects (70 % of the model's) and a smooth pattern the
  model cannot know, plus sensor noise (see ``synthetic``) — measurements the map must learn
  from;
* land cover: the object register (trees, squares, cool places…) plus generated layers uploaded
  the way staff upload them: an imperviousness GeoTIFF, a buildings GeoPackage ("ALKIS
  extract"), street and park trees, parks and the river as GeoJSON;
* the indices of every station (also the sensor demo's stations, over their whole history);
  the hourly maps of the hot spell's afternoons and nights; the warnings they gave (which
  started and ended); and an action plan whose misting system those warnings switched;
* the map's leave-one-station-out comparison over the hot spell.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from allmende.modules.heat import alerts, gridmodel, maps, plan, radiant, stations, synthetic
from allmende.modules.heat.catalogue import DERIVED, LOCAL_ZONE
from allmende.modules.heat.indices import relative_humidity, vapour_pressure_hpa
from allmende.modules.heat.landcover import Grid, mask_of, to_lonlat
from allmende.modules.heat.service import update_rules
from allmende.sdk import DemoContext, Municipality, Principal, sensing, to_metric, vocabulary

# pandas is imported where it computes: it costs every server start a second.
if TYPE_CHECKING:
    import pandas as pd

SEED = 20260714
TRY_FILE = "data/input/inputdata/weatherdata/DEU_BW_Mannheim_107290_TRY2010_12_Jahr_BBSR.mos"
UCUM = "http://unitsofmeasure.org/ucum.html"
#: The days whose afternoons and nights are mapped (month, day of the reference year).
SPELL = ((7, 13), (7, 19))
CITY = "auenstadt"
#: (municipality key, east m, north m) of the reference station: open meadows west of town.
REFERENCE = (CITY, -3300.0, 400.0)
NETWORK = 6  # areas of two stations each


@dataclass
class Summer:
    """Hourly reference weather of the demo's summer, times in UTC."""

    times: pd.DatetimeIndex
    ta: NDArray[np.float64]
    rh: NDArray[np.float64]
    wind: NDArray[np.float64]
    ghi: NDArray[np.float64]


def _summer(now: datetime) -> Summer:
    """June to August of the last summer that is over, from the test reference year."""
    import pandas as pd

    year = now.year if now.astimezone(LOCAL_ZONE).date() > date(now.year, 9, 1) else now.year - 1
    text = files("teaser").joinpath(TRY_FILE).read_text()
    rows = np.array(
        [line.split() for line in text.splitlines() if line and line[0].isdigit()], dtype=float
    )
    # Times are seconds from 1 January, 00:00 standard time (UTC+1); radiation is the sum of
    # the hour before, so every value is placed in the middle of its hour.
    start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=1, minutes=30)
    times = pd.DatetimeIndex([start + timedelta(seconds=s) for s in rows[:, 0]])
    local = times.tz_convert(LOCAL_ZONE)
    summer = (local.month >= 6) & (local.month <= 8)
    return Summer(
        times=times[summer],
        ta=rows[summer, 1],
        rh=rows[summer, 3],
        wind=np.maximum(rows[summer, 16], 0.3),
        ghi=rows[summer, 8],
    )


def _offset(m: Municipality, east: float, north: float) -> tuple[float, float]:
    assert m.geom is not None
    centre = to_metric(m.geom.centroid)
    return to_lonlat(centre.x + east, centre.y + north)


class Streams:
    """Things and Datastreams of the demo stations through the SDK."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.series: list[tuple[int, list[int], list[float]]] = []

    def stream(
        self,
        thing_id: int,
        name: str,
        definition: str,
        label: str,
        unit: tuple[str, str],
        times: list[int],
        values: NDArray[np.float64],
        decimals: int,
        public: bool = True,
    ) -> int:
        stream_id = sensing.ensure_datastream(
            self.session,
            thing_id=thing_id,
            name=name,
            definition=definition,
            observed_property_name=label,
            unit_name=unit[0],
            unit_symbol=unit[1],
            unit_definition=f"{UCUM}#{unit[1]}",
            description=name,
            public=public,
            sensor_name="Klimamessstation KM-2",
            sensor_description="Kompakte Klimamessstation (Temperatur, Feuchte, Globethermometer)",
        )
        good = np.isfinite(values)
        self.series.append(
            (
                stream_id,
                [t for t, ok in zip(times, good, strict=True) if ok],
                np.round(values[good], decimals).tolist(),
            )
        )
        return stream_id

    def store(self) -> None:
        for stream_id, times, values in self.series:
            sensing.ingest_series(self.session, datastream_id=stream_id, times=times, values=values)


def _micros(times: pd.DatetimeIndex) -> list[int]:
    return [int(t.value // 1000) for t in times]


# --- land cover layers as staff would upload them -------------------------------------------


def _geotiff(grid: Grid, data: NDArray[np.float32]) -> bytes:
    from rasterio.io import MemoryFile  # loaded when the demo is built, not at start-up

    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=grid.width,
            height=grid.height,
            count=1,
            dtype="uint8",
            crs=grid.crs,
            transform=grid.transform,
            nodata=255,
            compress="deflate",
        ) as target:
            target.write(np.round(np.clip(data, 0, 1) * 100).astype(np.uint8), 1)
        return bytes(memory.read())


def _geopackage(shapes: list[tuple[shapely.Geometry, float]]) -> bytes:
    import pyogrio

    buffer = io.BytesIO()
    geometry = np.array([shapely.to_wkb(g) for g, _ in shapes], dtype=object)
    heights = np.array([round(h, 1) for _, h in shapes], dtype=np.float64)
    pyogrio.raw.write(
        buffer,
        geometry,
        [heights],
        ["hoehe"],
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:25832",
        layer="gebaeude",
    )
    return buffer.getvalue()


def _geojson(features: list[tuple[shapely.Geometry, dict[str, object]]]) -> bytes:
    """A GeoJSON file in WGS 84 (RFC 7946): the upload is reprojected to the map's CRS."""
    out = []
    for geom, properties in features:
        lonlat = shapely.transform(geom, lambda xy: np.array([to_lonlat(x, y) for x, y in xy]))
        out.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(lonlat)),
                "properties": properties,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": out}).encode()


def _layers(ctx: DemoContext, m: Municipality) -> tuple[Grid, synthetic.TownLayers]:
    """Generate the town's layers and upload them (the land cover is built afterwards)."""
    assert m.geom is not None
    area = to_metric(m.geom)
    minx, miny, maxx, maxy = area.bounds
    grid = Grid.covering((minx - 100, miny - 100, maxx + 100, maxy + 100), cell=10.0)
    centre = area.centroid
    town = synthetic.town_layers(grid, centre=(centre.x, centre.y), radius=2300.0, seed=SEED)
    uploads = (
        (
            "impervious",
            "Versiegelungsgrad (generiert)",
            "versiegelung.tif",
            _geotiff(grid, town.impervious),
        ),
        ("buildings", "ALKIS-Gebäude (generiert)", "gebaeude.gpkg", _geopackage(town.buildings)),
        (
            "trees",
            "Straßen- und Parkbäume (generiert)",
            "baeume.geojson",
            _geojson(
                [
                    (p, {"crown_diameter_m": round(d, 1), "height_m": round(h, 1)})
                    for p, d, h in town.trees
                ]
            ),
        ),
        ("green", "Parks (generiert)", "parks.geojson", _geojson([(g, {}) for g in town.parks])),
        (
            "water",
            "Auenbach (generiert)",
            "gewaesser.geojson",
            _geojson([(g, {}) for g in town.water]),
        ),
    )
    for kind, name, filename, content in uploads:
        maps.upload_layer(
            ctx.session,
            municipality_id=m.id,
            kind=kind,
            name=name,
            filename=filename,
            content=content,
            user_id=None,
            sources=(),
            rebuild=False,
        )
    return grid, town


# --- stations ---------------------------------------------------------------------------


def _weather(summer: Summer, lat: float, lon: float) -> list[gridmodel.Weather]:
    sky = radiant.sun(summer.times, lat, lon, summer.ghi)
    cloud = radiant.cloud_cover(summer.ghi, sky)
    fields = ("elevation", "azimuth", "direct_normal", "diffuse", "clear_sky")
    return [
        gridmodel.Weather(
            float(summer.ta[i]),
            float(summer.rh[i]),
            float(summer.wind[i]),
            float(cloud[i]),
            radiant.Sun(*(getattr(sky, f)[i : i + 1] for f in fields)),
        )
        for i in range(len(summer.times))
    ]


def _sites(prep: maps.Prepared, inside: NDArray[np.bool_]) -> list[tuple[int, int, bool]]:
    """Pairs of a sealed and a green site in areas spread over the town (rows, cols)."""
    statics = prep.statics
    grid = statics.grid
    usable = statics.outdoor & inside & (statics.crowns <= 0)
    x, y = grid.centres()
    cx = float(np.mean(x[np.any(inside, axis=0)]))
    cy = float(np.mean(y[np.any(inside, axis=1)]))
    angle = np.arctan2(y[:, None] - cy, x[None, :] - cx)
    distance = np.hypot(x[None, :] - cx, y[:, None] - cy)
    sites = []
    for n in range(NETWORK):
        towards = 2 * np.pi * n / NETWORK + 0.3
        ring = (distance > 250 + 280 * (n % 3)) & (distance < 900 + 280 * (n % 3))
        zone = usable & ring & (np.abs(np.angle(np.exp(1j * (angle - towards)))) < 0.5)
        cells = np.argwhere(zone)
        if not len(cells):
            continue
        sealed = statics.impervious[zone] - statics.green[zone]
        for green, index in ((False, int(np.argmax(sealed))), (True, int(np.argmin(sealed)))):
            row, col = cells[index]
            sites.append((int(row), int(col), green))
    return sites


def _globe(
    ta: NDArray[np.float64], tmrt: NDArray[np.float64], air: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The globe temperature that ISO 7726 turns into ``tmrt`` (bisection, 0.15 m globe)."""
    low, high = ta - 30.0, ta + 60.0
    for _ in range(40):
        middle = (low + high) / 2
        above = radiant.mrt_from_globe(middle, ta, air) > tmrt
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return (low + high) / 2


def _network(
    ctx: DemoContext,
    m: Municipality,
    prep: maps.Prepared,
    inside: NDArray[np.bool_],
    summer: Summer,
    weather: list[gridmodel.Weather],
    reference: gridmodel.Reference,
    streams: Streams,
) -> int:
    sites = _sites(prep, inside)
    statics = prep.statics
    grid = statics.grid
    rows = np.array([r for r, _, _ in sites])
    cols = np.array([c for _, c, _ in sites])
    ta = np.array(
        [
            synthetic.true_air_temperature(
                statics, w, reference, hour_index=h, rows=rows, cols=cols, seed=SEED
            )
            for h, w in enumerate(weather)
        ]
    )
    e = vapour_pressure_hpa(summer.ta, summer.rh)
    times = _micros(summer.times)
    x, y = grid.centres()
    names = {d.id: d.name for d in ctx.districts[CITY]}
    for n, (row, col, green) in enumerate(sites):
        lon, lat = to_lonlat(float(x[col]), float(y[row]))
        district = names.get(int(prep.districts[row, col]), m.name)
        site = "Grünfläche" if green else "Platz"
        thing = sensing.ensure_thing(
            ctx.session,
            name=f"Klimastation {n + 1:02d} {district} ({site})",
            municipality_id=m.id,
            public=True,
            lon=lon,
            lat=lat,
            description=(
                f"Station des Klimamessnetzes Auenstadt in {district}, "
                f"{'auf einer Grünfläche' if green else 'auf einem versiegelten Platz'}; "
                "Lufttemperatur und Feuchte in 2 m Höhe."
            ),
            properties={"kind": "weather-station", "network": "Klimamessnetz Auenstadt"},
        )
        station_ta = ta[:, n]
        streams.stream(
            thing,
            "Lufttemperatur 2 m",
            vocabulary.AIR_TEMPERATURE,
            "Lufttemperatur",
            ("degree Celsius", "Cel"),
            times,
            station_ta,
            1,
        )
        rh = relative_humidity(station_ta, e)
        streams.stream(
            thing,
            "Relative Luftfeuchte 2 m",
            vocabulary.RELATIVE_HUMIDITY,
            "Relative Luftfeuchte",
            ("percent", "%"),
            times,
            rh,
            0,
        )
        if n in (0, 1):  # the first pair also measures wind and a black globe
            wind = np.maximum(summer.wind * float(statics.wind_factor[row, col]), 0.3)
            sky = radiant.Sun(
                *(
                    np.concatenate([getattr(w.sky, f) for w in weather])
                    for f in ("elevation", "azimuth", "direct_normal", "diffuse", "clear_sky")
                )
            )
            cloud = np.array([w.cloud for w in weather])
            tmrt = radiant.mrt_estimate(
                station_ta,
                e,
                sky,
                cloud,
                sky_view=float(statics.sky_view[row, col]),
                albedo=float(statics.albedo[row, col]),
                ground_heating=float(statics.ground_heating[row, col]),
            )
            globe = _globe(
                station_ta, tmrt, radiant.wind_at_height(wind, measured_at=10.0, wanted_at=1.1)
            )
            streams.stream(
                thing,
                "Windgeschwindigkeit 10 m",
                vocabulary.WIND_SPEED,
                "Windgeschwindigkeit",
                ("metre per second", "m/s"),
                times,
                wind,
                1,
            )
            streams.stream(
                thing,
                "Globetemperatur 1,1 m",
                vocabulary.GLOBE_TEMPERATURE,
                "Globetemperatur",
                ("degree Celsius", "Cel"),
                times,
                globe,
                1,
            )
    return len(sites)


def _reference_station(ctx: DemoContext, summer: Summer, streams: Streams) -> tuple[float, float]:
    m = ctx.municipalities[REFERENCE[0]]
    lon, lat = _offset(m, REFERENCE[1], REFERENCE[2])
    thing = sensing.ensure_thing(
        ctx.session,
        name="Wetterstation Auenwiesen (Referenz)",
        municipality_id=m.id,
        public=True,
        lon=lon,
        lat=lat,
        description=(
            "Ländliche Referenzstation auf den Auenwiesen westlich der Stadt; Werte des "
            "Testreferenzjahrs Mannheim (DWD/BBSR TRY 2010) als Sommer der Demo."
        ),
        properties={"kind": "weather-station", "heat_role": "reference"},
    )
    times = _micros(summer.times)
    streams.stream(
        thing,
        "Lufttemperatur 2 m",
        vocabulary.AIR_TEMPERATURE,
        "Lufttemperatur",
        ("degree Celsius", "Cel"),
        times,
        summer.ta,
        1,
    )
    streams.stream(
        thing,
        "Relative Luftfeuchte 2 m",
        vocabulary.RELATIVE_HUMIDITY,
        "Relative Luftfeuchte",
        ("percent", "%"),
        times,
        summer.rh,
        0,
    )
    streams.stream(
        thing,
        "Windgeschwindigkeit 10 m",
        vocabulary.WIND_SPEED,
        "Windgeschwindigkeit",
        ("metre per second", "m/s"),
        times,
        summer.wind,
        1,
    )
    streams.stream(
        thing,
        "Globalstrahlung",
        vocabulary.GLOBAL_RADIATION,
        "Globalstrahlung",
        ("watt per square metre", "W/m2"),
        times,
        summer.ghi,
        0,
    )
    return lon, lat


# --- the hook --------------------------------------------------------------------------


def _spell_hours(summer: Summer) -> list[datetime]:
    """The afternoons (12–18 h) and nights (22–6 h) of the hot spell, local time."""
    import pandas as pd

    (m0, d0), (m1, d1) = SPELL
    year = summer.times[0].year
    first, last = date(year, m0, d0), date(year, m1, d1)
    hours = []
    for moment in summer.times:
        local = moment.tz_convert(LOCAL_ZONE)
        day = local.date()
        if not first - timedelta(days=1) <= day <= last:
            continue
        if 12 <= local.hour < 18 or local.hour >= 22 or local.hour < 6:
            hours.append((moment - pd.Timedelta(minutes=30)).to_pydatetime())
    return hours


#: German names of the ObservedProperties the module derives: the demo region speaks German
#: (the module names one it has to make itself by the vocabulary's English label).
GERMAN_NAMES = {
    "mrt": "Mittlere Strahlungstemperatur",
    "utci": "Universeller Thermischer Klimaindex",
    "utci-category": "UTCI-Belastungsklasse",
    "heat-index": "Hitzeindex",
    "apparent-temperature": "Scheinbare Temperatur",
}


def _german_properties(ctx: DemoContext) -> None:
    for place in ctx.municipalities.values():
        for key, name in GERMAN_NAMES.items():
            sensing.create_observed_property(
                ctx.session,
                municipality_id=place.id,
                name=name,
                definition=DERIVED[key].definition,
            )


def add_demo(ctx: DemoContext) -> None:
    """The ModuleSpec.demo hook (after the assets' and the sensors' demo data)."""
    session = ctx.session
    if CITY not in ctx.municipalities:
        return
    m = ctx.municipalities[CITY]
    summer = _summer(ctx.now)
    streams = Streams(session)
    lon, lat = _reference_station(ctx, summer, streams)
    sources = ctx.feature_sources
    _layers(ctx, m)
    for key, place in ctx.municipalities.items():
        if key != CITY:
            update_rules(session, municipality_id=place.id, values={"cell_m": 20.0})
        maps.build_land_cover(session, municipality_id=place.id, sources=sources)
    prep = maps.prepared(session, municipality_id=m.id)
    assert prep is not None and m.geom is not None
    inside = mask_of(prep.statics.grid, to_metric(m.geom))
    weather = _weather(summer, lat, lon)
    ref_point = to_metric(shapely.Point(lon, lat))
    row, col = prep.statics.grid.cell_of(np.array([ref_point.x]), np.array([ref_point.y]))
    reference = gridmodel.Reference.at(prep.statics, int(row[0]), int(col[0]))
    _german_properties(ctx)
    count = _network(ctx, m, prep, inside, summer, weather, reference, streams)
    streams.store()
    session.flush()
    # Indices of every station over its whole history (the job looks back two days only).
    work = stations.plan(
        session,
        start=summer.times[0].to_pydatetime() - timedelta(days=1),
        end=ctx.now + timedelta(minutes=1),
    )
    derived = stations.write(session, work)
    session.flush()
    # The hot spell's maps, day by day, and the warnings each day gave.
    hours = _spell_hours(summer)
    computed = maps.compute_hours(session, municipality_id=m.id, hours=hours)
    maps.store_hours(session, municipality_id=m.id, computed=computed)
    entry = _action_plan(ctx, m)
    days = sorted({h.astimezone(LOCAL_ZONE).date() for h in hours})
    started = ended = 0
    for day in days[1:]:
        found = alerts.verdicts(session, municipality_id=m.id, days=[day])
        decided_at = datetime.combine(
            day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_ZONE
        )
        done = alerts.apply(
            session, municipality_id=m.id, found=found, now=decided_at.astimezone(UTC)
        )
        started += len(done.started)
        ended += len(done.ended)
    first, last = min(hours), max(hours) + timedelta(hours=1)
    results = maps.evaluate(session, municipality_id=m.id, start=first, end=last)
    if results is not None:
        maps.store_evaluation(session, municipality_id=m.id, start=first, end=last, results=results)
    switched = len(plan.switches(session, municipality_id=m.id))
    ctx.notes.append(
        f"Heat: {count} climate stations and a reference station with last summer's weather "
        f"(TRY Mannheim), {derived} derived values, {len(computed)} map hours of the hot spell, "
        f"{started} warnings started and {ended} ended, {switched} switches of '{entry}' "
        "at /heat and /heat/staff"
    )


def _action_plan(ctx: DemoContext, m: Municipality) -> str:
    """A misting system on the market square, switched by strong and extreme warnings of the
    town centre."""
    lon, lat = _offset(m, 30, -10)
    thing = sensing.ensure_thing(
        ctx.session,
        name="Sprühnebelanlage Marktplatz",
        municipality_id=m.id,
        public=False,
        lon=lon,
        lat=lat,
        description="Sprühnebelanlage zur Kühlung des Marktplatzes an Hitzetagen.",
        properties={"kind": "actuator", "device": "misting"},
    )
    staff = ctx.users.get(f"staff:{CITY}")
    centre = ctx.districts[CITY][0]
    principal = Principal(
        kind="user", user_id=staff.id if staff else None, name="Demo", staff_of=frozenset({m.id})
    )
    entry = plan.add_entry(
        ctx.session,
        principal=principal,
        municipality_id=m.id,
        thing_id=thing,
        name="Sprühnebelanlage Marktplatz",
        device_kind="misting",
        min_level="strong",
        district_id=centre.id,
    )
    return entry.name
