"""The catalogue's content: the modules' datasets, with what staff changed and added.

No HTTP here: :func:`entries` gathers every dataset (``ModuleSpec.datasets`` of the enabled
modules, then the rows of ``dcat_entries``) with its publisher, licence and contact, and
:func:`page` cuts out what one catalogue page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.datasets import Dataset, DatasetSource
from allmende.core.errors import FieldError, NotFound
from allmende.core.geo import BBox
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.core.timeutil import as_utc
from allmende.identity.models import Municipality
from allmende.standards.dcat.models import CatalogEntry
from allmende.standards.dcat.vocabulary import LICENSE_CHOICES

Origin = Literal["auto", "staff"]


@dataclass(frozen=True)
class Publisher:
    """A municipality as the publisher of its datasets."""

    id: int
    key: str
    name: str
    kind: str
    ags: str | None
    website: str | None
    email: str | None
    bbox: BBox | None

    @property
    def label(self) -> str:
        """The name with the kind of municipality, as in an attribution ("Stadt Auenstadt")."""
        return f"{self.kind} {self.name}" if self.kind else self.name


@dataclass(frozen=True)
class Link:
    """A distribution of a staff dataset: a file or service somewhere else."""

    title: str
    url: str
    format: str
    media_type: str


@dataclass(frozen=True)
class Entry:
    """One dataset of the catalogue, as it is described."""

    dataset: Dataset
    publisher: Publisher
    origin: Origin
    license: str
    #: ``dcatde:licenseAttributionByText``; None when the licence needs no attribution.
    attribution: str | None
    contact_email: str | None
    links: tuple[Link, ...] = ()
    hidden: bool = False
    #: Whether staff changed the module's description.
    edited: bool = False
    source: DatasetSource | None = None


def publisher(m: Municipality) -> Publisher:
    box = (
        (m.bbox_minx, m.bbox_miny, m.bbox_maxx, m.bbox_maxy)
        if m.bbox_minx is not None
        and m.bbox_miny is not None
        and m.bbox_maxx is not None
        and m.bbox_maxy is not None
        else None
    )
    return Publisher(m.id, m.key, m.name, m.kind, m.ags, m.website, m.contact_email, box)


def publishers(session: Session) -> dict[int, Publisher]:
    return {
        m.id: publisher(m) for m in session.scalars(select(Municipality).order_by(Municipality.id))
    }


def _automatic(registry: Registry, session: Session) -> dict[str, tuple[Dataset, DatasetSource]]:
    found: dict[str, tuple[Dataset, DatasetSource]] = {}
    for module in registry:
        for source in module.datasets:
            for dataset in source.datasets(session):
                found.setdefault(dataset.id, (dataset, source))
    return found


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    values = [as_utc(v) for v in (a, b) if v is not None]
    return max(values) if values else None


def _attribution(license: str, given: str | None, publisher: Publisher) -> str | None:
    needs = LICENSE_CHOICES.get(license, ("", True))[1]
    return (given or publisher.label) if needs else None


def _edited(dataset: Dataset, row: CatalogEntry) -> Dataset:
    return replace(
        dataset,
        title=row.title or dataset.title,
        description=row.description or dataset.description,
        keywords=tuple(row.keywords) if row.keywords else dataset.keywords,
        themes=tuple(row.themes) if row.themes else dataset.themes,
        frequency=row.frequency or dataset.frequency,
        references=tuple(row.references) if row.references else dataset.references,
        modified=_later(dataset.modified, row.updated_at),
    )


def _staff_dataset(row: CatalogEntry, publisher: Publisher) -> Dataset:
    return Dataset(
        id=row.key,
        title=row.title or row.key,
        description=row.description or row.title or row.key,
        municipality_id=row.municipality_id,
        content="table",
        keywords=tuple(row.keywords or ()),
        themes=tuple(row.themes or ()),
        frequency=row.frequency or "IRREG",
        bbox=publisher.bbox,
        modified=as_utc(row.updated_at),
        issued=as_utc(row.created_at),
        references=tuple(row.references or ()),
    )


def entries(
    session: Session, registry: Registry, settings: Settings, *, hidden: bool = False
) -> list[Entry]:
    """Every dataset of the catalogue, by id; withdrawn ones only with ``hidden``."""
    places = publishers(session)
    automatic = _automatic(registry, session)
    rows = {row.key: row for row in session.scalars(select(CatalogEntry))}
    added = (k for k, row in rows.items() if row.origin == "staff" and k not in automatic)
    keys = [*automatic, *added]
    found = (_entry(k, automatic, rows.get(k), places, settings) for k in keys)
    return sorted(
        (e for e in found if e is not None and (hidden or not e.hidden)),
        key=lambda e: e.dataset.id,
    )


def _entry(
    key: str,
    automatic: dict[str, tuple[Dataset, DatasetSource]],
    row: CatalogEntry | None,
    places: dict[int, Publisher],
    settings: Settings,
) -> Entry | None:
    """The catalogue's dataset ``key``: a module's (with what staff changed in ``row``), or one
    that staff added; None when there is none or its publisher is not in the region."""
    if key in automatic:
        dataset, source = automatic[key]
        publisher = places.get(dataset.municipality_id)
        if publisher is None:
            return None
        license = (row.license if row is not None else None) or settings.catalog_license
        return Entry(
            dataset=_edited(dataset, row) if row is not None else dataset,
            publisher=publisher,
            origin="auto",
            license=license,
            attribution=_attribution(license, row.attribution if row else None, publisher),
            contact_email=(row.contact_email if row else None) or publisher.email,
            hidden=bool(row and row.hidden),
            edited=row is not None,
            source=source,
        )
    if row is None or row.origin != "staff" or row.municipality_id not in places:
        return None
    return staff_entry(row, places[row.municipality_id], settings)


def staff_entry(row: CatalogEntry, publisher: Publisher, settings: Settings) -> Entry:
    """A dataset staff added (``origin`` "staff", its key no module's dataset)."""
    license = row.license or settings.catalog_license
    return Entry(
        dataset=_staff_dataset(row, publisher),
        publisher=publisher,
        origin="staff",
        license=license,
        attribution=_attribution(license, row.attribution, publisher),
        contact_email=row.contact_email or publisher.email,
        links=tuple(
            Link(
                str(link.get("title") or ""),
                str(link["url"]),
                str(link.get("format") or ""),
                str(link.get("media_type") or ""),
            )
            for link in row.links or []
        ),
        hidden=row.hidden,
        edited=True,
    )


def find(
    session: Session, registry: Registry, settings: Settings, dataset_id: str, *, hidden: bool
) -> Entry:
    """The dataset ``dataset_id`` as :func:`entries` gives it (only its own row read)."""
    row = session.scalar(select(CatalogEntry).where(CatalogEntry.key == dataset_id))
    entry = _entry(dataset_id, _automatic(registry, session), row, publishers(session), settings)
    if entry is None or (entry.hidden and not hidden):
        raise unknown()
    return entry


def unknown() -> NotFound:
    """The answer for a dataset the caller may not find (none, or one withdrawn)."""
    return NotFound(errors=[FieldError("datasetId", "no such dataset in the catalogue")])


@dataclass(frozen=True)
class Page:
    entries: Sequence[Entry]
    number: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))


def page(
    found: Sequence[Entry], *, number: int, size: int, modified_since: datetime | None
) -> Page:
    """Page ``number`` (from 1) of the entries changed at or after ``modified_since``."""
    if modified_since is not None:
        found = [
            e
            for e in found
            if e.dataset.modified is not None and e.dataset.modified >= modified_since
        ]
    start = (number - 1) * size
    return Page(found[start : start + size], number, size, len(found))
