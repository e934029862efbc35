"""Reading uploaded land-cover files: GeoTIFF rasters (rasterio) and GeoPackage or GeoJSON
vectors (pyogrio), checked before anything is stored.

Each bad file gets one clear reason, named after the field ``file``: it cannot be read, it has
no coordinate reference system, its CRS cannot be turned into the map's (EPSG:25832), it does
not overlap the municipality, it holds no usable values or features, or its geometries are of
the wrong kind. A file in another CRS is reprojected, and the summary says from which.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from pyproj.exceptions import CRSError, ProjError
from shapely.geometry.base import BaseGeometry

from allmende.modules.heat.catalogue import LAYER_KINDS, N_
from allmende.modules.heat.landcover import METRIC_EPSG
from allmende.sdk import Message, ValidationFailed

if TYPE_CHECKING:  # rasterio loads on the first raster upload, not when the app starts
    from rasterio.crs import CRS

FIELD = "file"
#: Raster kinds given as a share: 0–1, or 0–100 % (values above 100 are "no data", as the
#: Copernicus layers mark cells outside their area with 254 and 255).
SHARE_KINDS = ("impervious", "canopy")
POLYGON_KINDS = ("buildings", "water", "green", "paved")


@dataclass
class Raster:
    data: NDArray[np.float32]  # NaN where there is no data
    transform: Affine
    crs: CRS


@dataclass
class LayerFile:
    kind: str
    file_format: str
    source_crs: str
    raster: Raster | None = None
    #: Metric (EPSG:25832) geometries with their attributes.
    shapes: list[tuple[BaseGeometry, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _refuse(reason: str) -> ValidationFailed:
    """The file refused; a :class:`Message` keeps what it quotes of the file (its CRS, its
    extent, the reader's own words) apart from the words the staff page translates."""
    return ValidationFailed.one(FIELD, reason)


_NO_CRS = N_("has no coordinate reference system; save it with one (e.g. EPSG:25832)")


def _not_reprojected(source: str, exc: Exception) -> Message:
    return Message(
        N_("its CRS %(crs)s cannot be reprojected (%(error)s)"),
        crs=source,
        error=_first_line(exc),
    )


def _no_overlap(crs: str, bounds: Any) -> Message:
    return Message(
        N_("does not overlap the municipality (its extent in %(crs)s: %(extent)s)"),
        crs=crs,
        extent=_box(bounds),
    )


def _crs_name(crs: Any) -> str:
    try:
        epsg = pyproj.CRS.from_user_input(crs).to_epsg()
    except CRSError:
        epsg = None
    return f"EPSG:{epsg}" if epsg else pyproj.CRS.from_user_input(crs).name


def read_layer(content: bytes, *, filename: str, kind: str, area: BaseGeometry) -> LayerFile:
    """Read and check an uploaded file of ``kind`` for the municipality whose boundary (in
    EPSG:25832) is ``area``. Raises :class:`ValidationFailed` naming ``file``."""
    spec = LAYER_KINDS.get(kind)
    if spec is None:
        raise ValidationFailed.one("kind", N_("is not one of the choices"))
    if not content:
        raise _refuse(N_("is empty"))
    if spec.form == "raster":
        return _read_raster(content, kind=kind, area=area)
    return _read_vector(content, filename=filename, kind=kind, area=area)


def _read_raster(content: bytes, *, kind: str, area: BaseGeometry) -> LayerFile:
    from rasterio.crs import CRS
    from rasterio.errors import RasterioError
    from rasterio.io import MemoryFile
    from rasterio.warp import transform_bounds

    try:
        with MemoryFile(content) as memory, memory.open() as dataset:
            if dataset.driver != "GTiff":
                raise _refuse(
                    Message(N_("is a %(driver)s raster; upload a GeoTIFF"), driver=dataset.driver)
                )
            crs = dataset.crs
            if crs is None:
                raise _refuse(_NO_CRS)
            data = dataset.read(1, masked=True).astype(np.float32).filled(np.nan)
            transform = dataset.transform
            bounds = dataset.bounds
    except RasterioError as exc:
        raise _refuse(
            Message(N_("cannot be read as a GeoTIFF (%(error)s)"), error=_first_line(exc))
        ) from None
    source = _crs_name(crs)
    try:
        west, south, east, north = transform_bounds(crs, CRS.from_epsg(METRIC_EPSG), *bounds)
    except (RasterioError, CRSError, ProjError, ValueError) as exc:
        raise _refuse(_not_reprojected(source, exc)) from None
    extent = shapely.box(west, south, east, north)
    if not extent.intersects(area):
        raise _refuse(_no_overlap(source, bounds))
    data = _clean_values(data, kind)
    values = data[np.isfinite(data)]
    if values.size == 0:
        raise _refuse(N_("holds no values (every cell is no data)"))
    covered = extent.intersection(area).area / area.area
    return LayerFile(
        kind=kind,
        file_format="geotiff",
        source_crs=source,
        raster=Raster(data, transform, crs),
        summary={
            "cells": int(data.size),
            "min": float(values.min()),
            "max": float(values.max()),
            "covers": round(float(covered), 3),
            "reprojected_from": None if source == f"EPSG:{METRIC_EPSG}" else source,
        },
    )


def _clean_values(data: NDArray[np.float32], kind: str) -> NDArray[np.float32]:
    if kind in SHARE_KINDS:
        data = np.where((data >= 0) & (data <= 100), data, np.nan).astype(np.float32)
        finite = data[np.isfinite(data)]
        if finite.size and float(finite.max()) > 1.0:
            data = (data / 100.0).astype(np.float32)
    elif kind == "building-height":
        data = np.where((data >= 0) & (data < 1000), data, np.nan).astype(np.float32)
    else:
        data = np.where(np.abs(data) < 9000, data, np.nan).astype(np.float32)
    return data


def _read_vector(content: bytes, *, filename: str, kind: str, area: BaseGeometry) -> LayerFile:
    import pyogrio  # here: it imports pandas, a second of every server start

    file_format = "gpkg" if content[:16].startswith(b"SQLite format 3") else "geojson"
    try:
        with warnings.catch_warnings():  # read from memory: GDAL misses a file name extension
            warnings.filterwarnings("ignore", message=".*file extension", category=RuntimeWarning)
            meta, _, geometry, fields = pyogrio.raw.read(io.BytesIO(content))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        raise _refuse(N_("cannot be read as a GeoPackage or GeoJSON")) from None
    crs = meta.get("crs")
    if not crs:
        raise _refuse(_NO_CRS)
    if geometry is None or len(geometry) == 0:
        raise _refuse(N_("contains no features"))
    source = _crs_name(crs)
    try:
        to_metric = Transformer.from_crs(crs, METRIC_EPSG, always_xy=True)
        geoms = shapely.from_wkb(geometry)
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))
        )
    except (CRSError, ProjError, shapely.errors.GEOSException) as exc:
        raise _refuse(_not_reprojected(source, exc)) from None
    geoms = shapely.make_valid(np.asarray(geoms, dtype=object))
    names = [str(n).lower() for n in meta.get("fields", [])]
    # Checked for all features at once (a town's buildings are tens of thousands).
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    coordinates, owner = shapely.get_coordinates(geoms, return_index=True)
    usable[owner[~np.isfinite(coordinates).all(axis=1)]] = False
    dims = shapely.get_dimensions(geoms)
    of_kind = np.ones(len(geoms), dtype=bool)  # the kinds' shapes: polygons; trees no lines
    if kind in POLYGON_KINDS:
        of_kind = dims == 2
    elif kind == "trees":
        of_kind = dims != 1
    wrong = int((usable & ~of_kind).sum())
    picked = np.flatnonzero(usable & of_kind)
    kept: list[tuple[BaseGeometry, dict[str, Any]]] = [
        (
            geoms[index],
            {name: _plain(values[index]) for name, values in zip(names, fields, strict=True)},
        )
        for index in picked.tolist()
    ]
    if not kept:
        wanted = N_("points or polygons") if kind == "trees" else N_("polygons")
        if wrong:
            raise _refuse(
                Message(
                    N_("holds no usable %(wanted)s (%(wrong)d features of another kind)"),
                    wanted=wanted,
                    wrong=wrong,
                )
            )
        raise _refuse(Message(N_("holds no usable %(wanted)s"), wanted=wanted))
    kept_geoms = geoms[picked]
    # Feature by feature, not through the union of their envelopes (which for a town's
    # buildings took most of a second): a file overlaps where one of its features' boxes does.
    if not shapely.intersects(shapely.envelope(kept_geoms), area).any():
        raise _refuse(_no_overlap(f"EPSG:{METRIC_EPSG}", shapely.total_bounds(kept_geoms)))
    inside = int(shapely.intersects(kept_geoms, area).sum())
    return LayerFile(
        kind=kind,
        file_format=file_format,
        source_crs=source,
        shapes=kept,
        summary={
            "features": len(kept),
            "inside": inside,
            "skipped": int(len(geoms) - len(kept)),
            "reprojected_from": None if source == f"EPSG:{METRIC_EPSG}" else source,
            "filename": filename,
        },
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return None
    return value


def _box(bounds: Any) -> str:
    return ", ".join(f"{v:.4f}" if abs(v) < 1000 else f"{v:.0f}" for v in bounds)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
