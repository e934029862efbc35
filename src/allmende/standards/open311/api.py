"""The GeoReport v2 endpoints under ``/open311/v2`` (discovery also at ``/open311``).

Each operation answers at ``….json`` and ``….xml``; the JSON twin is in the OpenAPI document,
the XML twin is the same operation in another representation and stays out of it. The
adapter reads parameters, picks the jurisdiction and the provider, and writes the answer; the
providers (``ModuleSpec.open311_services``) hold every rule about reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import FieldError, Forbidden, NotFound, Unauthorized
from allmende.core.open311 import NewRequest, Open311Provider, RequestQuery, Service, Submitted
from allmende.core.timeutil import utcnow
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.links import absolute_url
from allmende.identity import service as identity
from allmende.identity.permissions import Action, can
from allmende.identity.principal import Principal
from allmende.standards.open311 import documents, jurisdiction, params, providers, schemas
from allmende.standards.open311.errors import format_of
from allmende.standards.open311.params import optional, refuse
from allmende.standards.open311.wire import respond

PREFIX = "/open311"
VERSION_PATH = f"{PREFIX}/v2"
SCOPE = "open311"
#: When this endpoint's interface last changed (the discovery's sortable ``changeset``).
CHANGESET = "2026-01-01T00:00:00Z"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_FIELDS = 200

router = APIRouter(tags=["open311"])

_JSON = "application/json"
_XML = "text/xml"


def _responses(schema: dict[str, Any], *statuses: int) -> dict[int | str, dict[str, Any]]:
    errors = {"content": {_JSON: {"schema": schemas.ERRORS}}}
    documented: dict[int | str, dict[str, Any]] = {
        200: {"description": "OK", "content": {_JSON: {"schema": schema}}},
    }
    # 403: any operation refuses a wrong credential (the specification's status for it).
    for status in sorted({400, 403, *statuses}):
        documented[status] = {"description": "Open311 errors", **errors}
    return documented


def _register(
    path: str,
    endpoint: Callable[..., Any],
    *,
    name: str,
    summary: str,
    schema: dict[str, Any],
    statuses: Sequence[int] = (404,),
    method: str = "GET",
    extra: dict[str, Any] | None = None,
) -> None:
    """The operation at ``path.json`` (documented) and ``path.xml`` (its XML twin)."""
    for fmt in ("json", "xml"):
        router.add_api_route(
            f"{path}.{fmt}",
            endpoint,
            methods=[method],
            name=f"{name}_{fmt}",
            operation_id=f"open311_{name}",
            summary=summary,
            include_in_schema=fmt == "json",
            responses=_responses(schema, *statuses),
            openapi_extra=extra,
        )


def _translator(request: Request) -> Callable[[str], str]:
    catalogs = app_context(request).catalogs
    return catalogs.translator(request, "open311")


def _jurisdiction_param(request: Request) -> str | None:
    return optional(request.query_params.get("jurisdiction_id"))


# --- discovery -------------------------------------------------------------------------------


def discovery(request: Request) -> Response:
    settings = app_context(request).settings
    translate = _translator(request)
    contact = " ".join(
        part
        for part in (settings.operator_name or settings.region_name, settings.operator_email)
        if part
    )
    key_service = translate(
        N_(
            "API keys with the scope open311 are issued by the operator of this installation "
            "(%(contact)s). Reading needs no key."
        )
    ) % {"contact": contact}
    document = documents.discovery(
        url=absolute_url(request, VERSION_PATH),
        changeset=CHANGESET,
        contact=contact,
        key_service=key_service,
        production=settings.is_production,
    )
    return respond(format_of(request), "discovery", document)


for _path, _name in (
    (f"{PREFIX}/discovery", "discovery"),
    (f"{VERSION_PATH}/discovery", "v2_discovery"),
):
    _register(
        _path,
        discovery,
        name=_name,
        summary="Service discovery: where the GeoReport v2 endpoint is and what it speaks",
        schema=schemas.DISCOVERY,
        statuses=(),
    )


# --- services --------------------------------------------------------------------------------


def list_services(request: Request) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        place = jurisdiction.resolve(session, _jurisdiction_param(request), _translator(request))
        offered = providers.services(context.registry, session, place.municipality_id)
    return respond(format_of(request), "services", [documents.service(s) for s, _ in offered])


_register(
    f"{VERSION_PATH}/services",
    list_services,
    name="services",
    summary="The kinds of report (services) of a jurisdiction",
    schema=schemas.SERVICES,
    extra={"parameters": [schemas.JURISDICTION]},
)


def service_definition(request: Request, service_code: str) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        place = jurisdiction.resolve(session, _jurisdiction_param(request), _translator(request))
        offered, _ = providers.service(
            context.registry, session, place.municipality_id, service_code
        )
    return respond(format_of(request), "service_definition", documents.definition(offered))


_register(
    f"{VERSION_PATH}/services/{{service_code}}",
    service_definition,
    name="service_definition",
    summary="The attributes a service asks for",
    schema=schemas.DEFINITION,
    extra={"parameters": [schemas.JURISDICTION]},
)


# --- requests --------------------------------------------------------------------------------


def list_requests(request: Request) -> Response:
    context = app_context(request)
    values = {name: request.query_params.getlist(name) for name in request.query_params}
    query = params.request_query(values, now=utcnow())
    with context.database.session() as session:
        place = jurisdiction.resolve(session, _jurisdiction_param(request), _translator(request))
        found = providers.requests(context.registry, session, place.municipality_id, query)
    document = [documents.request(r, extensions=query.with_notes) for r in found]
    return respond(format_of(request), "service_requests", document)


def get_request(request: Request, service_request_id: str) -> Response:
    context = app_context(request)
    extensions = params.flag(request.query_params.get("extensions"), "extensions")
    query = RequestQuery(ids=[service_request_id], limit=1, with_notes=extensions)
    with context.database.session() as session:
        place = jurisdiction.resolve(session, _jurisdiction_param(request), _translator(request))
        found = providers.requests(context.registry, session, place.municipality_id, query)
    if not found:
        raise NotFound(
            errors=[FieldError("service_request_id", N_("no such request in this jurisdiction"))]
        )
    document = [documents.request(found[0], extensions=extensions)]
    return respond(format_of(request), "service_requests", document)


def token(request: Request, token: str) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        place = jurisdiction.resolve(session, _jurisdiction_param(request), _translator(request))
        found = providers.by_token(context.registry, session, place.municipality_id, token)
    if not found:
        raise NotFound(errors=[FieldError("token", N_("no such token in this jurisdiction"))])
    document = [{"service_request_id": r.id, "token": token} for r in found]
    return respond(format_of(request), "service_requests", document)


async def submit(request: Request) -> Response:
    context = app_context(request)
    form = await _form(request)
    pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    fields = dict(pairs)
    jurisdiction_id = optional(fields.get("jurisdiction_id")) or _jurisdiction_param(request)
    key = optional(fields.get("api_key")) or optional(request.query_params.get("api_key"))
    translate = _translator(request)

    def prepare() -> tuple[int, Service, Open311Provider, Principal]:
        # In the specification's order: jurisdiction, key, then the service.
        with context.database.session() as session:
            place = jurisdiction.resolve(session, jurisdiction_id, translate)
            principal = _submitter(session, key, request)
            if not can(
                principal, Action.CONTRIBUTE, municipality_id=place.municipality_id, scope=SCOPE
            ):
                raise Forbidden(
                    errors=[
                        FieldError("api_key", N_("may not submit requests in this jurisdiction"))
                    ]
                )
            code = params.text(fields.get("service_code"), "service_code")
            if code is None:
                raise refuse("service_code", N_("is required"))
            offered, provider = providers.service(
                context.registry, session, place.municipality_id, code
            )
            return place.municipality_id, offered, provider, principal

    municipality_id, offered, provider, principal = await run_in_threadpool(prepare)
    new = replace(
        _new_request(fields, offered.code),
        attributes=params.attributes(params.raw_attributes(pairs), offered),
    )
    submitted: Submitted = await context.database.awrite(
        lambda session: provider.submit(session, municipality_id, new, principal)
    )
    return respond(format_of(request), "service_requests", [_submitted(submitted)])


def _submitter(session: Any, key: str | None, request: Request) -> Principal:
    """The integrator behind the ``api_key`` field, or behind the request's own credential."""
    if key is not None:
        try:
            return identity.resolve_api_key(session, key=key)
        except Unauthorized:
            raise Forbidden(
                errors=[FieldError("api_key", N_("is not valid, revoked or expired"))]
            ) from None
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.kind != "api_key":
        raise Forbidden(errors=[FieldError("api_key", N_("is required to submit a request"))])
    return principal


