"""Reading: resource paths to SQL, collections with the query options, ``$expand`` levels.

* A path is resolved step by step into a condition on its last entity type; each step that
  names one entity checks that it exists (and may be seen), so ``Things(9)/Datastreams`` is a
  404 when Thing 9 is not there, never an empty list.
* A collection is one query (``$filter``, ``$orderby``, ``$skip``, ``$top`` + 1 rows to know
  whether a next page exists); ``$count`` is one more, or none at all for the Observations
  of a Datastream, whose count the Datastream keeps.
* Each ``$expand`` level is one query for all parents together; ``$top``/``$skip`` per parent
  are a per-parent index scan that stops after the page (a LATERAL join on PostgreSQL, a
  correlated ``IN (… LIMIT)`` on SQLite), and a stream's newest Observation is the pointer
  the stream keeps; the time does not grow with the table.
* Every query asks the read's :class:`~.budget.Budget` first: how many rows it may still
  fetch, whether time is left; what is built is weighed as it joins its parents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from allmende.core.errors import NotFound
from allmende.identity.permissions import readable_municipalities, visible
from allmende.identity.principal import Principal
from allmende.identity.service import municipality_id_named
from allmende.standards.sensorthings.budget import Budget, Limits
from allmende.standards.sensorthings.model import EntityType, Nav, entity_type
from allmende.standards.sensorthings.paths import ResourcePath
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.compiler import Compiler, Scope, Visibility
from allmende.standards.sensorthings.query.parser import QueryError
from allmende.standards.sensorthings.render import Renderer, Selection
from allmende.standards.sensorthings.writer import SCOPE
from allmende.storage.geometry import GeoJSONGeometry, Geometry
from allmende.storage.id_sets import IntegerSet, in_set, in_set_parameter

NEXT_LINK = "@iot.nextLink"
COUNT = "@iot.count"
MAX_ROW_NUMBER = 2**63 - 1


def visibility_for(principal: Principal) -> Visibility:
    """Which rows the caller may read: public ones, and internal ones of the municipalities
    it may read (an Observation as its Datastream, a HistoricalLocation as its Thing)."""
    if readable_municipalities(principal, scope=SCOPE) is None:
        return lambda etype, table: None

    def condition(etype: EntityType, table: Any) -> ColumnElement[bool] | None:
        if etype.owned:
            return visible(principal, table.municipality_id, table.public, scope=SCOPE)
        tests: list[tuple[Any, ColumnElement[bool]]] = []
        for name in etype.owners:
            nav = etype.nav(name)
            assert nav is not None and nav.local is not None
            owner_type = entity_type(nav.target)
            owner = aliased(owner_type.model)
            seen = condition(owner_type, owner)
            key = getattr(table, nav.local)
            tests.append(
                (key, key.in_(select(owner.id).where(seen if seen is not None else true())))
            )
        if len(tests) == 1:
            only: ColumnElement[bool] = tests[0][1]
            return only
        # An Observation follows its Datastream or its MultiDatastream. A CASE, not an OR:
        # SQLite would answer an OR through both indexes and sort everything it finds,
        # where a scan in id order stops after the first page.
        (first_key, first), (_, second) = tests
        return case((first_key.is_not(None), first), else_=second)

    return condition


@dataclass
class ReadContext:
    principal: Principal
    root: str  # absolute URL of the version root, e.g. https://host/v1.1
    default_top: int
    max_top: int
    limits: Limits
    deadline: float  # time.monotonic() by which the read must be done
    visibility: Visibility = field(init=False)
    #: What ``visibility`` depends on: the municipalities whose internal rows the caller
    #: reads (None: all), so statements built for one caller serve all alike.
    readable: frozenset[int] | None = field(init=False)
    renderer: Renderer = field(init=False)
    budget: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.visibility = visibility_for(self.principal)
        self.readable = readable_municipalities(self.principal, scope=SCOPE)
        self.renderer = Renderer(self.root)
        self.budget = Budget(self.limits, self.deadline)


@dataclass
class Target:
    """The rows a path names: a condition on ``etype``'s table."""

    etype: EntityType
    condition: ColumnElement[bool]
    single: bool
    #: The entity the last step navigated from, when there is one.
    parent: tuple[EntityType, int, Nav] | None = None
    #: That entity's municipality and visibility, when it is owned (read on the way).
    parent_owner: tuple[int, bool] | None = None


