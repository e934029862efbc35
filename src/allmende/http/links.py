"""Absolute links that are right behind a reverse proxy.

With ``base_url`` configured every link starts with it; otherwise links follow the request as the
client sent it (scheme, host and prefix restored by :class:`ProxyHeadersMiddleware`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from allmende.http.context import app_context


def base_url(connection: HTTPConnection) -> str:
    """The public root of the installation, without a trailing slash."""
    configured = app_context(connection).settings.base_url
    if configured:
        return configured
    return str(connection.base_url).rstrip("/")


def absolute_url(connection: HTTPConnection, path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    return base_url(connection) + path


def local_path(connection: HTTPConnection, path: str) -> str:
    """A path on this site (for links in pages), including a proxy prefix."""
    configured = app_context(connection).settings.base_url
    prefix = (
        urlsplit(configured).path.rstrip("/")
        if configured
        else connection.scope.get("root_path", "").rstrip("/")
    )
    return prefix + (path if path.startswith("/") else "/" + path)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A redirect target that stays on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


class ProxyHeadersMiddleware:
    """Believe ``Forwarded`` / ``X-Forwarded-*`` headers only from trusted proxy addresses."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str]) -> None:
        self.app = app
        self.trust_all = "*" in trusted
        self.networks = [ipaddress.ip_network(t, strict=False) for t in trusted if t != "*"]

    def _trusted(self, host: str | None) -> bool:
        if self.trust_all:
            return True
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if self._trusted(client[0] if client else None):
                scope = self._apply(scope)
        await self.app(scope, receive, send)

    @staticmethod
    def _apply(scope: Scope) -> Scope:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        proto = host = prefix = client = None
        if "forwarded" in headers:
            first = headers["forwarded"].split(",")[0]
            for part in first.split(";"):
                name, _, value = part.strip().partition("=")
                value = value.strip('"')
                if name.lower() == "proto":
                    proto = value
                elif name.lower() == "host":
                    host = value
                elif name.lower() == "for":
                    client = value
        proto = proto or _first(headers.get("x-forwarded-proto"))
        host = host or _first(headers.get("x-forwarded-host"))
        prefix = _first(headers.get("x-forwarded-prefix"))
        client = client or _first(headers.get("x-forwarded-for"))
        scope = dict(scope)
        if proto in ("http", "https"):
            scope["scheme"] = (
                proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
            )
        if host:
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
            scope["headers"].append((b"host", host.encode("latin-1")))
        if prefix and prefix.startswith("/") and prefix != "/":
            # ASGI: path includes root_path; routing strips it again.
            scope["root_path"] = prefix.rstrip("/") + scope.get("root_path", "")
            scope["path"] = prefix.rstrip("/") + scope["path"]
        if client:
            scope["client"] = (client.strip("[]"), 0)
        return scope


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() if value else None
