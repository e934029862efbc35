"""What subscribers receive: the entities an event names, rendered for each watched topic
exactly as an HTTP GET of that topic's path would render them, with the subscriber's rights.

The event bus calls :meth:`Changes.add` in the thread that committed; the broker's task takes
the changes, and :func:`render` reads the entities once per topic and audience (all
subscribers of a topic who may see the same municipalities get the same bytes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import AllmendeError
from allmende.core.events import Event
from allmende.identity.permissions import readable_municipalities
from allmende.identity.principal import Principal
from allmende.sensing.ingest import COLUMNS
from allmende.sensing.service import CREATED, OBSERVATIONS_CREATED, UPDATED
from allmende.standards.sensorthings import single
from allmende.standards.sensorthings.budget import check_expand
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.model import ENTITY_TYPES, EntityType, entity_type
from allmende.standards.sensorthings.mqtt.topics import VERSION, Watch
from allmende.standards.sensorthings.reader import ReadContext, columns_for, expand, resolve
from allmende.standards.sensorthings.render import Selection
from allmende.standards.sensorthings.writer import SCOPE
from allmende.storage.id_sets import in_set

log = logging.getLogger(__name__)

COLUMNS_SET = frozenset(COLUMNS)

#: Who may see which municipalities' internal entities: ``None`` all, else those listed.
Audience = frozenset[int] | None


def audience_of(principal: Principal) -> Audience:
    return readable_municipalities(principal, scope=SCOPE)


@dataclass(frozen=True)
class Change:
    """Entities of one type that were created (or changed)."""

    etype: EntityType
    created: bool
    ids: tuple[int, ...]
    #: Column values by entity id (foreign keys name the navigation topics; external mode).
    rows: Mapping[int, Mapping[str, Any]]
    public: Mapping[int, bool]


def changes_of(event: Event) -> Change | None:
    """The change an event of the sensing core describes, or None for events MQTT ignores."""
    payload = event.payload
    name = payload.get("entity")
    if not isinstance(name, str) or name not in ENTITY_TYPES:
        return None
    etype = entity_type(name)
    if event.name == OBSERVATIONS_CREATED:
        columns = payload["columns"]
        records = payload["rows"]
        streams = payload.get("streams", {})
        rows = {record[0]: dict(zip(columns, record, strict=True)) for record in records}
        public = {}
        for entity_id, row in rows.items():
            key = (
                ("Datastream", row["datastream_id"])
                if row.get("datastream_id") is not None
                else ("MultiDatastream", row.get("multi_datastream_id"))
            )
            public[entity_id] = bool(streams.get(key, {}).get("public", False))
        return Change(etype, True, tuple(rows), rows, public)
    if event.name in (CREATED, UPDATED):
        entity_id = int(payload["id"])
        return Change(
            etype,
            event.name == CREATED,
            (entity_id,),
            {entity_id: payload.get("row", {})},
            {entity_id: bool(payload.get("public", False))},
        )
    return None


def merge(changes: Iterable[Change]) -> list[Change]:
    """Changes of the same type and kind in one (fewer queries), in the order they came."""
    merged: dict[tuple[str, bool], Change] = {}
    for change in changes:
        key = (change.etype.name, change.created)
        known = merged.get(key)
        if known is None:
            merged[key] = change
            continue
        ids = tuple(dict.fromkeys((*known.ids, *change.ids)))
        merged[key] = Change(
            change.etype,
            change.created,
            ids,
            {**known.rows, **change.rows},
            {**known.public, **change.public},
        )
    return list(merged.values())


Rendered = list[tuple[int, bytes]]  # entity id and message, in id order


def read_context(api: Api, root: str, principal: Principal) -> ReadContext:
    limits = api.limits
    return ReadContext(
        principal=principal,
        root=root,
        default_top=api.settings.sensorthings_default_top,
        max_top=api.settings.sensorthings_max_top,
        limits=limits,
        deadline=time.monotonic() + limits.timeout,
    )


def render(
    api: Api,
    root: str,
    changes: Sequence[Change],
    watches: Mapping[str, tuple[Watch, Mapping[Audience, Principal]]],
) -> list[tuple[str, Audience, Rendered]]:
    """Per watched topic and audience, the messages to send."""
    out: list[tuple[str, Audience, Rendered]] = []
    with api.database.session() as session:
        for topic, (watch, audiences) in watches.items():
            for change in changes:
                if watch.path.last.etype.name != change.etype.name:
                    continue
                if change.created and watch.path.prop is not None:
                    continue  # a property topic tells about changes of that property
                for audience, principal in audiences.items():
                    context = read_context(api, root, principal)
                    try:
                        messages = messages_for(api, session, context, watch, change)
                    except AllmendeError:
                        continue  # the path names nothing this audience may see
                    if messages:
                        out.append((topic, audience, messages))
    return out


def messages_for(
    api: Api, session: Session, context: ReadContext, watch: Watch, change: Change
) -> Rendered:
    plain = plain_observations(context, watch, change)
    if plain is not None:
        return plain
    path = watch.path
    target = resolve(session, context, path)
    etype = change.etype
    if target.etype.name != etype.name:
        return []
    model = etype.model
    if path.prop is not None:
        found = session.scalar(select(model.id).where(target.condition))
        if found is None or found not in change.ids:
            return []
        return [(found, api._property(session, target, path).body)]
    options = watch.query.options
    check_expand(options.expand, context.limits)  # a topic that asks too much gets nothing
    selection = Selection.of(etype, options.select)
    columns = columns_for(etype, selection, options.expand)
    query = select(*columns).where(target.condition, in_set(model.id, change.ids))
    rows: list[Mapping[Any, Any]] = [r._mapping for r in session.execute(query.order_by(model.id))]
    if not rows:
        return []
    items = [context.renderer.entity(etype, row, selection, links=True) for row in rows]
    expand(session, context, etype, rows, items, options.expand)
    return [(row["id"], orjson.dumps(item)) for row, item in zip(rows, items, strict=True)]


def plain_observations(context: ReadContext, watch: Watch, change: Change) -> Rendered | None:
    """New Observations for the plain set topic (``v1.1/Observations``, no options), rendered
    from the event's rows as a GET renders them, without reading them back; None where the
    general way must answer: another topic or change, rows not in the event, or a reader who
    sees internal rows of some municipalities only (the event tells only what is public)."""
    if (
        not change.created
        or change.etype.name != single.OBSERVATION.name
        or watch.topic != f"{VERSION}/{single.OBSERVATION.plural}"
        or any(not change.rows.get(i, {}).keys() >= COLUMNS_SET for i in change.ids)
    ):
        return None
    readable = readable_municipalities(context.principal, scope=SCOPE)
    if readable:  # some municipalities' internal rows: which ones, the event does not say
        return None
    shown = sorted(i for i in change.ids if readable is None or change.public.get(i, False))
    root = context.root
    return [(i, orjson.dumps(single.render_row(root, change.rows[i]))) for i in shown]


def standard_topics(change: Change, entity_id: int) -> list[str]:
    """The topics an external broker gets for an entity: its set, itself, and the
    navigation sets of the entities it points at (``v1.1/Datastreams(3)/Observations``)."""
    etype = change.etype
    topics = [f"{VERSION}/{etype.plural}", f"{VERSION}/{etype.plural}({entity_id})"]
    row = change.rows.get(entity_id, {})
    for nav in etype.navs:
        if nav.many or nav.local is None or row.get(nav.local) is None:
            continue
        parent = entity_type(nav.target)
        for back in parent.navs:
            if back.target == etype.name and back.many and back.remote == nav.local:
                topics.append(f"{VERSION}/{parent.plural}({row[nav.local]})/{back.name}")
    return topics
