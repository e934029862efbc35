"""Entities as JSON: control information, properties and navigation links.

Mandatory keys are always present, ``null`` or not (OGC test level 1); optional ones only when
they have a value. Entities inside ``$expand`` carry no navigation links (as FROST's tests
expect); ``$select`` chooses keys, including parts of JSON properties
(``$select=unitOfMeasurement/name``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from allmende.core.geo import geometry_to_geojson
from allmende.sensing.results import decode_result
from allmende.sensing.times import format_interval, format_micros, format_time
from allmende.standards.sensorthings.model import EntityType, Kind, Prop
from allmende.standards.sensorthings.query import ast

SELF_LINK = "@iot.selfLink"
ID = "@iot.id"


@dataclass
class Selection:
    """What ``$select`` asks for (``everything`` when it is absent)."""

    everything: bool = True
    props: list[Prop] = field(default_factory=list)
    parts: dict[str, list[list[str | int]]] = field(default_factory=dict)
    navs: set[str] = field(default_factory=set)
    id: bool = True
    #: What :meth:`Renderer.entity` does for each row, worked out at its first row.
    plans: dict[tuple[str, bool], _Plan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of(cls, etype: EntityType, select: list[ast.Member] | None) -> Selection:
        if select is None:
            return cls(props=[p for p in etype.props if p.name != "id"])
        chosen = cls(everything=False, id=False)
        for member in select:
            first = member.segments[0]
            if first.name == "id" and len(member.segments) == 1:
                chosen.id = True
                continue
            nav = etype.nav(first.name)
            if nav is not None and len(member.segments) == 1:
                chosen.navs.add(nav.name)
                continue
            prop = etype.prop(first.name)
            if prop is None:
                from allmende.standards.sensorthings.query.parser import QueryError

                raise QueryError.at(
                    "$select", member.position, f"{etype.name} has no property '{first.name}'"
                )
            if prop not in chosen.props:
                chosen.props.append(prop)
            path: list[str | int] = list(first.indexes)
            for segment in member.segments[1:]:
                path.append(segment.name)
                path.extend(segment.indexes)
            if path:
                chosen.parts.setdefault(prop.name, []).append(path)
            else:
                chosen.parts.setdefault(prop.name, []).append([])
        return chosen

    def columns(self, etype: EntityType) -> set[str]:
        wanted = {"id"}
        for prop in self.props:
            if prop.kind is Kind.DOCUMENT:
                wanted.add(prop.columns[0])
            else:
                wanted.update(prop.columns)
        return wanted


Getter = Callable[[Mapping[Any, Any]], Any]


def value_of(prop: Prop, row: Mapping[Any, Any], etype: EntityType) -> Any:
    """The JSON value of a property from its columns."""
    return getter(prop, etype)(row)


def getter(prop: Prop, etype: EntityType) -> Getter:
    """The JSON value of a property from its columns, as a function of the row: a page of a
    thousand entities asks it thousands of times, so the choice by kind is made once."""
    kind = prop.kind
    column = prop.column
    if kind is Kind.TEXT or kind is Kind.JSON or kind is Kind.DOCUMENT:
        return itemgetter(column)
    if kind is Kind.INSTANT:
        return lambda row: None if (moment := row[column]) is None else format_micros(moment)
    if kind is Kind.TIME:
        end = prop.columns[1]
        return lambda row: format_time(row[column], row[end])
    if kind is Kind.INTERVAL:
        end = prop.columns[1]
        if etype.name == "Observation":
            return lambda row: None if row[end] is None else format_time(row[column], row[end])
        return lambda row: format_interval(row[column], row[end])
    if kind is Kind.AREA:  # GeoJSON as the reader reads it, shapely from elsewhere
        return lambda row: (
            geom
            if (geom := row[column]) is None or type(geom) is dict
            else geometry_to_geojson(geom)
        )
    if kind is Kind.RESULT:
        kind_column, number, text, json = prop.columns
        return lambda row: decode_result(row[kind_column], row[number], row[text], row[json])
    return itemgetter("id")


#: How a property is written: always, only when it has a value, or parts of it.
_ALWAYS, _PRESENT, _PARTS = 0, 1, 2


@dataclass(frozen=True)
class _Plan:
    steps: tuple[tuple[str, Getter, int, list[list[str | int]]], ...]
    navs: tuple[tuple[str, str], ...]  # key, suffix of the entity's link


def _plan(etype: EntityType, selection: Selection, links: bool) -> _Plan:
    steps = []
    for prop in selection.props:
        parts = selection.parts.get(prop.name) or []
        if any(parts):
            mode = _PARTS
        elif not prop.mandatory and selection.everything:
            mode = _PRESENT
        else:
            mode = _ALWAYS
        steps.append((prop.name, getter(prop, etype), mode, parts))
    if selection.everything:
        navs = [nav for nav in etype.navs if nav.linked] if links else []
    else:
        navs = [nav for nav in etype.navs if nav.name in selection.navs]
    return _Plan(
        tuple(steps), tuple((f"{nav.name}@iot.navigationLink", f"/{nav.name}") for nav in navs)
    )


def _part(value: Any, path: list[str | int]) -> tuple[bool, Any]:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return False, None
        elif not isinstance(value, dict) or step not in value:
            return False, None
        value = value[step]
    return True, value


def _merge(target: dict[str, Any], path: list[str | int], value: Any) -> None:
    """Put ``value`` at ``path`` (keys only; an index keeps its key as ``name[i]``)."""
    current = target
    keys = [str(s) for s in path if isinstance(s, str)]
    for key in keys[:-1]:
        current = current.setdefault(key, {})
    if keys:
        current[keys[-1]] = value


class Renderer:
    """Builds entity dictionaries with absolute links below ``root`` (…/v1.1)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def self_link(self, etype: EntityType, entity_id: int) -> str:
        return f"{self.root}/{etype.plural}({entity_id})"

    def entity(
        self,
        etype: EntityType,
        row: Mapping[Any, Any],
        selection: Selection,
        *,
        links: bool,
    ) -> dict[str, Any]:
        plan = selection.plans.get((etype.name, links))
        if plan is None:
            plan = selection.plans[(etype.name, links)] = _plan(etype, selection, links)
        entity_id = row["id"]
        out: dict[str, Any] = {}
        link = f"{self.root}/{etype.plural}({entity_id})"
        if selection.id:
            out[SELF_LINK] = link
            out[ID] = entity_id
        for name, get, mode, parts in plan.steps:
            value = get(row)
            if mode == _ALWAYS:
                out[name] = value
            elif mode == _PRESENT:
                if value is not None:
                    out[name] = value
            else:
                container: dict[str, Any] = {}
                for path in parts:
                    if not path:
                        out[name] = value
                        break
                    found, part = _part(value, path)
                    if found:
                        _merge(container, path, part)
                else:
                    out[name] = container
        for key, suffix in plan.navs:
            out[key] = link + suffix
        return out

    def reference(self, etype: EntityType, entity_id: int) -> dict[str, Any]:
        return {SELF_LINK: self.self_link(etype, entity_id)}
