"""What a module offers to Open311 GeoReport v2: services (report categories) and requests.

A module lists providers in ``ModuleSpec.open311_services``; the adapter in
``allmende.standards.open311`` does the wire format (JSON and XML, errors, jurisdictions) and
asks the providers. :class:`ServiceRequest` has no field for personal data, so no GET can leak
it; :class:`NewRequest` carries it in (the provider stores it internally, or not at all).
``session`` is an SQLAlchemy session (read-only for reads, a write session for ``submit``) and
``principal`` an :class:`allmende.identity.principal.Principal`; the kernel imports neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


@dataclass(frozen=True)
class ServiceAttribute:
    code: str
    description: str
    datatype: Datatype = "string"
    required: bool = False
    order: int = 1
    variable: bool = True
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for list types


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    attributes: tuple[ServiceAttribute, ...] = ()

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)
    description: str | None = None
    media_url: str | None = None
    # Personal data: stored for staff at most, never returned by any GET.
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class StatusNote:
    """One entry of a request's history (``notes`` in the ``extensions=true`` answer)."""

    at: datetime
    description: str
    type: str = "status"  # e.g. "created", "status", "comment"


@dataclass(frozen=True)
class ServiceRequest:
    id: str
    status: Literal["open", "closed"]
    service_code: str
    service_name: str
    requested: datetime
    status_notes: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    updated: datetime | None = None
    expected: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    #: Filled only when the query asked ``with_notes`` (and the provider keeps a history).
    notes: tuple[StatusNote, ...] = ()


@dataclass(frozen=True)
class Submitted:
    """The answer to a POST: the new request's id (realtime) or a token (batch)."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str | None = None


@dataclass(frozen=True)
class RequestQuery:
    ids: Sequence[str] | None = None  # overrides every other filter
    service_codes: Sequence[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] | None = None
    limit: int = 1000
    offset: int = 0  # newest first: skip this many (``page``/``page_size``)
    with_notes: bool = False  # fill ServiceRequest.notes (``extensions=true``)


class Open311Provider(Protocol):
    def services(self, session: Any, municipality_id: int) -> Sequence[Service]: ...

    def submit(
        self, session: Any, municipality_id: int, request: NewRequest, principal: Any
    ) -> Submitted:
        """Store a new request; raise ValidationFailed naming the field for bad input."""
        ...

    def requests(
        self, session: Any, municipality_id: int, query: RequestQuery
    ) -> Sequence[ServiceRequest]:
        """Public requests matching ``query``, newest ``requested`` first, ``offset`` and
        ``limit`` applied; the time window applies to ``requested`` (ignored with ``ids``)."""
        ...

    def by_token(
        self, session: Any, municipality_id: int, token: str
    ) -> Sequence[ServiceRequest]: ...