def _implied(etype: EntityType, nav: Nav) -> bool:
    """Whether rows reached through ``nav`` are visible because their owner is."""
    if etype.owned or nav.remote is None:
        return False
    return any((etype.nav(o) or nav).local == nav.remote for o in etype.owners)


def resolve(session: Session, context: ReadContext, path: ResourcePath) -> Target:
    first = path.steps[0]
    etype = first.etype
    model = etype.model
    condition: ColumnElement[bool] = true()
    seen = context.visibility(etype, model)
    if seen is not None:
        condition = seen
    if first.id is not None:
        condition = and_(condition, model.id == first.id)
    target = Target(etype, condition, first.id is not None)
    for step in path.steps[1:]:
        nav = step.nav
        assert nav is not None
        previous = target
        columns = [previous.etype.model.id]
        if previous.etype.owned:
            columns += [previous.etype.model.municipality_id, previous.etype.model.public]
        if nav.local is not None:
            columns.append(getattr(previous.etype.model, nav.local))
        row = session.execute(select(*columns).where(previous.condition).limit(1)).first()
        if row is None:
            raise NotFound(detail=f"No {previous.etype.name} at this path.")
        parent_id = row[0]
        owner = (int(row[1]), bool(row[2])) if previous.etype.owned else None
        etype = entity_type(nav.target)
        model = etype.model
        if nav.local is not None:
            if row[-1] is None:
                raise NotFound(detail=f"{previous.etype.plural}({parent_id}) has no {nav.name}.")
            condition = model.id == row[-1]
        elif nav.remote is not None:
            condition = getattr(model, nav.remote) == parent_id
        else:
            assert nav.via is not None and nav.via_local and nav.via_remote
            condition = model.id.in_(
                select(nav.via.c[nav.via_remote]).where(nav.via.c[nav.via_local] == parent_id)
            )
        if not _implied(etype, nav):
            seen = context.visibility(etype, model)
            if seen is not None:
                condition = and_(condition, seen)
        if step.id is not None:
            condition = and_(condition, model.id == step.id)
        target = Target(etype, condition, step.single, (previous.etype, parent_id, nav), owner)
    return target


def in_municipality(session: Session, target: Target, named: str) -> Target:
    """The rows of ``target`` that belong to one municipality (``?municipality=<key or id>``,
    an extension for regions: one town's Things, Datastreams…). Only entities with a
    municipality of their own are filtered so; the others follow theirs (an Observation its
    Datastream's), and the request names those."""
    etype = target.etype
    if not etype.owned:
        raise QueryError(
            detail=f"municipality: {etype.plural} belong to the municipality of their "
            f"{' or '.join(etype.owners)}; filter those, e.g. "
            f"{entity_type(etype.owners[0]).plural}?municipality={named[:40]}."
        )
    found = municipality_id_named(session, named)
    if found is None:
        raise QueryError(detail=f"municipality: no municipality '{named[:60]}'.")
    condition = and_(target.condition, etype.model.municipality_id == found)
    return replace(target, condition=condition)


# --- columns ---------------------------------------------------------------------------------


def columns_for(
    etype: EntityType,
    selection: Selection,
    expands: Sequence[ast.Expand],
    extra: Sequence[str] = (),
) -> list[Any]:
    wanted = selection.columns(etype) | set(extra)
    for item in expands:
        nav = etype.nav(item.path[0])
        if nav is not None and nav.local is not None:
            wanted.add(nav.local)
    model = etype.model
    return [_output(getattr(model, name)).label(name) for name in sorted(wanted)]


def _output(column: Any) -> Any:
    """A column as the renderer reads it: a geometry as GeoJSON."""
    if isinstance(column.type, Geometry):
        return type_coerce(column, GeoJSONGeometry())
    return column


# --- collections -----------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[Mapping[Any, Any]]
    count: int | None
    more: bool


