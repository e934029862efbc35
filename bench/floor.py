"""The server application of ``bench/clients.py``: Allmende's, plus one bare route, the floor.

``POST /bench/floor`` reads the request body and answers 201 with ``{}``. It runs in the same
uvicorn process (the same event loop, HTTP parser and number of workers) behind the same
middleware as every Allmende request — forwarded headers, request id with its access-log line
and security headers, the body size limit, the JSON depth limit — and through the same router,
but with nothing of the request handling after that: no FastAPI dependency (so no credentials
check), no thread pool, no JSON parsing, no database. What a single POST of an Observation
costs above the floor is the SensorThings work.

Started by the benchmark as ``uvicorn floor:create_app --factory --app-dir bench`` with the
options of ``allmende serve``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from allmende.app import create_app as create_allmende

FLOOR = "/bench/floor"


async def floor(request: Request) -> Response:
    await request.body()
    return Response(b"{}", status_code=201, media_type="application/json")


def create_app() -> FastAPI:
    app = create_allmende()
    # First, so that no catch-all page route answers it.
    app.router.routes.insert(0, Route(FLOOR, floor, methods=["POST"]))
    return app
