"""Observation downloads are streamed: memory stays flat however many rows are written (the
peak, measured with tracemalloc, is a small fraction of the file and does not grow with it).
Sizes here are small; ``bench/downloads.py`` writes a year of one-minute values."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from allmende.sensing import read as sensing
from allmende.standards.dcat import downloads
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 500
ROWS = 20_000
#: Holding the rows at once takes about 5 MB of Python objects; a chunk about 120 kB.
PEAK = 1024 * 1024


def _stream(database: Database, region: Region, minutes: int) -> int:
    def build(session):  # type: ignore[no-untyped-def]
        thing = sensing.create_thing(
            session, municipality_id=region.municipality_a, name="Station", lon=8.6, lat=49.4
        )
        stream = sensing.create_datastream(
            session,
            thing_id=thing,
            sensor_id=sensing.create_sensor(
                session, municipality_id=region.municipality_a, name="s"
            ),
            observed_property_id=sensing.create_observed_property(
                session, municipality_id=region.municipality_a, name="T", definition="urn:t"
            ),
            name="T",
            unit={"name": "Grad", "symbol": "Cel", "definition": "ucum"},
        )
        sensing.ingest_series(
            session,
            datastream_id=stream,
            times=[START + timedelta(minutes=m) for m in range(minutes)],
            values=[m / 10 for m in range(minutes)],
        )
        return stream

    return int(database.write(build))


def _peak(parts: Iterator[bytes]) -> tuple[int, int]:
    """Peak traced memory while the parts are consumed, and their total size."""
    tracemalloc.start()
    size = 0
    try:
        for part in parts:
            size += len(part)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def _files(database: Database, stream: int, fmt: str) -> Iterator[bytes]:
    with database.session() as session:
        info = {s.id: s for s in downloads.streams(session, [stream])}
    chunks = downloads.observation_rows(
        database.session, [stream], START, START + timedelta(days=366), chunk_rows=CHUNK
    )
    if fmt == "csv":
        return downloads.observations_csv(chunks, info, "excel-de")
    return downloads.observations_parquet(chunks, info)


@pytest.mark.parametrize(
    ("backend", "fmt"), [("sqlite", "csv"), ("sqlite", "parquet"), ("postgresql", "csv")]
)
def test_memory_stays_flat_while_observations_stream(
    database: Database, region: Region, fmt: str
) -> None:
    stream = _stream(database, region, ROWS)
    whole = b"".join(_files(database, stream, fmt))  # also loads what the writers load once
    peak, size = _peak(_files(database, stream, fmt))
    assert len(whole) == size
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(whole)).num_rows == ROWS
        assert pq.ParquetFile(io.BytesIO(whole)).num_row_groups == ROWS // CHUNK
    else:
        assert whole.count(b"\r\n") == ROWS + 1
    assert peak < PEAK