def order_by(
    compiler: Compiler,
    scope: Scope,
    orderby: Sequence[ast.OrderBy],
    *,
    one_stream: bool,
) -> list[Any]:
    """ORDER BY keys; the id last, so pages are stable.

    ``one_stream``: the rows are the Observations of one (Multi)Datastream. Ordered by
    phenomenonTime they need no id, since ``(phenomenon_time, phenomenon_time_end)`` is unique
    per stream: the order of the stream's index, so the page comes straight from it. Any
    other order ends with ``id + 0``, which no index provides: a planner that walked the
    primary key in id order to stop after one page would read the whole table for a stream
    whose rows lie far apart; this way it reads the stream's rows through its index."""
    keys: list[Any] = []
    for item in orderby:
        node = item.expression
        if not _reads_a_property(node):
            compiler.order_keys(node, scope)  # still checked for mistakes
            continue  # a constant orders nothing (and PostgreSQL refuses it)
        simple = _simple_member(node, scope.etype)
        if one_stream and simple == "phenomenonTime":
            for column in (scope.table.phenomenon_time, scope.table.phenomenon_time_end):
                keys.append(column.desc() if item.descending else column.asc())
            return keys
        for key in compiler.order_keys(node, scope):
            nullable = simple is None or _nullable(scope.etype, simple)
            ordered = key.desc() if item.descending else key.asc()
            if nullable:
                ordered = ordered.nulls_last() if item.descending else ordered.nulls_first()
            keys.append(ordered)
    identity = scope.table.id + literal_column("0") if one_stream else scope.table.id
    keys.append(identity.desc() if orderby and orderby[-1].descending else identity)
    return keys


def _reads_a_property(node: ast.Node) -> bool:
    if isinstance(node, ast.Member):
        return True
    if isinstance(node, ast.Binary):
        return _reads_a_property(node.left) or _reads_a_property(node.right)
    if isinstance(node, ast.Not | ast.Negative):
        return _reads_a_property(node.operand)
    if isinstance(node, ast.Call):
        return any(_reads_a_property(a) for a in node.args)
    if isinstance(node, ast.In):
        return _reads_a_property(node.value) or any(_reads_a_property(i) for i in node.items)
    return False


def _simple_member(node: ast.Node, etype: EntityType) -> str | None:
    if isinstance(node, ast.Member) and node.lambda_ is None and len(node.segments) == 1:
        segment = node.segments[0]
        if not segment.indexes and etype.prop(segment.name) is not None:
            return segment.name
    return None


def _nullable(etype: EntityType, name: str) -> bool:
    prop = etype.prop(name)
    return prop is None or prop.nullable


def fetch_page(
    session: Session,
    context: ReadContext,
    target: Target,
    options: ast.QueryOptions,
    columns: list[Any],
) -> Page:
    etype = target.etype
    model = etype.model
    scope = Scope(etype, model)
    condition = target.condition
    if options.filter is not None:
        compiler = Compiler("$filter", context.visibility)
        condition = and_(condition, compiler.condition(options.filter, scope))
    count = None
    if options.count:
        count = _count(session, context, target, condition, filtered=options.filter is not None)
    top = _top(context, options.top)
    keys = order_by(
        Compiler("$orderby", context.visibility),
        scope,
        options.orderby,
        one_stream=_one_stream(target),
    )
    query = select(*columns).where(condition).order_by(*keys)
    if options.skip:
        query = query.offset(options.skip)
    query = query.limit(top + 1)
    context.budget.check_time()
    rows: list[Mapping[Any, Any]] = [r._mapping for r in session.execute(query)]
    context.budget.took(len(rows))
    more = len(rows) > top
    return Page(rows[:top], count, more)


def _top(context: ReadContext, requested: int | None) -> int:
    if requested is None:
        return context.default_top
    return min(requested, context.max_top)


def _one_stream(target: Target) -> bool:
    return (
        target.etype.name == "Observation"
        and target.parent is not None
        and target.parent[0].name in ("Datastream", "MultiDatastream")
    )


def _count(
    session: Session,
    context: ReadContext,
    target: Target,
    condition: ColumnElement[bool],
    *,
    filtered: bool,
) -> int:
    """``$count``. The Observations of a Datastream (or all Observations) are counted from
    the counts the Datastreams keep: constant time at any table size."""
    if target.etype.name == "Observation" and not filtered:
        if _one_stream(target) and target.parent is not None:
            stream = target.parent[0].model
            kept = session.scalar(
                select(stream.observation_count).where(stream.id == target.parent[1])
            )
            return int(kept or 0)
        if target.parent is None:
            total = 0
            for name in ("Datastream", "MultiDatastream"):
                stream_type = entity_type(name)
                stream = stream_type.model
                seen = context.visibility(stream_type, stream)
                query = select(func.coalesce(func.sum(stream.observation_count), 0))
                if seen is not None:
                    query = query.where(seen)
                total += int(session.scalar(query) or 0)
            return total
    model = target.etype.model
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


# --- $expand ---------------------------------------------------------------------------------


