"""Resource paths below ``/v1.1``: ``Things(1)/Datastreams(2)/Observations``,
``Things(1)/properties/a[0]/$value``, ``Datastreams/$ref``.

Ids are 64-bit integers; anything else (a larger number, a quoted string) names nothing, so it
is a 404, never a 400 or an overflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from allmende.core.digits import is_digits
from allmende.core.errors import NotFound
from allmende.standards.sensorthings.model import BY_PLURAL, EntityType, Nav, Prop, entity_type

MAX_ID = 2**63 - 1
_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>[^()]*)\))?$")
_INDEXED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<indexes>(?:\[\d+\])*)$")


class Unknown(NotFound):
    pass


@dataclass(frozen=True)
class Step:
    """One entity step: an entity set (``nav`` None) or a navigation, with an optional id."""

    etype: EntityType
    nav: Nav | None
    id: int | None

    @property
    def single(self) -> bool:
        return self.id is not None or (self.nav is not None and not self.nav.many)


@dataclass
class ResourcePath:
    steps: list[Step]
    prop: Prop | None = None
    #: Below a JSON property: keys and array indexes; ``label`` is how the answer names it.
    json_path: list[str | int] = field(default_factory=list)
    label: str = ""
    value: bool = False  # /$value
    ref: bool = False  # /$ref

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def single(self) -> bool:
        return self.last.single


def _key(text: str | None, where: str) -> int | None:
    if text is None:
        return None
    if not is_digits(text):
        raise Unknown(detail=f"{where}({text[:40]}) does not exist: ids are integers.")
    value = int(text)
    if value < 1 or value > MAX_ID:
        raise Unknown(detail=f"{where}({text[:40]}) does not exist.")
    return value


def parse_path(path: str) -> ResourcePath:
    """Parse the path below the version root (without its leading slash)."""
    parts = list(path.split("/"))
    if parts and parts[-1] == "":
        parts.pop()  # a trailing slash
    if not parts or any(p == "" for p in parts):
        raise Unknown(detail=f"No resource at '/{path[:80]}'.")
    first = _SEGMENT.match(parts[0])
    if first is None or first.group("name") not in BY_PLURAL:
        raise Unknown(detail=f"No entity set '{parts[0][:60]}'.")
    etype = BY_PLURAL[first.group("name")]
    steps = [Step(etype, None, _key(first.group("key"), etype.plural))]
    result = ResourcePath(steps)
    index = 1
    while index < len(parts):
        part = parts[index]
        if part == "$ref":
            if index != len(parts) - 1:
                raise Unknown(detail="$ref must end the path.")
            result.ref = True
            return result
        match = _SEGMENT.match(part)
        nav = etype.nav(match.group("name")) if match else None
        if nav is None:
            break
        previous = steps[-1]
        if not previous.single:
            raise Unknown(
                detail=f"{previous.etype.plural} needs an id before '/{part[:40]}' "
                f"({previous.etype.plural}(1)/{part[:40]})."
            )
        key = match.group("key") if match else None
        if key is not None and not nav.many:
            raise Unknown(detail=f"{nav.name} is a single entity; it takes no id.")
        etype = entity_type(nav.target)
        steps.append(Step(etype, nav, _key(key, nav.name)))
        index += 1
    if index == len(parts):
        return result
    if not steps[-1].single:
        raise Unknown(detail=f"No '{parts[index][:60]}' in the entity set {etype.plural}.")
    _property(result, etype, parts[index:])
    return result


def _property(result: ResourcePath, etype: EntityType, parts: list[str]) -> None:
    if parts[-1] == "$value":
        result.value = True
        parts = parts[:-1]
        if not parts:
            raise Unknown(detail="$value follows a property.")
    first = _INDEXED.match(parts[0])
    prop = etype.prop(first.group("name")) if first else None
    if first is None or prop is None:
        raise Unknown(detail=f"{etype.name} has no property '{parts[0][:60]}'.")
    result.prop = prop
    path: list[str | int] = _indexes(first.group("indexes"))
    for part in parts[1:]:
        match = _INDEXED.match(part)
        if match is None:
            raise Unknown(detail=f"No part '{part[:60]}' in {prop.name}.")
        path.append(match.group("name"))
        path.extend(_indexes(match.group("indexes")))
    if path and prop.name not in (
        "properties",
        "parameters",
        "resultQuality",
        "result",
        "unitOfMeasurement",
        "unitOfMeasurements",
        "location",
        "feature",
        "taskingParameters",
        "multiObservationDataTypes",
    ):
        raise Unknown(detail=f"{prop.name} has no parts.")
    result.json_path = path
    result.label = parts[-1]


def _indexes(text: str) -> list[str | int]:
    return [int(i) for i in re.findall(r"\[(\d+)\]", text)]
