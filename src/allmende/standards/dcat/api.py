"""``/catalog``: the DCAT-AP.de catalogue (Turtle, RDF/XML, JSON-LD) and every dataset's
downloads. Public: it shows public data only, whoever asks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response, StreamingResponse

from allmende.core import csvformat
from allmende.core.datasets import Table
from allmende.core.errors import BadRequest, FieldError, NotFound, ValidationFailed
from allmende.core.timeutil import (
    parse_datetime_or_date,
    parse_local_datetime,
    start_of,
    utcnow,
)
from allmende.http.auth import Caller
from allmende.http.context import AppContext, app_context
from allmende.http.links import absolute_url
from allmende.http.params import RowId
from allmende.identity.permissions import visible
from allmende.sensing.models import Datastream
from allmende.sensing.read import READ_SCOPE
from allmende.standards.dcat import catalog, downloads, rdf
from allmende.standards.dcat.files import PARQUET_MEDIA_TYPE, File, file_of
from allmende.standards.dcat.rendered import RenderedAnswers

router = APIRouter(tags=["catalog"])
PREFIX = "/catalog"
#: Suffix → (rdflib format, media type).
SERIALISATIONS = {
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
ACCEPTED = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/xml": "rdf",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
#: Observations per download request: a year at most.
MAX_PERIOD = timedelta(days=366)
DEFAULT_PERIOD = timedelta(days=30)
MAX_PAGE = 1_000_000


def _negotiate(request: Request, suffix: str | None) -> str:
    """The suffix wins; else the Accept header's best RDF type; else Turtle."""
    if suffix is not None:
        return suffix
    best, best_quality = "ttl", 0.0
    for part in request.headers.get("accept", "").split(","):
        kind, *options = (p.strip() for p in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        chosen = ACCEPTED.get(kind.lower())
        if chosen is not None and quality > best_quality:
            best, best_quality = chosen, quality
    return best


def _rdf_response(
    request: Request, key: tuple[str | int | None, ...], graph: Callable[[], Any], suffix: str
) -> Response:
    """The graph in the chosen serialisation, kept while the data holds (see ``rendered``):
    ``key`` names what ``graph`` builds, besides the base URL and the serialisation."""
    fmt, media = SERIALISATIONS[suffix]

    def serialise() -> bytes:
        body: bytes = graph().serialize(format=fmt, encoding="utf-8")
        return body

    answers = app_context(request).find(RenderedAnswers)
    full_key = (*key, absolute_url(request, "/"), suffix)
    body = serialise() if answers is None else answers.get(full_key, serialise)
    return Response(body, media_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


def _since(text: str | None, field: str = "modified_since") -> datetime | None:
    """A date or date-time; without a zone it is UTC (as harvesters send ``modified_since``)."""
    if text is None or not text.strip():
        return None
    try:
        found = parse_datetime_or_date(text.strip(), field=field)
    except ValidationFailed:
        try:  # a date-time without a zone: UTC
            return parse_local_datetime(text.strip(), field=field, zone=UTC)
        except ValidationFailed as exc:
            raise BadRequest(
                detail=f"{field} must be an ISO 8601 date or date-time.",
                errors=[FieldError(field, "is not an ISO 8601 date or date-time")],
            ) from exc
    return found if isinstance(found, datetime) else start_of(found)


def _absolute(request: Request) -> rdf.Absolute:
    return lambda path: absolute_url(request, path)


def _catalog(
    request: Request, suffix: str | None, page: int, modified_since: str | None
) -> Response:
    context = app_context(request)
    since = _since(modified_since)

    def graph() -> Any:
        with context.database.session() as session:
            found = catalog.entries(session, context.registry, context.settings)
        shown = catalog.page(
            found, number=page, size=context.settings.catalog_page_size, modified_since=since
        )
        times = [e.dataset.modified for e in found if e.dataset.modified is not None]
        built = rdf.new_graph()
        rdf.catalog(
            built,
            _absolute(request),
            context.settings,
            shown,
            path=PREFIX + (f".{suffix}" if suffix else ""),
            query={"modified_since": modified_since} if modified_since else {},
            modified=max(times) if times else None,
        )
        return built

    key = ("catalog", suffix, page, modified_since)
    return _rdf_response(request, key, graph, _negotiate(request, suffix))


def _catalog_route(suffix: str | None) -> Any:
    def handler(
        request: Request,
        page: int = Query(1, ge=1, le=MAX_PAGE, description="Page of the catalogue, from 1"),
        modified_since: str | None = Query(
            None,
            max_length=40,
            description="Only datasets changed at or after this date or date-time (UTC)",
        ),
    ) -> Response:
        return _catalog(request, suffix, page, modified_since)

    return handler


_RDF_CONTENT: dict[str, Any] = {"content": {media: {} for _, media in SERIALISATIONS.values()}}
router.add_api_route(
    PREFIX,
    _catalog_route(None),
    methods=["GET"],
    operation_id="catalog",
    summary="The DCAT-AP.de catalogue (Turtle, RDF/XML or JSON-LD by the Accept header)",
    response_class=Response,
    responses={200: _RDF_CONTENT},
)
for _suffix in SERIALISATIONS:
    router.add_api_route(
        f"{PREFIX}.{_suffix}",
        _catalog_route(_suffix),
        methods=["GET"],
        operation_id=f"catalog_{_suffix}",
        summary=f"The DCAT-AP.de catalogue as {SERIALISATIONS[_suffix][1]}",
        response_class=Response,
        responses={200: {"content": {SERIALISATIONS[_suffix][1]: {}}}},
    )


@router.get(
    PREFIX + "/datasets/{name}",
    operation_id="catalog_dataset",
    summary="One dataset's description (suffix .ttl, .rdf or .jsonld, or the Accept header)",
    response_class=Response,
    responses={200: _RDF_CONTENT},
)
def dataset(request: Request, name: str) -> Response:
    dataset_id, _, suffix = name.partition(".")
    if suffix and suffix not in SERIALISATIONS:
        raise NotFound(errors=[FieldError("name", "the suffix must be .ttl, .rdf or .jsonld")])
    context = app_context(request)

    def graph() -> Any:
        with context.database.session() as session:
            entry = catalog.find(
                session, context.registry, context.settings, dataset_id, hidden=False
            )
        built = rdf.new_graph()
        rdf.dataset(built, _absolute(request), context.settings, entry)
        return built

    return _rdf_response(
        request, ("dataset", dataset_id), graph, _negotiate(request, suffix or None)
    )


def _period(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    def parse(text: str, field: str) -> datetime:
        value = _since(text, field)
        if value is None:
            raise BadRequest(errors=[FieldError(field, "is empty")])
        return value

    stop = parse(end, "end") if end else utcnow()
    begin = parse(start, "start") if start else stop - DEFAULT_PERIOD
    if stop <= begin:
        raise BadRequest(
            detail="end must come after start.", errors=[FieldError("end", "is not after start")]
        )
    if stop - begin > MAX_PERIOD:
        raise BadRequest(
            detail="A download covers at most 366 days; ask for several.",
            errors=[FieldError("start", "the period is longer than 366 days")],
        )
    return begin, stop


def _attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    }


def _media(file: File) -> str:
    return csvformat.MEDIA_TYPE if file.dialect else file.media_type


def _observations(
    context: AppContext,
    ids: list[int],
    file: File,
    filename: str,
    start: datetime,
    end: datetime,
) -> Response:
    with context.database.session() as session:
        info = {s.id: s for s in downloads.streams(session, ids)}
    chunks = downloads.observation_rows(context.database.session, list(info), start, end)
    body: Iterator[bytes]
    if file.dialect is not None:
        body = downloads.observations_csv(chunks, info, file.dialect)
    else:
        body = downloads.observations_parquet(chunks, info)
    return StreamingResponse(body, media_type=_media(file), headers=_attachment(filename))


PERIOD_START = Query(
    None, max_length=40, description="Observations: from this time (default: 30 days before end)"
)
PERIOD_END = Query(None, max_length=40, description="Observations: until this time (default: now)")


@router.get(
    PREFIX + "/datasets/{dataset_id}/{file_name}",
    operation_id="catalog_download",
    summary="A dataset's data as CSV, CSV for spreadsheets, GeoJSON or (Geo)Parquet",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/geo+json": {},
                PARQUET_MEDIA_TYPE: {},
            }
        }
    },
)
def download(
    request: Request,
    dataset_id: str,
    file_name: str,
    start: str | None = PERIOD_START,
    end: str | None = PERIOD_END,
) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        entry = catalog.find(session, context.registry, context.settings, dataset_id, hidden=False)
        file = file_of(entry.dataset.content, file_name) if entry.source else None
        if file is None or entry.source is None:
            raise NotFound(errors=[FieldError("fileName", "this dataset has no such file")])
        filename = f"{dataset_id}{file.name.removeprefix('data')}"
        if entry.dataset.content == "observations":
            begin, stop = _period(start, end)
            ids = list(entry.source.datastreams(session, dataset_id) or ())
        else:
            given = entry.source.table(session, dataset_id)
            if given is None:
                raise NotFound(errors=[FieldError("datasetId", "no such dataset")])
            # Read while the session is open; the rows of objects and reports are few.
            table = Table(given.columns, list(given.rows))
    if entry.dataset.content == "observations":
        return _observations(context, ids, file, filename, begin, stop)
    spatial = entry.dataset.content == "features"
    if file.format == "PARQUET":
        return Response(
            downloads.table_parquet(table, spatial=spatial),
            media_type=file.media_type,
            headers=_attachment(filename),
        )
    body = (
        downloads.table_geojson(table)
        if file.format == "GEOJSON"
        else downloads.table_csv(table, file.dialect or "plain", spatial=spatial)
    )
    return StreamingResponse(body, media_type=_media(file), headers=_attachment(filename))


