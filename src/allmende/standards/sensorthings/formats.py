"""Other result formats of a collection: ``dataArray`` (OGC 18-088 §14.3), GeoJSON and CSV
(the FROST-Server extensions of the same names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from allmende.core import csvformat
from allmende.sensing.results import decode_result
from allmende.sensing.times import format_time
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.parser import QueryError

#: dataArray components and the Observation columns they need.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "phenomenonTime": ("phenomenon_time", "phenomenon_time_end"),
    "resultTime": ("result_time",),
    "result": ("result_kind", "result_number", "result_text", "result_json"),
    "resultQuality": ("result_quality",),
    "validTime": ("valid_time_start", "valid_time_end"),
    "parameters": ("parameters",),
    "FeatureOfInterest/id": ("feature_id",),
}
DEFAULT_COMPONENTS = ("id", "phenomenonTime", "resultTime", "result")


def components_of(select: list[ast.Member] | None) -> list[str]:
    if select is None:
        return list(DEFAULT_COMPONENTS)
    names: list[str] = []
    for member in select:
        name = member.text
        if name not in COMPONENTS:
            raise QueryError.at(
                "$select",
                member.position,
                f"'{name}' is not a dataArray component (known: {', '.join(COMPONENTS)})",
            )
        if name not in names:
            names.append(name)
    return names


def data_array_columns(components: Sequence[str]) -> set[str]:
    wanted = {"id", "datastream_id", "multi_datastream_id"}
    for name in components:
        wanted.update(COMPONENTS[name])
    return wanted


def _component(name: str, row: Mapping[Any, Any]) -> Any:
    if name == "id":
        return row["id"]
    if name == "phenomenonTime":
        return format_time(row["phenomenon_time"], row["phenomenon_time_end"])
    if name == "resultTime":
        return format_time(row["result_time"], None)
    if name == "result":
        return decode_result(
            row["result_kind"], row["result_number"], row["result_text"], row["result_json"]
        )
    if name == "validTime":
        return format_time(row["valid_time_start"], row["valid_time_end"])
    if name == "FeatureOfInterest/id":
        return row["feature_id"]
    return row[{"resultQuality": "result_quality", "parameters": "parameters"}[name]]


def data_array(
    rows: Sequence[Mapping[Any, Any]], components: list[str], root: str
) -> list[dict[str, Any]]:
    """Observations grouped by (Multi)Datastream, each group one array of rows."""
    groups: dict[tuple[str, int], list[list[Any]]] = {}
    for row in rows:
        if row["datastream_id"] is not None:
            key = ("Datastream", row["datastream_id"])
        else:
            key = ("MultiDatastream", row["multi_datastream_id"])
        groups.setdefault(key, []).append([_component(c, row) for c in components])
    value = []
    for (kind, stream_id), items in groups.items():
        value.append(
            {
                f"{kind}@iot.navigationLink": f"{root}/{kind}s({stream_id})",
                "components": components,
                "dataArray@iot.count": len(items),
                "dataArray": items,
            }
        )
    return value


# --- GeoJSON and CSV -------------------------------------------------------------------------

GEOMETRY_KEYS = ("location", "feature", "observedArea")


def _geometry(entity: Mapping[Any, Any]) -> Any:
    """The first geometry of an entity, or of the entities expanded into it."""
    for key in GEOMETRY_KEYS:
        value = entity.get(key)
        if isinstance(value, dict):
            if value.get("type") == "Feature":
                return value.get("geometry")
            if "type" in value:
                return value
    for value in entity.values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict) and "@iot.id" in child:
                found = _geometry(child)
                if found is not None:
                    return found
    return None


def flatten(entity: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects and arrays as ``a/b/0/c`` keys; navigation links left out."""
    flat: dict[str, Any] = {}
    for key, value in entity.items():
        if key.endswith("@iot.navigationLink"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}/"))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flatten(item, f"{name}/{index}/"))
                else:
                    flat[f"{name}/{index}"] = item
        else:
            flat[name] = value
    return flat


def geojson(entities: Sequence[Mapping[Any, Any]]) -> dict[str, Any]:
    features = []
    for entity in entities:
        properties = {
            k: v for k, v in flatten(entity).items() if k.split("/")[0] not in GEOMETRY_KEYS
        }
        features.append(
            {
                "type": "Feature",
                "id": entity.get("@iot.id"),
                "geometry": _geometry(entity),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def to_csv(entities: Sequence[Mapping[Any, Any]]) -> str:
    rows = [flatten(e) for e in entities]
    header: dict[str, None] = {}
    for row in rows:
        for key in row:
            header.setdefault(key, None)
    return csvformat.lines([list(header), *([row.get(k) for k in header] for row in rows)])
