"""The heat map as a service: land cover per municipality from the object register and the
uploaded layers, the hourly map from the regional weather and the stations, its district
aggregates, and the leave-one-station-out evaluation.

The object register is read through the feature sources other modules offer (their public
objects, by the type named in each collection's keywords), never by importing them. The land
cover is rebuilt when staff ask for it, a layer is uploaded, or the demo is built.

The regional weather is the hourly mean of a reference station: the one the settings name, else
a Thing with ``properties.heat_role`` "reference" in the region, else the municipality's first
station that measures air temperature, humidity, wind and global radiation. Hours after now come
from the forecast Thing of the settings, where one is named (no station corrects them).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from allmende.modules.heat import gridmodel, landcover, packing, radiant, render
from allmende.modules.heat.catalogue import COOL_PLACE_TYPES, N_, OBJECT_LAND_COVER
from allmende.modules.heat.landcover import Grid
from allmende.modules.heat.layers import read_layer
from allmende.modules.heat.models import DistrictHour, Evaluation, LandCoverGrid, Layer, MapHour
from allmende.modules.heat.service import Store, districts, floor_hour, rules, working_for
from allmende.modules.heat.stations import Station, find
from allmende.sdk import (
    ANONYMOUS,
    Municipality,
    NotFound,
    ValidationFailed,
    features,
    geometry_to_geojson,
    sensing,
    to_metric,
    utcnow,
)

# pandas is imported where it computes: it costs every server start a second.
if TYPE_CHECKING:
    import pandas as pd

#: Full maps are kept this long after the newest; the peak hour of a warning day stays.
RETENTION = timedelta(days=7)
#: How far back the job fills hours it has not computed yet.
LOOKBACK = timedelta(hours=48)
#: Hours computed per run of the job (the rest wait for the next run).
HOURS_PER_RUN = 72
PAGE = 5000
STATIC_FIELDS = (
    "impervious",
    "canopy",
    "water",
    "green",
    "sky_view",
    "wind_factor",
    "albedo",
    "ground_heating",
    "buildings",
    "crowns",
)


# --- land cover ------------------------------------------------------------------------------


@dataclass
class Objects:
    """Land-cover objects of the register (metric geometries with their attributes)."""

    by_kind: dict[str, list[tuple[Any, dict[str, Any]]]]
    count: int


def feature_sources(registry: Any) -> list[features.FeatureSource]:
    """Every feature source of the enabled modules (``registry``: the app's or the demo's)."""
    return [s for m in (registry or ()) for s in m.feature_sources]


def register_objects(
    session: Session,
    *,
    sources: Sequence[features.FeatureSource],
    area: Any,
    wanted: dict[str, str],
) -> dict[str, list[features.Feature]]:
    """Public objects of the types in ``wanted`` (type → what it is for) within ``area``'s
    bounding box (WGS 84), from every feature source whose collection names the type in its
    keywords."""
    found: dict[str, list[features.Feature]] = {}
    minx, miny, maxx, maxy = area.bounds
    bbox = (float(minx), float(miny), float(maxx), float(maxy))
    for source in sources:
        for collection in source.collections(session, ANONYMOUS):
            types = [k for k in collection.keywords if k in wanted]
            if not types:
                continue
            offset = 0
            while True:
                page = source.items(
                    session,
                    ANONYMOUS,
                    collection.id,
                    features.FeatureQuery(limit=PAGE, offset=offset, bbox=bbox),
                )
                if page is None:
                    break
                items = [f for f in page.features if f.properties.get("status") != "removed"]
                found.setdefault(types[0], []).extend(items)
                if len(page.features) < PAGE:
                    break
                offset += PAGE
    return found


def _objects(session: Session, sources: Sequence[features.FeatureSource], area: Any) -> Objects:
    raw = register_objects(session, sources=sources, area=area, wanted=OBJECT_LAND_COVER)
    by_kind: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    count = 0
    for type_key, items in raw.items():
        kind = OBJECT_LAND_COVER[type_key]
        for item in items:
            if item.geometry is None:
                continue
            if kind != "trees" and shapely.get_dimensions(item.geometry) != 2:
                continue  # a building or a park recorded as a point has no area to burn in
            by_kind.setdefault(kind, []).append((to_metric(item.geometry), dict(item.properties)))
            count += 1
    return Objects(by_kind, count)


def _number(value: Any, default: float) -> float:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        else default
    )


def build_land_cover(
    session: Session, *, municipality_id: int, sources: Sequence[features.FeatureSource]
) -> LandCoverGrid:
    """Rebuild the municipality's land cover from the register and its active layers, with
    everything the hourly map derives from it once."""
    place = session.get(Municipality, municipality_id)
    if place is None or place.geom is None:
        raise NotFound(detail=f"No municipality {municipality_id} with a boundary.")
    settings = rules(session, municipality_id=municipality_id)
    area = to_metric(place.geom)
    minx, miny, maxx, maxy = area.bounds
    grid = Grid.covering((minx - 100, miny - 100, maxx + 100, maxy + 100), cell=settings.cell_m)
    objects = _objects(session, sources, place.geom)
    shapes: dict[str, list[tuple[Any, dict[str, Any]]]] = {
        k: list(v) for k, v in objects.by_kind.items()
    }
    rasters: dict[str, NDArray[np.float32]] = {}
    used_layers = []
    layers = session.scalars(
        select(Layer)
        .where(Layer.municipality_id == municipality_id, Layer.active.is_(True))
        .order_by(Layer.id)
    ).all()
    for layer in layers:
        read = read_layer(layer.content, filename=layer.filename, kind=layer.kind, area=area)
        used_layers.append(layer.id)
        if read.raster is not None:
            rasters[layer.kind] = landcover.regrid(
                read.raster.data,
                transform=read.raster.transform,
                crs=read.raster.crs,
                nodata=None,
                grid=grid,
                resampling="max" if layer.kind == "building-height" else "average",
            )
        else:
            shapes.setdefault(read.kind, []).extend(read.shapes)
    trees = shapes.get("trees", [])
    tree_points = [g if g.geom_type == "Point" else g.centroid for g, _ in trees]
    diameters = [
        _number(p.get("crown_diameter_m"), landcover.DEFAULT_CROWN_DIAMETER) for _, p in trees
    ]
    crowns = [
        (
            disc if g.geom_type == "Point" else g,
            _number(p.get("height_m"), landcover.DEFAULT_TREE_HEIGHT),
        )
        for disc, (g, p) in zip(
            landcover.crown_discs(tree_points, diameters) if trees else [], trees, strict=True
        )
    ]
    cover = landcover.combine(
        grid,
        inside=landcover.mask_of(grid, area),
        building_shapes=[(g, landcover.building_height(p)) for g, p in shapes.get("buildings", [])],
        crown_shapes=crowns,
        water_shapes=[g for g, _ in shapes.get("water", [])],
        green_shapes=[g for g, _ in shapes.get("green", [])],
        paved_shapes=[g for g, _ in shapes.get("paved", [])],
        impervious_raster=rasters.get("impervious"),
        canopy_raster=rasters.get("canopy"),
        building_raster=rasters.get("building-height"),
        elevation=rasters.get("elevation"),
    )
    statics = gridmodel.prepare(cover)
    district_raster = np.zeros(grid.shape, dtype=np.int64)
    for d in districts(session, municipality_id=municipality_id):
        if d.geom is not None:
            district_raster[landcover.mask_of(grid, to_metric(d.geom)) & cover.inside] = d.id
    arrays = {name: getattr(statics, name) for name in STATIC_FIELDS}
    arrays["outdoor"] = statics.outdoor
    arrays["districts"] = district_raster
    arrays["impervious_share"] = cover.impervious
    if cover.elevation is not None:
        arrays["elevation"] = cover.elevation
    data = packing.pack(
        {k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in arrays.items()}
    )
    summary = {
        "objects": objects.count,
        "objects_by_kind": {k: len(v) for k, v in objects.by_kind.items()},
        "layers": used_layers,
        "buildings": len(shapes.get("buildings", [])),
        "trees": len(trees),
        "sealed_share": round(float(cover.impervious[cover.inside].mean()), 3),
        "crown_share": round(float((cover.crowns[cover.inside] > 0).mean()), 3),
        "cells": int(cover.inside.sum()),
    }
    row = session.get(LandCoverGrid, municipality_id) or LandCoverGrid(
        municipality_id=municipality_id
    )
    row.west, row.north, row.cell = grid.west, grid.north, grid.cell
    row.width, row.height = grid.width, grid.height
    row.data = data
    row.sources = summary
    row.built_at = utcnow()
    session.add(row)
    session.flush()
    return row


def upload_layer(
    session: Session,
    *,
    municipality_id: int,
    kind: str,
    name: str,
    filename: str,
    content: bytes,
    user_id: int | None,
    sources: Sequence[features.FeatureSource],
    rebuild: bool = True,
) -> Layer:
    """Check an uploaded land-cover file, keep it and rebuild the land cover with it, all in
    the caller's transaction: a file that fails leaves nothing behind. (``rebuild`` False: the
    caller rebuilds once after several uploads.)"""
    place = session.get(Municipality, municipality_id)
    if place is None or place.geom is None:
        raise NotFound(detail=f"No municipality {municipality_id} with a boundary.")
    name = name.strip() or filename
    if len(name) > 200:
        raise ValidationFailed.one("name", N_("must be at most 200 characters"))
    read = read_layer(content, filename=filename, kind=kind, area=to_metric(place.geom))
    layer = Layer(
        municipality_id=municipality_id,
        kind=kind,
        name=name,
        filename=filename[:300],
        file_format=read.file_format,
        content=content,
        size_bytes=len(content),
        source_crs=read.source_crs,
        summary=read.summary,
        active=True,
        created_at=utcnow(),
        created_by=user_id,
    )
    session.add(layer)
    session.flush()
    if rebuild:
        build_land_cover(session, municipality_id=municipality_id, sources=sources)
    return layer


def remove_layer(
    session: Session,
    *,
    municipality_id: int,
    layer_id: int,
    sources: Sequence[features.FeatureSource],
) -> None:
    layer = session.get(Layer, layer_id)
    if layer is None or layer.municipality_id != municipality_id:
        raise NotFound(detail=f"No layer {layer_id} in this municipality.")
    layer.active = False
    session.flush()
    build_land_cover(session, municipality_id=municipality_id, sources=sources)


def layers_of(session: Session, *, municipality_id: int) -> list[Layer]:
    return list(
        session.scalars(
            select(Layer)
            .where(Layer.municipality_id == municipality_id, Layer.active.is_(True))
            .order_by(Layer.created_at.desc(), Layer.id.desc())
        )
    )


def land_cover(session: Session, *, municipality_id: int) -> LandCoverGrid | None:
    return session.get(LandCoverGrid, municipality_id)


@dataclass
class Prepared:
    """A municipality's land cover as the hourly map needs it."""

    municipality_id: int
    built_at: datetime
    statics: gridmodel.Statics
    districts: NDArray[np.int64]


