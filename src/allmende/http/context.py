"""What a request handler can reach: the pieces of the running installation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from allmende.core.events import EventBus
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.identity.oidc import OidcVerifier
from allmende.identity.ratelimits import RateLimits
from allmende.storage.database import Database

if TYPE_CHECKING:
    from allmende.http.i18n import Catalogs
    from allmende.http.templating import Templates


@dataclass
class AppContext:
    settings: Settings
    registry: Registry
    database: Database
    bus: EventBus
    catalogs: Catalogs
    templates: Templates
    oidc: OidcVerifier | None = None
    #: Extra services modules and adapters hang here by name (e.g. the MQTT bridge).
    services: dict[str, Any] = field(default_factory=dict)
    #: Attempt counters shared by all workers (``allmende.http.ratelimit.rate_limit``).
    rate_limits: RateLimits = field(init=False)

    def __post_init__(self) -> None:
        self.rate_limits = RateLimits(self.database)


def app_context(connection: HTTPConnection) -> AppContext:
    context: AppContext = connection.app.state.allmende
    return context


def database(connection: HTTPConnection) -> Database:
    return app_context(connection).database
