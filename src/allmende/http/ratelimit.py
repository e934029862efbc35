"""The one rate limiter of requests: per caller address (or another subject), shared by workers.

``rate_limit(request, LIMIT)`` counts one attempt of the caller and answers 429 when it has made
too many; the counts live in :class:`allmende.identity.ratelimits.RateLimits` (the database,
written in batches), so several workers limit together. It never waits for the database and
may be called from synchronous and asynchronous handlers alike. Call it before any costly step
(decoding a photo, checking a password), so that refused attempts cost nothing.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from allmende.core.errors import TooManyRequests
from allmende.http.context import app_context
from allmende.identity.ratelimits import RateLimit

__all__ = ["RateLimit", "client_address", "rate_limit"]


def client_address(connection: HTTPConnection) -> str:
    """The caller's address as a rate-limit subject: the IPv4 address, or the /64 network of an
    IPv6 one (a single host usually holds a whole /64). Behind a proxy it is the address that
    :class:`~allmende.http.links.ProxyHeadersMiddleware` found."""
    host = connection.client.host if connection.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def rate_limit(connection: HTTPConnection, limit: RateLimit, subject: str | None = None) -> None:
    """Count one attempt of ``subject`` (default: the caller's address); 429 when over."""
    wait = app_context(connection).rate_limits.hit(
        limit, subject if subject is not None else client_address(connection)
    )
    if wait is not None:
        raise TooManyRequests(detail=f"Too many attempts. Try again in {wait} seconds.")
