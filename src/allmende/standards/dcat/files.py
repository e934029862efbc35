"""The download files every dataset offers, by the shape of its content."""

from __future__ import annotations

from dataclasses import dataclass

from allmende.core.csvformat import Dialect
from allmende.core.datasets import Content
from allmende.core.geo import GEOJSON_MEDIA_TYPE

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class File:
    name: str  #: the last segment of its URL
    format: str  #: EU file type
    media_type: str
    title: str  #: German, as the catalogue shows it
    dialect: Dialect | None = None  #: of a CSV file


CSV = File("data.csv", "CSV", "text/csv", "CSV (Komma, Dezimalpunkt; für Programme)", "plain")
CSV_EXCEL = File(
    "data-excel.csv",
    "CSV",
    "text/csv",
    "CSV für Tabellenkalkulation (Semikolon, Dezimalkomma)",
    "excel-de",
)
GEOJSON = File("data.geojson", "GEOJSON", GEOJSON_MEDIA_TYPE, "GeoJSON")
GEOPARQUET = File("data.parquet", "PARQUET", PARQUET_MEDIA_TYPE, "GeoParquet")
PARQUET = File("data.parquet", "PARQUET", PARQUET_MEDIA_TYPE, "Parquet")

FILES: dict[Content, tuple[File, ...]] = {
    "features": (CSV, CSV_EXCEL, GEOJSON, GEOPARQUET),
    "table": (CSV, CSV_EXCEL, PARQUET),
    "observations": (CSV, CSV_EXCEL, PARQUET),
}


def file_of(content: Content, name: str) -> File | None:
    return next((f for f in FILES[content] if f.name == name), None)