_cache: dict[int, Prepared] = {}
_cache_lock = threading.Lock()


def prepared(session: Session, *, municipality_id: int) -> Prepared | None:
    """The stored land cover, decompressed once per process and build."""
    built = session.scalar(
        select(LandCoverGrid.built_at).where(LandCoverGrid.municipality_id == municipality_id)
    )
    if built is None:
        return None
    with _cache_lock:
        hit = _cache.get(municipality_id)
        if hit is not None and hit.built_at == built:
            return hit
    row = session.get(LandCoverGrid, municipality_id)
    assert row is not None
    grid = Grid(row.west, row.north, row.cell, row.width, row.height)
    with np.load(io.BytesIO(row.data)) as stored:
        arrays = {k: stored[k] for k in stored.files}
    floats = {k: arrays[k].astype(np.float32) for k in STATIC_FIELDS}
    statics = gridmodel.Statics(
        grid=grid,
        elevation=arrays["elevation"].astype(np.float32) if "elevation" in arrays else None,
        outdoor=arrays["outdoor"].astype(bool),
        **floats,
    )
    result = Prepared(municipality_id, built, statics, arrays["districts"].astype(np.int64))
    with _cache_lock:
        _cache[municipality_id] = result
    return result


# --- the regional weather and the stations ----------------------------------------------------


