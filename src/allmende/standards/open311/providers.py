"""The Open311 providers of the enabled modules, asked as one.

Service codes are unique per jurisdiction (the first provider to offer a code answers for it);
request ids must be unique across providers (the first match wins).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain

from sqlalchemy.orm import Session

from allmende.core.errors import FieldError, NotFound
from allmende.core.open311 import Open311Provider, RequestQuery, Service, ServiceRequest
from allmende.core.registry import Registry
from allmende.http.i18n import N_


def providers(registry: Registry) -> list[Open311Provider]:
    return [p for module in registry for p in module.open311_services]


def services(
    registry: Registry, session: Session, municipality_id: int
) -> list[tuple[Service, Open311Provider]]:
    found: dict[str, tuple[Service, Open311Provider]] = {}
    for provider in providers(registry):
        for service in provider.services(session, municipality_id):
            found.setdefault(service.code, (service, provider))
    return list(found.values())


def service(
    registry: Registry, session: Session, municipality_id: int, code: str
) -> tuple[Service, Open311Provider]:
    for offered, provider in services(registry, session, municipality_id):
        if offered.code == code:
            return offered, provider
    raise NotFound(errors=[FieldError("service_code", N_("no such service in this jurisdiction"))])


def requests(
    registry: Registry, session: Session, municipality_id: int, query: RequestQuery
) -> list[ServiceRequest]:
    """Newest first. Several providers each give their first ``offset + limit``, then merge."""
    asked = providers(registry)
    if len(asked) == 1:
        return list(asked[0].requests(session, municipality_id, query))
    wide = replace(query, limit=query.offset + query.limit, offset=0)
    found = chain.from_iterable(p.requests(session, municipality_id, wide) for p in asked)
    unique = {r.id: r for r in reversed(list(found))}  # the first provider's wins
    ordered = sorted(unique.values(), key=lambda r: (r.requested, r.id), reverse=True)
    return ordered[query.offset : query.offset + query.limit]


def by_token(
    registry: Registry, session: Session, municipality_id: int, token: str
) -> list[ServiceRequest]:
    for provider in providers(registry):
        found = list(provider.by_token(session, municipality_id, token))
        if found:
            return found
    return []
