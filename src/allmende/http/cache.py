"""The read cache: anonymous GETs answered from memory while the data has not changed.

A reverse proxy's micro-cache, in the one place that knows when an answer may be shared: only a
request without credentials and without cookies (but the language and the CSRF seed) is served
from it, and only an answer to a request without any cookie but the language one, with status
200, no ``Set-Cookie`` and no ``Cache-Control: private``/``no-store`` is kept. An entry holds for
``read_cache_seconds`` (pages show relative times) and only as long as the database's
:class:`~allmende.storage.version.DataVersion` is the one read before the answer was computed,
so a read after a write, in any process, sees the write.

Every kept answer gets an ``ETag`` and ``Cache-Control: no-cache`` (browsers and proxies keep it
but ask again, ``If-None-Match`` → 304), and ``Vary`` on what the key holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allmende.http.csrf import SEED_COOKIE
from allmende.http.i18n import LANGUAGE_COOKIE
from allmende.storage.version import DataVersion

#: Answers that change without a write: probes, metrics; static files have their own ETags.
UNCACHED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
UNCACHED_PREFIXES = ("/static/",)
#: Cookies that do not make an answer personal (a page printing the seed's token sets it anew
#: and is never kept, so a kept page holds no token).
SHAREABLE_COOKIES = frozenset({LANGUAGE_COOKIE, SEED_COOKIE})
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")
VARY = "Accept, Accept-Language, Cookie"
HIT_HEADER = "x-cache"

Key = tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    version: object
    stored: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    route: Any


class ReadCache:
    """ASGI middleware; ``seconds`` = 0 passes everything through."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        version: DataVersion,
        seconds: float,
        max_entries: int = 512,
        max_body_bytes: int = 1024 * 1024,
        max_total_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.version = version
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self.max_total_bytes = max_total_bytes
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._total = 0
        #: Answers being computed, so that concurrent misses of one key wait for one of them.
        self._pending: dict[Key, asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.seconds <= 0 or not _servable(scope):
            await self.app(scope, receive, send)
            return
        key = _key(scope)
        version = await self._current()
        if version is None:
            await self.app(scope, receive, send)
            return
        entry = self._fresh(key, version)
        if entry is None and key in self._pending:
            await asyncio.shield(self._pending[key])
            entry = self._fresh(key, version)
        if entry is not None:
            await self._answer(scope, send, entry, hit=True)
            return
        if not _storable_request(scope):
            await self.app(scope, receive, send)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[key] = done
        try:
            await self._compute(scope, receive, send, key, version)
        finally:
            if self._pending.get(key) is done:
                del self._pending[key]
            done.set_result(None)

    async def _current(self) -> object | None:
        if self.version.blocking:
            return await run_in_threadpool(self.version.current)
        return self.version.current()

    def _fresh(self, key: Key, version: object) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.version != version or time.monotonic() - entry.stored > self.seconds:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    async def _compute(
        self, scope: Scope, receive: Receive, send: Send, key: Key, version: object
    ) -> None:
        """Run the app; keep its answer if it may be shared, and send it (or a 304)."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False  # not kept: messages go straight through

        async def capture(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
                if not _storable_answer(message):
                    passing = True
                    await send(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if size > self.max_body_bytes:
                    passing = True
                    assert start is not None
                    await send(start)
                    await send({**message, "body": b"".join(chunks)})
                elif not message.get("more_body", False):
                    entry = self._store(key, version, start, b"".join(chunks), scope)
                    await self._answer(scope, send, entry, hit=False)
            else:
                await send(message)

        await self.app(scope, receive, capture)

    def _store(
        self, key: Key, version: object, start: Message | None, body: bytes, scope: Scope
    ) -> Entry:
        assert start is not None
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in (b"etag", b"cache-control", b"vary")
        ]
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        entry = Entry(
            version, time.monotonic(), start["status"], headers, body, etag, scope.get("route")
        )
        self._drop(key)
        self._entries[key] = entry
        self._total += len(body)
        while self._entries and (
            len(self._entries) > self.max_entries or self._total > self.max_total_bytes
        ):
            self._drop(next(iter(self._entries)))
        return entry

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._total -= len(entry.body)

    async def _answer(self, scope: Scope, send: Send, entry: Entry, *, hit: bool) -> None:
        if hit and entry.route is not None:
            scope["route"] = entry.route  # the access log and metrics name the route
        headers = MutableHeaders(raw=list(entry.headers))
        headers["ETag"] = entry.etag
        headers["Cache-Control"] = "no-cache"
        headers["Vary"] = VARY
        headers[HIT_HEADER] = "hit" if hit else "miss"
        body = entry.body
        status = entry.status
        if _matches(Headers(scope=scope).get("if-none-match"), entry.etag):
            status, body = 304, b""
            for name in ("content-length", "content-type"):
                del headers[name]
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def _servable(scope: Scope) -> bool:
    """An anonymous GET of a path whose answers may be shared."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    path: str = scope["path"]
    if path in UNCACHED_PATHS or path.startswith(UNCACHED_PREFIXES):
        return False
    for name, value in scope["headers"]:
        if name in CREDENTIAL_HEADERS:
            return False
        if name == b"cookie" and not _cookie_names(value) <= SHAREABLE_COOKIES:
            return False
    return True


def _storable_request(scope: Scope) -> bool:
    """No cookie but the language: the answer cannot depend on the caller's seed."""
    return all(
        name != b"cookie" or _cookie_names(value) <= {LANGUAGE_COOKIE}
        for name, value in scope["headers"]
    )


def _storable_answer(start: Message) -> bool:
    if start["status"] != 200:
        return False
    headers = Headers(raw=start.get("headers", []))
    if "set-cookie" in headers:
        return False
    control = headers.get("cache-control", "").lower()
    return "no-store" not in control and "private" not in control


def _cookie_names(header: bytes) -> set[str]:
    return {
        part.split(b"=", 1)[0].strip().decode("latin-1")
        for part in header.split(b";")
        if part.strip()
    }


def _key(scope: Scope) -> Key:
    request = Request(scope)
    language = request.app.state.allmende.catalogs.negotiate(request)
    headers = request.headers
    return (
        scope.get("scheme", "http"),
        headers.get("host", ""),
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        language,
        headers.get("accept", ""),
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags: Sequence[str] = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags
