"""The feature sources of the enabled modules, asked as one (collection ids are unique; the
first source to offer an id answers for it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from allmende.core.errors import FieldError, NotFound
from allmende.core.features import Collection, FeatureSource
from allmende.core.registry import Registry
from allmende.http.i18n import N_
from allmende.identity.principal import Principal


def collections(
    registry: Registry, session: Session, principal: Principal
) -> list[tuple[Collection, FeatureSource]]:
    found: dict[str, tuple[Collection, FeatureSource]] = {}
    for module in registry:
        for source in module.feature_sources:
            for collection in source.collections(session, principal):
                found.setdefault(collection.id, (collection, source))
    return list(found.values())


def collection(
    registry: Registry, session: Session, principal: Principal, collection_id: str
) -> tuple[Collection, FeatureSource]:
    for offered, source in collections(registry, session, principal):
        if offered.id == collection_id:
            return offered, source
    raise NotFound(errors=[FieldError("collectionId", N_("no such collection"))])
