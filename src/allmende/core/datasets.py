"""What a module offers to the open-data catalogue (DCAT-AP.de): datasets of its public data.

A module lists sources in ``ModuleSpec.datasets``; the adapter in ``allmende.standards.dcat``
asks them at request time, describes every dataset in the catalogue (publisher, licence,
political geocoding…) and serves its downloads. A source decides only *what* is published:

* :meth:`DatasetSource.datasets` names the datasets of public data that exist now (one per
  municipality and kind of data, say), with the APIs that serve them (:class:`Endpoint`).
* Their content comes in one of three shapes (:attr:`Dataset.content`): ``features`` (rows
  with a geometry: CSV, GeoJSON and GeoParquet downloads), ``table`` (rows: CSV and Parquet)
  or ``observations`` (the Observations of the Datastreams :meth:`DatasetSource.datastreams`
  names, streamed by the adapter itself as CSV and Parquet). For the first two
  :meth:`DatasetSource.table` gives the rows.

Everything here is public by definition: sources return only public data, whoever asks, and
never personal data. ``session`` is a read-only SQLAlchemy session (typed loosely: the kernel
imports no database library).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from shapely.geometry.base import BaseGeometry

from allmende.core.geo import BBox

ColumnType = Literal["string", "integer", "number", "boolean", "datetime"]
Content = Literal["features", "table", "observations"]

#: EU file types of the formats the APIs answer in (``dct:format``).
JSON = "JSON"
GEOJSON = "GEOJSON"
XML = "XML"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "string"


@dataclass(frozen=True)
class Table:
    """A dataset's rows: ``rows`` yields each row's values in ``columns`` order with its
    geometry (None for a row without one, and always for a ``table`` dataset). Datetimes are
    timezone-aware. ``rows`` may be a generator: it is read once, as the download is written."""

    columns: tuple[Column, ...]
    rows: Iterable[tuple[Sequence[Any], BaseGeometry | None]]


@dataclass(frozen=True)
class Endpoint:
    """An API that serves the dataset: a distribution with an access URL."""

    title: str
    #: Path below the installation's root, with its query (``/ogcapi/collections/x/items``).
    path: str
    #: EU file type of the answer (``JSON``, ``GEOJSON``, ``XML``).
    format: str
    media_type: str
    #: The standard the API implements (its URI), if any.
    conforms_to: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A dataset of public data, published by one municipality. Texts are German (the
    catalogue's language); codes come from the EU vocabularies (data themes, frequencies)."""

    #: URL-safe and unique across all sources; stable, since harvesters key on it.
    id: str
    title: str
    description: str
    municipality_id: int
    content: Content
    keywords: tuple[str, ...] = ()
    #: EU data-theme codes (``ENVI``, ``GOVE``, ``TRAN``…).
    themes: tuple[str, ...] = ()
    #: EU frequency code of updates (``UPDATE_CONT``, ``DAILY``, ``IRREG``…).
    frequency: str = "IRREG"
    bbox: BBox | None = None
    #: The time the data cover (either end may be open).
    temporal: tuple[datetime | None, datetime | None] | None = None
    #: The last change of the data (a harvester's ``modified_since`` compares with it).
    modified: datetime | None = None
    issued: datetime | None = None
    endpoints: tuple[Endpoint, ...] = ()
    #: A page for people (path below the root), e.g. the map of the objects.
    landing_page: str | None = None
    #: Musterdatenkatalog topic URIs (``https://musterdatenkatalog.de/def/musterdatensatz/…``).
    references: tuple[str, ...] = ()


class DatasetSource(Protocol):
    def datasets(self, session: Any) -> Sequence[Dataset]:
        """The datasets of public data that exist now."""
        ...

    def table(self, session: Any, dataset_id: str) -> Table | None:
        """The rows of one of this source's ``features`` or ``table`` datasets, or None when
        the id is not one of them."""
        ...

    def datastreams(self, session: Any, dataset_id: str) -> Sequence[int] | None:
        """The Datastreams whose Observations one of this source's ``observations`` datasets
        holds, or None when the id is not one of them. Asked for a download only, so that a
        listing of the catalogue need not name thousands of streams."""
        ...