def reference_station(session: Session, *, municipality_id: int) -> Station | None:
    """The station whose measurements are the municipality's regional weather: the one its
    settings name, else one marked ``heat_role: reference``, else its own first. Another
    municipality's station counts only where it and its measurements are public."""
    settings = rules(session, municipality_id=municipality_id)
    reader = working_for(municipality_id)
    if settings.reference_thing_id is not None:
        named = find(session, thing_ids=[settings.reference_thing_id], principal=reader)
        return named[0] if named and named[0].has("ta", "rh", "wind", "ghi") else None
    every = [s for s in find(session, principal=reader) if s.has("ta", "rh", "wind", "ghi")]
    marked = [s for s in every if s.thing.properties.get("heat_role") == "reference"]
    own = [s for s in every if s.thing.municipality_id == municipality_id]
    chosen = marked or sorted(own, key=lambda s: s.thing.id)
    return chosen[0] if chosen else None


def hourly_means(series: sensing.Series, hours: pd.DatetimeIndex) -> NDArray[np.float64]:
    """The mean of a series in each hour ``[h, h + 1 h)`` (NaN for an hour without values)."""
    import pandas as pd

    if not len(series.times):
        return np.full(len(hours), np.nan)
    frame = pd.Series(
        series.values, index=pd.DatetimeIndex(series.times.astype("datetime64[ns]"), tz="UTC")
    )
    means = frame.resample("1h").mean()
    return np.asarray(means.reindex(hours).to_numpy(dtype=np.float64))


