"""Land-cover files for the tests, made in memory as a GIS would write them."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pyogrio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import MemoryFile


def geotiff(
    data: np.ndarray, *, transform: Affine, crs: CRS | None, nodata: float | None = None
) -> bytes:
    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=data.shape[1],
            height=data.shape[0],
            count=1,
            dtype=str(data.dtype),
            crs=crs,
            transform=transform,
            nodata=nodata,
        ) as target:
            target.write(data, 1)
        return bytes(memory.read())


def wgs84_raster(west: float, north: float, values: np.ndarray, step: float = 0.001) -> bytes:
    return geotiff(
        values, transform=Affine(step, 0, west, 0, -step, north), crs=CRS.from_epsg(4326)
    )


def geojson(features: list[tuple[dict, dict]]) -> bytes:  # type: ignore[type-arg]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features],
        }
    ).encode()


def geopackage(polygons: list[shapely.Geometry], heights: list[float], crs: str | None) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a file without a CRS is what this may make on purpose
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.raw.write(
            buffer,
            np.array([shapely.to_wkb(p) for p in polygons], dtype=object),
            [np.array(heights)],
            ["height_m"],
            driver="GPKG",
            geometry_type="Polygon",
            crs=crs,
            layer="buildings",
        )
    return buffer.getvalue()