async def _form(request: Request) -> FormData:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise refuse("Content-Type", N_("must be application/x-www-form-urlencoded"))
    try:
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=10)
    except HTTPException:
        raise refuse("body", N_("is not a readable form")) from None
    if any(isinstance(value, UploadFile) for _, value in form.multi_items()):
        raise refuse("media", N_("file uploads are not accepted; send media_url instead"))
    return form


def _new_request(fields: dict[str, str], service_code: str) -> NewRequest:
    lat = params.coordinate(fields.get("lat"), "lat", -90, 90)
    long = params.coordinate(fields.get("long"), "long", -180, 180)
    if (lat is None) != (long is None):
        raise refuse("lat" if lat is None else "long", N_("lat and long are sent together"))
    address_string = params.text(fields.get("address_string"), "address_string", limit=1000)
    address_id = params.text(fields.get("address_id"), "address_id")
    if lat is None and address_string is None and address_id is None:
        raise refuse(
            "lat", N_("a location is required: lat and long, address_string or address_id")
        )
    return NewRequest(
        service_code=service_code,
        lat=lat,
        long=long,
        address_string=address_string,
        address_id=address_id,
        description=params.text(
            fields.get("description"), "description", limit=params.MAX_DESCRIPTION
        ),
        media_url=params.media_url(fields.get("media_url")),
        email=params.text(fields.get("email"), "email", limit=254),
        device_id=params.text(fields.get("device_id"), "device_id"),
        account_id=params.text(fields.get("account_id"), "account_id"),
        first_name=params.text(fields.get("first_name"), "first_name"),
        last_name=params.text(fields.get("last_name"), "last_name"),
        phone=params.text(fields.get("phone"), "phone", limit=50),
    )


