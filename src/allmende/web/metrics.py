"""``/metrics``: the Prometheus figures, for the scraper's address or a key that may read them."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.metrics import CONTENT_TYPE, exposition
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.identity.permissions import Action, require
from allmende.identity.service import METRICS_SCOPE

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, principal: Caller) -> Response:
    """Request, writer, ingest, MQTT and job figures (Prometheus text format)."""
    allowed = app_context(request).settings.metrics_allowed_networks
    if not _from(request, allowed):
        require(principal, Action.READ_INTERNAL, scope=METRICS_SCOPE)
    return Response(await run_in_threadpool(exposition), media_type=CONTENT_TYPE)


def _from(request: Request, networks: list[str]) -> bool:
    if not networks or request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)