def _normalise(
    expands: Sequence[ast.Expand], etype: EntityType
) -> dict[str, tuple[Nav, ast.QueryOptions]]:
    """Merge ``A/B`` paths into nested options and check the names."""
    merged: dict[str, tuple[Nav, ast.QueryOptions]] = {}
    for item in expands:
        nav = etype.nav(item.path[0])
        if nav is None:
            names = ", ".join(n.name for n in etype.navs)
            raise QueryError.at(
                "$expand",
                item.position,
                f"{etype.name} has no navigation property '{item.path[0]}' (known: {names})",
            )
        if len(item.path) > 1:
            options = ast.QueryOptions(
                expand=[ast.Expand(item.path[1:], item.options, item.position)]
            )
        else:
            options = item.options
        if nav.name in merged:
            existing = merged[nav.name][1]
            existing.expand = [*existing.expand, *options.expand]
            for name in ("filter", "select", "orderby", "top", "count"):
                value = getattr(options, name)
                if value not in (None, []):
                    setattr(existing, name, value)
            if options.skip:
                existing.skip = options.skip
            existing.raw.update(options.raw)
        else:
            merged[nav.name] = (
                nav,
                ast.QueryOptions(
                    filter=options.filter,
                    select=options.select,
                    expand=list(options.expand),
                    orderby=list(options.orderby),
                    top=options.top,
                    skip=options.skip,
                    count=options.count,
                    raw=dict(options.raw),
                ),
            )
    return merged


def expand(
    session: Session,
    context: ReadContext,
    etype: EntityType,
    rows: Sequence[Mapping[Any, Any]],
    outputs: Sequence[dict[str, Any]],
    expands: Sequence[ast.Expand],
) -> None:
    """Attach the expanded entities to ``outputs`` (one query per navigation and level)."""
    if not rows or not expands:
        return
    for nav, options in _normalise(expands, etype).values():
        target = entity_type(nav.target)
        selection = Selection.of(target, options.select)
        columns = columns_for(target, selection, options.expand)
        if nav.many:
            _expand_set(
                session, context, etype, nav, target, rows, outputs, options, selection, columns
            )
        else:
            _expand_one(session, context, nav, target, rows, outputs, options, selection, columns)


def _filter(
    context: ReadContext,
    options: ast.QueryOptions,
    target: EntityType,
    table: Any,
    implied: bool = False,
) -> Any:
    """The expand's ``$filter`` and what the caller may see (nothing to check when the rows
    are visible because their parent is: ``implied``)."""
    condition: Any = true()
    seen = None if implied else context.visibility(target, table)
    if seen is not None:
        condition = seen
    if options.filter is not None:
        compiler = Compiler("$expand($filter)", context.visibility)
        condition = and_(condition, compiler.condition(options.filter, Scope(target, table)))
    return condition


def _expand_one(
    session: Session,
    context: ReadContext,
    nav: Nav,
    target: EntityType,
    rows: Sequence[Mapping[Any, Any]],
    outputs: Sequence[dict[str, Any]],
    options: ast.QueryOptions,
    selection: Selection,
    columns: list[Any],
) -> None:
    assert nav.local is not None
    keys = sorted({r[nav.local] for r in rows if r[nav.local] is not None})
    found: dict[int, Mapping[Any, Any]] = {}
    model = target.model
    budget = context.budget
    if keys:
        condition = _filter(context, options, target, model)
        query = select(*columns).where(in_set(model.id, keys), condition)
        budget.check_time()
        for record in session.execute(query.limit(budget.rows_allowed())):
            found[record._mapping["id"]] = record._mapping
        budget.took(len(found))
    children = list(found.values())
    rendered = {
        r["id"]: context.renderer.entity(target, r, selection, links=not selection.everything)
        for r in children
    }
    for item in rendered.values():
        budget.weigh(item)
    expand(
        session, context, target, children, [rendered[r["id"]] for r in children], options.expand
    )
    for row, output in zip(rows, outputs, strict=True):
        key = row[nav.local]
        child = rendered.get(key) if key is not None else None
        output[nav.name] = child
        if child is not None:
            budget.attach(output, child)


