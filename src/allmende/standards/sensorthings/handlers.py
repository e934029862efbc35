"""One SensorThings request in, one response out — without HTTP framework types, so the
batch endpoint runs its parts through exactly the same code.

Reads use a read-only session; each write request (or batch change set) is one
``database.write`` transaction: all of it is stored, or nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeVar

import orjson
from sqlalchemy import and_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from allmende.core.errors import (
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from allmende.core.geo import GEOJSON_MEDIA_TYPE
from allmende.core.settings import Settings
from allmende.sensing.group import GroupIngest, KeyChanged
from allmende.sensing.ingest import DuplicatePolicy
from allmende.standards.sensorthings import formats, single
from allmende.standards.sensorthings.aggregate import aggregate
from allmende.standards.sensorthings.batch import run_batch
from allmende.standards.sensorthings.budget import Limits, check_expand, timed_out
from allmende.standards.sensorthings.dataarray import create_observations
from allmende.standards.sensorthings.exchange import (
    JSON,
    STORAGE_REFUSED,
    StaRequest,
    StaResponse,
    conflict,
    is_json,
    is_json_patch,
    json_body,
    path_text,
)
from allmende.standards.sensorthings.model import ROOT_COLLECTIONS, EntityType, Kind
from allmende.standards.sensorthings.paths import ResourcePath, parse_path
from allmende.standards.sensorthings.query.compiler import Compiler, Scope
from allmende.standards.sensorthings.query.options import Query, parse_query
from allmende.standards.sensorthings.query.parser import QueryError
from allmende.standards.sensorthings.reader import (
    COUNT,
    NEXT_LINK,
    ReadContext,
    Target,
    columns_for,
    expand,
    fetch_page,
    in_municipality,
    resolve,
)
from allmende.standards.sensorthings.render import Renderer, Selection, value_of
from allmende.standards.sensorthings.writer import Owner, Parent, WriteContext, Writer
from allmende.storage.database import Database
from allmende.storage.deadline import DeadlinePassed, statement_deadline

ARITHMETIC_REFUSED = (
    "The query's arithmetic leaves the range the database can compute with "
    "(a number or a time too large)."
)
T = TypeVar("T")
CONFORMANCE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/batch-request/batch-request",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream",
    "http://www.opengis.net/spec/iot_tasking/1.0/req/tasking-capability",
    "http://www.opengis.net/spec/iot_tasking/1.0/req/task",
    "http://www.opengis.net/spec/iot_tasking/1.0/req/actuator",
    "http://www.opengis.net/spec/iot_tasking/1.0/req/create-tasks",
    "https://fraunhoferiosb.github.io/FROST-Server/extensions/JsonBatchRequest.html",
    "https://fraunhoferiosb.github.io/FROST-Server/extensions/GeoJSON-ResultFormat.html",
    "https://github.com/INSIDE-information-systems/SensorThingsAPI/blob/master/CSV-ResultFormat/CSV-ResultFormat.md",
)
#: Allmende's own extensions, documented in docs/sensorthings.md.
LATEST_OBSERVATION = "https://allmende.example/extensions/sensorthings/latest-observation"
AGGREGATION = "https://allmende.example/extensions/sensorthings/aggregation"

log = logging.getLogger(__name__)


def _refusal(exc: ValidationFailed | IntegrityError | DataError) -> BadRequest | Conflict:
    """The 4xx of a refusal of the database."""
    if isinstance(exc, ValidationFailed):
        return BadRequest(detail=exc.detail, errors=exc.errors)
    if isinstance(exc, IntegrityError):
        return Conflict(detail=conflict(exc))
    return BadRequest(detail=STORAGE_REFUSED)


@dataclass
class Api:
    """The SensorThings service of one installation."""

    database: Database
    settings: Settings
    #: Extra conformance classes and server settings (e.g. the MQTT extension's endpoints).
    conformance: list[str] = field(default_factory=list)
    server_settings: dict[str, Any] = field(default_factory=dict)

    # --- entry ----------------------------------------------------------------------------

    def handle(self, request: StaRequest) -> StaResponse:
        if request.deadline is None:
            request = replace(request, deadline=time.monotonic() + self.limits.timeout)
        method = request.method.upper()
        if method in ("GET", "HEAD"):
            if request.path.strip("/") == "":
                return self.root_document(request)
            return self.read(request)
        if method == "POST" and request.path == "$batch":
            return run_batch(self, request)
        if method == "POST" and request.path == "CreateObservations":
            return create_observations(self, request)
        if method not in ("POST", "PATCH", "PUT", "DELETE"):
            raise MethodNotAllowed(detail=f"{method} is not supported here.")
        return self.writing(lambda s: self.write(s, request))

    def writing(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` as one write transaction; refusals of the database become 4xx."""
        return self.refusals(lambda: self.database.write(fn))

    def refusals(self, fn: Callable[[], T]) -> T:
        """``fn()``, with the database's refusals as 4xx."""
        try:
            return fn()
        except (ValidationFailed, IntegrityError, DataError) as exc:
            raise _refusal(exc) from None

    @cached_property
    def group(self) -> GroupIngest:
        """Where single Observations are stored together (:mod:`.single`)."""
        return GroupIngest(self.database, DuplicatePolicy(self.settings.observation_duplicates))

    async def single_observation(
        self, request: StaRequest, *, confirm_key: bool = False
    ) -> StaResponse | None:
        """A plain POST of one Observation stored with the group, or None for the general
        path (see :mod:`.single`). Awaited on the event loop: the parsing and checks are
        short, and the group's writes leave it (the idempotent repeat's read too).
        ``confirm_key``: the principal is a remembered API key's, to confirm in the
        transaction; None also when it no longer holds (the caller looks it up again)."""
        if (
            request.method != "POST"
            or request.query
            or not request.principal.is_authenticated
            or not is_json(request.content_type)
        ):
            return None
        target = single.stream_target(request.path)
        if target is None:
            return None
        row = single.observation_of(request.body, target)
        if row is None:
            return None
        check = single.checker(request.principal, target, row)
        key = request.principal if confirm_key else None
        try:
            stored = await self.group.store(row, check=check, key=key)
        except KeyChanged:
            return None
        except (ValidationFailed, IntegrityError, DataError) as exc:
            raise _refusal(exc) from None
        if stored.record is None:  # an idempotent repeat: the Observation that was there
            return await asyncio.get_running_loop().run_in_executor(
                None, self._read_back, request, stored.id
            )
        location = Renderer(request.root).self_link(single.OBSERVATION, stored.id)
        return StaResponse.json(single.render(request.root, stored.record), 201, Location=location)

    def _read_back(self, request: StaRequest, observation_id: int) -> StaResponse:
        with self.database.session() as session:
            context = self.read_context(request)
            return self._written(session, context, single.OBSERVATION, observation_id, 201)

    # --- contexts -------------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return Limits.of(self.settings)

    def read_context(self, request: StaRequest) -> ReadContext:
        deadline = request.deadline
        return ReadContext(
            principal=request.principal,
            root=request.root,
            default_top=self.settings.sensorthings_default_top,
            max_top=self.settings.sensorthings_max_top,
            limits=self.limits,
            deadline=time.monotonic() + self.limits.timeout if deadline is None else deadline,
        )

    def write_context(self, request: StaRequest, query: Query) -> WriteContext:
        public = query.plain.get("public")
        if public not in (None, "true", "false"):
            raise BadRequest(detail="public must be true or false.")
        return WriteContext(
            principal=request.principal,
            visibility=self.read_context(request).visibility,
            duplicates=DuplicatePolicy(self.settings.observation_duplicates),
            municipality=query.plain.get("municipality"),
            public=None if public is None else public == "true",
        )

    # --- the root -------------------------------------------------------------------------

    def root_document(self, request: StaRequest) -> StaResponse:
        conformance = [*CONFORMANCE, LATEST_OBSERVATION, AGGREGATION, *self.conformance]
        return StaResponse.json(
            {
                "value": [
                    {"name": name, "url": f"{request.root}/{name}"} for name in ROOT_COLLECTIONS
                ],
                "serverSettings": {"conformance": conformance, **self.server_settings},
            }
        )

    # --- reading --------------------------------------------------------------------------

    def read(self, request: StaRequest) -> StaResponse:
        path = parse_path(request.path)
        query = parse_query(request.query)
        context = self.read_context(request)
        check_expand(query.options.expand, context.limits)
        try:
            with (
                self.database.session() as session,
                statement_deadline(session, context.deadline),
            ):
                response = self._read(session, context, path, query)
        except DeadlinePassed:
            raise timed_out(context.limits) from None
        except DataError:
            raise QueryError(detail=ARITHMETIC_REFUSED) from None
        context.budget.check_size(response.body)
        return response

    def _read(
        self, session: Session, context: ReadContext, path: ResourcePath, query: Query
    ) -> StaResponse:
        target = resolve(session, context, path)
        named = query.plain.get("municipality")
        if named is not None:
            target = in_municipality(session, target, named)
        if "$aggregate" in query.extensions:
            return aggregate(session, context, target, path, query)
        if path.prop is not None:
            return self._property(session, target, path)
        if target.single:
            return self._entity(session, context, target, path, query)
        return self._collection(session, context, target, path, query)

    def _entity(
        self,
        session: Session,
        context: ReadContext,
        target: Target,
        path: ResourcePath,
        query: Query,
    ) -> StaResponse:
        etype = target.etype
        options = query.options
        selection = Selection.of(etype, options.select)
        columns = columns_for(etype, selection, options.expand)
        row = session.execute(select(*columns).where(target.condition).limit(1)).first()
        if row is None:
            raise NotFound(detail=f"No {etype.name} at this path.")
        mapping = row._mapping
        if path.ref:
            return StaResponse.json(context.renderer.reference(etype, mapping["id"]))
        body = context.renderer.entity(etype, mapping, selection, links=True)
        expand(session, context, etype, [mapping], [body], options.expand)
        context.budget.check_answer([body])
        return StaResponse.json(body)

    def _collection(
        self,
        session: Session,
        context: ReadContext,
        target: Target,
        path: ResourcePath,
        query: Query,
    ) -> StaResponse:
        etype = target.etype
        options = query.options
        fmt = options.result_format
        if fmt == "dataArray":
            if etype.name != "Observation":
                raise BadRequest(detail="$resultFormat=dataArray is for Observations only.")
            components = formats.components_of(options.select)
            wanted = formats.data_array_columns(components)
            columns = [getattr(etype.model, c).label(c) for c in sorted(wanted)]
            page = fetch_page(session, context, target, options, columns)
            body: dict[str, Any] = {}
            if page.count is not None:
                body[COUNT] = page.count
            body["value"] = formats.data_array(page.rows, components, context.root)
            self._next(body, request_path=path, query=query, context=context, page_more=page.more)
            return StaResponse.json(body)
        selection = Selection.of(etype, None if path.ref else options.select)
        columns = columns_for(etype, selection, [] if path.ref else options.expand)
        page = fetch_page(session, context, target, options, columns)
        if path.ref:
            items = [context.renderer.reference(etype, r["id"]) for r in page.rows]
        else:
            items = [context.renderer.entity(etype, r, selection, links=True) for r in page.rows]
            expand(session, context, etype, page.rows, items, options.expand)
            context.budget.check_answer(items)
        if fmt == "GeoJSON":
            return StaResponse(200, orjson.dumps(formats.geojson(items)), GEOJSON_MEDIA_TYPE)
        if fmt == "CSV":
            return StaResponse(200, formats.to_csv(items).encode(), "text/csv; charset=UTF-8")
        body = {}
        if page.count is not None:
            body[COUNT] = page.count
        body["value"] = items
        self._next(body, request_path=path, query=query, context=context, page_more=page.more)
        return StaResponse.json(body)

    def _next(
        self,
        body: dict[str, Any],
        *,
        request_path: ResourcePath,
        query: Query,
        context: ReadContext,
        page_more: bool,
    ) -> None:
        if not page_more:
            return
        options = query.options
        top = context.default_top if options.top is None else min(options.top, context.max_top)
        if top == 0:  # $top=0 asks for the count alone: a next page would be this one again
            return
        link = f"{context.root}/{path_text(request_path)}"
        body[NEXT_LINK] = f"{link}?{query.link_query(skip=options.skip + top, top=top)}"

    def _property(self, session: Session, target: Target, path: ResourcePath) -> StaResponse:
        etype = target.etype
        prop = path.prop
        assert prop is not None
        columns = {
            "id",
            *(c for c in prop.columns if not (prop.kind is Kind.DOCUMENT and c == "geom")),
        }
        model = etype.model
        row = session.execute(
            select(*[getattr(model, c).label(c) for c in sorted(columns)]).where(target.condition)
        ).first()
        if row is None:
            raise NotFound(detail=f"No {etype.name} at this path.")
        value = value_of(prop, row._mapping, etype)
        for step in path.json_path:
            if isinstance(step, int):
                if not isinstance(value, list) or step >= len(value):
                    raise NotFound(detail=f"No element {step} in {path.label}.")
            elif not isinstance(value, dict) or step not in value:
                raise NotFound(detail=f"No '{step}' in {prop.name}.")
            value = value[step]
        if path.value:
            if value is None:
                return StaResponse(200, b"", "text/plain; charset=UTF-8")
            if isinstance(value, dict | list):
                return StaResponse(200, orjson.dumps(value), JSON)
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            return StaResponse(200, text.encode(), "text/plain; charset=UTF-8")
        return StaResponse.json({path.label or prop.name: value})

    # --- writing --------------------------------------------------------------------------

    def write(self, session: Session, request: StaRequest) -> StaResponse:
        method = request.method.upper()
        if not request.principal.is_authenticated:
            raise Unauthorized(detail="Sign in or send an API key to change sensor data.")
        path = parse_path(request.path)
        query = parse_query(request.query)
        context = self.read_context(request)
        writer = Writer(session, self.write_context(request, query))
        if path.prop is not None or path.ref:
            raise MethodNotAllowed(detail=f"{method} takes an entity or an entity set.")
        target = resolve(session, context, path)
        if method == "POST":
            if target.single:
                raise MethodNotAllowed(detail="POST creates entities in an entity set.")
            data = json_body(request)
            parent = None
            if target.parent is not None:
                parent_type, parent_id, nav = target.parent
                owner = (
                    Owner(*target.parent_owner)
                    if target.parent_owner is not None
                    else writer.owner_of(parent_type, parent_id)
                )
                parent = Parent(parent_type, parent_id, nav, owner)
            entity_id = writer.create(target.etype, data, parent=parent)
            return self._written(session, context, target.etype, entity_id, 201)
        if method == "DELETE" and not target.single:
            return self._delete_many(session, context, writer, target, query)
        if not target.single:
            raise MethodNotAllowed(detail=f"{method} takes one entity, not an entity set.")
        found = session.scalar(select(target.etype.model.id).where(target.condition))
        if found is None:
            raise NotFound(detail=f"No {target.etype.name} at this path.")
        if method == "DELETE":
            writer.delete(target.etype, found)
            return StaResponse(200, b"", None)
        if method == "PATCH" and is_json_patch(request.content_type):
            writer.json_patch(target.etype, found, json_body(request, patch=True))
        else:
            writer.update(target.etype, found, json_body(request), replace=method == "PUT")
        return self._written(session, context, target.etype, found, 200)

    def _written(
        self, session: Session, context: ReadContext, etype: EntityType, entity_id: int, status: int
    ) -> StaResponse:
        session.flush()
        selection = Selection.of(etype, None)
        columns = columns_for(etype, selection, [])
        row = session.execute(select(*columns).where(etype.model.id == entity_id)).first()
        body = context.renderer.entity(etype, row._mapping, selection, links=True) if row else {}
        headers = (
            {"Location": context.renderer.self_link(etype, entity_id)} if status == 201 else {}
        )
        return StaResponse.json(body, status, **headers)

    def _delete_many(
        self,
        session: Session,
        context: ReadContext,
        writer: Writer,
        target: Target,
        query: Query,
    ) -> StaResponse:
        if target.etype.name != "Observation":
            raise MethodNotAllowed(
                detail="A DELETE of an entity set (with $filter) is for Observations only."
            )
        condition = target.condition
        if query.options.filter is not None:
            compiler = Compiler("$filter", context.visibility)
            scope = Scope(target.etype, target.etype.model)
            condition = and_(condition, compiler.condition(query.options.filter, scope))
        writer.delete_observations(condition)
        return StaResponse(200, b"", None)
