"""The download files: CSV (both dialects), GeoJSON and (Geo)Parquet of a dataset's rows, and
CSV and Parquet of Observations, written as a stream.

A dataset's rows (objects, reports, statistics: thousands, not millions) are written from
memory. Observations are read in chunks of :data:`CHUNK_ROWS` by keyset paging on the index
``(datastream_id, phenomenon_time, phenomenon_time_end)`` and written chunk by chunk — a CSV
chunk is a few hundred kB, a Parquet chunk one row group — so a year of one-minute values never
sits in memory. GeoParquet follows version 1.1: WKB geometry in the column ``geometry``, the
``geo`` metadata with its encoding, geometry types and bounding box (WGS 84 longitude/latitude,
the default CRS).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from allmende.core import csvformat
from allmende.core.datasets import Column, Table
from allmende.core.geo import geometry_to_geojson
from allmende.sensing.models import Datastream, Observation, ResultKind
from allmende.sensing.results import decode_result
from allmende.sensing.times import format_time, to_micros

CHUNK_ROWS = 10_000
GEOMETRY = "geometry"
WKT = "wkt"
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


# --- a dataset's rows ---------------------------------------------------------------------------


def table_csv(table: Table, dialect: csvformat.Dialect, *, spatial: bool) -> Iterator[bytes]:
    """Rows as CSV; a spatial dataset gets the geometry as WKT in a last column."""
    header = [c.name for c in table.columns] + ([WKT] if spatial else [])
    rows = (
        [*values, geometry.wkt if geometry is not None else None] if spatial else list(values)
        for values, geometry in table.rows
    )
    return csvformat.chunks(header, rows, dialect)


def table_geojson(table: Table) -> Iterator[bytes]:
    """Rows as a GeoJSON FeatureCollection, one feature at a time."""
    names = [c.name for c in table.columns]
    yield b'{"type":"FeatureCollection","features":['
    for index, (values, geometry) in enumerate(table.rows):
        feature = {
            "type": "Feature",
            "geometry": geometry_to_geojson(geometry) if geometry is not None else None,
            "properties": dict(zip(names, values, strict=True)),
        }
        yield (b"," if index else b"") + orjson.dumps(feature, default=str)
    yield b"]}"


def table_parquet(table: Table, *, spatial: bool) -> bytes:
    """Rows as Parquet; a spatial dataset as GeoParquet 1.1 with WKB geometry."""
    rows = list(table.rows)
    columns: dict[str, list[Any]] = {c.name: [] for c in table.columns}
    geometries: list[BaseGeometry | None] = []
    for values, geometry in rows:
        for column, value in zip(table.columns, values, strict=True):
            columns[column.name].append(_arrow_value(column, value))
        geometries.append(geometry)
    fields = [pa.field(c.name, _ARROW_TYPES[c.type]) for c in table.columns]
    arrays = [pa.array(columns[c.name], type=_ARROW_TYPES[c.type]) for c in table.columns]
    metadata: dict[bytes, bytes] = {}
    if spatial:
        fields.append(pa.field(GEOMETRY, pa.binary()))
        arrays.append(pa.array([shapely.to_wkb(g) if g is not None else None for g in geometries]))
        metadata[b"geo"] = json.dumps(_geo_metadata(geometries)).encode()
    schema = pa.schema(fields, metadata=metadata or None)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer, compression="zstd")
    return buffer.getvalue()


def _arrow_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "string" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _geo_metadata(geometries: Sequence[BaseGeometry | None]) -> dict[str, Any]:
    present = [g for g in geometries if g is not None and not g.is_empty]
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": sorted({g.geom_type for g in present}),
    }
    if present:
        bounds = shapely.total_bounds(present)
        column["bbox"] = [float(v) for v in bounds]
    return {"version": "1.1.0", "primary_column": GEOMETRY, "columns": {GEOMETRY: column}}


# --- Observations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamInfo:
    id: int
    name: str
    unit: str


@dataclass(frozen=True)
class ObservationRow:
    datastream_id: int
    start: int
    end: int
    kind: int
    number: float | None
    text: str | None
    data: Any


def streams(session: Session, ids: Sequence[int]) -> list[StreamInfo]:
    rows = session.execute(
        select(Datastream.id, Datastream.name, Datastream.unit_of_measurement)
        .where(Datastream.id.in_(sorted(ids)))
        .order_by(Datastream.id)
    ).all()
    return [
        StreamInfo(i, name, str((unit or {}).get("symbol") or "") if isinstance(unit, dict) else "")
        for i, name, unit in rows
    ]


def observation_rows(
    open_session: Callable[[], Any],
    ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[ObservationRow]]:
    """The Observations of the Datastreams with ``start <= phenomenonTime < end``, by
    Datastream and time, in chunks; each chunk is one short read (no transaction is held
    open while the client reads)."""
    low, high = to_micros(start), to_micros(end)
    for datastream_id in sorted(ids):
        after: tuple[int, int] | None = None
        while True:
            condition = and_(
                Observation.datastream_id == datastream_id,
                Observation.phenomenon_time >= low,
                Observation.phenomenon_time < high,
            )
            if after is not None:
                condition = and_(
                    condition,
                    or_(
                        Observation.phenomenon_time > after[0],
                        and_(
                            Observation.phenomenon_time == after[0],
                            Observation.phenomenon_time_end > after[1],
                        ),
                    ),
                )
            with open_session() as session:
                rows = session.execute(
                    select(
                        Observation.phenomenon_time,
                        Observation.phenomenon_time_end,
                        Observation.result_kind,
                        Observation.result_number,
                        Observation.result_text,
                        Observation.result_json,
                    )
                    .where(condition)
                    .order_by(Observation.phenomenon_time, Observation.phenomenon_time_end)
                    .limit(chunk_rows)
                ).all()
            if not rows:
                break
            yield [ObservationRow(datastream_id, *row) for row in rows]
            if len(rows) < chunk_rows:
                break
            after = (rows[-1][0], rows[-1][1])


OBSERVATION_HEADER = ("datastream_id", "datastream", "unit", "phenomenon_time", "result")


def observations_csv(
    chunks: Iterable[list[ObservationRow]],
    info: dict[int, StreamInfo],
    dialect: csvformat.Dialect,
) -> Iterator[bytes]:
    yield (csvformat.start(dialect) + csvformat.lines([OBSERVATION_HEADER], dialect)).encode()
    for chunk in chunks:
        yield csvformat.lines(
            (
                (
                    r.datastream_id,
                    info[r.datastream_id].name,
                    info[r.datastream_id].unit,
                    format_time(r.start, r.end),
                    decode_result(r.kind, r.number, r.text, r.data),
                )
                for r in chunk
            ),
            dialect,
        ).encode("utf-8")


OBSERVATION_SCHEMA = pa.schema(
    [
        pa.field("datastream_id", pa.int64()),
        pa.field("datastream", pa.dictionary(pa.int32(), pa.string())),
        pa.field("unit", pa.dictionary(pa.int32(), pa.string())),
        pa.field("phenomenon_time", pa.timestamp("us", tz="UTC")),
        pa.field("phenomenon_time_end", pa.timestamp("us", tz="UTC")),
        pa.field("result", pa.float64()),
        pa.field("result_text", pa.string()),
    ]
)
_NUMERIC = (ResultKind.INTEGER, ResultKind.FLOAT, ResultKind.BOOLEAN)


class _Drain(io.RawIOBase):
    """A write-only sink that hands over what was written since the last look."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def observations_parquet(
    chunks: Iterable[list[ObservationRow]], info: dict[int, StreamInfo]
) -> Iterator[bytes]:
    """One row group per chunk, each handed on as soon as it is written."""
    sink = _Drain()
    writer = pq.ParquetWriter(sink, OBSERVATION_SCHEMA, compression="zstd")
    try:
        for chunk in chunks:
            numeric = [r.kind in _NUMERIC for r in chunk]
            batch = pa.Table.from_pydict(
                {
                    "datastream_id": [r.datastream_id for r in chunk],
                    "datastream": [info[r.datastream_id].name for r in chunk],
                    "unit": [info[r.datastream_id].unit for r in chunk],
                    "phenomenon_time": [r.start for r in chunk],
                    "phenomenon_time_end": [r.end if r.end != r.start else None for r in chunk],
                    "result": [
                        r.number if n else None for r, n in zip(chunk, numeric, strict=True)
                    ],
                    "result_text": [
                        None if n else _text(decode_result(r.kind, r.number, r.text, r.data))
                        for r, n in zip(chunk, numeric, strict=True)
                    ],
                },
                schema=_micros_schema(),
            ).cast(OBSERVATION_SCHEMA)
            writer.write_table(batch, row_group_size=len(chunk))
            yield sink.take()
    finally:
        writer.close()
    yield sink.take()


def _micros_schema() -> pa.Schema:
    """The schema as the rows arrive: times as integer microseconds, names as plain text."""
    return pa.schema(
        [
            pa.field("datastream_id", pa.int64()),
            pa.field("datastream", pa.string()),
            pa.field("unit", pa.string()),
            pa.field("phenomenon_time", pa.int64()),
            pa.field("phenomenon_time_end", pa.int64()),
            pa.field("result", pa.float64()),
            pa.field("result_text", pa.string()),
        ]
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
