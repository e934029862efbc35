"""Absolute links that are right behind a reverse proxy.

With ``base_url`` configured every link starts with it; otherwise links follow the request as the
client sent it (scheme, host and prefix restored by :class:`ProxyHeadersMiddleware`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse
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


def login_redirect(connection: HTTPConnection) -> RedirectResponse:
    """To the sign-in page, and after it back to this page (its query too)."""
    target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    return RedirectResponse(
        local_path(connection, "/login?" + urlencode({"next": target})), status_code=303
    )


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A redirect target that stays on this site (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


class ProxyHeadersMiddleware:
    """Believe ``Forwarded`` / ``X-Forwarded-*`` headers only from trusted proxy addresses.

    Proxies append the address they saw to the right of what the client sent, so only the
    right end of the chain can be believed: the client is the right-most address that is not
    itself a trusted proxy (the left-most one when every hop is trusted). Scheme and host are
    taken from the same ``Forwarded`` element, and from the right-most ``X-Forwarded-Proto`` /
    ``X-Forwarded-Host`` value, i.e. the one the nearest proxy set.
    """

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

    def _client_entry(self, addresses: list[str]) -> int:
        """Index of the right-most address that is not a trusted proxy (else the first)."""
        for index in range(len(addresses) - 1, -1, -1):
            if not self._trusted(addresses[index]):
                return index
        return 0

    def _apply(self, scope: Scope) -> Scope:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        proto = host = prefix = client = None
        if "forwarded" in headers:
            elements = _forwarded_elements(headers["forwarded"])
            if elements:
                chosen = elements[
                    self._client_entry([_address(e.get("for", "")) for e in elements])
                ]
                proto, host = chosen.get("proto"), chosen.get("host")
                client = _address(chosen["for"]) if "for" in chosen else None
        proto = proto or _last(headers.get("x-forwarded-proto"))
        host = host or _last(headers.get("x-forwarded-host"))
        prefix = _last(headers.get("x-forwarded-prefix"))
        if client is None and headers.get("x-forwarded-for"):
            chain = [_address(a) for a in headers["x-forwarded-for"].split(",") if a.strip()]
            client = chain[self._client_entry(chain)] if chain else None
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
            scope["client"] = (client, 0)
        return scope


def _forwarded_elements(value: str) -> list[dict[str, str]]:
    """The elements of an RFC 7239 ``Forwarded`` header, each as lower-case name → value."""
    elements: list[dict[str, str]] = []
    for element in _split_unquoted(value, ","):
        pairs: dict[str, str] = {}
        for part in _split_unquoted(element, ";"):
            name, _, raw = part.strip().partition("=")
            if name:
                pairs[name.strip().lower()] = raw.strip().strip('"')
        elements.append(pairs)
    return elements


def _split_unquoted(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _address(node: str) -> str:
    """The address of a ``for=`` node or an X-Forwarded-For entry, without port or brackets."""
    node = node.strip().strip('"')
    if node.startswith("["):  # [2001:db8::1]:4711
        return node[1:].split("]", 1)[0]
    if node.count(":") == 1:  # 192.0.2.43:47011
        return node.split(":", 1)[0]
    return node


def _last(value: str | None) -> str | None:
    return value.rsplit(",", 1)[-1].strip() if value else None
