"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from allmende import __version__
from allmende.core.errors import ServiceUnavailable
from allmende.http.context import app_context

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/healthz", response_model=Health, operation_id="healthz")
def healthz() -> Health:
    """The process answers (liveness)."""
    return Health(status="ok", version=__version__)


@router.get(
    "/readyz",
    response_model=Health,
    operation_id="readyz",
    responses={503: {"description": "Database unreachable or schema not migrated"}},
)
async def readyz(request: Request) -> Health:
    """The database answers and its schema is current (readiness)."""
    check = app_context(request).readiness
    problem = await run_in_threadpool(check) if check is not None else None
    if problem:
        raise ServiceUnavailable(detail=problem)
    return Health(status="ready", version=__version__)
