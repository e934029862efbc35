"""Parses the query options with a real grammar (``grammar.lark``, LALR) into :mod:`.ast`.

Malformed input raises :class:`QueryError`, naming the option and the position (1-based
column within that option's value) of the offending part.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from allmende.core.errors import BadRequest, ValidationFailed
from allmende.core.timeutil import parse_date, start_of
from allmende.sensing.times import (
    parse_instant,
    parse_interval,
    parse_micros_duration,
    to_micros,
)
from allmende.standards.sensorthings.query import ast

GRAMMAR = Path(__file__).with_name("grammar.lark")
MAX_LENGTH = 8000
MAX_DEPTH = 60
MAX_COUNT = 2**63 - 1

_TERMINAL_NAMES = {
    "COMPARATOR": "a comparison (eq, ne, gt, ge, lt, le)",
    "ADDITIVE": "add or sub",
    "MULTIPLICATIVE": "mul, div or mod",
    "RPAR": "')'",
    "LPAR": "'('",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "SLASH": "'/'",
    "NAME": "a property name",
    "FUNCTION": "a function",
    "STRING": "a string",
    "INT": "an integer",
    "$END": "the end",
}


class QueryError(BadRequest):
    """A query option that cannot be parsed or compiled (400)."""

    @classmethod
    def at(cls, option: str, position: int | None, reason: str) -> QueryError:
        where = f" at position {position}" if position else ""
        return cls(detail=f"{option}: {reason}{where}.")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        GRAMMAR.read_text(),
        parser="lalr",
        lexer="contextual",
        start=["filter", "orderby", "select", "expand"],
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _geometry(text: str) -> Any:
    wkt = text[text.index("'") + 1 : -1].strip()
    if wkt.upper().startswith("SRID="):
        srid, _, wkt = wkt.partition(";")
        if srid.strip().upper() != "SRID=4326":
            raise ValueError("only SRID=4326 (WGS 84 longitude/latitude) is supported")
    try:
        geom = shapely.from_wkt(wkt)
    except shapely.errors.GEOSException as exc:
        raise ValueError(f"'{wkt[:60]}' is not WKT") from exc
    if geom is None or geom.is_empty:
        raise ValueError("the geometry is empty")
    return geom


def _int(token: Token) -> int:
    return int(str(token).rstrip("lL"))


def _count(name: str, token: Token) -> int:
    """``$top`` or ``$skip`` inside ``$expand``: at most 2⁶³ − 1, as outside."""
    value = _int(token)
    if value > MAX_COUNT:
        raise ValueError(f"{name} must be at most {MAX_COUNT}")
    return value


_Option = tuple[str, Any, str]


@v_args(inline=True)
class _Build(Transformer[Token, Any]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    # --- literals ---
    def string(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "string", str(token)[1:-1].replace("''", "'"))

    def number(self, token: Token) -> ast.Literal:
        text = str(token)
        if token.type == "INT":
            return ast.Literal(_col(token), "number", _int(token))
        value = float(text.rstrip("dDfFmM"))
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"the number {text[:30]} is too large")
        return ast.Literal(_col(token), "number", value)

    def true(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "boolean", True)

    def false(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "boolean", False)

    def null(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "null", None)

    def datetime(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "instant", _time(parse_instant, str(token)))

    def interval(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "interval", _time(parse_interval, str(token)))

    def date(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "date", _time(_day_start, str(token)))

    def time(self, token: Token) -> ast.Literal:
        parts = str(token).split(":")
        hours, minutes = int(parts[0]), int(parts[1])
        seconds = float(parts[2]) if len(parts) > 2 else 0.0
        if hours > 23 or minutes > 59 or seconds >= 60:
            raise ValueError(f"'{token}' is not a time of day")
        micros = round(((hours * 60 + minutes) * 60 + seconds) * 1_000_000)
        return ast.Literal(_col(token), "time", micros)

    def duration(self, token: Token) -> ast.Literal:
        text = str(token)
        value = _time(parse_micros_duration, text[text.index("'") + 1 : -1])
        return ast.Literal(_col(token), "duration", value)

    def geography(self, token: Token) -> ast.Literal:
        return ast.Literal(_col(token), "geometry", _geometry(str(token)))

    # --- expressions ---
    def or_expr(self, *items: Any) -> ast.Node:
        return _chain(items)

    def and_expr(self, *items: Any) -> ast.Node:
        return _chain(items)

    def compare(self, *items: Any) -> ast.Node:
        return _chain(items)

    def additive(self, *items: Any) -> ast.Node:
        return _chain(items)

    def multiplicative(self, *items: Any) -> ast.Node:
        return _chain(items)

    def negation(self, token: Token, operand: ast.Node) -> ast.Node:
        return ast.Not(_col(token), operand)

    def minus(self, token: Token, operand: ast.Node) -> ast.Node:
        if isinstance(operand, ast.Literal) and operand.kind in ("number", "duration"):
            return ast.Literal(_col(token), operand.kind, -operand.value)
        return ast.Negative(_col(token), operand)

    def within(self, value: ast.Node, _in: Token, *items: ast.Node) -> ast.Node:
        return ast.In(value.position, value, tuple(items))

    def call(self, name: Token, *args: ast.Node) -> ast.Node:
        return ast.Call(_col(name), str(name).lower(), tuple(args))

    def index(self, token: Token) -> int:
        return _int(token)

    def segment(self, first: Any, *indexes: int) -> Any:
        if isinstance(first, ast.Lambda):
            return first
        return ast.Segment(str(first), tuple(indexes))

    def lambda_expr(self, quantifier: Token, *rest: Any) -> ast.Lambda:
        if not rest:
            return ast.Lambda(str(quantifier), None, None)
        variable, body = rest
        return ast.Lambda(str(quantifier), str(variable), body)

    @v_args(meta=True, inline=True)
    def member(self, meta: Any, *segments: Any) -> ast.Member:
        position = 0 if meta.empty else int(meta.column)
        lambda_ = None
        plain: list[ast.Segment] = []
        for index, segment in enumerate(segments):
            if isinstance(segment, ast.Lambda):
                if index != len(segments) - 1:
                    raise ValueError("any() and all() must end a path")
                lambda_ = segment
            else:
                plain.append(segment)
        return ast.Member(position, tuple(plain), lambda_)

    # --- options ---
    def filter(self, expression: ast.Node) -> ast.Node:
        return expression

    def orderby(self, *items: ast.OrderBy) -> list[ast.OrderBy]:
        return list(items)

    def order_item(self, expression: ast.Node, direction: Token | None = None) -> ast.OrderBy:
        return ast.OrderBy(expression, str(direction).lower() == "desc" if direction else False)

    def select(self, *items: Any) -> list[ast.Member] | None:
        return _select(items)

    def select_item(self, item: Any) -> Any:
        return item

    def expand(self, *items: ast.Expand) -> list[ast.Expand]:
        return list(items)

    def expand_item(self, member: ast.Member, *options: _Option) -> ast.Expand:
        if member.lambda_ is not None or any(s.indexes for s in member.segments):
            raise ValueError("$expand takes navigation properties only")
        result = ast.QueryOptions()
        for name, value, raw in options:
            if name in result.raw:
                raise ValueError(f"${name} is given twice in one $expand")
            result.raw[name] = raw
            setattr(result, name, value)
        return ast.Expand(tuple(s.name for s in member.segments), result, member.position)

    def _raw(self, meta: Any) -> str:
        text = self.text[meta.start_pos : meta.end_pos]
        return text.partition("=")[2].strip()

    @v_args(meta=True, inline=True)
    def opt_filter(self, meta: Any, _name: Token, expression: ast.Node) -> _Option:
        return ("filter", expression, self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_select(self, meta: Any, _name: Token, *items: Any) -> _Option:
        return ("select", _select(items), self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_orderby(self, meta: Any, _name: Token, *items: ast.OrderBy) -> _Option:
        return ("orderby", list(items), self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_expand(self, meta: Any, _name: Token, *items: ast.Expand) -> _Option:
        return ("expand", list(items), self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_top(self, meta: Any, _name: Token, value: Token) -> _Option:
        return ("top", _count("$top", value), self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_skip(self, meta: Any, _name: Token, value: Token) -> _Option:
        return ("skip", _count("$skip", value), self._raw(meta))

    @v_args(meta=True, inline=True)
    def opt_count(self, meta: Any, _name: Token, value: Token) -> _Option:
        return ("count", str(value) == "true", self._raw(meta))


def _select(items: tuple[Any, ...]) -> list[ast.Member] | None:
    if any(isinstance(i, Token) for i in items):  # '*' selects everything
        return None
    for item in items:
        if item.lambda_ is not None:
            raise ValueError("$select takes property names only")
    return list(items)


def _col(token: Token) -> int:
    return int(token.column or 0)


def _time(parse: Callable[..., Any], text: str) -> Any:
    """A time literal read by the one time parser; its refusal becomes the query's."""
    try:
        return parse(text, field="time")
    except ValidationFailed as exc:
        raise ValueError(f"'{text[:40]}' {exc.errors[0].reason}") from exc


