"""Reading uploaded land-cover files: what is accepted, reprojected or refused, and why."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from rasterio.crs import CRS

from allmende.modules.heat.layers import read_layer
from allmende.sdk import ValidationFailed, to_metric
from tests.modules.heat.files import geojson, geopackage, geotiff, wgs84_raster

pytestmark = pytest.mark.unit

#: A municipality of about 1.4 km × 1.1 km near Mannheim.
AREA_WGS84 = shapely.box(8.70, 49.46, 8.72, 49.47)
AREA = to_metric(AREA_WGS84)


def refused(content: bytes, kind: str, filename: str = "f") -> str:
    with pytest.raises(ValidationFailed) as caught:
        read_layer(content, filename=filename, kind=kind, area=AREA)
    assert caught.value.errors[0].field == "file"
    return caught.value.errors[0].reason


def test_a_raster_in_wgs84_is_accepted_and_reprojected() -> None:
    values = np.full((20, 30), 80, dtype=np.uint8)  # percent
    read = read_layer(
        wgs84_raster(8.695, 49.472, values), filename="imd.tif", kind="impervious", area=AREA
    )
    assert read.raster is not None and read.source_crs == "EPSG:4326"
    assert read.summary["reprojected_from"] == "EPSG:4326"
    assert read.summary["max"] == pytest.approx(0.8)  # percent became a share
    assert 0.5 < read.summary["covers"] <= 1.0


def test_copernicus_no_data_codes_are_not_values() -> None:
    values = np.full((20, 30), 255, dtype=np.uint8)
    values[:5] = 40
    read = read_layer(
        wgs84_raster(8.695, 49.472, values), filename="f", kind="impervious", area=AREA
    )
    assert read.summary["max"] == pytest.approx(0.4)


def test_a_raster_without_crs_is_refused() -> None:
    content = geotiff(
        np.ones((5, 5), dtype=np.float32),
        transform=Affine(10, 0, 480000, 0, -10, 5480000),
        crs=None,
    )
    assert refused(content, "impervious") == (
        "has no coordinate reference system; save it with one (e.g. EPSG:25832)"
    )


def test_a_raster_elsewhere_is_refused() -> None:
    reason = refused(wgs84_raster(13.3, 52.5, np.ones((10, 10), dtype=np.uint8)), "canopy")
    assert reason.startswith("does not overlap the municipality (its extent in EPSG:4326: 13.3000")


def test_unreadable_files_are_refused() -> None:
    assert refused(b"not a raster", "impervious").startswith("cannot be read as a GeoTIFF")
    assert refused(b"not a vector", "buildings") == "cannot be read as a GeoPackage or GeoJSON"
    assert refused(b"", "buildings") == "is empty"


def test_a_raster_of_only_no_data_is_refused() -> None:
    content = geotiff(
        np.full((10, 10), -1, dtype=np.float32),
        transform=Affine(0.001, 0, 8.695, 0, -0.001, 49.472),
        crs=CRS.from_epsg(4326),
        nodata=-1,
    )
    assert refused(content, "building-height") == "holds no values (every cell is no data)"


def test_geojson_buildings_with_heights() -> None:
    house = shapely.box(8.705, 49.465, 8.7052, 49.4652)
    content = geojson(
        [
            (shapely.geometry.mapping(house), {"hoehe": 12.5}),
            (shapely.geometry.mapping(shapely.Point(8.71, 49.465)), {}),  # a point: left out
        ]
    )
    read = read_layer(content, filename="alkis.geojson", kind="buildings", area=AREA)
    assert read.file_format == "geojson" and read.source_crs == "EPSG:4326"
    assert read.summary["features"] == 1 and read.summary["skipped"] == 1
    geometry, properties = read.shapes[0]
    assert properties == {"hoehe": 12.5}
    assert geometry.area == pytest.approx(to_metric(house).area, rel=1e-6)


def test_features_elsewhere_are_refused_naming_their_extent() -> None:
    houses = [
        shapely.box(13.30, 52.50, 13.3002, 52.5002),
        shapely.box(13.31, 52.51, 13.3102, 52.5102),
    ]
    content = geojson([(shapely.geometry.mapping(h), {"hoehe": 9.0}) for h in houses])
    west, south, east, north = to_metric(shapely.MultiPolygon(houses)).bounds
    assert refused(content, "buildings") == (
        "does not overlap the municipality (its extent in EPSG:25832: "
        f"{west:.0f}, {south:.0f}, {east:.0f}, {north:.0f})"
    )


def test_points_are_no_buildings() -> None:
    content = geojson([(shapely.geometry.mapping(shapely.Point(8.71, 49.465)), {})])
    assert refused(content, "buildings") == "holds no usable polygons (1 features of another kind)"


def test_geopackage_in_the_metric_crs_and_without_crs() -> None:
    house = shapely.box(*to_metric(shapely.box(8.705, 49.465, 8.7052, 49.4652)).bounds)
    read = read_layer(
        geopackage([house], [9.0], "EPSG:25832"), filename="g.gpkg", kind="buildings", area=AREA
    )
    assert read.file_format == "gpkg" and read.summary["reprojected_from"] is None
    assert refused(geopackage([house], [9.0], None), "buildings").startswith(
        "has no coordinate reference system"
    )


def test_unknown_kind() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_layer(b"x", filename="f", kind="lava", area=AREA)
    assert caught.value.errors[0].field == "kind"