@dataclass
class HourInputs:
    """What the map of some hours is made from."""

    hours: pd.DatetimeIndex
    weather: list[gridmodel.Weather | None]
    reference: gridmodel.Reference
    station_ids: list[int]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    ta: NDArray[np.float64]  # hours × stations
    forecast: list[bool]


def hour_inputs(
    session: Session, *, municipality_id: int, hours: pd.DatetimeIndex, statics: gridmodel.Statics
) -> HourInputs | None:
    """Regional weather per hour and the stations' hourly air temperature."""
    import pandas as pd

    reference = reference_station(session, municipality_id=municipality_id)
    if reference is None:
        return None
    settings = rules(session, municipality_id=municipality_id)
    reader = working_for(municipality_id)
    forecast = (
        find(session, thing_ids=[settings.forecast_thing_id], principal=reader)
        if settings.forecast_thing_id
        else []
    )
    local = [
        s
        for s in find(session, municipality_ids=[municipality_id], principal=reader)
        if "ta" in s.inputs
    ]
    start = hours.min().to_pydatetime() - timedelta(hours=12)  # the cloud cover needs daylight
    end = hours.max().to_pydatetime() + timedelta(hours=1)
    ids = {s.id for st in [reference, *forecast, *local] for s in st.inputs.values()}
    data = sensing.series(session, datastream_ids=ids, start=start, end=end)
    span = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(hours=1), freq="h")
    wanted = span.get_indexer(hours)
    regional = {
        k: hourly_means(data[reference.inputs[k].id], span) for k in ("ta", "rh", "wind", "ghi")
    }
    is_forecast = np.zeros(len(span), dtype=bool)
    if forecast and forecast[0].has("ta", "rh", "wind", "ghi"):
        later = span >= pd.Timestamp(floor_hour(utcnow()))
        for k in regional:
            predicted = hourly_means(data[forecast[0].inputs[k].id], span)
            regional[k] = np.where(later, predicted, regional[k])
        is_forecast = np.asarray(later)
    assert reference.thing.lat is not None and reference.thing.lon is not None
    middle = span + pd.Timedelta(minutes=30)
    ghi = np.nan_to_num(regional["ghi"])
    sky = radiant.sun(middle, reference.thing.lat, reference.thing.lon, ghi)
    cloud = radiant.cloud_cover(np.where(np.isfinite(regional["ghi"]), ghi, np.nan), sky)
    fields = ("elevation", "azimuth", "direct_normal", "diffuse", "clear_sky")
    weather: list[gridmodel.Weather | None] = []
    for i in wanted.tolist():
        if not all(np.isfinite(regional[k][i]) for k in regional):
            weather.append(None)
            continue
        weather.append(
            gridmodel.Weather(
                float(regional["ta"][i]),
                float(regional["rh"][i]),
                float(regional["wind"][i]),
                float(cloud[i]),
                radiant.Sun(*(getattr(sky, f)[i : i + 1] for f in fields)),
            )
        )
    grid = statics.grid
    positions = [
        to_metric(shapely.Point(s.thing.lon, s.thing.lat)) for s in local if s.thing.lon is not None
    ]
    placed = [s for s in local if s.thing.lon is not None]
    x = np.array([p.x for p in positions], dtype=np.float64)
    y = np.array([p.y for p in positions], dtype=np.float64)
    ta = np.array([hourly_means(data[s.inputs["ta"].id], hours) for s in placed]).T.reshape(
        len(hours), len(placed)
    )
    ref_point = to_metric(shapely.Point(reference.thing.lon, reference.thing.lat))
    row, col = grid.cell_of(np.array([ref_point.x]), np.array([ref_point.y]))
    return HourInputs(
        hours=hours,
        weather=weather,
        reference=gridmodel.Reference.at(statics, int(row[0]), int(col[0])),
        station_ids=[s.thing.id for s in placed],
        x=x,
        y=y,
        ta=ta,
        forecast=[bool(is_forecast[i]) for i in wanted.tolist()],
    )


