"""A small OpenADR 3.0 VTN for the tests, served on loopback by uvicorn.

Written from the specification's OpenAPI objects: ``GET /auth/server`` names the token
endpoint; ``POST /auth/token`` grants client-credentials bearer tokens; ``/vens`` (VEN_VEN_REQUEST
in, VEN out), ``/programs``, ``/events?programID=`` (events with an ``intervalPeriod``,
``payloadDescriptors`` and ``intervals`` of ``payloads``), and ``POST /reports``. Every
resource but the token endpoint needs the bearer token.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Request

CLIENT_ID, CLIENT_SECRET = "allmende-ven", "s3cret-for-tests"


@dataclass
class VtnState:
    programs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    vens: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)


def make_app(state: VtnState, base: str) -> FastAPI:
    app = FastAPI()

    def authorised(authorization: str | None) -> None:
        if not authorization or authorization.removeprefix("Bearer ") not in state.tokens:
            raise HTTPException(403, "a valid bearer token is needed")

    @app.get("/auth/server")
    def server() -> dict[str, str]:
        return {"tokenURL": f"{base}/auth/token"}

    @app.post("/auth/token")
    def token(
        grant_type: str = Form(...), client_id: str = Form(...), client_secret: str = Form(...)
    ) -> dict[str, Any]:
        if grant_type != "client_credentials" or (client_id, client_secret) != (
            CLIENT_ID,
            CLIENT_SECRET,
        ):
            raise HTTPException(401, "invalid_client")
        value = f"token-{len(state.tokens) + 1}"
        state.tokens.add(value)
        return {"access_token": value, "token_type": "Bearer", "expires_in": 3600}

    @app.get("/vens")
    def vens(venName: str | None = None, authorization: str | None = Header(None)) -> list[Any]:  # noqa: N803
        authorised(authorization)
        return [v for v in state.vens if venName is None or v["venName"] == venName]

    @app.post("/vens", status_code=201)
    async def new_ven(request: Request, authorization: str | None = Header(None)) -> Any:
        authorised(authorization)
        body = await request.json()
        if body.get("objectType") != "VEN_VEN_REQUEST" or not body.get("venName"):
            raise HTTPException(400, "a VEN_VEN_REQUEST with a venName")
        ven = {"id": str(len(state.vens) + 1), "objectType": "VEN", "venName": body["venName"]}
        state.vens.append(ven)
        return ven

    @app.get("/programs")
    def programs(authorization: str | None = Header(None)) -> list[Any]:
        authorised(authorization)
        return state.programs

    @app.get("/events")
    def events(programID: str | None = None, authorization: str | None = Header(None)) -> list[Any]:  # noqa: N803
        authorised(authorization)
        return [e for e in state.events if programID is None or e["programID"] == programID]

    @app.post("/reports", status_code=201)
    async def reports(request: Request, authorization: str | None = Header(None)) -> Any:
        authorised(authorization)
        body = await request.json()
        if body.get("objectType") != "REPORT" or "eventID" not in body:
            raise HTTPException(400, "a REPORT for an event")
        report = {**body, "id": str(len(state.reports) + 1)}
        state.reports.append(report)
        return report

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve() -> Iterator[tuple[str, VtnState]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    state = VtnState()
    server = uvicorn.Server(
        uvicorn.Config(make_app(state, base), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield base, state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