def _submitted(result: Submitted) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if result.service_request_id is not None:
        document["service_request_id"] = result.service_request_id
    elif result.token is not None:
        document["token"] = result.token
    document["service_notice"] = result.service_notice
    document["account_id"] = None
    return document


_register(
    f"{VERSION_PATH}/requests",
    list_requests,
    name="requests",
    summary="Reports of a jurisdiction (default: the last 90 days, at most 1000)",
    schema=schemas.REQUESTS,
    statuses=(404,),
    extra={"parameters": schemas.REQUEST_FILTERS},
)
_register(
    f"{VERSION_PATH}/requests",
    submit,
    name="submit",
    summary="Submit a report (needs an API key with the scope open311)",
    schema=schemas.SUBMITTED,
    statuses=(404,),
    method="POST",
    extra={
        "parameters": [schemas.JURISDICTION],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schemas.POST_FORM}},
        },
    },
)
_register(
    f"{VERSION_PATH}/requests/{{service_request_id}}",
    get_request,
    name="request",
    summary="One report",
    schema=schemas.REQUESTS,
    extra={
        "parameters": [
            schemas.JURISDICTION,
            schemas.query_parameter("extensions", "Extension: true adds the notes history"),
        ]
    },
)
_register(
    f"{VERSION_PATH}/tokens/{{token}}",
    token,
    name="token",
    summary="The report id behind a token (services of type batch)",
    schema=schemas.TOKENS,
    extra={"parameters": [schemas.JURISDICTION]},
)