def _day_start(text: str, *, field: str) -> int:
    return to_micros(start_of(parse_date(text, field=field)))


def _chain(items: tuple[Any, ...]) -> ast.Node:
    """Left-associative chain ``a op b op c`` from alternating operands and operator tokens."""
    node: ast.Node = items[0]
    for index in range(1, len(items), 2):
        operator: Token = items[index]
        node = ast.Binary(_col(operator), str(operator), node, items[index + 1])
    return node


@lru_cache(maxsize=512)
def parse(option: str, text: str, start: str) -> Any:
    """Parse the value of ``option`` (e.g. ``$filter``) with the grammar rule ``start``.

    Remembered for the last few hundred texts: dashboards send the same queries again and
    again, and parsing one costs more than running it. The trees are immutable (frozen
    nodes; the lists in them are copied by whoever changes them)."""
    if len(text) > MAX_LENGTH:
        raise QueryError.at(option, None, f"is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise QueryError.at(option, None, "is empty")
    _check_depth(option, text)
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(option, text, exc) from None
    except RecursionError:
        raise QueryError.at(option, None, "is nested too deeply") from None
    try:
        return _Build(text).transform(tree)
    except VisitError as exc:
        cause = exc.orig_exc
        position = getattr(getattr(exc, "obj", None), "meta", None)
        column = getattr(position, "column", None) if position is not None else None
        if isinstance(cause, ValueError | ValidationFailed):
            raise QueryError.at(option, column, str(cause)) from None
        raise
    except RecursionError:
        raise QueryError.at(option, None, "is nested too deeply") from None


def _check_depth(option: str, text: str) -> None:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise QueryError.at(option, None, f"nests parentheses deeper than {MAX_DEPTH}")


def _syntax_error(option: str, text: str, exc: UnexpectedInput) -> QueryError:
    column = getattr(exc, "column", None)
    if isinstance(exc, UnexpectedEOF):
        return QueryError.at(option, None, "ends too early: something is missing at the end")
    if isinstance(exc, UnexpectedCharacters):
        where = exc.pos_in_stream or 0
        char = text[where] if where < len(text) else ""
        return QueryError.at(option, column, f"unexpected character {char!r}")
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return QueryError.at(
                option, None, "ends too early; expected " + _expected(exc.expected)
            )
        return QueryError.at(
            option,
            column,
            f"unexpected '{str(token)[:40]}'; expected {_expected(exc.expected)}",
        )
    return QueryError.at(option, column, "cannot be parsed")  # pragma: no cover


def _expected(names: set[str] | frozenset[str]) -> str:
    readable = sorted({_TERMINAL_NAMES.get(n, n.lower().replace("_opt", "")) for n in names})
    if len(readable) > 6:
        readable = [*readable[:6], "…"]
    return ", ".join(readable)
