"""Import of objects from GeoJSON and CSV (e.g. a tree cadastre) and export to both.

Import semantics: every row is checked first and each fault is reported with its row and
field. ``mode="all"`` (the default) imports nothing when any row is faulty; ``mode="valid-rows"``
imports the good rows and reports the others. A row whose ``identifier`` matches an object of
the same type in the municipality updates that object (its history records the change);
otherwise it creates one. ``dry_run`` checks without writing.

CSV: UTF-8 (with or without BOM) or Windows-1252, comma or semicolon separated, one header row.
Columns: ``identifier``, ``name``, ``description``, ``address``, ``public``, ``status``,
``notes``, the geometry as ``wkt`` or as ``lat``/``lon``, and one column per attribute of the
type. ``id``, ``type`` and ``municipality`` (as written by the export) are accepted and checked.
Row numbers are the line numbers of the file (the header is line 1). GeoJSON: a
FeatureCollection whose feature properties carry the same names; rows are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import OBJECT_STATUSES
from allmende.modules.assets.models import AssetObject, Change, ObjectType
from allmende.modules.assets.register import attributes as attrs
from allmende.modules.assets.register.service import check_geometry, resolve_type
from allmende.modules.assets.schemas import ImportResult, ImportRowError
from allmende.modules.assets.service import Actor, municipality_by_key, require_edit
from allmende.sdk import (
    FieldError,
    Principal,
    ValidationFailed,
    csvformat,
    geometry_to_geojson,
    isoformat,
    utcnow,
)

FIXED_COLUMNS = ("identifier", "name", "description", "address", "public", "status", "notes")
GEOMETRY_COLUMNS = ("wkt", "lat", "lon")
CHECKED_COLUMNS = ("id", "type", "municipality", "created_at", "updated_at")
ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon", "geometry": "wkt"}
MAX_ROWS = 100_000
MAX_REPORTED = 200
TRUE = ("true", "1", "yes", "ja", "wahr", "x")
FALSE = ("false", "0", "no", "nein", "falsch", "")


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    geometry: Any = None  # GeoJSON from a feature, or None for CSV
    errors: list[tuple[str, str]] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv(data: bytes) -> list[Row]:
    text = _decode(data)
    if "\x00" in text:
        raise ValidationFailed.one("file", "is not a text file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ValidationFailed.one("file", "is empty") from exc
    except csv.Error as exc:
        raise ValidationFailed.one("file", f"is not valid CSV: {exc}") from exc
    names = [ALIASES.get(h.strip().lower(), h.strip()) for h in header]
    if len(set(names)) != len(names):
        raise ValidationFailed.one("file.columns", "column names must be unique")
    rows: list[Row] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            number = reader.line_num
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed.one("file", f"has more than {MAX_ROWS} rows")
            row = Row(number, dict(zip(names, cells, strict=False)))
            if len(cells) != len(names):
                row.errors.append(("columns", f"has {len(cells)} cells, the header {len(names)}"))
            rows.append(row)
    except csv.Error as exc:
        raise ValidationFailed.one(
            "file", f"is not valid CSV near line {reader.line_num}: {exc}"
        ) from exc
    return rows


def read_geojson(data: bytes) -> list[Row]:
    try:
        document = json.loads(_decode(data))
    except ValueError as exc:
        raise ValidationFailed.one("file", "is not valid JSON") from exc
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise ValidationFailed.one("file.type", "must be a GeoJSON FeatureCollection")
    items = document.get("features")
    if not isinstance(items, list):
        raise ValidationFailed.one("file.features", "must be a list")
    if len(items) > MAX_ROWS:
        raise ValidationFailed.one("file.features", f"has more than {MAX_ROWS} features")
    rows = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or item.get("type") != "Feature":
            row = Row(i, {})
            row.errors.append(("feature", "is not a GeoJSON Feature"))
            rows.append(row)
            continue
        properties = item.get("properties") or {}
        if not isinstance(properties, Mapping):
            properties = {}
        rows.append(Row(i, {str(k): v for k, v in properties.items()}, item.get("geometry")))
    return rows


# --- checking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    row: Row
    identifier: str | None
    name: str
    geometry: BaseGeometry
    values: dict[str, Any]


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationFailed.one(name, "must be true or false")


def _text(value: Any, limit: int, name: str) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationFailed.one(name, f"must be at most {limit} characters")
    if "\x00" in text:
        raise ValidationFailed.one(name, "must not contain NUL characters")
    return text


def _geometry(t: ObjectType, row: Row) -> BaseGeometry:
    if row.geometry is not None:
        return check_geometry(t, row.geometry, field="geometry")
    wkt = str(row.values.get("wkt") or "").strip()
    if wkt:
        try:
            geom = shapely.from_wkt(wkt)
        except (shapely.errors.GEOSException, ValueError) as exc:
            raise ValidationFailed.one("wkt", "is not valid WKT") from exc
        return check_geometry(t, geometry_to_geojson(geom), field="wkt")
    lat, lon = str(row.values.get("lat") or "").strip(), str(row.values.get("lon") or "").strip()
    if not lat or not lon:
        raise ValidationFailed.one("geometry", "needs wkt, or lat and lon")
    try:
        y, x = float(lat.replace(",", ".")), float(lon.replace(",", "."))
    except ValueError as exc:
        raise ValidationFailed.one(
            "lat" if not _is_number(lat) else "lon", "must be a number"
        ) from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValidationFailed.one("lat", "must be a finite number")
    return check_geometry(t, {"type": "Point", "coordinates": [x, y]}, field="lat")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _check(t: ObjectType, municipality_key: str, row: Row) -> Checked:
    schema = t.attribute_schema
    known = attrs.properties(schema)
    values: dict[str, Any] = {}
    for name, raw in row.values.items():
        if name in FIXED_COLUMNS or name in GEOMETRY_COLUMNS:
            continue
        if name in CHECKED_COLUMNS:
            if name == "type" and str(raw).strip() not in ("", t.key):
                raise ValidationFailed.one("type", f"must be '{t.key}' in this import")
            if name == "municipality" and str(raw).strip() not in ("", municipality_key):
                raise ValidationFailed.one("municipality", f"must be '{municipality_key}'")
            continue
        if name not in known and not schema.get("additionalProperties", False):
            raise ValidationFailed.one(name, f"is not an attribute of {t.key}")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if isinstance(raw, str):
            values[name] = attrs.coerce_text(schema, name, raw, field=f"attributes.{name}")
        else:
            values[name] = raw
    values = attrs.validate(schema, values, field="attributes")
    identifier = _text(row.values.get("identifier"), 80, "identifier") or None
    name = _text(row.values.get("name"), 200, "name") or identifier or ""
    if not name:
        raise ValidationFailed.one("name", "is required (or an identifier)")
    status = _text(row.values.get("status"), 10, "status") or "active"
    if status not in OBJECT_STATUSES:
        raise ValidationFailed.one("status", f"must be one of {', '.join(OBJECT_STATUSES)}")
    for column, limit in (("description", 5000), ("address", 300), ("notes", 5000)):
        _text(row.values.get(column), limit, column)
    if "public" in row.values:
        _flag(row.values["public"] if row.values["public"] != "" else True, "public")
    return Checked(row, identifier, name, _geometry(t, row), values)


def _fields(checked: Checked, municipality_id: int, t: ObjectType) -> dict[str, Any]:
    v = checked.row.values
    public = v.get("public", True)
    return {
        "municipality_id": municipality_id,
        "type_id": t.id,
        "identifier": checked.identifier,
        "name": checked.name,
        "description": _text(v.get("description"), 5000, "description"),
        "address": _text(v.get("address"), 300, "address") or None,
        "notes": _text(v.get("notes"), 5000, "notes"),
        "public": True if public in ("", None) else _flag(public, "public"),
        "status": _text(v.get("status"), 10, "status") or "active",
        "attributes": checked.values,
    }


def run_import(
    session: Session,
    *,
    principal: Principal,
    municipality: str,
    type_key: str,
    fmt: str,
    data: bytes,
    mode: str = "all",
    dry_run: bool = False,
) -> ImportResult:
    m = municipality_by_key(session, municipality, field="municipality")
    require_edit(principal, m.id)
    t = resolve_type(session, m.id, type_key, field="type")
    if fmt not in ("csv", "geojson"):
        raise ValidationFailed.one("format", "must be csv or geojson")
    if mode not in ("all", "valid-rows"):
        raise ValidationFailed.one("mode", "must be all or valid-rows")
    rows = read_csv(data) if fmt == "csv" else read_geojson(data)
    if not rows:
        raise ValidationFailed.one("file", "holds no rows")
    existing = {
        str(obj.identifier): obj
        for obj in session.scalars(
            select(AssetObject).where(
                AssetObject.municipality_id == m.id,
                AssetObject.type_id == t.id,
                AssetObject.identifier.is_not(None),
            )
        )
    }
    good: list[Checked] = []
    seen: dict[str, int] = {}
    for row in rows:
        if not row.errors:
            try:
                checked = _check(t, m.key, row)
            except ValidationFailed as exc:
                row.errors.extend(
                    (e.field, e.reason) for e in exc.errors or [FieldError("row", str(exc))]
                )
            else:
                if checked.identifier in seen:
                    row.errors.append(("identifier", f"repeats row {seen[checked.identifier]}"))
                else:
                    if checked.identifier:
                        seen[checked.identifier] = row.number
                    good.append(checked)
    errors = [
        ImportRowError(row=r.number, field=f, reason=why) for r in rows for f, why in r.errors
    ]
    if errors and mode == "all":
        raise ValidationFailed(
            detail=f"{len({e.row for e in errors})} of {len(rows)} rows are invalid; "
            "nothing was imported",
            errors=[
                FieldError(f"rows[{e.row}].{e.field}", e.reason) for e in errors[:MAX_REPORTED]
            ],
        )
    created = updated = 0
    if not dry_run:
        created, updated = _write(session, principal, m.id, t, good, existing)
    else:
        updated = sum(1 for c in good if c.identifier in existing)
        created = len(good) - updated
    return ImportResult(
        mode=mode,
        dry_run=dry_run,
        rows=len(rows),
        created=created,
        updated=updated,
        failed=len({e.row for e in errors}),
        errors=errors[:MAX_REPORTED],
    )


def _write(
    session: Session,
    principal: Principal,
    municipality_id: int,
    t: ObjectType,
    good: Sequence[Checked],
    existing: dict[str, AssetObject],
) -> tuple[int, int]:
    actor = Actor.of(principal)
    now = utcnow()
    new: list[AssetObject] = []
    changed: list[tuple[AssetObject, dict[str, Any]]] = []
    for checked in good:
        values = _fields(checked, municipality_id, t)
        obj = existing.get(checked.identifier) if checked.identifier else None
        if obj is None:
            obj = AssetObject(**values, created_at=now, updated_at=now)
            obj.geom = checked.geometry
            new.append(obj)
            continue
        changes = {k: [getattr(obj, k), v] for k, v in values.items() if getattr(obj, k) != v}
        if obj.geom is None or not checked.geometry.equals_exact(obj.geom, 0):
            changes["geometry"] = [
                geometry_to_geojson(obj.geom) if obj.geom is not None else None,
                geometry_to_geojson(checked.geometry),
            ]
            obj.geom = checked.geometry
        if changes:
            for k, v in values.items():
                setattr(obj, k, v)
            obj.updated_at = now
            changed.append((obj, changes))
    session.add_all(new)
    session.flush()
    entries = [
        Change(
            object_id=o.id,
            municipality_id=o.municipality_id,
            at=now,
            actor_user_id=actor.user_id,
            actor=actor.name[:200],
            kind="created",
            summary="import",
            changes={},
        )
        for o in new
    ] + [
        Change(
            object_id=o.id,
            municipality_id=o.municipality_id,
            at=now,
            actor_user_id=actor.user_id,
            actor=actor.name[:200],
            kind="updated",
            summary="import",
            changes=_jsonable(c),
        )
        for o, c in changed
    ]
    session.add_all(entries)
    session.flush()
    return len(new), len(changed)


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(changes, default=str))
    return result


# --- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    obj: AssetObject
    type: ObjectType
    municipality: str
    internal: bool


def _properties(e: Exported) -> dict[str, Any]:
    values = e.obj.attributes or {}
    shown = values if e.internal else attrs.public_values(values, list(e.type.public_attributes))
    result: dict[str, Any] = {
        "id": e.obj.id,
        "identifier": e.obj.identifier,
        "name": e.obj.name,
        "type": e.type.key,
        "municipality": e.municipality,
        "description": e.obj.description,
        "address": e.obj.address,
        "public": e.obj.public,
        "status": e.obj.status,
        "updated_at": isoformat(e.obj.updated_at),
    }
    if e.internal:
        result["notes"] = e.obj.notes
    result.update(shown)
    return result


def to_geojson(items: Sequence[Exported]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": e.obj.id,
                "geometry": geometry_to_geojson(e.obj.geom) if e.obj.geom is not None else None,
                "properties": _properties(e),
            }
            for e in items
        ],
    }


def to_csv(items: Sequence[Exported], dialect: csvformat.Dialect = "plain") -> bytes:
    columns = ["id", "identifier", "name", "type", "municipality", "lat", "lon", "wkt"]
    columns += ["description", "address", "public", "status", "updated_at"]
    if any(e.internal for e in items):
        columns.append("notes")
    extra: list[str] = []
    for e in items:
        names = list(attrs.properties(e.type.attribute_schema)) + list(e.obj.attributes or {})
        for name in names:
            if name not in extra and name not in columns:
                extra.append(name)
    header = columns + extra
    rows = []
    for e in items:
        row = _properties(e)
        geom = e.obj.geom
        if isinstance(geom, Point):
            row["lat"], row["lon"] = geom.y, geom.x
        row["wkt"] = geom.wkt if geom is not None else None
        rows.append([row.get(name) for name in header])
    return csvformat.to_bytes(header, rows, dialect)
