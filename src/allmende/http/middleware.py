"""Middleware on every request: request id and access log, security headers (HSTS on https),
body size limit, and the Host header checked against ``allowed_hosts``."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allmende.core.digits import is_digits
from allmende.core.errors import AllmendeError, BadRequest, PayloadTooLarge
from allmende.core.logging import request_id
from allmende.core.metrics import HTTP_IN_PROGRESS, HTTP_REQUESTS

#: Renders an error the way the application would (a standard's format for its paths).
ErrorRenderer = Callable[[Request, AllmendeError], Response]

log = logging.getLogger("allmende.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Answered whatever the Host header says: load balancers probe by address, and they build no links.
ANY_HOST_PATHS = frozenset({"/healthz", "/readyz"})


class RequestContextMiddleware:
    """Gives each request an id (or keeps a sane ``X-Request-ID``), logs it, sets headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tile_origin: str | None,
        max_body_bytes: int,
        render: ErrorRenderer | None = None,
        allowed_hosts: Sequence[str] = (),
        hsts_max_age: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.render = render
        self.allowed_hosts = [h.lower() for h in allowed_hosts]
        self.hsts = f"max-age={hsts_max_age}" if hsts_max_age > 0 else None
        tiles = f" {tile_origin}" if tile_origin else ""
        self.csp = (
            "default-src 'self'; "
            f"img-src 'self' data: blob:{tiles}; "
            "style-src 'self'; script-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await self._refuse(
                scope,
                receive,
                send,
                rid,
                BadRequest(
                    detail="The address holds a NUL character (%00), which no field accepts."
                ),
            )
            request_id.reset(token)
            return

        host = _header(scope, b"host") or ""
        path = scope["path"][len(scope.get("root_path", "")) :]
        if not self._host_allowed(host) and path not in ANY_HOST_PATHS:
            refused = BadRequest(detail="The Host header names no host of this installation.")
            await self._refuse(scope, receive, send, rid, refused)
            request_id.reset(token)
            return

        declared = _header(scope, b"content-length")
        if declared is not None and is_digits(declared) and int(declared) > self.max_body_bytes:
            too_large = PayloadTooLarge(detail=f"The body exceeds {self.max_body_bytes} bytes.")
            await self._refuse(scope, receive, send, rid, too_large)
            request_id.reset(token)
            return

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", self.csp)
                if self.hsts and scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", self.hsts)
                if scope.get("state", {}).get("clear_session_cookie"):
                    headers.append(
                        "Set-Cookie",
                        "allmende_session=; Max-Age=0; Path=/; HttpOnly; SameSite=lax",
                    )
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(detail=f"The body exceeds {self.max_body_bytes} bytes.")
            return message

        HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive_limited, send_wrapper)
        finally:
            HTTP_IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], route_label(scope), str(status)).observe(elapsed)
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id.reset(token)

    def _host_allowed(self, host: str) -> bool:
        if not self.allowed_hosts:
            return True
        name = _host_name(host)
        return any(
            name == allowed or (allowed.startswith("*.") and name.endswith(allowed[1:]))
            for allowed in self.allowed_hosts
        )

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, rid: str, error: AllmendeError
    ) -> None:
        """Answer before the application sees the request (it never should)."""
        HTTP_REQUESTS.labels(scope["method"], "refused", str(error.status)).observe(0)
        if self.render is None or "app" not in scope:
            await _problem(send, rid, error.status, error.title, str(error))
            return
        response = self.render(Request(scope), error)
        response.headers["X-Request-ID"] = rid
        await response(scope, receive, send)


def _host_name(host: str) -> str:
    """The name without the port: ``daten.example.de:8443`` → ``daten.example.de``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def route_label(scope: Scope) -> str:
    """The route's template (``/api/assets/objects/{object_id}``): bounded, unlike paths."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(template, str):
        return template
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return "unmatched"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _problem(send: Send, rid: str, status: int, title: str, detail: str) -> None:
    slug = title.lower().replace(" ", "-")
    body = orjson.dumps(
        {
            "type": f"https://allmende.example/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": rid,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", rid.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
