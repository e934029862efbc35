"""Compiles parsed ``$filter`` and ``$orderby`` expressions to SQLAlchemy, the same on both
backends (see :mod:`.sql` for the constructs spelled differently).

Values are typed (:class:`Value`): numbers, strings, booleans, times (instants, intervals, or
both, as the Observation's phenomenonTime), durations, geometries, and the two loosely typed
kinds, JSON paths (``properties/a/b``) and an Observation's ``result``: those take the type of
what they are compared with — a string compares their text form (``result gt '3'`` is a string
comparison, as the OGC tests expect), a number only numbers, a boolean only booleans.

Paths across navigation properties (``Datastream/Thing/name``) are compiled per condition:
when a condition reads one path only, it becomes a membership test against the related
entity (``datastream_id IN (SELECT … WHERE …)``), so indexes are used and a to-many path means
"any"; a condition that mixes paths reads to-one paths through correlated subqueries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    bindparam,
    case,
    false,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from allmende.sensing.models import ResultKind
from allmende.sensing.times import MAX_MICROS, MIN_MICROS, now_micros
from allmende.standards.sensorthings.model import EntityType, Kind, Nav, Prop, entity_type
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.functions import FUNCTIONS
from allmende.standards.sensorthings.query.parser import QueryError, parse
from allmende.standards.sensorthings.query.sql import (
    AsText,
    Divide,
    JsonArrayHas,
    JsonValue,
    Modulo,
)
from allmende.standards.sensorthings.query.temporal import (
    cases,
    is_instant,
    relation_case,
    sargable,
)
from allmende.standards.sensorthings.query.values import (
    NOTHING,
    T,
    Value,
    instant,
    integer,
    operate,
)
from allmende.storage.spatial import geometry_param

#: The condition that makes rows of an entity type visible to the caller (None: all are).
Visibility = Callable[[EntityType, Any], ColumnElement[bool] | None]
INT64 = 2**63 - 1
#: How far time arithmetic may reach: fifty times the supported range of times (about 70 000
#: years), so that any sum of times and durations stays far inside 64-bit microseconds.
MAX_REACH = 50 * (MAX_MICROS - MIN_MICROS)


@dataclass
class Scope:
    """An entity type and the table (or alias) its rows come from."""

    etype: EntityType
    table: Any
    variable: str | None = None  # the lambda variable naming this scope


@dataclass(frozen=True)
class Ref:
    """A member path resolved: navigation hops, then a property and a path inside it."""

    hops: tuple[Nav, ...]
    etype: EntityType
    prop: Prop
    path: tuple[str | int, ...]
    position: int


@dataclass
class Compiler:
    """Compiles the expressions of one option (``option`` names it in error messages)."""

    option: str
    visibility: Visibility
    now: int = field(default_factory=now_micros)

    # --- entry points -------------------------------------------------------------------

    def condition(self, node: ast.Node, scope: Scope) -> ColumnElement[bool]:
        return self._predicate(node, scope)

    def order_keys(self, node: ast.Node, scope: Scope) -> list[Any]:
        """Sort keys of an ``$orderby`` expression (a value, never a membership test)."""
        value = self._value(node, scope, correlate=True)
        if value.type is T.TIME:
            keys = [value.start]
            if value.end is not None:
                keys.append(value.end)
            return keys
        if value.type is T.RESULT:
            assert value.result is not None
            return [value.result[1], value.result[2]]
        if value.type is T.JSON:
            return [
                JsonValue(value.column, value.path, "number"),
                JsonValue(value.column, value.path, "text"),
            ]
        if value.type is T.GEOMETRY:
            if not value.bbox:
                raise self.error(node, "cannot order by a geometry literal")
            # A stable key the same on both backends: the bounding box, west/south corner
            # first (docs/sensorthings.md); geo.distance(…) orders by nearness instead.
            return list(value.bbox)
        return [value.sql]

    # --- conditions ---------------------------------------------------------------------

    def _predicate(self, node: ast.Node, scope: Scope) -> ColumnElement[bool]:
        if isinstance(node, ast.Binary) and node.op in ("and", "or"):
            left = self._predicate(node.left, scope)
            right = self._predicate(node.right, scope)
            return and_(left, right) if node.op == "and" else or_(left, right)
        if isinstance(node, ast.Not):
            return not_(self._predicate(node.operand, scope))
        if isinstance(node, ast.Member) and node.lambda_ is not None:
            return self._lambda(node, scope)
        return self._atom(node, scope)

    def _atom(self, node: ast.Node, scope: Scope) -> ColumnElement[bool]:
        """One condition. If it reads through one navigation path only, it is evaluated on
        the related entity and becomes a membership test (indexed, and 'any' for sets)."""
        chains = {tuple(n.name for n in ref.hops) for ref in self._refs(node, scope)}
        if len(chains) == 1 and () not in chains:
            hops = next(iter(self._refs(node, scope))).hops
            target = _scope_for(hops[-1].target)
            inner = self._as_condition(
                self._value(node, target, prefix=len(hops), outer=scope), node
            )
            return self._membership(scope, hops, target, inner)
        return self._as_condition(self._value(node, scope, correlate=True), node)

    def _lambda(self, node: ast.Member, scope: Scope) -> ColumnElement[bool]:
        assert node.lambda_ is not None
        ref_hops, etype = self._walk(node, scope)
        if not ref_hops or not ref_hops[-1].many:
            raise self.error(node, "any() and all() need a path that ends in an entity set")
        target = _scope_for(etype.name, variable=node.lambda_.variable)
        quantifier = node.lambda_.quantifier
        body = node.lambda_.body
        if body is None:
            inner: ColumnElement[bool] = true()
            if quantifier == "all":
                return true()
        else:
            inner = self._predicate(body, target)
        if quantifier == "any":
            return self._membership(scope, tuple(ref_hops), target, inner)
        return not_(self._membership(scope, tuple(ref_hops), target, not_(inner)))

    def _membership(
        self, scope: Scope, hops: tuple[Nav, ...], target: Scope, condition: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        """Rows of ``scope`` related through ``hops`` to a ``target`` row meeting
        ``condition``, as nested IN subqueries from the target back to the scope."""
        tables = [*[_scope_for(n.target).table for n in hops[:-1]], target.table]
        etypes = [entity_type(n.target) for n in hops]
        current = condition
        for index in range(len(hops) - 1, -1, -1):
            nav = hops[index]
            near = tables[index]
            seen = self.visibility(etypes[index], near)
            if seen is not None:
                current = and_(current, seen)
            source = scope.table if index == 0 else tables[index - 1]
            current = _related(source, nav, near, current)
        return current

    def _as_condition(self, value: Value, node: ast.Node) -> ColumnElement[bool]:
        if value.type is T.BOOLEAN:
            if value.is_literal:
                return true() if value.literal else false()
            return value.sql  # type: ignore[no-any-return]
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "boolean") == true()
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, _, _ = value.result
            return and_(kind == ResultKind.BOOLEAN, number == 1)
        raise self.error(node, f"a {value.type} is not a condition")

    # --- members ------------------------------------------------------------------------

    def _refs(self, node: ast.Node, scope: Scope) -> Iterator[Ref]:
        """The member paths an expression reads (not those inside any()/all())."""
        if isinstance(node, ast.Member):
            if node.lambda_ is None:
                yield self._resolve(node, scope)
            else:  # any()/all() is a condition of its own, evaluated where it stands
                yield Ref((), scope.etype, scope.etype.props[0], (), node.position)
        elif isinstance(node, ast.Binary):
            yield from self._refs(node.left, scope)
            yield from self._refs(node.right, scope)
        elif isinstance(node, ast.Not | ast.Negative):
            yield from self._refs(node.operand, scope)
        elif isinstance(node, ast.Call):
            for arg in node.args:
                yield from self._refs(arg, scope)
        elif isinstance(node, ast.In):
            yield from self._refs(node.value, scope)
            for item in node.items:
                yield from self._refs(item, scope)

    def _segments(self, node: ast.Member, scope: Scope) -> list[ast.Segment]:
        segments = list(node.segments)
        if scope.variable is not None:
            if not segments or segments[0].name != scope.variable or segments[0].indexes:
                raise self.error(
                    node, f"inside any()/all() a path must start with '{scope.variable}/'"
                )
            segments = segments[1:]
        return segments

    def _walk(self, node: ast.Member, scope: Scope) -> tuple[list[Nav], EntityType]:
        """The navigation hops of a path made of navigation properties only."""
        hops: list[Nav] = []
        etype = scope.etype
        for segment in self._segments(node, scope):
            nav = etype.nav(segment.name)
            if nav is None or segment.indexes:
                raise self.error(
                    node, f"'{segment.name}' is not a navigation property of {etype.name}"
                )
            hops.append(nav)
            etype = entity_type(nav.target)
        return hops, etype

    def _resolve(self, node: ast.Member, scope: Scope) -> Ref:
        segments = self._segments(node, scope)
        if not segments:
            raise self.error(node, "a path needs a property")
        hops: list[Nav] = []
        etype = scope.etype
        index = 0
        while index < len(segments):
            segment = segments[index]
            nav = etype.nav(segment.name)
            if nav is None or segment.indexes:
                break
            hops.append(nav)
            etype = entity_type(nav.target)
            index += 1
        if index == len(segments):
            raise self.error(node, f"'{node.text}' ends in an entity; name one of its properties")
        first = segments[index]
        prop = etype.prop(first.name)
        if prop is None:
            names = sorted([p.name for p in etype.props] + [n.name for n in etype.navs])
            raise self.error(
                node,
                f"{etype.name} has no property '{first.name}' (known: {', '.join(names)})",
            )
        path: list[str | int] = list(first.indexes)
        for segment in segments[index + 1 :]:
            path.append(segment.name)
            path.extend(segment.indexes)
        if path and prop.kind not in (Kind.JSON, Kind.DOCUMENT, Kind.RESULT):
            raise self.error(node, f"'{prop.name}' has no parts to select with '/' or '[…]'")
        return Ref(tuple(hops), etype, prop, tuple(path), node.position)

    def _member(
        self, node: ast.Member, scope: Scope, *, prefix: int, outer: Scope | None, correlate: bool
    ) -> Value:
        if node.lambda_ is not None:
            base = outer or scope
            return Value(T.BOOLEAN, sql=self._lambda(node, base), position=node.position)
        ref = self._resolve(node, outer or scope) if prefix else self._resolve(node, scope)
        if prefix:
            # Evaluated on the related entity: the navigation hops are already taken.
            getter = _direct(scope.table)
            return _value_of(ref, getter, scope.table)
        if not ref.hops:
            return _value_of(ref, _direct(scope.table), scope.table)
        if not correlate:  # pragma: no cover - every caller correlates or hoists
            raise self.error(node, "cannot read through a navigation here")
        for nav in ref.hops:
            if nav.many:
                raise self.error(
                    node,
                    f"'{node.text}' crosses the entity set '{nav.name}'; compare it on its "
                    "own, or use any()",
                )
        return _value_of(ref, self._through(scope, ref.hops), None)

    def _through(self, scope: Scope, hops: tuple[Nav, ...]) -> Callable[[str], Any]:
        """Column reader along to-one navigation hops (correlated scalar subqueries)."""

        def column(name: str) -> Any:
            key: Any = getattr(scope.table, hops[0].local or "")
            for index, nav in enumerate(hops):
                etype = entity_type(nav.target)
                table = aliased(etype.model)
                wanted = name if index == len(hops) - 1 else hops[index + 1].local or ""
                query = select(getattr(table, wanted)).where(table.id == key)
                seen = self.visibility(etype, table)
                if seen is not None:
                    query = query.where(seen)
                # Correlate with the enclosing queries, however deep they are.
                key = query.correlate_except(table).scalar_subquery()
            return key

        return column

    # --- values -------------------------------------------------------------------------

    def _value(
        self,
        node: ast.Node,
        scope: Scope,
        *,
        prefix: int = 0,
        outer: Scope | None = None,
        correlate: bool = False,
    ) -> Value:
        def sub(child: ast.Node) -> Value:
            return self._value(child, scope, prefix=prefix, outer=outer, correlate=correlate)

        if isinstance(node, ast.Literal):
            return self._literal(node)
        if isinstance(node, ast.Member):
            return self._member(node, scope, prefix=prefix, outer=outer, correlate=correlate)
        if isinstance(node, ast.Negative):
            operand = sub(node.operand)
            if operand.type is T.DURATION:
                return replace(operand, sql=-operand.sql, literal=NOTHING, position=node.position)
            return Value(T.NUMBER, sql=-self.number_of(operand, node), position=node.position)
        if isinstance(node, ast.Not):
            inner = self._as_condition(sub(node.operand), node.operand)
            return Value(T.BOOLEAN, sql=not_(inner), position=node.position)
        if isinstance(node, ast.Binary):
            if node.op in ("and", "or"):
                left = self._as_condition(sub(node.left), node.left)
                right = self._as_condition(sub(node.right), node.right)
                sql = and_(left, right) if node.op == "and" else or_(left, right)
                return Value(T.BOOLEAN, sql=sql, position=node.position)
            left_value, right_value = sub(node.left), sub(node.right)
            if node.op in ("eq", "ne", "gt", "ge", "lt", "le"):
                return Value(
                    T.BOOLEAN,
                    sql=self._compare(node, node.op, left_value, right_value),
                    position=node.position,
                )
            return self._arithmetic(node, node.op, left_value, right_value)
        if isinstance(node, ast.In):
            return Value(T.BOOLEAN, sql=self._in(node, sub), position=node.position)
        if isinstance(node, ast.Call):
            return self._call(node, [sub(a) for a in node.args])
        raise self.error(node, "cannot be evaluated")  # pragma: no cover

    def _literal(self, node: ast.Literal) -> Value:
        value = node.value
        kind = node.kind
        if kind == "number":
            if isinstance(value, int) and not -INT64 - 1 <= value <= INT64:
                value = float(value)
            type_ = BigInteger() if isinstance(value, int) else Float()
            return Value(
                T.NUMBER,
                sql=bindparam(None, value, type_=type_),
                literal=value,
                position=node.position,
            )
        if kind == "string":
            return Value(T.STRING, sql=literal(value), literal=value, position=node.position)
        if kind == "boolean":
            return Value(
                T.BOOLEAN, sql=true() if value else false(), literal=value, position=node.position
            )
        if kind == "null":
            return Value(T.NULL, literal=None, position=node.position)
        if kind == "instant":
            return instant(value, node.position)
        if kind == "interval":
            start, end = value
            return Value(
                T.TIME,
                start=integer(start),
                end=integer(end),
                interval=True,
                literal=value,
                position=node.position,
            )
        if kind == "date":
            return Value(T.DATE, sql=integer(value), literal=value, position=node.position)
        if kind == "time":
            return Value(T.CLOCK, sql=integer(value), literal=value, position=node.position)
        if kind == "duration":
            return Value(
                T.DURATION,
                sql=integer(value),
                literal=value,
                position=node.position,
                reach=abs(value),
            )
        return Value(
            T.GEOMETRY,
            sql=geometry_param(value),
            shape=value,
            literal=value,
            position=node.position,
        )

    # --- conversions --------------------------------------------------------------------

    def number_of(self, value: Value, node: ast.Node) -> Any:
        if value.type in (T.NUMBER, T.DATE, T.CLOCK):
            return value.sql
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "number")
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, _, _ = value.result
            return case((kind.in_([ResultKind.INTEGER, ResultKind.FLOAT]), number), else_=None)
        raise self.error(node, f"a {value.type} is not a number")

    def text_of(self, value: Value, node: ast.Node) -> Any:
        if value.type is T.STRING:
            return value.sql
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "text")
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, text, _ = value.result
            return case(
                (kind.in_([ResultKind.STRING, ResultKind.BIG_INTEGER]), text),
                (kind.in_([ResultKind.INTEGER, ResultKind.FLOAT]), AsText(number)),
                (kind == ResultKind.BOOLEAN, case((number == 1, "true"), else_="false")),
                else_=None,
            )
        if value.type is T.NUMBER:
            return AsText(value.sql)
        raise self.error(node, f"a {value.type} is not a string")

    def boolean_of(self, value: Value, node: ast.Node) -> Any:
        if value.type is T.BOOLEAN:
            return value.sql
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "boolean")
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, _, _ = value.result
            return case((kind == ResultKind.BOOLEAN, number == 1), else_=None)
        raise self.error(node, f"a {value.type} is not a boolean")

    def time_of(self, value: Value, node: ast.Node) -> Value:
        if value.type is T.TIME:
            return value
        if value.type is T.DATE:
            return Value(T.TIME, start=value.sql, interval=False, position=value.position)
        if value.type is T.STRING and value.is_literal:
            parsed = parse(self.option, str(value.literal), "filter")
            if isinstance(parsed, ast.Literal) and parsed.kind in ("instant", "interval"):
                return self._literal(replace(parsed, position=value.position))
        raise self.error(node, f"a {value.type} is not a time")

    def geometry_of(self, value: Value, node: ast.Node) -> Value:
        if value.type is T.GEOMETRY:
            return value
        raise self.error(node, f"a {value.type} is not a geometry")

    # --- comparisons --------------------------------------------------------------------

    def _compare(self, node: ast.Node, op: str, a: Value, b: Value) -> ColumnElement[bool]:
        if a.type is T.NULL or b.type is T.NULL:
            other = b if a.type is T.NULL else a
            if op not in ("eq", "ne"):
                raise self.error(node, "null can only be compared with eq or ne")
            missing = self._is_null(other)
            return missing if op == "eq" else not_(missing)
        if T.TIME in (a.type, b.type):
            return self._temporal(node, op, self.time_of(a, node), self.time_of(b, node))
        if a.type is T.GEOMETRY or b.type is T.GEOMETRY:
            raise self.error(node, "compare geometries with st_equals() or geo.distance()")
        loose = (T.JSON, T.RESULT)
        if a.type in loose and b.type in loose:
            return operate(op, self.text_of(a, node), self.text_of(b, node))
        kinds = {a.type, b.type} - set(loose)
        if kinds == {T.STRING} or (len(kinds) == 2 and T.STRING in kinds):
            return operate(op, self.text_of(a, node), self.text_of(b, node))
        if T.BOOLEAN in kinds:
            if kinds != {T.BOOLEAN}:
                raise self.error(node, "a boolean can only be compared with a boolean")
            if op not in ("eq", "ne"):
                raise self.error(node, "booleans can only be compared with eq or ne")
            return operate(op, self.boolean_of(a, node), self.boolean_of(b, node))
        if T.DURATION in kinds:
            if a.type is not T.DURATION or b.type is not T.DURATION:
                raise self.error(node, "a duration can only be compared with a duration")
            return operate(op, a.sql, b.sql)
        return operate(op, self.number_of(a, node), self.number_of(b, node))

    def _is_null(self, value: Value) -> ColumnElement[bool]:
        if value.type is T.TIME:
            return value.start.is_(None)  # type: ignore[no-any-return]
        if value.type is T.JSON:
            kind = JsonValue(value.column, value.path, "type")
            return or_(kind.is_(None), kind == "null")
        if value.type is T.RESULT:
            assert value.result is not None
            return value.result[0] == ResultKind.NULL  # type: ignore[no-any-return]
        if value.is_literal:
            return false()
        return value.sql.is_(None)  # type: ignore[no-any-return]

    def _in(self, node: ast.In, sub: Callable[[ast.Node], Value]) -> ColumnElement[bool]:
        value = sub(node.value)
        if len(node.items) == 1 and isinstance(node.items[0], ast.Member):
            container = sub(node.items[0])
            if container.type is T.JSON and value.is_literal:
                if value.type not in (T.NUMBER, T.STRING, T.BOOLEAN):
                    raise self.error(node, "only numbers, strings and booleans can be looked up")
                return JsonArrayHas(container.column, container.path, value.literal)
        items = [sub(item) for item in node.items]
        return or_(*[self._compare(node, "eq", value, item) for item in items])

    def _temporal(self, node: ast.Node, op: str, a: Value, b: Value) -> ColumnElement[bool]:
        name = {"lt": "before", "gt": "after", "le": "le", "ge": "ge", "eq": "eq", "ne": "eq"}[op]
        result = self.relation(node, name, a, b)
        return not_(result) if op == "ne" else result

    def relation(self, node: ast.Node, name: str, a: Value, b: Value) -> ColumnElement[bool]:
        """A temporal relation of OGC 18-088 / OData between instants and intervals.

        Intervals are half-open [start, end). Each operand is an instant, an interval, or
        (a column such as phenomenonTime) either; every combination is spelled out."""
        if name == "after":
            return self.relation(node, "before", b, a)
        if name == "ge":
            return self.relation(node, "le", b, a)
        if name == "during" and b.end is None:
            raise self.error(node, "during() needs an interval as its second argument")
        found = []
        for guard_a, interval_a, start_a, end_a in cases(a):
            for guard_b, interval_b, start_b, end_b in cases(b):
                test = relation_case(name, interval_a, start_a, end_a, interval_b, start_b, end_b)
                if test is None:
                    continue
                found.append(and_(guard_a, guard_b, test))
        condition = or_(*found) if found else false()
        hint = sargable(name, a, b)
        return and_(hint, condition) if hint is not None else condition

    # --- arithmetic ---------------------------------------------------------------------

    def _arithmetic(self, node: ast.Node, op: str, a: Value, b: Value) -> Value:
        position = node.position
        if a.type is T.TIME or b.type is T.TIME:
            return self._time_arithmetic(node, op, a, b)
        if a.type is T.DURATION and b.type is T.DURATION and op in ("add", "sub"):
            sql = a.sql + b.sql if op == "add" else a.sql - b.sql
            return Value(T.DURATION, sql=sql, position=position, reach=self._reach(node, a, b))
        if T.DURATION in (a.type, b.type):
            raise self.error(node, "durations can be added to times and to each other only")
        left, right = self.number_of(a, node), self.number_of(b, node)
        if op == "add":
            sql = left + right
        elif op == "sub":
            sql = left - right
        elif op == "mul":
            sql = left * right
        elif op in ("div", "divby"):
            sql = Divide(left, right)
        else:
            sql = Modulo(left, right)
        return Value(T.NUMBER, sql=sql, position=position)

    def _time_arithmetic(self, node: ast.Node, op: str, a: Value, b: Value) -> Value:
        if op == "add" and b.type is T.TIME and a.type is T.DURATION:
            a, b = b, a
        if a.type is T.TIME and b.type is T.DURATION and op in ("add", "sub"):
            shift = b.sql if op == "add" else -b.sql
            return replace(
                a,
                start=a.start + shift,
                end=None if a.end is None else a.end + shift,
                literal=NOTHING,
                reach=self._reach(node, a, b),
            )
        if a.type is T.TIME and b.type in (T.TIME, T.DATE) and op == "sub":
            b = self.time_of(b, node)
            only_instants = and_(is_instant(a), is_instant(b))
            sql = case((only_instants, a.start - b.start), else_=None)
            reach = self._reach(node, a, b, Value(T.DURATION, reach=MAX_MICROS - MIN_MICROS))
            return Value(T.DURATION, sql=sql, position=node.position, reach=reach)
        raise self.error(node, f"cannot {op} a {b.type} to a {a.type}")

    def _reach(self, node: ast.Node, *values: Value) -> int:
        """How far the result of time arithmetic on ``values`` may reach; refused beyond
        :data:`MAX_REACH`, before the database could overflow."""
        reach = sum(v.reach for v in values)
        if reach > MAX_REACH:
            raise self.error(node, "the time arithmetic reaches too far beyond the supported years")
        return reach

    # --- functions ----------------------------------------------------------------------

    def _call(self, node: ast.Call, args: list[Value]) -> Value:
        name = node.name
        handler = FUNCTIONS.get(name)
        if handler is None:
            raise self.error(node, f"unknown function '{name}'")
        arity, implementation = handler
        if len(args) not in arity:
            expected = " or ".join(str(n) for n in sorted(arity))
            raise self.error(node, f"{name}() takes {expected} argument(s), not {len(args)}")
        result: Value = implementation(self, node, args)
        return replace(result, position=node.position)

    def error(self, node: ast.Node | Any, reason: str) -> QueryError:
        return QueryError.at(self.option, getattr(node, "position", None) or None, reason)


# --- helpers ---------------------------------------------------------------------------------


def _scope_for(name: str, variable: str | None = None) -> Scope:
    etype = entity_type(name)
    return Scope(etype, aliased(etype.model), variable)


def _direct(table: Any) -> Callable[[str], Any]:
    def column(name: str) -> Any:
        return getattr(table, name)

    return column


def _related(source: Any, nav: Nav, target: Any, condition: Any) -> ColumnElement[bool]:
    """``source`` rows with a ``target`` row through ``nav`` that meets ``condition``."""
    if nav.local is not None:
        return getattr(source, nav.local).in_(  # type: ignore[no-any-return]
            select(target.id).where(condition)
        )
    if nav.remote is not None:
        return source.id.in_(  # type: ignore[no-any-return]
            select(getattr(target, nav.remote)).where(condition)
        )
    assert nav.via is not None and nav.via_local and nav.via_remote
    via = nav.via.alias()
    return source.id.in_(  # type: ignore[no-any-return]
        select(via.c[nav.via_local])
        .join(target, target.id == via.c[nav.via_remote])
        .where(condition)
    )


BBOX_COLUMNS = ("bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy")


def _geometry_value(column: Callable[[str], Any], table: Any, position: int) -> Value:
    bbox = tuple(column(name) for name in BBOX_COLUMNS)
    return Value(T.GEOMETRY, sql=column("geom"), table=table, bbox=bbox, position=position)


def _value_of(ref: Ref, column: Callable[[str], Any], table: Any) -> Value:
    prop = ref.prop
    position = ref.position
    kind = prop.kind
    if kind in (Kind.TEXT,):
        return Value(T.STRING, sql=column(prop.column), position=position)
    if kind is Kind.IDENTIFIER:
        return Value(T.NUMBER, sql=column("id"), position=position)
    if kind is Kind.JSON:
        return Value(T.JSON, column=column(prop.column), path=ref.path, position=position)
    if kind is Kind.DOCUMENT:
        if ref.path:
            return Value(T.JSON, column=column(prop.columns[0]), path=ref.path, position=position)
        return _geometry_value(column, table, position)
    if kind is Kind.AREA:
        return _geometry_value(column, table, position)
    if kind is Kind.INSTANT:
        return Value(T.TIME, start=column(prop.column), interval=False, position=position)
    if kind is Kind.INTERVAL:
        return Value(
            T.TIME,
            start=column(prop.columns[0]),
            end=column(prop.columns[1]),
            interval=True,
            position=position,
        )
    if kind is Kind.TIME:
        start, end = column(prop.columns[0]), column(prop.columns[1])
        return Value(T.TIME, start=start, end=end, interval=end != start, position=position)
    columns = tuple(column(c) for c in prop.columns)
    if ref.path:
        return Value(T.JSON, column=columns[3], path=ref.path, position=position)
    kind_column, number, text, data = columns
    return Value(T.RESULT, result=(kind_column, number, text, data), position=position)