DATASTREAM_FILES = {
    "observations.csv": "data.csv",
    "observations-excel.csv": "data-excel.csv",
    "observations.parquet": "data.parquet",
}


@router.get(
    PREFIX + "/datastreams/{datastream_id}/{file_name}",
    operation_id="catalog_datastream_download",
    summary="One Datastream's Observations of a period as CSV or Parquet (streamed)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, PARQUET_MEDIA_TYPE: {}}}},
)
def datastream_download(
    request: Request,
    datastream_id: RowId,
    file_name: str,
    principal: Caller,
    start: str | None = PERIOD_START,
    end: str | None = PERIOD_END,
) -> Response:
    """Also internal Datastreams, for callers who may read them."""
    inner = DATASTREAM_FILES.get(file_name)
    file = file_of("observations", inner) if inner else None
    if file is None:
        raise NotFound(errors=[FieldError("fileName", "must be " + ", ".join(DATASTREAM_FILES))])
    context = app_context(request)
    with context.database.session() as session:
        found = session.scalar(
            select(Datastream.id).where(
                Datastream.id == datastream_id,
                visible(principal, Datastream.municipality_id, Datastream.public, scope=READ_SCOPE),
            )
        )
    if found is None:
        raise NotFound(errors=[FieldError("datastreamId", "no such Datastream")])
    begin, stop = _period(start, end)
    suffix = file_name.removeprefix("observations")
    return _observations(
        context, [datastream_id], file, f"datastream-{datastream_id}{suffix}", begin, stop
    )
