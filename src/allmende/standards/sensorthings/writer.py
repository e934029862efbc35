"""Writing: JSON bodies to the rules of :mod:`allmende.sensing`, inside one transaction.

A deep insert is all-or-nothing because the caller runs the whole request in one
``database.write``: the first refusal rolls everything back. Entities linked with
``{"@iot.id": n}`` must exist and be visible to the caller; every entity created or changed
asks ``require(principal, Action.EDIT, municipality_id=…, scope="sensorthings")``.

Which municipality a new entity belongs to: a Datastream, MultiDatastream or
TaskingCapability that of its Thing; an Observation, HistoricalLocation or Task that of its
parent; anything else that of the entity it is created inside (deep insert), else the one the
request names (``?municipality=<key or id>``), else the API key's, else the single
municipality its caller is staff of, else the region's only one. ``?public=false`` makes the
entities created (or changed) by a request internal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonpatch
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.core.digits import is_digits
from allmende.core.errors import BadRequest, FieldError, Forbidden, NotFound, ValidationFailed
from allmende.identity.models import Municipality
from allmende.identity.permissions import Action, require
from allmende.identity.principal import Principal
from allmende.identity.service import municipality_id_named
from allmende.sensing import service
from allmende.sensing.ingest import (
    DuplicatePolicy,
    IngestError,
    NewObservation,
    ingest_observations,
)
from allmende.sensing.limits import (
    DOCUMENT_TOO_LARGE,
    JSON_TOO_LARGE,
    MAX_DOCUMENT_BYTES,
    MAX_JSON_BYTES,
    MAX_TEXT_CHARS,
    TEXT_TOO_LONG,
)
from allmende.sensing.models import (
    Observation,
    Thing,
    historical_location_locations,
    thing_locations,
)
from allmende.sensing.times import now_micros, parse_instant, parse_interval, parse_time
from allmende.standards.sensorthings.model import EntityType, Kind, Nav, Prop, entity_type
from allmende.standards.sensorthings.query.compiler import Visibility
from allmende.standards.sensorthings.render import Selection, value_of

SCOPE = "sensorthings"
CONTROL = ("@iot.id", "@iot.selfLink")
#: Entity types whose municipality is their Thing's.
FOLLOW_THING = frozenset({"Datastream", "MultiDatastream", "TaskingCapability"})
#: Keys of JSON values that must be objects / arrays.
OBJECTS = frozenset({"unitOfMeasurement", "taskingParameters"})
OPTIONAL_OBJECTS = frozenset({"properties", "parameters"})
NUL_REFUSED = "must not hold a NUL character (\\u0000)"


def invalid(field: str, reason: str) -> BadRequest:
    return BadRequest(detail=f"{field}: {reason}", errors=[FieldError(field, reason)])


@dataclass(frozen=True)
class Owner:
    municipality_id: int
    public: bool


@dataclass(frozen=True)
class Parent:
    """The entity a new one is created inside (deep insert or a path like Things(1)/…)."""

    etype: EntityType
    id: int
    nav: Nav  # the parent's navigation property that holds the new entity
    owner: Owner | None


@dataclass
class WriteContext:
    principal: Principal
    visibility: Visibility
    duplicates: DuplicatePolicy
    municipality: str | None = None  # ?municipality=
    public: bool | None = None  # ?public=


class Writer:
    """The writes of one request (or one change set of a batch), on one session."""

    def __init__(self, session: Session, context: WriteContext) -> None:
        self.session = session
        self.context = context
        self._default: Owner | None = None

    # --- owners and permissions ---------------------------------------------------------

    def _request_owner(self) -> Owner:
        if self._default is None:
            self._may_write_somewhere()
            self._default = Owner(self._municipality(), self.context.public is not False)
        return self._default

    def _may_write_somewhere(self) -> None:
        """Refuse callers that may write nowhere before asking them for a municipality."""
        principal = self.context.principal
        if principal.kind == "api_key":
            require(
                principal,
                Action.EDIT,
                municipality_id=principal.key_municipality_id,
                scope=SCOPE,
            )
        elif not principal.is_admin and not principal.staff_of:
            raise Forbidden(detail="Only staff and integrators may add sensor data.")

    def _municipality(self) -> int:
        named = self.context.municipality
        principal = self.context.principal
        if named:
            found = municipality_id_named(self.session, named)
            if found is None:
                raise invalid("municipality", f"no municipality '{named[:60]}'")
            return found
        if principal.key_municipality_id is not None:
            return principal.key_municipality_id
        if len(principal.staff_of) == 1:
            return next(iter(principal.staff_of))
        ids = self.session.scalars(select(Municipality.id).limit(2)).all()
        if len(ids) == 1:
            return int(ids[0])
        raise invalid(
            "municipality",
            "name the municipality the new entities belong to: ?municipality=<key>",
        )

    def _allow(self, municipality_id: int) -> None:
        require(self.context.principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)

    def owner_of(self, etype: EntityType, entity_id: int) -> Owner:
        """The municipality and visibility of an entity (an Observation's are its stream's)."""
        if etype.owned:
            model = etype.model
            row = self.session.execute(
                select(model.municipality_id, model.public).where(model.id == entity_id)
            ).first()
        else:
            for name in etype.owners:
                nav = etype.nav(name)
                assert nav is not None and nav.local is not None
                parent_id = self.session.scalar(
                    select(getattr(etype.model, nav.local)).where(etype.model.id == entity_id)
                )
                if parent_id is not None:
                    return self.owner_of(entity_type(nav.target), parent_id)
            row = None
        if row is None:
            raise NotFound(detail=f"No {etype.name} with id {entity_id}.")
        return Owner(int(row[0]), bool(row[1]))

    def _visible(self, etype: EntityType, entity_id: Any, field: str) -> int:
        """The id of an existing entity the caller may see (for links)."""
        if isinstance(entity_id, str) and is_digits(entity_id):
            entity_id = int(entity_id)
        if isinstance(entity_id, bool) or not isinstance(entity_id, int):
            raise invalid(field, "@iot.id must be an integer")
        model = etype.model
        query = select(model.id).where(model.id == entity_id)
        seen = self.context.visibility(etype, model)
        if seen is not None:
            query = query.where(seen)
        if entity_id < 1 or entity_id > 2**63 - 1 or self.session.scalar(query) is None:
            raise invalid(field, f"there is no {etype.name} with id {entity_id}")
        return entity_id

    # --- values -------------------------------------------------------------------------

    def _values(
        self, etype: EntityType, data: dict[str, Any], field: str, *, complete: bool
    ) -> dict[str, Any]:
        """Column values from the JSON properties; ``complete`` (create, PUT) fills gaps."""
        values: dict[str, Any] = {}
        for prop in etype.props:
            if not prop.writable or prop.kind is Kind.RESULT:
                continue
            where = f"{field}.{prop.name}"
            if prop.name not in data:
                if complete:
                    if prop.required:
                        raise invalid(where, "is required")
                    values.update(_default(prop))
                continue
            values.update(_parse(prop, data[prop.name], where))
        return values

    def _check_keys(self, etype: EntityType, data: Any, field: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise invalid(field, f"must be a JSON object describing a {etype.name}")
        for key in data:
            if key in CONTROL or key.endswith(
                ("@iot.navigationLink", "@iot.count", "@iot.nextLink")
            ):
                continue
            prop = etype.prop(key)
            nav = etype.nav(key)
            if prop is None and nav is None:
                raise invalid(f"{field}.{key}", f"{etype.name} has no property '{key}'")
            if nav is not None and not nav.writable:
                raise invalid(f"{field}.{key}", f"{etype.name}.{key} cannot be set")
        return data

    # --- create -------------------------------------------------------------------------

    def create(
        self,
        etype: EntityType,
        data: Any,
        *,
        field: str = "body",
        parent: Parent | None = None,
    ) -> int:
        """Create an entity with everything nested in it; returns its id."""
        data = self._check_keys(etype, data, field)
        if etype.name == "Observation":
            return self._create_observation(data, field, parent)
        values = self._values(etype, data, field, complete=True)
        inherited = parent.owner if parent is not None else None
        back = _back_link(etype, parent)
        # Entities this one points at come first: their ids are its columns.
        for nav in etype.navs:
            if nav.many or nav.local is None or not nav.writable:
                continue
            if back is not None and back.name == nav.name and parent is not None:
                values[nav.local] = parent.id
                if nav.name in data:
                    raise invalid(f"{field}.{nav.name}", "is given by the path already")
                continue
            if nav.name in data:
                values[nav.local] = self._one(nav, data[nav.name], f"{field}.{nav.name}", inherited)
            elif _needs(etype, nav):
                raise invalid(f"{field}.{nav.name}", f"a {etype.name} needs a {nav.name}")
        owner = self._owner_for(etype, values, inherited)
        entity_id = self._insert(etype, data, values, owner, field, parent)
        if parent is not None and parent.nav.via is not None:
            self._link_to_parent(etype, entity_id, parent)
        self._children(etype, entity_id, data, field, owner, skip=parent, creating=True)
        return entity_id

    def _owner_for(
        self, etype: EntityType, values: dict[str, Any], inherited: Owner | None
    ) -> Owner:
        if etype.name in FOLLOW_THING:
            owner = self.owner_of(entity_type("Thing"), values["thing_id"])
        elif not etype.owned:
            nav = etype.nav(etype.owners[0])
            assert nav is not None and nav.local is not None
            owner = self.owner_of(entity_type(nav.target), values[nav.local])
        else:
            owner = inherited or self._request_owner()
        if self.context.public is not None and etype.owned:
            owner = Owner(owner.municipality_id, self.context.public)
        self._allow(owner.municipality_id)
        return owner

    def _insert(
        self,
        etype: EntityType,
        data: dict[str, Any],
        values: dict[str, Any],
        owner: Owner,
        field: str,
        parent: Parent | None,
    ) -> int:
        if etype.name == "HistoricalLocation":
            locations = self._location_ids(data.get("Locations", []), f"{field}.Locations", owner)
            if (
                parent is not None
                and parent.nav.name == "HistoricalLocations"
                and parent.etype.name == "Location"
            ):
                locations.append(parent.id)
            history = service.create_historical_location(
                self.session,
                thing_id=values["thing_id"],
                time=values["time"],
                location_ids=locations,
            )
            return int(history.id)
        if etype.name == "Task":
            values.setdefault("creation_time", now_micros())
        if etype.owned:
            values["municipality_id"] = owner.municipality_id
            values["public"] = owner.public
        entity = service.create_entity(self.session, kind=etype.name, values=values)
        return int(entity.id)

    def _children(
        self,
        etype: EntityType,
        entity_id: int,
        data: dict[str, Any],
        field: str,
        owner: Owner,
        *,
        skip: Parent | None,
        creating: bool,
    ) -> None:
        """The entity sets given inline: links (``@iot.id``) and, when creating, new ones."""
        # Associations (a Thing's Locations) first: Observations created further down need
        # the Thing's Location for their FeatureOfInterest.
        for nav in sorted(etype.navs, key=lambda n: n.via is None):
            if not nav.many or nav.name not in data or not nav.writable:
                continue
            if etype.name == "HistoricalLocation" and nav.name == "Locations":
                continue  # taken when the HistoricalLocation was made
            items = data[nav.name]
            where = f"{field}.{nav.name}"
            if not isinstance(items, list):
                raise invalid(where, "must be an array")
            if nav.via is not None:
                self._set_links(etype, entity_id, nav, items, where, owner, creating=creating)
                continue
            target = entity_type(nav.target)
            parent = Parent(etype, entity_id, nav, owner)
            for index, item in enumerate(items):
                spot = f"{where}[{index}]"
                if _is_link(item):
                    self._move(target, nav, self._visible(target, item["@iot.id"], spot), entity_id)
                elif not creating:
                    raise invalid(spot, 'only links ({"@iot.id": …}) can be given here')
                else:
                    self.create(target, item, field=spot, parent=parent)

    def _move(self, target: EntityType, nav: Nav, child_id: int, entity_id: int) -> None:
        """Point an existing entity of a set at this one (e.g. a Datastream to a new Thing)."""
        assert nav.remote is not None
        self._allow(self.owner_of(target, child_id).municipality_id)
        service.update_entity(
            self.session, kind=target.name, entity_id=child_id, values={nav.remote: entity_id}
        )

    def _set_links(
        self,
        etype: EntityType,
        entity_id: int,
        nav: Nav,
        items: list[Any],
        where: str,
        owner: Owner,
        *,
        creating: bool,
    ) -> None:
        target = entity_type(nav.target)
        ids: list[int] = []
        for index, item in enumerate(items):
            spot = f"{where}[{index}]"
            if _is_link(item):
                ids.append(self._visible(target, item["@iot.id"], spot))
            elif not creating:
                raise invalid(spot, 'only links ({"@iot.id": …}) can be given here')
            else:
                ids.append(self._create_inside(target, item, spot, owner))
        key = (etype.name, nav.name)
        if key == ("Thing", "Locations"):
            service.set_thing_locations(self.session, thing_id=entity_id, location_ids=ids)
        elif key == ("Location", "Things"):
            if not creating:
                raise invalid(where, "change a Thing's Locations on the Thing")
            for thing_id in ids:
                self._allow(self.owner_of(entity_type("Thing"), thing_id).municipality_id)
                service.add_thing_locations(
                    self.session, thing_id=thing_id, location_ids=[entity_id]
                )
        elif key == ("HistoricalLocation", "Locations"):
            service.set_historical_location_locations(
                self.session, historical_location_id=entity_id, location_ids=ids
            )
        elif key == ("MultiDatastream", "ObservedProperties"):
            service.set_multi_datastream_properties(
                self.session, multi_datastream_id=entity_id, observed_property_ids=ids
            )
        elif key == ("Location", "HistoricalLocations"):
            if not creating:
                raise invalid(where, "change a HistoricalLocation's Locations on it")
            for history_id in ids:
                self._link_history(history_id, entity_id)
        else:  # pragma: no cover - every association is listed above
            raise invalid(where, "cannot be set")

    def _link_history(self, history_id: int, location_id: int) -> None:
        self._allow(self.owner_of(entity_type("HistoricalLocation"), history_id).municipality_id)
        table = historical_location_locations
        exists = self.session.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.historical_location_id == history_id, table.c.location_id == location_id)
        )
        if not exists:
            self.session.execute(
                table.insert().values(historical_location_id=history_id, location_id=location_id)
            )

    def _link_to_parent(self, etype: EntityType, entity_id: int, parent: Parent) -> None:
        """A new entity created in a parent's association set (POST Things(1)/Locations)."""
        key = (parent.etype.name, parent.nav.name)
        if key == ("Thing", "Locations"):
            service.add_thing_locations(self.session, thing_id=parent.id, location_ids=[entity_id])
        elif key == ("Location", "Things"):
            service.add_thing_locations(self.session, thing_id=entity_id, location_ids=[parent.id])
        elif key == ("HistoricalLocation", "Locations"):
            self._link_history(parent.id, entity_id)
        elif key != ("Location", "HistoricalLocations"):
            raise invalid("body", f"new entities cannot be created in {parent.nav.name} here")

    def _create_inside(self, target: EntityType, item: Any, spot: str, owner: Owner) -> int:
        """A new entity of an association set (a Thing's new Location): same municipality."""
        data = self._check_keys(target, item, spot)
        values = self._values(target, data, spot, complete=True)
        for nav in target.navs:
            if not nav.many and nav.local is not None and nav.writable and nav.name in data:
                values[nav.local] = self._one(nav, data[nav.name], f"{spot}.{nav.name}", owner)
            elif not nav.many and nav.local is not None and _needs(target, nav):
                raise invalid(f"{spot}.{nav.name}", f"a {target.name} needs a {nav.name}")
        entity_owner = self._owner_for(target, values, owner)
        entity_id = self._insert(target, data, values, entity_owner, spot, None)
        self._children(target, entity_id, data, spot, entity_owner, skip=None, creating=True)
        return entity_id

    def _one(self, nav: Nav, item: Any, where: str, inherited: Owner | None) -> int:
        """A to-one navigation: a link to an existing entity, or a new one."""
        target = entity_type(nav.target)
        if _is_link(item):
            return self._visible(target, item["@iot.id"], where)
        if item is None:
            raise invalid(where, f'must be a {target.name} or a link {{"@iot.id": …}}')
        return self._create_inside(target, item, where, inherited or self._request_owner())

    def _location_ids(self, items: Any, where: str, owner: Owner) -> list[int]:
        if not isinstance(items, list):
            raise invalid(where, "must be an array")
        target = entity_type("Location")
        ids = []
        for index, item in enumerate(items):
            spot = f"{where}[{index}]"
            if _is_link(item):
                ids.append(self._visible(target, item["@iot.id"], spot))
            else:
                ids.append(self._create_inside(target, item, spot, owner))
        return ids

    # --- Observations -------------------------------------------------------------------

    def _create_observation(self, data: dict[str, Any], field: str, parent: Parent | None) -> int:
        if "result" not in data:
            raise invalid(f"{field}.result", "is required")
        values = self._values(entity_type("Observation"), data, field, complete=False)
        datastream_id = multi_id = None
        if parent is not None and parent.nav.name == "Observations":
            if parent.etype.name == "Datastream":
                datastream_id = parent.id
            elif parent.etype.name == "MultiDatastream":
                multi_id = parent.id
        for name in ("Datastream", "MultiDatastream"):
            if name in data:
                if datastream_id is not None or multi_id is not None:
                    raise invalid(f"{field}.{name}", "the Datastream is given twice")
                nav = entity_type("Observation").nav(name)
                assert nav is not None
                linked = self._one(nav, data[name], f"{field}.{name}", None)
                if name == "Datastream":
                    datastream_id = linked
                else:
                    multi_id = linked
        if datastream_id is None and multi_id is None:
            raise invalid(f"{field}.Datastream", "an Observation needs a Datastream")
        stream_type = entity_type("Datastream" if datastream_id is not None else "MultiDatastream")
        stream_id = datastream_id if datastream_id is not None else multi_id
        assert stream_id is not None
        if (
            parent is not None
            and parent.owner is not None
            and (parent.etype.name, parent.id) == (stream_type.name, stream_id)
        ):
            owner = parent.owner  # looked up already, for the path Datastreams(id)/Observations
        else:
            owner = self.owner_of(stream_type, stream_id)
        self._allow(owner.municipality_id)
        feature_id = None
        if "FeatureOfInterest" in data:
            feature = data["FeatureOfInterest"]
            where = f"{field}.FeatureOfInterest"
            if _is_link(feature):
                feature_id = self._visible(
                    entity_type("FeatureOfInterest"), feature["@iot.id"], where
                )
            else:
                feature_id = self._create_inside(
                    entity_type("FeatureOfInterest"), feature, where, owner
                )
        result = data["result"]
        row = NewObservation(
            datastream_id=datastream_id,
            multi_datastream_id=multi_id,
            feature_id=feature_id,
            phenomenon_time=values.get("phenomenon_time"),
            phenomenon_time_end=values.get("phenomenon_time_end"),
            result_time=values.get("result_time"),
            valid_time_start=values.get("valid_time_start"),
            valid_time_end=values.get("valid_time_end"),
            result=result,
            result_quality=values.get("result_quality"),
            parameters=values.get("parameters"),
        )
        (outcome,) = ingest_observations(
            self.session, rows=[row], duplicates=self.context.duplicates
        )
        if isinstance(outcome, IngestError):
            outcome.raise_()
        assert isinstance(outcome, int)
        return outcome

    # --- update -------------------------------------------------------------------------

    def update(self, etype: EntityType, entity_id: int, data: Any, *, replace: bool) -> None:
        """PATCH (``replace`` False) or PUT: properties, links, and ``?public=``."""
        data = self._check_keys(etype, data, "body")
        owner = self.owner_of(etype, entity_id)
        self._allow(owner.municipality_id)
        values = self._values(etype, data, "body", complete=replace)
        if etype.name == "Observation":
            if "result" in data:
                values["result"] = data["result"]
            elif replace:
                raise invalid("body.result", "is required")
            if values.get("phenomenon_time", 0) is None:
                values.pop("phenomenon_time")
                values.pop("phenomenon_time_end", None)
        for nav in etype.navs:
            if nav.name not in data or nav.many or nav.local is None:
                continue
            item = data[nav.name]
            where = f"body.{nav.name}"
            if not nav.writable:
                raise invalid(where, f"{etype.name}.{nav.name} cannot be set")
            if not _is_link(item):
                raise invalid(where, 'only a link ({"@iot.id": …}) can be given when changing')
            target = entity_type(nav.target)
            values[nav.local] = self._visible(target, item["@iot.id"], where)
        if "thing_id" in values and etype.name in FOLLOW_THING:
            moved = self.owner_of(entity_type("Thing"), values["thing_id"])
            self._allow(moved.municipality_id)
            values["municipality_id"] = moved.municipality_id
        if self.context.public is not None and etype.owned:
            values["public"] = self.context.public
        if values:
            service.update_entity(self.session, kind=etype.name, entity_id=entity_id, values=values)
        self._children(etype, entity_id, data, "body", owner, skip=None, creating=False)

    def json_patch(self, etype: EntityType, entity_id: int, operations: Any) -> None:
        """RFC 6902 operations on the entity's properties."""
        if not isinstance(operations, list):
            raise invalid("body", "a JSON Patch is an array of operations")
        current = self._current(etype, entity_id)
        try:
            patched = jsonpatch.apply_patch(current, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
            raise invalid("body", f"the JSON Patch cannot be applied: {exc}") from exc
        if not isinstance(patched, dict):
            raise invalid("body", "the JSON Patch must leave an object")
        changed = {k: v for k, v in patched.items() if current.get(k) != v}
        for key in current:
            if key not in patched:
                changed[key] = None
        self.update(etype, entity_id, changed, replace=False)

    def _current(self, etype: EntityType, entity_id: int) -> dict[str, Any]:
        selection = Selection.of(etype, None)
        model = etype.model
        columns = [getattr(model, c).label(c) for c in sorted(selection.columns(etype))]
        row = self.session.execute(select(*columns).where(model.id == entity_id)).first()
        if row is None:
            raise NotFound(detail=f"No {etype.name} with id {entity_id}.")
        mapping = row._mapping
        return {p.name: value_of(p, mapping, etype) for p in selection.props if p.writable}

    # --- delete -------------------------------------------------------------------------

    def delete(self, etype: EntityType, entity_id: int) -> None:
        owner = self.owner_of(etype, entity_id)
        self._allow(owner.municipality_id)
        if etype.name == "Location":
            for thing_id in self.session.scalars(
                select(Thing.id).where(Thing.id.in_(_things_at(entity_id)))
            ):
                self._allow(self.owner_of(entity_type("Thing"), thing_id).municipality_id)
        service.delete_entity(self.session, kind=etype.name, entity_id=entity_id)

    def delete_observations(self, condition: Any) -> int:
        """Delete the Observations meeting ``condition`` (a filtered DELETE); how many."""
        streams = self.session.execute(
            select(Observation.datastream_id, Observation.multi_datastream_id)
            .where(condition)
            .distinct()
        ).all()
        for datastream_id, multi_id in streams:
            if datastream_id is not None:
                self._allow(self.owner_of(entity_type("Datastream"), datastream_id).municipality_id)
            if multi_id is not None:
                self._allow(self.owner_of(entity_type("MultiDatastream"), multi_id).municipality_id)
        deleted = 0
        while True:
            ids = list(self.session.scalars(select(Observation.id).where(condition).limit(10_000)))
            if not ids:
                return deleted
            deleted += service.delete_observations(self.session, ids=ids)


def _things_at(location_id: int) -> Any:
    return select(thing_locations.c.thing_id).where(thing_locations.c.location_id == location_id)


def _is_link(item: Any) -> bool:
    return isinstance(item, dict) and "@iot.id" in item


def _back_link(etype: EntityType, parent: Parent | None) -> Nav | None:
    """The navigation of the new entity that points back at its parent (Datastream.Thing
    for a Datastream created in Things(1)/Datastreams)."""
    if parent is None or parent.nav.remote is None:
        return None
    for nav in etype.navs:
        if nav.local == parent.nav.remote and entity_type(nav.target) is parent.etype:
            return nav
    return None


def _needs(etype: EntityType, nav: Nav) -> bool:
    required = {
        "Datastream": {"Thing", "Sensor", "ObservedProperty"},
        "MultiDatastream": {"Thing", "Sensor"},
        "HistoricalLocation": {"Thing"},
        "TaskingCapability": {"Thing", "Actuator"},
        "Task": {"TaskingCapability"},
    }
    return nav.name in required.get(etype.name, set())


def _default(prop: Prop) -> dict[str, Any]:
    """Column values of a property left out of a create or PUT."""
    if prop.name == "description":
        return {prop.column: ""}
    if prop.kind in (Kind.TIME, Kind.INTERVAL):
        return dict.fromkeys(prop.columns)
    if prop.name in ("observationType",):
        return {prop.column: MULTI_OBSERVATION}
    return {c: None for c in prop.columns if c != "geom"}


MULTI_OBSERVATION = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation"


def _parse(prop: Prop, raw: Any, where: str) -> dict[str, Any]:
    """Column values of one property from its JSON value, or a 400 naming it."""
    kind = prop.kind
    if isinstance(raw, str | dict | list):
        _check_content(prop, raw, where)
    if kind is Kind.TEXT:
        if raw is None and prop.name == "description":
            return {prop.column: ""}
        if not isinstance(raw, str):
            raise invalid(where, "must be a string")
        if prop.required and not raw.strip():
            raise invalid(where, "must not be empty")
        return {prop.column: raw}
    if kind is Kind.JSON or kind is Kind.DOCUMENT:
        if prop.name in OBJECTS and not isinstance(raw, dict):
            raise invalid(where, "must be a JSON object")
        if prop.name in OPTIONAL_OBJECTS and raw is not None and not isinstance(raw, dict):
            raise invalid(where, "must be a JSON object")
        if prop.name == "unitOfMeasurements" and (
            not isinstance(raw, list) or not all(isinstance(u, dict) for u in raw)
        ):
            raise invalid(where, "must be an array of unitOfMeasurement objects")
        if prop.name == "multiObservationDataTypes" and (
            not isinstance(raw, list) or not raw or not all(isinstance(u, str) for u in raw)
        ):
            raise invalid(where, "must be a non-empty array of observation type strings")
        if raw is None and prop.required:
            raise invalid(where, "must not be null")
        return {prop.columns[0]: raw}
    if kind is Kind.INSTANT:
        if raw is None:
            if not prop.nullable:
                raise invalid(where, "must not be null")
            return {prop.column: None}
        return {prop.column: _time(parse_instant, raw, where)}
    if kind is Kind.TIME:
        if raw is None:
            return {prop.columns[0]: None, prop.columns[1]: None}
        start, end = _time(parse_time, raw, where)
        return {prop.columns[0]: start, prop.columns[1]: start if end is None else end}
    if kind is Kind.INTERVAL:
        if raw is None:
            return {prop.columns[0]: None, prop.columns[1]: None}
        start, end = _time(parse_interval, raw, where)
        return {prop.columns[0]: start, prop.columns[1]: end}
    raise invalid(where, "cannot be set")  # pragma: no cover


def _check_content(prop: Prop, raw: str | dict[str, Any] | list[Any], where: str) -> None:
    """No NUL character (PostgreSQL stores none), and no more than the limits allow."""
    if isinstance(raw, str):
        if "\x00" in raw:
            raise invalid(where, NUL_REFUSED)
        if len(raw) > MAX_TEXT_CHARS:
            raise invalid(where, TEXT_TOO_LONG)
        return
    encoded = orjson.dumps(raw)
    if b"\\u0000" in encoded:
        raise invalid(where, NUL_REFUSED)
    if prop.kind is Kind.DOCUMENT:
        if len(encoded) > MAX_DOCUMENT_BYTES:
            raise invalid(where, DOCUMENT_TOO_LARGE)
    elif len(encoded) > MAX_JSON_BYTES:
        raise invalid(where, JSON_TOO_LARGE)


def _time(parser: Any, raw: Any, where: str) -> Any:
    try:
        return parser(raw, field=where)
    except ValidationFailed as exc:
        reason = exc.errors[0].reason if exc.errors else str(exc)
        raise invalid(where, reason) from None
