"""The HTTP face of the SensorThings API at ``/v1.1``: thin glue to :class:`Api`.

Everything below the version root is one route per method, so the resource paths of any
depth (``Things(1)/Datastreams(2)/Observations``) reach the adapter's own path parser.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Receive, Scope, Send

from allmende.core.errors import BadRequest
from allmende.http.auth import (
    Caller,
    confirmed_principal,
    confirms_key_itself,
    current_principal,
    unconfirmed,
)
from allmende.http.context import app_context
from allmende.http.links import absolute_url
from allmende.standards.sensorthings.exchange import StaRequest, StaResponse
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.single import stream_target

PREFIX = "/v1.1"

router = APIRouter(tags=["SensorThings API 1.1"])

_ANY_JSON: dict[str, Any] = {"schema": {}}
_QUERY = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
    for name, kind, text in (
        (
            "$filter",
            "string",
            "Condition, e.g. result gt 20 and phenomenonTime ge 2024-01-01T00:00:00Z",
        ),
        ("$expand", "string", "Related entities, e.g. Datastreams($top=1;$expand=Observations)"),
        ("$select", "string", "Properties to answer with, e.g. id,name"),
        ("$orderby", "string", "Sort order, e.g. phenomenonTime desc"),
        ("$top", "integer", "Entities per page"),
        ("$skip", "integer", "Entities to skip"),
        ("$count", "boolean", "Include @iot.count"),
        ("$resultFormat", "string", "dataArray, GeoJSON or CSV"),
        ("$aggregate", "string", "Allmende extension: aggregate Observations per PT1H, P1D, P1M …"),
        (
            "municipality",
            "string",
            "Allmende extension: only the entities of this municipality (its key or id)",
        ),
    )
]
_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The entity, entity set, property or value",
        "content": {
            "application/json": _ANY_JSON,
            "application/geo+json": _ANY_JSON,
            "text/csv": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
    404: {"description": "No such entity or path"},
}
_BODY = {"required": True, "content": {"application/json": _ANY_JSON}}
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller may not change entities of this municipality"},
    404: {"description": "No such entity or path"},
    405: {"description": "The method does not apply to this path"},
    409: {"description": "Conflicts with existing data (e.g. a duplicate Observation)"},
    415: {"description": "The body is not JSON"},
}


def api_of(request: Request) -> Api:
    return app_context(request).service(Api)


def _sta_request(request: Request, path: str, principal: Any, body: bytes) -> StaRequest:
    try:
        query = request.scope.get("query_string", b"").decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(detail="The query string is not valid UTF-8.") from None
    return StaRequest(
        method=request.method,
        path=path,
        query=query,
        principal=principal,
        root=absolute_url(request, PREFIX),
        body=body,
        content_type=request.headers.get("content-type", ""),
    )


def _response(result: StaResponse) -> Response:
    return Response(
        result.body,
        status_code=result.status,
        media_type=result.content_type,
        headers=result.headers,
    )


async def _respond(request: Request, path: str, principal: Any) -> Response:
    body = await request.body() if request.method in ("POST", "PATCH", "PUT") else b""
    sta = _sta_request(request, path, principal, body)
    api = api_of(request)
    confirm_key = unconfirmed(request)
    result = await api.single_observation(sta, confirm_key=confirm_key)
    if result is None:
        if confirm_key:
            sta = replace(sta, principal=await confirmed_principal(request))
        result = await run_in_threadpool(api.handle, sta)
    return _response(result)


_ROOT = PREFIX + "/"
#: Set on a request the fast route handed on to the general one.
_HANDED_ON = "allmende.sensorthings.handed_on"


class SingleObservationRoute(BaseRoute):
    """``POST /v1.1/Datastreams(id)/Observations`` (and the other paths of
    :func:`~.single.stream_target`) without query options, taken before every other route and
    handed to :meth:`Api.single_observation` straight from the ASGI call.

    Sensors send one request per value, and FastAPI's handling of a request (its dependencies,
    exit stacks and response class) cost more than storing the value in a group. The caller,
    its answers and its refusals are those of :func:`create`: the principal comes from the
    same :func:`current_principal`, errors go to the same handlers, and a body the fast path
    does not take (anything but one plain Observation, or a remembered key that no longer
    holds) goes on to :func:`create` with the body already read.
    """

    #: As the route it stands in for, for the metrics' route label.
    path = PREFIX + "/{path:path}"
    path_format = PREFIX + "/{path}"

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope.get("query_string")
            or scope.get(_HANDED_ON)
        ):
            return Match.NONE, {}
        route_path = get_route_path(scope)
        if not route_path.startswith(_ROOT) or stream_target(route_path[len(_ROOT) :]) is None:
            return Match.NONE, {}
        return Match.FULL, {"endpoint": create, "route": self}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        principal = await current_principal(request)
        if not principal.is_authenticated:  # never stored here: the general route refuses it
            scope[_HANDED_ON] = True
            await scope["router"](scope, receive, send)
            return
        body = await request.body()
        path = get_route_path(scope)[len(_ROOT) :]
        sta = _sta_request(request, path, principal, body)
        result = await api_of(request).single_observation(sta, confirm_key=unconfirmed(request))
        if result is not None:
            await _response(result)(scope, receive, send)
            return
        scope[_HANDED_ON] = True
        await scope["router"](scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The request's body once more, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


@router.get(
    PREFIX,
    operation_id="sensorthings_root",
    summary="The service root: entity sets and server settings",
    responses={
        200: {
            "description": "Entity sets and conformance",
            "content": {"application/json": _ANY_JSON},
        }
    },
)
async def root(request: Request, principal: Caller) -> Response:
    return await _respond(request, "", principal)


@router.get(
    PREFIX + "/{path:path}",
    operation_id="sensorthings_read",
    summary="Read entities, navigation paths, properties and $value/$ref",
    responses=_READ_RESPONSES,
    openapi_extra={"parameters": _QUERY},
)
async def read(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)


@router.head(PREFIX + "/{path:path}", include_in_schema=False)
async def head(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)


@router.post(
    PREFIX + "/{path:path}",
    operation_id="sensorthings_create",
    summary="Create entities (deep insert), CreateObservations, $batch",
    status_code=201,
    responses={
        201: {
            "description": "Created; Location names it",
            "content": {"application/json": _ANY_JSON},
        },
        200: {
            "description": "The batch's responses",
            "content": {"multipart/mixed": _ANY_JSON, "application/json": _ANY_JSON},
        },
        **_WRITE_RESPONSES,
    },
    openapi_extra={"requestBody": _BODY},
)
@confirms_key_itself  # a single Observation confirms it with its group's transaction
async def create(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)


@router.patch(
    PREFIX + "/{path:path}",
    operation_id="sensorthings_patch",
    summary="Change an entity (JSON merge, or JSON Patch with application/json-patch+json)",
    responses={
        200: {"description": "Changed", "content": {"application/json": _ANY_JSON}},
        **_WRITE_RESPONSES,
    },
    openapi_extra={"requestBody": _BODY},
)
async def patch(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)


@router.put(
    PREFIX + "/{path:path}",
    operation_id="sensorthings_put",
    summary="Replace an entity's properties",
    responses={
        200: {"description": "Replaced", "content": {"application/json": _ANY_JSON}},
        **_WRITE_RESPONSES,
    },
    openapi_extra={"requestBody": _BODY},
)
async def put(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)


@router.delete(
    PREFIX + "/{path:path}",
    operation_id="sensorthings_delete",
    summary="Delete an entity (with its cascade) or, with $filter, Observations",
    responses={200: {"description": "Deleted"}, **_WRITE_RESPONSES},
    openapi_extra={"parameters": [_QUERY[0]]},
)
async def delete(request: Request, path: str, principal: Caller) -> Response:
    return await _respond(request, path, principal)
