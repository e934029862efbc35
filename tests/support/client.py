"""Starlette's TestClient with one crossing into the app's event loop per request.

Starlette's transport streams each answer back through about eight calls between the test's
thread and the event loop thread (events, a stream, a cancel scope, each chunk), ~1.4 ms per
request on the 2-core CI machine: more than many handlers take. This transport runs the whole
exchange in one call and hands back the complete answer once the app has returned (its
background tasks included). WebSockets, lifespan and everything else stay Starlette's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from starlette import testclient
from starlette.types import ASGIApp, Message


class _Exchange:
    """One request through the app, inside the event loop: the answer collected whole."""

    def __init__(self, scope: dict[str, Any], body: bytes) -> None:
        self.scope = scope
        self.body = body
        self.sent_body = False
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []

    async def run(self, app: ASGIApp) -> None:
        self.done = anyio.Event()
        try:
            await app(self.scope, self.receive, self.send)
        finally:
            self.done.set()

    async def receive(self) -> Message:
        if not self.sent_body:
            self.sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.done.wait()  # a disconnect only once the answer is complete
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            assert self.status is None, 'two "http.response.start" messages'
            self.status = message["status"]
            self.headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
        elif kind == "http.response.body":
            assert self.status is not None, 'a body before "http.response.start"'
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.done.set()


class _OneCrossingTransport(httpx.BaseTransport):
    def __init__(self, starlette_transport: testclient._TestClientTransport) -> None:
        self.inner = starlette_transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme in ("ws", "wss"):
            response: httpx.Response = self.inner.handle_request(request)  # a WebSocket upgrade
            return response
        inner = self.inner
        exchange = _Exchange(_scope(request, inner), request.read())
        with inner.portal_factory() as portal:
            try:
                portal.call(exchange.run, inner.app)
            except BaseException:
                if inner.raise_server_exceptions or exchange.status is not None:
                    raise
        if exchange.status is None:
            if inner.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return httpx.Response(500, request=request)
        content = b"" if request.method == "HEAD" else b"".join(exchange.chunks)
        return httpx.Response(
            exchange.status, headers=exchange.headers, content=content, request=request
        )


def _scope(request: httpx.Request, inner: testclient._TestClientTransport) -> dict[str, Any]:
    """The HTTP scope Starlette's transport would build for ``request``."""
    url = request.url
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    headers = [] if "host" in request.headers else [(b"host", url.netloc)]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.multi_items()]
    return {
        "type": "http",
        "http_version": "1.1",
        "method": request.method,
        "path": unquote(url.path),
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "root_path": inner.root_path,
        "scheme": url.scheme,
        "query_string": url.query,
        "headers": headers,
        "client": inner.client,
        "server": [url.raw_host.decode("ascii"), port],
        "extensions": {},
        "state": inner.app_state.copy(),
    }


class TestClient(testclient.TestClient):
    """``starlette.testclient.TestClient``, answering each request with one loop crossing."""

    __test__ = False

    def __init__(self, app: ASGIApp, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)
        starlette_transport: Any = self._transport
        self._transport = _OneCrossingTransport(starlette_transport)