# --- hourly maps -----------------------------------------------------------------------------


def _pack(hour: gridmodel.HourMap) -> bytes:
    return packing.pack(
        {
            "ta": np.round(hour.ta, 1).astype(np.float16),
            "utci": np.round(hour.utci, 1).astype(np.float16),
        }
    )


def unpack(data: bytes) -> dict[str, NDArray[np.float32]]:
    with np.load(io.BytesIO(data)) as stored:
        return {k: stored[k].astype(np.float32) for k in stored.files}


def _district_cells(prep: Prepared) -> list[tuple[int, NDArray[np.intp]]]:
    """Each district's cells (flat indices in raster order), found once for many hours."""
    flat = prep.districts.ravel()
    return [
        (district_id, np.flatnonzero(flat == district_id))
        for district_id in np.unique(flat[flat > 0]).tolist()
    ]


def _district_rows(
    municipality_id: int,
    hour: datetime,
    source: str,
    cells: Sequence[tuple[int, NDArray[np.intp]]],
    result: gridmodel.HourMap,
) -> list[DistrictHour]:
    rows = []
    utci, ta = result.utci.ravel(), result.ta.ravel()
    for district_id, where in cells:
        values = utci[where]
        finite = np.isfinite(values)
        if not finite.any():
            continue
        u = values[finite].astype(np.float64)
        t = ta[where][finite].astype(np.float64)
        p50, p75, p90, p95 = np.percentile(u, [50, 75, 90, 95])
        rows.append(
            DistrictHour(
                district_id=district_id,
                hour=hour,
                municipality_id=municipality_id,
                source=source,
                cells=int(finite.sum()),
                utci_p50=round(float(p50), 2),
                utci_p75=round(float(p75), 2),
                utci_p90=round(float(p90), 2),
                utci_p95=round(float(p95), 2),
                utci_max=round(float(u.max()), 2),
                ta_p50=round(float(np.median(t)), 2),
                ta_min=round(float(t.min()), 2),
                ta_max=round(float(t.max()), 2),
            )
        )
    return rows


@dataclass
class ComputedHour:
    hour: datetime
    source: str
    stations_used: int
    packed: bytes
    districts: list[DistrictHour]


def compute_hours(
    session: Session, *, municipality_id: int, hours: Sequence[datetime]
) -> list[ComputedHour]:
    """The maps of ``hours`` (read-only; :func:`store_hours` writes them)."""
    import pandas as pd

    prep = prepared(session, municipality_id=municipality_id)
    if prep is None or not hours:
        return []
    index = pd.DatetimeIndex(sorted(hours))
    inputs = hour_inputs(
        session, municipality_id=municipality_id, hours=index, statics=prep.statics
    )
    if inputs is None:
        return []
    cells = _district_cells(prep)
    done = []
    for i, moment in enumerate(index):
        weather = inputs.weather[i]
        if weather is None:
            continue
        measured = np.isfinite(inputs.ta[i])
        stations = (
            gridmodel.Stations(inputs.x[measured], inputs.y[measured], inputs.ta[i][measured])
            if not inputs.forecast[i]
            else None
        )
        result = gridmodel.hour_map(prep.statics, weather, inputs.reference, stations)
        source = "forecast" if inputs.forecast[i] else "measured"
        hour = moment.to_pydatetime()
        done.append(
            ComputedHour(
                hour,
                source,
                result.stations_used,
                _pack(result),
                _district_rows(municipality_id, hour, source, cells, result),
            )
        )
    return done


def store_hours(session: Session, *, municipality_id: int, computed: Sequence[ComputedHour]) -> int:
    """Write computed hours (replacing earlier versions) and drop full maps past retention."""
    # One statement for all hours: each ORM delete also searches the session for its rows.
    session.execute(
        delete(DistrictHour).where(
            DistrictHour.municipality_id == municipality_id,
            DistrictHour.hour.in_([item.hour for item in computed]),
        )
    )
    for item in computed:
        existing = session.get(MapHour, (municipality_id, item.hour))
        if existing is not None:
            session.delete(existing)
            session.flush()
        session.add(
            MapHour(
                municipality_id=municipality_id,
                hour=item.hour,
                data=item.packed,
                source=item.source,
                stations_used=item.stations_used,
                computed_at=utcnow(),
            )
        )
        session.add_all(item.districts)
    session.flush()
    newest = session.scalar(
        select(func.max(MapHour.hour)).where(MapHour.municipality_id == municipality_id)
    )
    if newest is not None:
        session.execute(
            delete(MapHour).where(
                MapHour.municipality_id == municipality_id,
                MapHour.hour < newest - RETENTION,
                MapHour.kept.is_(False),
            )
        )
    return len(computed)


def due_hours(session: Session, *, municipality_id: int, now: datetime) -> list[datetime]:
    """Complete hours in the look-back window without a map, and forecast maps whose hour has
    passed; then future hours of the forecast. At most :data:`HOURS_PER_RUN`."""
    last_complete = floor_hour(now) - timedelta(hours=1)
    start = last_complete - LOOKBACK
    known = dict(
        session.execute(
            select(MapHour.hour, MapHour.source).where(
                MapHour.municipality_id == municipality_id, MapHour.hour >= start
            )
        ).all()
    )
    due = []
    moment = start
    while moment <= last_complete:
        source = known.get(moment)
        if source is None or source == "forecast":
            due.append(moment)
        moment += timedelta(hours=1)
    settings = rules(session, municipality_id=municipality_id)
    if settings.forecast_thing_id is not None:
        for ahead in range(1, 73):
            moment = last_complete + timedelta(hours=ahead)
            if known.get(moment) is None:
                due.append(moment)
    return due[:HOURS_PER_RUN]


def update(store: Store, *, now: datetime) -> int:
    """The job's work for every municipality with a land cover: compute in a read session,
    write each municipality's hours in one transaction."""
    ids = store.read(lambda session: list(session.scalars(select(LandCoverGrid.municipality_id))))
    computed_total = 0
    for municipality_id in ids:

        def compute(session: Session, m: int = municipality_id) -> list[ComputedHour]:
            hours = due_hours(session, municipality_id=m, now=now)
            return compute_hours(session, municipality_id=m, hours=hours)

        computed = store.read(compute)
        if computed:

            def save(
                session: Session, m: int = municipality_id, c: list[ComputedHour] = computed
            ) -> int:
                return store_hours(session, municipality_id=m, computed=c)

            store.write(save)
            computed_total += len(computed)
    return computed_total


# --- reading the map ---------------------------------------------------------------------


def map_hours(session: Session, *, municipality_id: int, limit: int = 500) -> list[MapHour]:
    """The stored full maps, newest first (without their data)."""
    return list(
        session.scalars(
            select(MapHour)
            .where(MapHour.municipality_id == municipality_id)
            .order_by(MapHour.hour.desc())
            .limit(limit)
        )
    )


def map_hour(session: Session, *, municipality_id: int, hour: datetime | None) -> MapHour:
    query = select(MapHour).where(MapHour.municipality_id == municipality_id)
    query = (
        query.where(MapHour.hour == hour)
        if hour is not None
        else query.order_by(MapHour.hour.desc())
    )
    found = session.scalar(query.limit(1))
    if found is None:
        raise NotFound(detail="No heat map for that hour.")
    return found


_overlays: OrderedDict[tuple[int, datetime, datetime], render.Overlay] = OrderedDict()
OVERLAYS_KEPT = 32


def cached_overlay(session: Session, *, municipality_id: int, hour: datetime) -> render.Overlay:
    """The PNG overlay of a stored hour, drawn once per process and version of the hour."""
    stored = map_hour(session, municipality_id=municipality_id, hour=hour)
    key = (municipality_id, stored.hour, stored.computed_at)
    with _cache_lock:
        hit = _overlays.get(key)
        if hit is not None:
            _overlays.move_to_end(key)
            return hit
    drawn = render.overlay(
        grid_of(session, municipality_id=municipality_id), unpack(stored.data)["utci"]
    )
    with _cache_lock:
        _overlays[key] = drawn
        while len(_overlays) > OVERLAYS_KEPT:
            _overlays.popitem(last=False)
    return drawn


def grid_of(session: Session, *, municipality_id: int) -> Grid:
    row = session.get(LandCoverGrid, municipality_id)
    if row is None:
        raise NotFound(detail="This municipality has no land cover yet.")
    return Grid(row.west, row.north, row.cell, row.width, row.height)


