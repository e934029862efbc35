"""The object register: types, objects with geometry, parents, sensors and their history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import GEOMETRY_KINDS, N_
from allmende.modules.assets.models import AssetObject, Change, ObjectType, ThingLink
from allmende.modules.assets.register import attributes as attrs
from allmende.modules.assets.schemas import (
    ObjectCreate,
    ObjectRead,
    ObjectUpdate,
    TypeCreate,
    TypeRead,
    TypeUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    may_read_internal,
    municipality_by_key,
    municipality_keys,
    not_found,
    record,
    require_edit,
    visible_condition,
)
from allmende.sdk import (
    Action,
    Conflict,
    FieldError,
    Principal,
    ValidationFailed,
    geometry_from_geojson,
    geometry_to_geojson,
    in_bbox,
    require,
    sensing,
    utcnow,
)

# --- types ----------------------------------------------------------------------------------


def type_read(t: ObjectType, keys: dict[int, str]) -> TypeRead:
    return TypeRead(
        id=t.id,
        municipality=keys.get(t.municipality_id) if t.municipality_id else None,
        key=t.key,
        name=t.name,
        description=t.description,
        geometry_kind=t.geometry_kind,
        attribute_schema=t.attribute_schema,
        public_attributes=list(t.public_attributes),
        public=t.public,
        bookable=t.bookable,
        adoptable=t.adoptable,
    )


def types_condition(municipality_id: int | None) -> ColumnElement[bool]:
    """Types usable in a municipality: the built-in ones and its own (``None``: all)."""
    if municipality_id is None:
        return ObjectType.id.is_not(None)
    return or_(ObjectType.municipality_id.is_(None), ObjectType.municipality_id == municipality_id)


def list_types(session: Session, *, municipality_id: int | None = None) -> list[ObjectType]:
    return list(
        session.scalars(
            select(ObjectType)
            .where(types_condition(municipality_id))
            .order_by(ObjectType.municipality_id.is_not(None), ObjectType.name, ObjectType.id)
        )
    )


def resolve_type(session: Session, municipality_id: int, key: str, *, field: str) -> ObjectType:
    found = session.scalars(
        select(ObjectType)
        .where(ObjectType.key == key, types_condition(municipality_id))
        .order_by(ObjectType.municipality_id.is_(None))  # a municipality's own type wins
    ).first()
    if found is None:
        raise ValidationFailed.one(field, f"no object type '{key}' in this municipality")
    return found


def get_type(session: Session, type_id: int) -> ObjectType:
    found = session.get(ObjectType, type_id)
    if found is None:
        raise not_found("object type", type_id)
    return found


def editable_type(session: Session, *, principal: Principal, type_id: int) -> ObjectType:
    """A type the caller may change: a municipality's own for its editors, the built-in
    catalogue (which serves every municipality) for administrators only."""
    t = get_type(session, type_id)
    if t.municipality_id is None:
        require(principal, Action.ADMINISTER)
    else:
        require_edit(principal, t.municipality_id)
    return t


def create_type(session: Session, *, principal: Principal, data: TypeCreate) -> ObjectType:
    municipality = municipality_by_key(session, data.municipality, field="body.municipality")
    require_edit(principal, municipality.id)
    clash = session.scalar(
        select(ObjectType.id).where(
            ObjectType.key == data.key,
            or_(
                ObjectType.municipality_id.is_(None),
                ObjectType.municipality_id == municipality.id,
            ),
        )
    )
    if clash is not None:
        raise Conflict(
            detail=f"body.key: the object type '{data.key}' exists already",
            errors=[_field("body.key", N_("exists already"))],
        )
    attrs.check_schema(data.attribute_schema, data.public_attributes)
    t = ObjectType(
        municipality_id=municipality.id,
        key=data.key,
        name=data.name,
        description=data.description,
        geometry_kind=data.geometry_kind,
        attribute_schema=attrs.normalise_schema(data.attribute_schema),
        public_attributes=list(dict.fromkeys(data.public_attributes)),
        public=data.public,
        bookable=data.bookable,
        adoptable=data.adoptable,
    )
    session.add(t)
    session.flush()
    return t


def update_type(
    session: Session, *, principal: Principal, type_id: int, data: TypeUpdate
) -> ObjectType:
    t = editable_type(session, principal=principal, type_id=type_id)
    values = data.model_dump(exclude_unset=True)
    for name in ("name", "description", "public", "bookable", "adoptable"):
        if name in values and values[name] is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
    schema = values.get("attribute_schema") or t.attribute_schema
    public = values.get("public_attributes")
    public = list(t.public_attributes) if public is None else list(dict.fromkeys(public))
    if "attribute_schema" in values or "public_attributes" in values:
        attrs.check_schema(schema, public)
        schema = attrs.normalise_schema(schema)
        _check_existing_objects(session, t, schema)
        t.attribute_schema = schema
        t.public_attributes = public
    for name in ("name", "description", "public", "bookable", "adoptable"):
        if name in values:
            setattr(t, name, values[name])
    session.flush()
    return t


def _check_existing_objects(session: Session, t: ObjectType, schema: dict[str, Any]) -> None:
    """A new schema must still accept every object of the type."""
    for object_id, values in session.execute(
        select(AssetObject.id, AssetObject.attributes).where(AssetObject.type_id == t.id)
    ):
        try:
            attrs.validate(schema, values or {}, field=f"objects[{object_id}].attributes")
        except ValidationFailed as exc:
            raise ValidationFailed(
                detail=f"body.attribute_schema: existing object {object_id} would be invalid "
                f"({exc.detail})",
                errors=[
                    _field(
                        "body.attribute_schema",
                        N_("an object of this type would no longer fit; change it first"),
                    )
                ],
            ) from exc


def _field(name: str, reason: str) -> FieldError:
    return FieldError(name, reason)


# --- objects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectFilter:
    municipality_id: int | None = None
    type_ids: Sequence[int] | None = None
    q: str | None = None
    status: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    parent_id: int | None = None
    public_only: bool = False


def object_condition(principal: Principal, f: ObjectFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if f.public_only:
        parts.append(AssetObject.public.is_(True))
    else:
        parts.append(visible_condition(principal, AssetObject.municipality_id, AssetObject.public))
    if f.municipality_id is not None:
        parts.append(AssetObject.municipality_id == f.municipality_id)
    if f.type_ids is not None:
        parts.append(AssetObject.type_id.in_(list(f.type_ids)))
    if f.q:
        pattern = "%" + f.q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        parts.append(
            or_(
                func.lower(AssetObject.name).like(pattern),
                func.lower(func.coalesce(AssetObject.identifier, "")).like(pattern),
                func.lower(func.coalesce(AssetObject.address, "")).like(pattern),
            )
        )
    if f.status is not None:
        parts.append(AssetObject.status == f.status)
    else:
        parts.append(AssetObject.status != "removed")
    if f.bbox is not None:
        parts.append(in_bbox(AssetObject, f.bbox))
    if f.parent_id is not None:
        parts.append(AssetObject.parent_id == f.parent_id)
    return and_(*parts)


def object_rows(
    principal: Principal, f: ObjectFilter, columns: tuple[Any, ...] = (AssetObject, ObjectType)
) -> Any:
    """``columns`` (by default the objects and their types) of the objects of ``f``."""
    return (
        select(*columns)
        .select_from(AssetObject)
        .join(ObjectType, ObjectType.id == AssetObject.type_id)
        .where(object_condition(principal, f))
    )


def rows_by(
    session: Session, principal: Principal, f: ObjectFilter, *order: Any, limit: int | None = None
) -> list[Any]:
    """The (object, type) rows of ``f`` in ``order``, at most ``limit`` (the map, exports)."""
    query = object_rows(principal, f).order_by(*order)
    return list(session.execute(query if limit is None else query.limit(limit)).all())


def list_objects(
    session: Session, *, principal: Principal, f: ObjectFilter, limit: int, offset: int
) -> tuple[list[tuple[AssetObject, ObjectType]], int]:
    rows, total = _page(session, principal, f, (AssetObject, ObjectType), limit, offset)
    return [(o, t) for o, t in rows], total


class ObjectSummary(NamedTuple):
    """What a list of objects shows of one (the register's table)."""

    id: int
    name: str
    identifier: str | None
    municipality_id: int
    public: bool
    status: str
    type_name: str


def list_object_summaries(
    session: Session, *, principal: Principal, f: ObjectFilter, limit: int, offset: int
) -> tuple[list[ObjectSummary], int]:
    """:func:`list_objects` for a table: a few columns instead of whole objects and types
    (their attributes, geometries and schemas were most of the register page's reading)."""
    columns = (
        AssetObject.id,
        AssetObject.name,
        AssetObject.identifier,
        AssetObject.municipality_id,
        AssetObject.public,
        AssetObject.status,
        ObjectType.name,
    )
    rows, total = _page(session, principal, f, columns, limit, offset)
    return [ObjectSummary(*row) for row in rows], total


def _page(
    session: Session,
    principal: Principal,
    f: ObjectFilter,
    columns: tuple[Any, ...],
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """One page of ``columns`` of the objects of ``f`` with their types, by name, and the
    number of all of them."""
    total = session.scalar(
        select(func.count()).select_from(AssetObject).where(object_condition(principal, f))
    )
    rows = session.execute(
        object_rows(principal, f, columns)
        .order_by(AssetObject.name, AssetObject.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total or 0)


def get_object(session: Session, *, principal: Principal, object_id: int) -> AssetObject:
    found = session.scalar(
        select(AssetObject).where(
            AssetObject.id == object_id,
            visible_condition(principal, AssetObject.municipality_id, AssetObject.public),
        )
    )
    if found is None:  # an internal object of another municipality does not exist for the caller
        raise not_found("object", object_id)
    return found


def editable_object(session: Session, *, principal: Principal, object_id: int) -> AssetObject:
    obj = get_object(session, principal=principal, object_id=object_id)  # 404 before 403
    require_edit(principal, obj.municipality_id)
    return obj


def thing_ids(session: Session, object_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {i: [] for i in object_ids}
    if not object_ids:
        return result
    for object_id, thing in session.execute(
        select(ThingLink.object_id, ThingLink.thing_id)
        .where(ThingLink.object_id.in_(list(object_ids)))
        .order_by(ThingLink.thing_id)
    ):
        result[object_id].append(thing)
    return result


def object_read(
    obj: AssetObject,
    t: ObjectType,
    municipality: str,
    *,
    internal: bool,
    things: list[int] | None = None,
) -> ObjectRead:
    values = obj.attributes or {}
    return ObjectRead(
        id=obj.id,
        municipality=municipality,
        type=t.key,
        type_name=t.name,
        name=obj.name,
        identifier=obj.identifier,
        geometry=geometry_to_geojson(obj.geom) if obj.geom is not None else None,
        description=obj.description,
        address=obj.address,
        attributes=dict(values) if internal else attrs.public_values(values, t.public_attributes),
        public=obj.public,
        status=obj.status,
        parent_id=obj.parent_id,
        created_at=obj.created_at,
        updated_at=obj.updated_at,
        notes=obj.notes if internal else None,
        thing_ids=(things or []) if internal else None,
    )


def reads(
    session: Session, principal: Principal, rows: Sequence[tuple[AssetObject, ObjectType]]
) -> list[ObjectRead]:
    """Many objects at once: two queries, whatever their number."""
    keys = municipality_keys(session)
    internal_ids = [o.id for o, _ in rows if may_read_internal(principal, o.municipality_id)]
    things = thing_ids(session, internal_ids)
    return [
        object_read(
            o,
            t,
            keys[o.municipality_id],
            internal=o.id in things,
            things=things.get(o.id),
        )
        for o, t in rows
    ]


def read_one(session: Session, principal: Principal, obj: AssetObject) -> ObjectRead:
    t = session.get(ObjectType, obj.type_id)
    assert t is not None
    return reads(session, principal, [(obj, t)])[0]


def check_geometry(t: ObjectType, value: Any, *, field: str) -> BaseGeometry:
    geom = geometry_from_geojson(value, field=field)
    allowed = GEOMETRY_KINDS.get(t.geometry_kind, ())
    if allowed and geom.geom_type not in allowed:
        raise ValidationFailed.one(
            f"{field}.type",
            f"a {t.key} needs a {t.geometry_kind} geometry ({' or '.join(allowed)}), "
            f"not {geom.geom_type}",
        )
    return geom


def _check_parent(
    session: Session, municipality_id: int, parent_id: int, *, self_id: int | None
) -> None:
    parent = session.get(AssetObject, parent_id)
    if parent is None or parent.municipality_id != municipality_id:
        raise ValidationFailed.one("body.parent_id", f"no object {parent_id} in this municipality")
    seen: set[int] = set()
    current: AssetObject | None = parent
    while current is not None:  # walking up must never reach the object itself
        if current.id == self_id or current.id in seen:
            raise ValidationFailed.one("body.parent_id", "would make the object its own ancestor")
        seen.add(current.id)
        current = session.get(AssetObject, current.parent_id) if current.parent_id else None


def _check_identifier(
    session: Session,
    obj_municipality: int,
    type_id: int,
    identifier: str | None,
    self_id: int | None,
) -> None:
    if identifier is None:
        return
    clash = session.scalar(
        select(AssetObject.id).where(
            AssetObject.municipality_id == obj_municipality,
            AssetObject.type_id == type_id,
            AssetObject.identifier == identifier,
        )
    )
    if clash is not None and clash != self_id:
        raise Conflict(
            detail=f"body.identifier: object {clash} already has the identifier '{identifier}'",
            errors=[_field("body.identifier", f"object {clash} already has it")],
        )


def set_things(
    session: Session, obj: AssetObject, ids: Sequence[int]
) -> tuple[list[int], list[int]]:
    """Link the object to the SensorThings Things ``ids``, which must be its municipality's
    (another municipality's Thing is refused like one that does not exist)."""
    before = thing_ids(session, [obj.id])[obj.id]
    wanted = sorted(set(ids))
    owners = sensing.thing_municipalities(session, thing_ids=wanted)
    for thing in wanted:
        if owners.get(thing) != obj.municipality_id:
            raise ValidationFailed.one("body.thing_ids", f"no Thing {thing} in this municipality")
    for link in session.scalars(select(ThingLink).where(ThingLink.object_id == obj.id)):
        if link.thing_id not in wanted:
            session.delete(link)
    for thing in wanted:
        if thing not in before:
            session.add(ThingLink(object_id=obj.id, thing_id=thing))
    return before, wanted


def create_object(session: Session, *, principal: Principal, data: ObjectCreate) -> AssetObject:
    municipality = municipality_by_key(session, data.municipality, field="body.municipality")
    require_edit(principal, municipality.id)
    t = resolve_type(session, municipality.id, data.type, field="body.type")
    geom = check_geometry(t, data.geometry, field="body.geometry")
    values = attrs.validate(t.attribute_schema, data.attributes)
    if data.parent_id is not None:
        _check_parent(session, municipality.id, data.parent_id, self_id=None)
    _check_identifier(session, municipality.id, t.id, data.identifier, None)
    now = utcnow()
    obj = AssetObject(
        municipality_id=municipality.id,
        type_id=t.id,
        parent_id=data.parent_id,
        identifier=data.identifier,
        name=data.name.strip() or data.name,
        description=data.description,
        notes=data.notes,
        address=data.address,
        attributes=values,
        public=data.public,
        status=data.status,
        created_at=now,
        updated_at=now,
    )
    obj.geom = geom
    session.add(obj)
    session.flush()
    if data.thing_ids:
        set_things(session, obj, data.thing_ids)
    record(session, obj, Actor.of(principal), kind="created", summary=f"{t.key} '{obj.name}'")
    return obj


def update_object(
    session: Session, *, principal: Principal, object_id: int, data: ObjectUpdate
) -> AssetObject:
    obj = editable_object(session, principal=principal, object_id=object_id)
    t = session.get(ObjectType, obj.type_id)
    assert t is not None
    values = data.model_dump(exclude_unset=True)
    for name in ("name", "geometry", "description", "notes", "attributes", "public", "status"):
        if name in values and values[name] is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
    changes: dict[str, Any] = {}
    if "geometry" in values:
        geom = check_geometry(t, values["geometry"], field="body.geometry")
        if obj.geom is None or not geom.equals_exact(obj.geom, 0):
            changes["geometry"] = [
                geometry_to_geojson(obj.geom) if obj.geom is not None else None,
                geometry_to_geojson(geom),
            ]
            obj.geom = geom
    if "attributes" in values:
        new = attrs.validate(t.attribute_schema, values["attributes"])
        old = obj.attributes or {}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                changes[f"attributes.{key}"] = [old.get(key), new.get(key)]
        obj.attributes = new
    if values.get("parent_id") is not None:
        _check_parent(session, obj.municipality_id, values["parent_id"], self_id=obj.id)
    if "identifier" in values:
        _check_identifier(session, obj.municipality_id, t.id, values["identifier"], obj.id)
    for name in (
        "name",
        "identifier",
        "description",
        "notes",
        "address",
        "public",
        "status",
        "parent_id",
    ):
        if name in values and getattr(obj, name) != values[name]:
            changes[name] = [getattr(obj, name), values[name]]
            setattr(obj, name, values[name])
    if values.get("thing_ids") is not None:
        before, after = set_things(session, obj, values["thing_ids"])
        if before != after:
            changes["thing_ids"] = [before, after]
    if changes:
        obj.updated_at = utcnow()
        record(
            session,
            obj,
            Actor.of(principal),
            kind="updated",
            summary=", ".join(sorted(changes))[:500],
            changes=changes,
        )
    session.flush()
    return obj


def history(session: Session, *, principal: Principal, object_id: int) -> list[Change]:
    obj = get_object(session, principal=principal, object_id=object_id)
    if not may_read_internal(principal, obj.municipality_id):
        raise not_found("history of object", object_id)
    return list(
        session.scalars(
            select(Change)
            .where(Change.object_id == obj.id)
            .order_by(Change.at.desc(), Change.id.desc())
            .limit(500)
        )
    )


def recent_changes(session: Session, *, object_id: int, limit: int = 50) -> list[Change]:
    """The newest changes of an object (for callers who read it internally)."""
    return list(
        session.scalars(
            select(Change)
            .where(Change.object_id == object_id)
            .order_by(Change.at.desc(), Change.id.desc())
            .limit(limit)
        )
    )