def _expand_set(
    session: Session,
    context: ReadContext,
    parent_type: EntityType,
    nav: Nav,
    target: EntityType,
    rows: Sequence[Mapping[Any, Any]],
    outputs: Sequence[dict[str, Any]],
    options: ast.QueryOptions,
    selection: Selection,
    columns: list[Any],
) -> None:
    parent_ids = list(dict.fromkeys(r["id"] for r in rows))
    top = _top(context, options.top)
    budget = context.budget
    budget.check_time()
    grouped: dict[int, list[Mapping[Any, Any]]] = defaultdict(list)
    more: set[int] = set()
    totals: dict[int, int] = {}
    parameters = {"parents": parent_ids, "budget": budget.rows_allowed()}
    if _newest_only(parent_type, nav, options):
        key: tuple[Any, ...] = ("newest", parent_type.name, _names(columns))
        query = _remembered(key, lambda: _newest(parent_type, columns))
        for record in session.execute(query, parameters):
            parent = record._mapping["__parent"]
            grouped[parent].append(record._mapping)
            totals[parent] = int(record._mapping["__total"] or 0)
        more = {parent for parent, total in totals.items() if total > top}
    else:
        dialect = session.get_bind().dialect.name

        def build() -> Select[Any]:
            return _per_parent(dialect, context, parent_type, nav, target, options, columns, top)

        # A $filter or $orderby may hold now(), compiled as the time of the read.
        if options.filter is None and "now(" not in options.raw.get("orderby", ""):
            orderby = options.raw.get("orderby")
            key = (dialect, parent_type.name, nav.name, _names(columns), orderby, options.skip)
            query = _remembered((*key, top, context.readable), build)
        else:
            query = build()
        for record in session.execute(query, parameters):
            grouped[record._mapping["__parent"]].append(record._mapping)
        more = {parent for parent, found in grouped.items() if len(found) > top}
    budget.took(sum(len(found) for found in grouped.values()))
    counts: dict[int, int] = {}
    if options.count:
        budget.check_time()
        counts = _expand_counts(session, context, parent_type, nav, target, parent_ids, options)
    children: list[Mapping[Any, Any]] = []
    rendered: list[dict[str, Any]] = []
    per_parent: list[list[dict[str, Any]]] = []
    for row in rows:
        items = []
        for child in grouped.get(row["id"], [])[:top]:
            item = context.renderer.entity(target, child, selection, links=not selection.everything)
            budget.weigh(item)
            items.append(item)
            children.append(child)
            rendered.append(item)
        per_parent.append(items)
    # What is expanded into the children first, so their weight is known when they join.
    expand(session, context, target, children, rendered, options.expand)
    next_query = _expand_query(options, top) if more else ""
    for row, output, items in zip(rows, outputs, per_parent, strict=True):
        output[nav.name] = items
        for item in items:
            budget.attach(output, item)
        if options.count:
            output[f"{nav.name}@iot.count"] = counts.get(row["id"], 0)
        if top and row["id"] in more:  # $top=0: no next page (it would be this one again)
            link = f"{context.renderer.self_link(parent_type, row['id'])}/{nav.name}"
            output[f"{nav.name}@iot.nextLink"] = f"{link}?{next_query}"


def _stream_observations(parent_type: EntityType, nav: Nav) -> bool:
    """Whether ``nav`` leads from a (Multi)Datastream to its Observations: each parent's rows
    are then one stream's, ordered by the unique ``(stream, phenomenonTime)`` index."""
    return nav.name == "Observations" and parent_type.name in ("Datastream", "MultiDatastream")


def _newest_only(parent_type: EntityType, nav: Nav, options: ast.QueryOptions) -> bool:
    """Whether the expand asks for exactly each stream's newest Observation (the dashboard's
    ``Observations($orderby=phenomenonTime desc;$top=1)``): the stream's pointer answers it."""
    if not _stream_observations(parent_type, nav) or options.filter is not None:
        return False
    if options.top != 1 or options.skip or len(options.orderby) != 1:
        return False
    (order,) = options.orderby
    node = order.expression
    return (
        order.descending
        and isinstance(node, ast.Member)
        and node.lambda_ is None
        and len(node.segments) == 1
        and node.segments[0].name == "phenomenonTime"
        and not node.segments[0].indexes
    )


#: Statements of ``$expand`` levels, by their shape (a level without ``$filter``): building
#: one costs more than running it. The parents and the row budget are parameters.
_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}
_MAX_STATEMENTS = 256