def district_hours(
    session: Session, *, municipality_id: int, start: datetime, end: datetime
) -> list[DistrictHour]:
    return list(
        session.scalars(
            select(DistrictHour)
            .where(
                DistrictHour.municipality_id == municipality_id,
                DistrictHour.hour >= start,
                DistrictHour.hour < end,
            )
            .order_by(DistrictHour.hour, DistrictHour.district_id)
        )
    )


# --- the evaluation ----------------------------------------------------------------------


def evaluate(
    session: Session, *, municipality_id: int, start: datetime, end: datetime
) -> dict[str, Any] | None:
    """Leave-one-station-out errors of air temperature over ``[start, end)`` (read-only)."""
    import pandas as pd

    prep = prepared(session, municipality_id=municipality_id)
    if prep is None:
        return None
    hours = pd.date_range(floor_hour(start), floor_hour(end) - timedelta(hours=1), freq="h")
    if not len(hours):
        return None
    inputs = hour_inputs(
        session, municipality_id=municipality_id, hours=hours, statics=prep.statics
    )
    if inputs is None or len(inputs.station_ids) < 4:
        return None
    grid = prep.statics.grid
    rows, cols = grid.cell_of(inputs.x, inputs.y)
    inside = grid.contains(rows, cols)
    if inside.sum() < 4:
        return None
    modelled = np.full(inputs.ta.shape, np.nan)
    for i, weather in enumerate(inputs.weather):
        if weather is not None and not inputs.forecast[i]:
            modelled[i, inside] = gridmodel.model_air_temperature(
                prep.statics, weather, inputs.reference, cells=(rows[inside], cols[inside])
            )
    observed = np.where(np.isfinite(modelled), inputs.ta, np.nan)
    keep = inside & np.isfinite(observed).any(axis=0)  # stations that measured in the period
    if keep.sum() < 4:
        return None
    result = gridmodel.leave_one_station_out(
        inputs.x[keep],
        inputs.y[keep],
        observed[:, keep],
        modelled[:, keep],
        ids=[i for i, k in zip(inputs.station_ids, keep, strict=True) if k],
    )

    def errors(e: gridmodel.Errors) -> dict[str, float | int | None]:
        if not e.n:  # nothing to compare (JSON has no NaN)
            return {"rmse": None, "bias": None, "n": 0}
        return {"rmse": round(e.rmse, 3), "bias": round(e.bias, 3), "n": e.n}

    return {
        "joined": errors(result.joined),
        "model": errors(result.model),
        "interpolation": errors(result.interpolation),
        "stations": result.stations,
        "hours": result.hours,
        "per_station": {
            str(k): {m: errors(e) for m, e in v.items()} for k, v in result.per_station.items()
        },
    }


def store_evaluation(
    session: Session,
    *,
    municipality_id: int,
    start: datetime,
    end: datetime,
    results: dict[str, Any],
) -> Evaluation:
    row = Evaluation(
        municipality_id=municipality_id,
        period_start=start,
        period_end=end,
        stations=int(results["stations"]),
        hours=int(results["hours"]),
        results=results,
        computed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def latest_evaluation(session: Session, *, municipality_id: int) -> Evaluation | None:
    return session.scalar(
        select(Evaluation)
        .where(Evaluation.municipality_id == municipality_id)
        .order_by(Evaluation.computed_at.desc(), Evaluation.id.desc())
        .limit(1)
    )


# --- cool places -------------------------------------------------------------------------


def cool_places(
    session: Session, *, sources: Sequence[features.FeatureSource], area: Any | None
) -> list[dict[str, Any]]:
    """Cool places, drinking fountains and shade of the register as GeoJSON features."""
    found = register_objects(
        session,
        sources=sources,
        area=area if area is not None else shapely.box(-180, -90, 180, 90),
        wanted=COOL_PLACE_TYPES,
    )
    out = []
    for type_key, items in found.items():
        for item in items:
            if item.geometry is None:
                continue
            props = item.properties
            out.append(
                {
                    "type": "Feature",
                    "geometry": geometry_to_geojson(item.geometry),
                    "properties": {
                        "kind": type_key,
                        "name": props.get("name"),
                        "address": props.get("address"),
                        "opening_hours": props.get("opening_hours"),
                        "description": props.get("description"),
                    },
                }
            )
    return out
