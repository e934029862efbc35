"""The topics of OGC 18-088's MQTT extension, read with the same path parser as HTTP.

Creating: ``v1.1/Observations`` and ``v1.1/{Datastreams|MultiDatastreams|FeaturesOfInterest}(id)
/Observations``. Watching: any entity set, entity, navigation or property path, optionally with
``?$select=…`` (and ``$expand``), e.g. ``v1.1/Things(1)/Datastreams?$select=id,name``.
"""

from __future__ import annotations

from dataclasses import dataclass

from allmende.core.digits import is_digits
from allmende.core.errors import AllmendeError
from allmende.standards.sensorthings.paths import ResourcePath, parse_path
from allmende.standards.sensorthings.query.options import Query, parse_query

VERSION = "v1.1"
PREFIX = VERSION + "/"
#: Query options a watched topic may carry: the others (paging, filters) make no sense for
#: one entity at a time.
TOPIC_OPTIONS = frozenset({"$select", "$expand"})
_CREATE_PARENTS = {
    "Datastreams": "Datastream",
    "MultiDatastreams": "MultiDatastream",
    "FeaturesOfInterest": "FeatureOfInterest",
}


class TopicError(ValueError):
    """A topic that names nothing this server serves."""


@dataclass(frozen=True)
class CreateTarget:
    """Where a published Observation goes: the entity the topic names, if any."""

    parent: str | None  # Datastream, MultiDatastream, FeatureOfInterest; None: v1.1/Observations
    parent_id: int | None


def is_sta(topic: str) -> bool:
    return topic.startswith(PREFIX)


def create_target(topic: str) -> CreateTarget | None:
    """The target of a topic that creates Observations, else None (without touching a parser
    for the topics that cannot be one)."""
    if not topic.startswith(PREFIX) or not topic.endswith("Observations") or "?" in topic:
        return None
    rest = topic[len(PREFIX) :]
    if rest == "Observations":
        return CreateTarget(None, None)
    head, slash, tail = rest.partition("/")
    if not slash or tail != "Observations" or not head.endswith(")"):
        return None
    name, paren, key = head[:-1].partition("(")
    if not paren or name not in _CREATE_PARENTS or not is_digits(key):
        return None
    number = int(key)
    if not 1 <= number <= 2**63 - 1:
        return None
    return CreateTarget(_CREATE_PARENTS[name], number)


@dataclass(frozen=True)
class Watch:
    """A topic a client subscribed to: the resource path and the options it carries."""

    topic: str
    path: ResourcePath
    query: Query


def parse_watch(topic: str) -> Watch:
    """The resource path and options of a subscription topic; :class:`TopicError` if none."""
    if not topic.startswith(PREFIX):
        raise TopicError(f"SensorThings topics start with {PREFIX}")
    if "#" in topic or "+" in topic:
        raise TopicError("SensorThings topics name one resource path; no wildcards")
    rest = topic[len(PREFIX) :]
    path_text, _, query_text = rest.partition("?")
    try:
        path = parse_path(path_text)
        query = parse_query(query_text)
    except AllmendeError as exc:
        raise TopicError(str(exc)) from None
    if path.ref or path.value:
        raise TopicError("$ref and $value are not topics")
    unknown = sorted({key for key, _ in query.pairs} - TOPIC_OPTIONS)
    if unknown:
        raise TopicError(f"a topic takes only $select and $expand, not {', '.join(unknown)}")
    return Watch(topic, path, query)