def _remembered(key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    found = _STATEMENTS.get(key)
    if found is None:
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = build()
    return found


def _names(columns: Sequence[Any]) -> tuple[str, ...]:
    return tuple(column.key for column in columns)


_PARENTS = bindparam("parents", type_=IntegerSet())
_BUDGET = bindparam("budget", type_=Integer())


def _newest(parent_type: EntityType, columns: list[Any]) -> Select[Any]:
    """Each stream's latest Observation through the pointer the ingest keeps (a primary-key
    join), with the stream's count to tell whether there are more."""
    stream = parent_type.model
    model = entity_type("Observation").model
    return (
        select(
            *columns,
            stream.id.label("__parent"),
            stream.observation_count.label("__total"),
        )
        .select_from(stream)
        .join(model, model.id == stream.latest_observation_id)
        .where(in_set_parameter(stream.id, "parents"))
        .limit(_BUDGET)
    )


def _per_parent(
    dialect: str,
    context: ReadContext,
    parent_type: EntityType,
    nav: Nav,
    target: EntityType,
    options: ast.QueryOptions,
    columns: list[Any],
    top: int,
) -> Select[Any]:
    """Each parent's page of children (``$filter``, ``$orderby``, ``$skip``, ``$top`` + 1)
    as one query that reads only those rows: per parent an index scan that stops after the
    page, never a ranking of every child of every parent.

    PostgreSQL joins a LATERAL subquery to the parent ids. SQLite has no LATERAL: each
    parent's child ids come from a correlated ``IN (… LIMIT)`` subquery, and the outer query
    puts the few rows found in order by the same keys."""
    model = target.model
    one_stream = _stream_observations(parent_type, nav)
    compiler = Compiler("$expand($orderby)", context.visibility)
    implied = _implied(target, nav)
    limit = min(top + 1, MAX_ROW_NUMBER - options.skip)

    def page(table: Any, selected: Sequence[Any], parent: Any) -> Select[Any]:
        query = select(*selected)
        if nav.remote is not None:
            parent_key = getattr(table, nav.remote)
        else:
            assert nav.via is not None and nav.via_local and nav.via_remote
            via = nav.via.alias()
            query = query.join(via, via.c[nav.via_remote] == table.id)
            parent_key = via.c[nav.via_local]
        keys = order_by(compiler, Scope(target, table), options.orderby, one_stream=one_stream)
        return (
            query.where(parent_key == parent, _filter(context, options, target, table, implied))
            .order_by(*keys)
            .offset(options.skip)
            .limit(limit)
        )

    if dialect == "postgresql":
        parents = func.unnest(_PARENTS).table_valued("id").render_derived(name="parent")
        children = page(model, columns, parents.c.id).lateral("child")
        return (
            select(parents.c.id.label("__parent"), *children.c)
            .select_from(parents)
            .join(children, true())
            .limit(_BUDGET)
        )
    parents = func.json_each(_PARENTS).table_valued("value", name="parent")
    alias = aliased(model)
    keys = order_by(compiler, Scope(target, model), options.orderby, one_stream=one_stream)
    return (
        select(*columns, parents.c.value.label("__parent"))
        .select_from(parents)
        .join(model, model.id.in_(page(alias, [alias.id], parents.c.value)))
        .order_by(parents.c.value, *keys)
        .limit(_BUDGET)
    )


def _expand_counts(
    session: Session,
    context: ReadContext,
    parent_type: EntityType,
    nav: Nav,
    target: EntityType,
    parent_ids: list[int],
    options: ast.QueryOptions,
) -> dict[int, int]:
    """``$count`` per parent: a stream's Observations from the count it keeps, anything else
    counted (only the parents' rows, through the parent key's index)."""
    if _stream_observations(parent_type, nav) and options.filter is None:
        stream = parent_type.model
        kept = select(stream.id, stream.observation_count).where(in_set(stream.id, parent_ids))
        return {parent: int(count or 0) for parent, count in session.execute(kept)}
    model = target.model
    counted = select(func.count()).select_from(model)
    if nav.remote is not None:
        parent_key = getattr(model, nav.remote)
    else:
        assert nav.via is not None and nav.via_local and nav.via_remote
        via = nav.via.alias()
        counted = counted.join(via, via.c[nav.via_remote] == model.id)
        parent_key = via.c[nav.via_local]
    condition = _filter(context, options, target, model, _implied(target, nav))
    query = counted.add_columns(parent_key).where(in_set(parent_key, parent_ids), condition)
    return {parent: int(count) for count, parent in session.execute(query.group_by(parent_key))}


def _expand_query(options: ast.QueryOptions, top: int) -> str:
    pairs = [(f"${k}", v) for k, v in options.raw.items() if k not in ("top", "skip")]
    pairs += [("$top", str(top)), ("$skip", str(options.skip + top))]
    return "&".join(f"{k}={quote(v, safe='$(),;=:/*@')}" for k, v in pairs)
