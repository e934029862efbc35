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
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    bindparam,
    case,
    false,
    func,
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
from allmende.standards.sensorthings.query.parser import QueryError, parse
from allmende.standards.sensorthings.query.sql import (
    MICROS_PER_DAY,
    AsText,
    Divide,
    JsonArrayHas,
    JsonValue,
    Modulo,
    Rounded,
    StringFunction,
    TimePart,
    floor_mod,
    floor_to,
)
from allmende.storage.spatial import BINARY_PREDICATES, geometry_param, predicate

#: The condition that makes rows of an entity type visible to the caller (None: all are).
Visibility = Callable[[EntityType, Any], ColumnElement[bool] | None]
INT64 = 2**63 - 1
_NOTHING = object()


class T(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    NULL = "null"
    TIME = "time"
    DURATION = "duration"
    DATE = "date"
    CLOCK = "time of day"
    GEOMETRY = "geometry"
    JSON = "JSON value"
    RESULT = "result"


@dataclass(frozen=True)
class Value:
    type: T
    sql: Any = None
    # TIME: start, end (None: instants only) and whether it is an interval (a Python bool, or
    # an SQL condition for columns that hold both).
    start: Any = None
    end: Any = None
    interval: Any = False
    # JSON: the column and the path below it
    column: Any = None
    path: tuple[str | int, ...] = ()
    # RESULT: kind, number, text, JSON columns
    result: tuple[Any, Any, Any, Any] | None = None
    # GEOMETRY: the table (for bounding-box narrowing) or the literal shape
    table: Any = None
    shape: BaseGeometry | None = None
    literal: Any = _NOTHING
    position: int = 0

    @property
    def is_literal(self) -> bool:
        return self.literal is not _NOTHING


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
            raise self._error(node, "cannot order by a geometry; order by geo.distance(…)")
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
            raise self._error(node, "any() and all() need a path that ends in an entity set")
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
        raise self._error(node, f"a {value.type} is not a condition")

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
                raise self._error(
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
                raise self._error(
                    node, f"'{segment.name}' is not a navigation property of {etype.name}"
                )
            hops.append(nav)
            etype = entity_type(nav.target)
        return hops, etype

    def _resolve(self, node: ast.Member, scope: Scope) -> Ref:
        segments = self._segments(node, scope)
        if not segments:
            raise self._error(node, "a path needs a property")
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
            raise self._error(node, f"'{node.text}' ends in an entity; name one of its properties")
        first = segments[index]
        prop = etype.prop(first.name)
        if prop is None:
            names = sorted([p.name for p in etype.props] + [n.name for n in etype.navs])
            raise self._error(
                node,
                f"{etype.name} has no property '{first.name}' (known: {', '.join(names)})",
            )
        path: list[str | int] = list(first.indexes)
        for segment in segments[index + 1 :]:
            path.append(segment.name)
            path.extend(segment.indexes)
        if path and prop.kind not in (Kind.JSON, Kind.DOCUMENT, Kind.RESULT):
            raise self._error(node, f"'{prop.name}' has no parts to select with '/' or '[…]'")
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
            raise self._error(node, "cannot read through a navigation here")
        for nav in ref.hops:
            if nav.many:
                raise self._error(
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
                return Value(T.DURATION, sql=-operand.sql, position=node.position)
            return Value(T.NUMBER, sql=-self._number(operand, node), position=node.position)
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
        raise self._error(node, "cannot be evaluated")  # pragma: no cover

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
            return _instant(value, node.position)
        if kind == "interval":
            start, end = value
            return Value(
                T.TIME,
                start=_int(start),
                end=_int(end),
                interval=True,
                literal=value,
                position=node.position,
            )
        if kind == "date":
            return Value(T.DATE, sql=_int(value), literal=value, position=node.position)
        if kind == "time":
            return Value(T.CLOCK, sql=_int(value), literal=value, position=node.position)
        if kind == "duration":
            return Value(T.DURATION, sql=_int(value), literal=value, position=node.position)
        return Value(
            T.GEOMETRY,
            sql=geometry_param(value),
            shape=value,
            literal=value,
            position=node.position,
        )

    # --- conversions --------------------------------------------------------------------

    def _number(self, value: Value, node: ast.Node) -> Any:
        if value.type in (T.NUMBER, T.DATE, T.CLOCK):
            return value.sql
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "number")
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, _, _ = value.result
            return case((kind.in_([ResultKind.INTEGER, ResultKind.FLOAT]), number), else_=None)
        raise self._error(node, f"a {value.type} is not a number")

    def _text(self, value: Value, node: ast.Node) -> Any:
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
        raise self._error(node, f"a {value.type} is not a string")

    def _boolean(self, value: Value, node: ast.Node) -> Any:
        if value.type is T.BOOLEAN:
            return value.sql
        if value.type is T.JSON:
            return JsonValue(value.column, value.path, "boolean")
        if value.type is T.RESULT:
            assert value.result is not None
            kind, number, _, _ = value.result
            return case((kind == ResultKind.BOOLEAN, number == 1), else_=None)
        raise self._error(node, f"a {value.type} is not a boolean")

    def _time(self, value: Value, node: ast.Node) -> Value:
        if value.type is T.TIME:
            return value
        if value.type is T.DATE:
            return Value(T.TIME, start=value.sql, interval=False, position=value.position)
        if value.type is T.STRING and value.is_literal:
            parsed = parse(self.option, str(value.literal), "filter")
            if isinstance(parsed, ast.Literal) and parsed.kind in ("instant", "interval"):
                return self._literal(replace(parsed, position=value.position))
        raise self._error(node, f"a {value.type} is not a time")

    def _geometry(self, value: Value, node: ast.Node) -> Value:
        if value.type is T.GEOMETRY:
            return value
        raise self._error(node, f"a {value.type} is not a geometry")

    # --- comparisons --------------------------------------------------------------------

    def _compare(self, node: ast.Node, op: str, a: Value, b: Value) -> ColumnElement[bool]:
        if a.type is T.NULL or b.type is T.NULL:
            other = b if a.type is T.NULL else a
            if op not in ("eq", "ne"):
                raise self._error(node, "null can only be compared with eq or ne")
            missing = self._is_null(other)
            return missing if op == "eq" else not_(missing)
        if T.TIME in (a.type, b.type):
            return self._temporal(node, op, self._time(a, node), self._time(b, node))
        if a.type is T.GEOMETRY or b.type is T.GEOMETRY:
            raise self._error(node, "compare geometries with st_equals() or geo.distance()")
        loose = (T.JSON, T.RESULT)
        if a.type in loose and b.type in loose:
            return _operate(op, self._text(a, node), self._text(b, node))
        kinds = {a.type, b.type} - set(loose)
        if kinds == {T.STRING} or (len(kinds) == 2 and T.STRING in kinds):
            return _operate(op, self._text(a, node), self._text(b, node))
        if T.BOOLEAN in kinds:
            if kinds != {T.BOOLEAN}:
                raise self._error(node, "a boolean can only be compared with a boolean")
            return _operate(op, self._boolean(a, node), self._boolean(b, node))
        if T.DURATION in kinds:
            if a.type is not T.DURATION or b.type is not T.DURATION:
                raise self._error(node, "a duration can only be compared with a duration")
            return _operate(op, a.sql, b.sql)
        return _operate(op, self._number(a, node), self._number(b, node))

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
                    raise self._error(node, "only numbers, strings and booleans can be looked up")
                return JsonArrayHas(container.column, container.path, value.literal)
        items = [sub(item) for item in node.items]
        return or_(*[self._compare(node, "eq", value, item) for item in items])

    def _temporal(self, node: ast.Node, op: str, a: Value, b: Value) -> ColumnElement[bool]:
        name = {"lt": "before", "gt": "after", "le": "le", "ge": "ge", "eq": "eq", "ne": "eq"}[op]
        result = self._relation(node, name, a, b)
        return not_(result) if op == "ne" else result

    def _relation(self, node: ast.Node, name: str, a: Value, b: Value) -> ColumnElement[bool]:
        """A temporal relation of OGC 18-088 / OData between instants and intervals.

        Intervals are half-open [start, end). Each operand is an instant, an interval, or
        (a column such as phenomenonTime) either; every combination is spelled out."""
        if name == "after":
            return self._relation(node, "before", b, a)
        if name == "ge":
            return self._relation(node, "le", b, a)
        if name == "during" and b.end is None:
            raise self._error(node, "during() needs an interval as its second argument")
        cases = []
        for guard_a, interval_a, start_a, end_a in _cases(a):
            for guard_b, interval_b, start_b, end_b in _cases(b):
                test = _relation_case(name, interval_a, start_a, end_a, interval_b, start_b, end_b)
                if test is None:
                    continue
                cases.append(and_(guard_a, guard_b, test))
        condition = or_(*cases) if cases else false()
        hint = _sargable(name, a, b)
        return and_(hint, condition) if hint is not None else condition

    # --- arithmetic ---------------------------------------------------------------------

    def _arithmetic(self, node: ast.Node, op: str, a: Value, b: Value) -> Value:
        position = node.position
        if a.type is T.TIME or b.type is T.TIME:
            return self._time_arithmetic(node, op, a, b)
        if a.type is T.DURATION and b.type is T.DURATION and op in ("add", "sub"):
            sql = a.sql + b.sql if op == "add" else a.sql - b.sql
            return Value(T.DURATION, sql=sql, position=position)
        if T.DURATION in (a.type, b.type):
            raise self._error(node, "durations can be added to times and to each other only")
        left, right = self._number(a, node), self._number(b, node)
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
                literal=_NOTHING,
            )
        if a.type is T.TIME and b.type in (T.TIME, T.DATE) and op == "sub":
            b = self._time(b, node)
            only_instants = and_(_is_instant(a), _is_instant(b))
            sql = case((only_instants, a.start - b.start), else_=None)
            return Value(T.DURATION, sql=sql, position=node.position)
        raise self._error(node, f"cannot {op} a {b.type} to a {a.type}")

    # --- functions ----------------------------------------------------------------------

    def _call(self, node: ast.Call, args: list[Value]) -> Value:
        name = node.name
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise self._error(node, f"unknown function '{name}'")
        arity, implementation = handler
        if len(args) not in arity:
            expected = " or ".join(str(n) for n in sorted(arity))
            raise self._error(node, f"{name}() takes {expected} argument(s), not {len(args)}")
        result: Value = implementation(self, node, args)
        return replace(result, position=node.position)

    def _error(self, node: ast.Node | Any, reason: str) -> QueryError:
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
        return Value(T.GEOMETRY, sql=column("geom"), table=table, position=position)
    if kind is Kind.AREA:
        return Value(T.GEOMETRY, sql=column("geom"), table=table, position=position)
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


def _int(value: int) -> Any:
    return bindparam(None, value, type_=BigInteger())


def _instant(value: int, position: int) -> Value:
    return Value(T.TIME, start=_int(value), interval=False, literal=value, position=position)


def _operate(op: str, left: Any, right: Any) -> ColumnElement[bool]:
    if op == "eq":
        return left == right  # type: ignore[no-any-return]
    if op == "ne":
        return left != right  # type: ignore[no-any-return]
    if op == "gt":
        return left > right  # type: ignore[no-any-return]
    if op == "ge":
        return left >= right  # type: ignore[no-any-return]
    if op == "lt":
        return left < right  # type: ignore[no-any-return]
    return left <= right  # type: ignore[no-any-return]


def _is_instant(value: Value) -> Any:
    if isinstance(value.interval, bool):
        return false() if value.interval else true()
    return not_(value.interval)


def _cases(value: Value) -> list[tuple[Any, bool, Any, Any]]:
    """(guard, is interval, start, end) for each shape the value may have."""
    if isinstance(value.interval, bool):
        if value.interval:
            return [(true(), True, value.start, value.end)]
        return [(true(), False, value.start, value.start)]
    return [
        (not_(value.interval), False, value.start, value.start),
        (value.interval, True, value.start, value.end),
    ]


def _relation_case(
    name: str,
    interval_a: bool,
    start_a: Any,
    end_a: Any,
    interval_b: bool,
    start_b: Any,
    end_b: Any,
) -> Any:
    if name == "before":
        return end_a <= start_b if interval_a else start_a < start_b
    if name == "le":
        if interval_a and interval_b:
            return and_(start_a <= start_b, end_a <= end_b)
        if interval_a:
            return end_a <= start_b
        return start_a <= start_b
    if name == "eq":
        if interval_a != interval_b:
            return None
        if interval_a:
            return and_(start_a == start_b, end_a == end_b)
        return start_a == start_b
    if name == "meets":
        return or_(end_a == start_b, start_a == end_b)
    if name == "during":
        if not interval_b:
            return None
        if interval_a:
            return and_(start_a >= start_b, end_a <= end_b)
        return and_(start_b <= start_a, start_a < end_b)
    if name == "overlaps":
        if interval_a and interval_b:
            return and_(start_a < end_b, end_a > start_b)
        if interval_a:
            return and_(start_a <= start_b, start_b < end_a)
        if interval_b:
            return and_(start_b <= start_a, start_a < end_b)
        return start_a == start_b
    if name == "starts":
        return start_a == start_b
    if name == "finishes":
        return end_a == end_b
    raise ValueError(name)  # pragma: no cover


def _sargable(name: str, a: Value, b: Value) -> Any:
    """A condition on the start column that the relation implies, so an index can serve it."""
    if a.is_literal == b.is_literal:
        return None
    implied = {"before": "lt", "le": "le", "eq": "eq", "starts": "eq"}
    if name not in implied:
        return None
    op = implied[name]
    if a.is_literal:  # mirror: literal OP column  ==  column OP' literal
        op = {"lt": "gt", "le": "ge", "eq": "eq"}[op]
        a, b = b, a
    return _operate(op, a.start, b.start)


# --- the function table ----------------------------------------------------------------------

Implementation = Callable[[Compiler, ast.Call, list[Value]], Value]
_FUNCTIONS: dict[str, tuple[frozenset[int], Implementation]] = {}


def _function(name: str, *arity: int) -> Callable[[Implementation], Implementation]:
    def register(fn: Implementation) -> Implementation:
        _FUNCTIONS[name] = (frozenset(arity), fn)
        return fn

    return register


def _string_fn(function: str, result: T, *args_as: str) -> Implementation:
    def run(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
        sql_args = [
            c._text(a, node) if k == "s" else c._number(a, node)
            for a, k in zip(args, args_as, strict=False)
        ]
        return Value(result, sql=StringFunction(function, *sql_args))

    return run


_function("length", 1)(_string_fn("length", T.NUMBER, "s"))
_function("indexof", 2)(_string_fn("indexof", T.NUMBER, "s", "s"))
_function("substring", 2, 3)(_string_fn("substring", T.STRING, "s", "n", "n"))
_function("startswith", 2)(_string_fn("startswith", T.BOOLEAN, "s", "s"))
_function("endswith", 2)(_string_fn("endswith", T.BOOLEAN, "s", "s"))
_function("contains", 2)(_string_fn("contains", T.BOOLEAN, "s", "s"))


@_function("substringof", 2)
def _substringof(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    needle, haystack = c._text(args[0], node), c._text(args[1], node)
    return Value(T.BOOLEAN, sql=StringFunction("contains", haystack, needle))


@_function("tolower", 1)
def _tolower(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.lower(c._text(args[0], node)))


@_function("toupper", 1)
def _toupper(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.upper(c._text(args[0], node)))


@_function("trim", 1)
def _trim(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.trim(c._text(args[0], node)))


@_function("concat", 2)
def _concat(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=c._text(args[0], node).concat(c._text(args[1], node)))


def _part(part: str) -> Implementation:
    def run(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
        return Value(T.NUMBER, sql=TimePart(part, c._time(args[0], node).start))

    return run


for _name in ("year", "month", "day", "hour", "minute", "second"):
    _function(_name, 1)(_part(_name))


@_function("fractionalseconds", 1)
def _fraction(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    micros = floor_mod(c._time(args[0], node).start, 1_000_000)
    return Value(T.NUMBER, sql=Divide(micros, literal(1_000_000)))


@_function("date", 1)
def _date(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.DATE, sql=floor_to(c._time(args[0], node).start, MICROS_PER_DAY))


@_function("time", 1)
def _clock(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.CLOCK, sql=floor_mod(c._time(args[0], node).start, MICROS_PER_DAY))


@_function("totaloffsetminutes", 1)
def _offset(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    c._time(args[0], node)
    return Value(T.NUMBER, sql=literal(0))  # every stored time is UTC


@_function("now", 0)
def _now(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return _instant(c.now, node.position)


@_function("mindatetime", 0)
def _min(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return _instant(MIN_MICROS, node.position)


@_function("maxdatetime", 0)
def _max(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return _instant(MAX_MICROS, node.position)


def _rounding(how: str) -> Implementation:
    def run(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
        return Value(T.NUMBER, sql=Rounded(c._number(args[0], node), how))

    return run


_function("round", 1)(_rounding("round"))
_function("floor", 1)(_rounding("floor"))
_function("ceiling", 1)(_rounding("ceiling"))


def _temporal_fn(name: str) -> Implementation:
    def run(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
        a, b = c._time(args[0], node), c._time(args[1], node)
        return Value(T.BOOLEAN, sql=c._relation(node, name, a, b))

    return run


for _name in ("before", "after", "meets", "during", "overlaps", "starts", "finishes"):
    _function(_name, 2)(_temporal_fn(_name))


#: st_* function → (PostGIS name, the same relation with the arguments swapped)
_SPATIAL = {
    "st_equals": ("ST_Equals", "ST_Equals"),
    "st_disjoint": ("ST_Disjoint", "ST_Disjoint"),
    "st_touches": ("ST_Touches", "ST_Touches"),
    "st_within": ("ST_Within", "ST_Contains"),
    "st_overlaps": ("ST_Overlaps", "ST_Overlaps"),
    "st_crosses": ("ST_Crosses", "ST_Crosses"),
    "st_intersects": ("ST_Intersects", "ST_Intersects"),
    "st_contains": ("ST_Contains", "ST_Within"),
    "geo.intersects": ("ST_Intersects", "ST_Intersects"),
}


def _spatial(name: str) -> Implementation:
    direct, swapped = _SPATIAL[name]

    def run(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
        a, b = c._geometry(args[0], node), c._geometry(args[1], node)
        # A column against a literal: narrowed by the bounding box (PostGIS index, or
        # the bbox columns on SQLite) before the exact test.
        if b.shape is not None and a.table is not None and direct in BINARY_PREDICATES:
            return Value(T.BOOLEAN, sql=predicate(direct, a.table, b.shape))
        if a.shape is not None and b.table is not None and swapped in BINARY_PREDICATES:
            return Value(T.BOOLEAN, sql=predicate(swapped, b.table, a.shape))
        return Value(T.BOOLEAN, sql=getattr(func, direct)(a.sql, b.sql))

    return run


for _name in _SPATIAL:
    _function(_name, 2)(_spatial(_name))


@_function("st_relate", 3)
def _relate(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    a, b = c._geometry(args[0], node), c._geometry(args[1], node)
    pattern = args[2]
    if pattern.type is not T.STRING or not pattern.is_literal:
        raise c._error(node, "st_relate() takes a DE-9IM pattern string as its third argument")
    text = str(pattern.literal)
    if len(text) != 9 or any(ch not in "TF*012" for ch in text.upper()):
        raise c._error(node, f"'{text}' is not a DE-9IM pattern (9 of T, F, *, 0, 1, 2)")
    return Value(T.BOOLEAN, sql=func.ST_Relate(a.sql, b.sql, text.upper()) == true())


@_function("geo.distance", 2)
def _distance(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    a, b = c._geometry(args[0], node), c._geometry(args[1], node)
    return Value(T.NUMBER, sql=func.ST_Distance(a.sql, b.sql, type_=Float()))


@_function("geo.length", 1)
def _length(c: Compiler, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.NUMBER, sql=func.ST_Length(c._geometry(args[0], node).sql, type_=Float()))
