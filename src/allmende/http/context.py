"""What a request handler can reach: the pieces of the running installation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from starlette.requests import HTTPConnection

from allmende.core.events import EventBus
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.http.keycache import KeyCache
from allmende.http.principals import PrincipalCache
from allmende.identity.oidc import OidcVerifier
from allmende.identity.ratelimits import RateLimits
from allmende.storage.database import Database
from allmende.storage.version import DataVersion

if TYPE_CHECKING:
    from allmende.http.i18n import Catalogs
    from allmende.http.templating import Templates

S = TypeVar("S")


@dataclass
class AppContext:
    settings: Settings
    registry: Registry
    database: Database
    bus: EventBus
    catalogs: Catalogs
    templates: Templates
    oidc: OidcVerifier | None = None
    #: ``/readyz``: None when the installation can serve, else what keeps it from it.
    readiness: Callable[[], str | None] | None = None
    #: The demo's accounts, shown on the sign-in page (only in demo mode).
    demo_accounts: list[dict[str, str]] | None = None
    #: Attempt counters shared by all workers (``allmende.http.ratelimit.rate_limit``).
    rate_limits: RateLimits = field(init=False)
    #: API keys accepted a moment ago (``allmende.http.keycache``).
    api_keys: KeyCache = field(init=False)
    #: "Has anything been committed since?" (``allmende.storage.version``).
    data_version: DataVersion = field(init=False)
    #: Principals of credentials kept while the data version holds (``allmende.http.principals``).
    principals: PrincipalCache = field(init=False)
    #: The long-lived objects of the standards adapters, one per class (see :meth:`attach`).
    _services: dict[type, object] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.rate_limits = RateLimits(self.database)
        self.api_keys = KeyCache()
        self.data_version = DataVersion(self.database)
        self.principals = PrincipalCache(self.data_version)

    def attach(self, service: object) -> None:
        """Keep an adapter's object (the SensorThings API, the MQTT bridge) for its handlers;
        they find it again by its class with :meth:`service`."""
        self._services[type(service)] = service

    def service(self, kind: type[S]) -> S:
        """The attached object of class ``kind`` (a LookupError if its adapter set none)."""
        found = self.find(kind)
        if found is None:
            raise LookupError(f"no {kind.__name__} is attached to the app context")
        return found

    def find(self, kind: type[S]) -> S | None:
        """The attached object of class ``kind``, or None (e.g. the MQTT bridge when off)."""
        found = self._services.get(kind)
        return found if isinstance(found, kind) else None


def app_context(connection: HTTPConnection) -> AppContext:
    context: AppContext = connection.app.state.allmende
    return context


def database(connection: HTTPConnection) -> Database:
    return app_context(connection).database
