"""What a module offers to OGC API - Features: collections of features it owns.

A module lists its sources in ``ModuleSpec.feature_sources``; the adapter in
``allmende.standards.ogcapi_features`` asks them at request time (collections may be data, e.g.
one per public object type). Sources decide visibility: they receive the caller and return only
what that caller may see. ``session`` is a read-only SQLAlchemy session, ``principal`` an
:class:`allmende.identity.principal.Principal` (typed loosely: the kernel imports neither).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from shapely.geometry.base import BaseGeometry

from allmende.core.geo import BBox


@dataclass(frozen=True)
class Collection:
    id: str  # URL-safe, unique across all sources
    title: str
    description: str = ""
    bbox: BBox | None = None
    temporal: tuple[datetime | None, datetime | None] | None = None
    #: Property name → JSON type ("string", "number", "integer", "boolean") usable as a filter.
    queryables: Mapping[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature:
    id: str
    geometry: BaseGeometry | None
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class FeatureQuery:
    limit: int = 10
    offset: int = 0
    bbox: BBox | None = None
    #: Closed or half-open interval; either end may be None (open).
    datetime_start: datetime | None = None
    datetime_end: datetime | None = None
    #: Equality filters on queryables (values as given in the query string).
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeaturePage:
    features: Sequence[Feature]
    number_matched: int | None = None


class FeatureSource(Protocol):
    def collections(self, session: Any, principal: Any) -> Sequence[Collection]:
        """The collections this caller may see."""
        ...

    def items(
        self, session: Any, principal: Any, collection_id: str, query: FeatureQuery
    ) -> FeaturePage | None:
        """A page of features, or None when the collection is not this source's."""
        ...

    def item(
        self, session: Any, principal: Any, collection_id: str, feature_id: str
    ) -> Feature | None:
        """One feature, or None when it does not exist (or is not visible to the caller)."""
        ...
