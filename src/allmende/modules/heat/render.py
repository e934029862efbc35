"""The map as files: a PNG overlay in the UTCI classes' colours for web maps, a
Cloud-Optimised GeoTIFF and NetCDF (CF conventions) for download (pure functions).

The overlay is reprojected to Web Mercator, as Leaflet lays an image between two corners in
that projection; its corners are given in WGS 84. The downloads stay on the map's grid in
EPSG:25832 with NaN outside the municipality and inside buildings.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from allmende.modules.heat.catalogue import UTCI_CLASSES
from allmende.modules.heat.landcover import METRIC_EPSG, Grid
from allmende.modules.heat.utci import stress_category

WEB_MERCATOR = 3857
#: Opacity of the overlay's coloured cells (the base map shows through).
ALPHA = 190


@dataclass(frozen=True)
class Overlay:
    png: bytes
    #: South-west and north-east corners (lat, lon), as Leaflet's ``imageOverlay`` takes them.
    bounds: tuple[tuple[float, float], tuple[float, float]]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


PALETTE = np.array(
    [(*_rgb(c.colour), ALPHA) for c in UTCI_CLASSES] + [(0, 0, 0, 0)], dtype=np.uint8
)


def overlay(grid: Grid, utci: NDArray[np.float32]) -> Overlay:
    """A PNG of the UTCI classes in Web Mercator, transparent where there is no value."""
    # rasterio and Pillow load on the first map, not when the app starts.
    import rasterio.warp
    from PIL import Image
    from rasterio.crs import CRS
    from rasterio.enums import Resampling

    destination = CRS.from_epsg(WEB_MERCATOR)
    transform, width, height = rasterio.warp.calculate_default_transform(
        grid.crs, destination, grid.width, grid.height, *grid.bounds
    )
    warped = np.full((height, width), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        utci.astype(np.float32),
        warped,
        src_transform=grid.transform,
        src_crs=grid.crs,
        src_nodata=np.nan,
        dst_transform=transform,
        dst_crs=destination,
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    codes = stress_category(warped).astype(np.int64)  # 0…9, −1 for no value
    pixels = PALETTE[np.where(codes < 0, len(UTCI_CLASSES), codes)]
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGBA").save(buffer, format="PNG", optimize=True)
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    (lon_w, lon_e), (lat_s, lat_n) = rasterio.warp.transform(
        destination, CRS.from_epsg(4326), [west, east], [south, north]
    )
    return Overlay(buffer.getvalue(), ((lat_s, lon_w), (lat_n, lon_e)))


def cog(grid: Grid, layers: dict[str, NDArray[np.float32]], *, hour: datetime) -> bytes:
    """A Cloud-Optimised GeoTIFF with one band per layer (e.g. UTCI and air temperature)."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.io import MemoryFile

    names = list(layers)
    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=grid.width,
            height=grid.height,
            count=len(names),
            dtype="float32",
            crs=CRS.from_epsg(METRIC_EPSG),
            transform=grid.transform,
            nodata=np.nan,
        ) as source:
            for band, name in enumerate(names, start=1):
                source.write(layers[name].astype(np.float32), band)
                source.set_band_description(band, name)
            source.update_tags(time=hour.isoformat(), units="degree Celsius")
        # The COG driver writes tiles and overviews in the order readers fetch them.
        with memory.open() as source, tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "map.tif")
            profile = {
                "driver": "COG",
                "width": source.width,
                "height": source.height,
                "count": source.count,
                "dtype": "float32",
                "crs": source.crs,
                "transform": source.transform,
                "nodata": np.nan,
                "compress": "deflate",
                "predictor": 3,
                "blocksize": 256,
            }
            with rasterio.open(path, "w", **profile) as target:
                target.write(source.read())
                for band in range(1, source.count + 1):
                    target.set_band_description(band, source.descriptions[band - 1] or "")
                target.update_tags(**source.tags())
            with open(path, "rb") as handle:
                return handle.read()


def netcdf(
    grid: Grid, layers: dict[str, NDArray[np.float32]], *, hour: datetime, title: str
) -> bytes:
    """NetCDF (CF-1.8) with the layers on projected x/y coordinates and the grid mapping."""
    import xarray as xr  # here: it imports pandas, a second of every server start
    from rasterio.crs import CRS

    x, y = grid.centres()
    attributes = {
        "utci": {
            "long_name": "Universal Thermal Climate Index (not the DWD's Gefuehlte Temperatur)",
            "units": "degC",
        },
        "air_temperature": {"standard_name": "air_temperature", "units": "degC"},
    }
    data = {
        name: (
            ("y", "x"),
            values.astype(np.float32),
            {**attributes.get(name, {}), "grid_mapping": "crs"},
        )
        for name, values in layers.items()
    }
    crs = CRS.from_epsg(METRIC_EPSG)
    dataset = xr.Dataset(
        {
            **data,
            "crs": (
                (),
                np.int32(0),
                {
                    "crs_wkt": crs.to_wkt(),
                    "spatial_ref": crs.to_wkt(),
                    "epsg_code": f"EPSG:{METRIC_EPSG}",
                },
            ),
        },
        coords={
            "x": ("x", x, {"standard_name": "projection_x_coordinate", "units": "m"}),
            "y": ("y", y, {"standard_name": "projection_y_coordinate", "units": "m"}),
        },
        attrs={
            "Conventions": "CF-1.8",
            "title": title,
            "time": hour.isoformat(),
            "source": "Allmende heat map: land-cover model corrected by station measurements",
        },
    )
    written = dataset.to_netcdf(engine="scipy")
    return bytes(written)
