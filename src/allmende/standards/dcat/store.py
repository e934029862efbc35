"""Staff changes to the catalogue: their own datasets, and edits of the automatic ones.

Keyword-only functions taking a session; permissions are asked of
``identity.permissions`` (``Action.EDIT`` in the dataset's municipality, scope ``catalog``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import Conflict, NotFound, ValidationFailed
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.identity.models import Municipality
from allmende.identity.permissions import Action, can, require
from allmende.identity.principal import Principal
from allmende.standards.dcat import catalog
from allmende.standards.dcat.models import CatalogEntry
from allmende.standards.dcat.vocabulary import (
    FREQUENCIES,
    LICENSE_CHOICES,
    LINK_FORMATS,
    MUSTERDATENKATALOG,
    THEMES,
)

SCOPE = "catalog"
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{2,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Changes:
    """What staff set; ``None`` leaves a field as it is (an empty string or list clears it)."""

    title: str | None = None
    description: str | None = None
    keywords: list[str] | None = None
    themes: list[str] | None = None
    frequency: str | None = None
    license: str | None = None
    attribution: str | None = None
    contact_email: str | None = None
    references: list[str] | None = None
    links: list[dict[str, str]] | None = None
    hidden: bool | None = None


def _check(changes: Changes) -> None:
    if changes.themes is not None:
        for code in changes.themes:
            if code not in THEMES:
                raise ValidationFailed.one("themes", f"'{code}' is not an EU data theme")
    if changes.frequency and changes.frequency not in FREQUENCIES:
        raise ValidationFailed.one("frequency", "is not a frequency of the EU vocabulary")
    if changes.license and changes.license not in LICENSE_CHOICES:
        raise ValidationFailed.one("license", "is not one of the offered dcat-ap.de licences")
    if changes.contact_email and not EMAIL.match(changes.contact_email):
        raise ValidationFailed.one("contact_email", "is not an e-mail address")
    for reference in changes.references or []:
        if not reference.startswith(MUSTERDATENKATALOG):
            raise ValidationFailed.one("references", f"must start with {MUSTERDATENKATALOG}")
    for link in changes.links or []:
        if not str(link.get("url", "")).startswith(("https://", "http://")):
            raise ValidationFailed.one("links.url", "must be an http(s) URL")
        if link.get("format") not in LINK_FORMATS:
            raise ValidationFailed.one("links.format", "is not one of the offered file types")
        if not str(link.get("title", "")).strip():
            raise ValidationFailed.one("links.title", "must not be empty")


def _apply(row: CatalogEntry, changes: Changes) -> None:
    for name in (
        "title",
        "description",
        "keywords",
        "themes",
        "frequency",
        "license",
        "attribution",
        "contact_email",
        "references",
    ):
        value = getattr(changes, name)
        if value is not None:
            setattr(row, name, value or None)
    if changes.links is not None:
        row.links = [{**link, "media_type": LINK_FORMATS[link["format"]]} for link in changes.links]
    if changes.hidden is not None:
        row.hidden = changes.hidden
    row.updated_at = utcnow()


def _changeable(
    session: Session, principal: Principal, registry: Registry, settings: Settings, dataset_id: str
) -> catalog.Entry:
    """The dataset ``principal`` may change. A withdrawn one is not found by those who may not
    edit it, as in every listing: a 401 or 403 would tell them that it exists."""
    entry = catalog.find(session, registry, settings, dataset_id, hidden=True)
    allowed = can(principal, Action.EDIT, municipality_id=entry.publisher.id, scope=SCOPE)
    if entry.hidden and not allowed:
        raise catalog.unknown()
    require(principal, Action.EDIT, municipality_id=entry.publisher.id, scope=SCOPE)
    return entry


def create(
    session: Session,
    *,
    principal: Principal,
    registry: Registry,
    settings: Settings,
    municipality: str,
    key: str,
    changes: Changes,
) -> catalog.Entry:
    """A staff dataset: described by staff, its distributions are ``changes.links``; the
    catalogue's entry for it (the catalogue is not gathered again to answer)."""
    place = session.scalar(select(Municipality).where(Municipality.key == municipality))
    if place is None:
        raise ValidationFailed.one("municipality", "is not a municipality of the region")
    require(principal, Action.EDIT, municipality_id=place.id, scope=SCOPE)
    if not KEY.match(key):
        raise ValidationFailed.one("key", "must be 3 to 80 of a-z, 0-9 and '-'")
    if not (changes.title or "").strip():
        raise ValidationFailed.one("title", "must not be empty")
    if not changes.links:
        raise ValidationFailed.one("links", "a dataset needs at least one distribution")
    _check(changes)
    taken = {e.dataset.id for e in catalog.entries(session, registry, settings, hidden=True)}
    if key in taken:
        raise Conflict(detail=f"The catalogue has a dataset '{key}' already.")
    row = CatalogEntry(key=key, municipality_id=place.id, origin="staff", links=[], hidden=False)
    _apply(row, changes)
    session.add(row)
    session.flush()
    return catalog.staff_entry(row, catalog.publisher(place), settings)


def edit(
    session: Session,
    *,
    principal: Principal,
    registry: Registry,
    settings: Settings,
    dataset_id: str,
    changes: Changes,
) -> CatalogEntry:
    """Change a dataset; for an automatic one what staff set replaces the module's text."""
    entry = _changeable(session, principal, registry, settings, dataset_id)
    if changes.links is not None and entry.origin == "auto":
        raise ValidationFailed.one("links", "the module gives an automatic dataset its files")
    _check(changes)
    row = session.scalar(select(CatalogEntry).where(CatalogEntry.key == dataset_id))
    if row is None:
        row = CatalogEntry(
            key=dataset_id,
            municipality_id=entry.publisher.id,
            origin=entry.origin,
            links=[],
            hidden=False,
        )
        session.add(row)
    _apply(row, changes)
    session.flush()
    return row


def remove(
    session: Session,
    *,
    principal: Principal,
    registry: Registry,
    settings: Settings,
    dataset_id: str,
) -> None:
    """Delete a staff dataset, or drop staff's edits of an automatic one."""
    _changeable(session, principal, registry, settings, dataset_id)
    row = session.scalar(select(CatalogEntry).where(CatalogEntry.key == dataset_id))
    if row is None:
        raise NotFound(detail="Staff have not changed this dataset.")
    session.delete(row)
    session.flush()
