"""SQL constructs whose spelling differs between SQLite and PostgreSQL, with one meaning.

JSON paths, date parts of integer (µs) times, float division and modulo that never raise
(division by zero is NULL on both), string functions that are case-sensitive on both.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Float, Integer, Text, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

from allmende.sensing.times import MAX_MICROS, MIN_MICROS

MICROS_PER_DAY = 86_400_000_000

JsonPath = tuple[str | int, ...]


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [str(compiler.process(c, **kw)) for c in element.clauses]


def _sqlite_path(path: JsonPath) -> str:
    text = "$"
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += '."' + step.replace('"', '""') + '"'
    return text


def _bind(compiler: SQLCompiler, value: Any, type_: Any, **kw: Any) -> str:
    return str(compiler.process(bindparam(None, value, type_=type_), **kw))


class JsonValue(FunctionElement[Any]):
    """A value at ``path`` inside a JSON column.

    ``mode``: ``text`` (its text form: strings as they are, numbers and booleans spelled out,
    NULL for JSON null or a missing key), ``string`` (only if it is a string), ``number``
    (only if a number), ``boolean`` (only if true/false, as a boolean), ``type`` (the JSON
    type name, NULL if missing), ``json`` (the raw JSON value).
    """

    inherit_cache = False
    name = "json_value"

    def __init__(self, column: Any, path: JsonPath, mode: str) -> None:
        super().__init__(column)
        self.path = path
        self.mode = mode
        types: dict[str, Any] = {"number": Float(), "boolean": Boolean()}
        self.type = types.get(mode, Text())


@compiles(JsonValue, "sqlite")
def _json_sqlite(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = _args(element, compiler, **kw)
    path = _bind(compiler, _sqlite_path(element.path), Text(), **kw)
    kind = f"json_type({column}, {path})"
    value = f"json_extract({column}, {path})"
    if element.mode == "type":
        return (
            f"(CASE {kind} WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
            "WHEN 'text' THEN 'string' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
            f"ELSE {kind} END)"
        )
    if element.mode == "string":
        return f"(CASE WHEN {kind} = 'text' THEN {value} END)"
    if element.mode == "number":
        return f"(CASE WHEN {kind} IN ('integer', 'real') THEN {value} END)"
    if element.mode == "boolean":
        return f"(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
    if element.mode == "json":
        return f"json_extract({column}, {path})"
    return (
        f"(CASE {kind} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN NULL "
        f"ELSE CAST({value} AS TEXT) END)"
    )


@compiles(JsonValue, "postgresql")
def _json_pg(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = _args(element, compiler, **kw)
    path = _bind(compiler, [str(p) for p in element.path], ARRAY(Text()), **kw)
    node = f"({column} #> {path})"
    kind = f"jsonb_typeof({node})"
    text = f"({column} #>> {path})"
    if element.mode == "type":
        return kind
    if element.mode == "string":
        return f"(CASE WHEN {kind} = 'string' THEN {text} END)"
    if element.mode == "number":
        return f"(CASE WHEN {kind} = 'number' THEN CAST({text} AS DOUBLE PRECISION) END)"
    if element.mode == "boolean":
        return f"(CASE WHEN {kind} = 'boolean' THEN CAST({text} AS BOOLEAN) END)"
    if element.mode == "json":
        return node
    return f"(CASE WHEN {kind} = 'null' THEN NULL ELSE {text} END)"


class JsonArrayHas(FunctionElement[bool]):
    """True where the JSON array at ``path`` holds ``value`` (a string, number or boolean)."""

    inherit_cache = False
    type = Boolean()
    name = "json_array_has"

    def __init__(self, column: Any, path: JsonPath, value: Any) -> None:
        super().__init__(column)
        self.path = path
        self.value = value


@compiles(JsonArrayHas, "sqlite")
def _array_sqlite(element: JsonArrayHas, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = _args(element, compiler, **kw)
    path = _bind(compiler, _sqlite_path(element.path), Text(), **kw)
    value = element.value
    if isinstance(value, bool):
        test = f"type = '{'true' if value else 'false'}'"
    else:
        test = (
            f"value = {_bind(compiler, value, None, **kw)} AND type != 'true' AND type != 'false'"
        )
    return (
        f"EXISTS (SELECT 1 FROM json_each({column}, {path}) WHERE {test})"  # noqa: S608
        f" AND json_type({column}, {path}) = 'array'"
    )


@compiles(JsonArrayHas, "postgresql")
def _array_pg(element: JsonArrayHas, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = _args(element, compiler, **kw)
    path = _bind(compiler, [str(p) for p in element.path], ARRAY(Text()), **kw)
    probe = _bind(compiler, orjson.dumps([element.value]).decode(), Text(), **kw)
    node = f"({column} #> {path})"
    return f"(jsonb_typeof({node}) = 'array' AND {node} @> CAST({probe} AS JSONB))"


# --- times (µs since the epoch, UTC) ---------------------------------------------------------

_STRFTIME = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
}


class TimePart(FunctionElement[int]):
    """year/month/day/hour/minute/second of a µs time, in UTC."""

    inherit_cache = False
    type = Integer()
    name = "time_part"

    def __init__(self, part: str, micros: Any) -> None:
        super().__init__(micros)
        self.part = part


def _in_range(micros: str, expression: str) -> str:
    """``expression`` for times of the supported range, NULL for others (stored before the
    range was enforced), which the calendar functions of either database may not take."""
    return f"(CASE WHEN ({micros}) BETWEEN {MIN_MICROS} AND {MAX_MICROS} THEN {expression} END)"


@compiles(TimePart, "sqlite")
def _part_sqlite(element: TimePart, compiler: SQLCompiler, **kw: Any) -> str:
    (micros,) = _args(element, compiler, **kw)
    fmt = _STRFTIME[element.part]
    # Whole seconds, floored (also before 1970), so no fraction can round a minute up.
    seconds = f"(({micros}) - ((({micros}) % 1000000) + 1000000) % 1000000) / 1000000"
    return _in_range(micros, f"CAST(strftime('{fmt}', {seconds}, 'unixepoch') AS INTEGER)")


@compiles(TimePart, "postgresql")
def _part_pg(element: TimePart, compiler: SQLCompiler, **kw: Any) -> str:
    (micros,) = _args(element, compiler, **kw)
    moment = f"(TIMESTAMP '1970-01-01' + ({micros}) * INTERVAL '1 microsecond')"
    if element.part == "second":
        return _in_range(micros, f"CAST(floor(EXTRACT(SECOND FROM {moment})) AS INTEGER)")
    return _in_range(micros, f"CAST(EXTRACT({element.part.upper()} FROM {moment}) AS INTEGER)")


def floor_mod(value: Any, width: int) -> Any:
    """``value`` modulo ``width``, never negative (also for times before 1970)."""
    w = literal(width)
    return ((value % w) + w) % w


def floor_to(value: Any, width: int) -> Any:
    """``value`` rounded down to a multiple of ``width``."""
    return value - floor_mod(value, width)


class MonthStart(FunctionElement[int]):
    """The µs of the first instant of the (UTC) month or year of a µs time."""

    inherit_cache = False
    type = Integer()
    name = "month_start"

    def __init__(self, micros: Any, unit: str) -> None:
        super().__init__(micros)
        self.unit = unit


@compiles(MonthStart, "sqlite")
def _month_sqlite(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    (micros,) = _args(element, compiler, **kw)
    seconds = f"(({micros}) - ((({micros}) % 1000000) + 1000000) % 1000000) / 1000000"
    modifier = "start of month" if element.unit == "month" else "start of year"
    start = f"(CAST(strftime('%s', {seconds}, 'unixepoch', '{modifier}') AS INTEGER) * 1000000)"
    return _in_range(micros, start)


@compiles(MonthStart, "postgresql")
def _month_pg(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    (micros,) = _args(element, compiler, **kw)
    moment = f"(TIMESTAMP '1970-01-01' + ({micros}) * INTERVAL '1 microsecond')"
    start = f"CAST(EXTRACT(EPOCH FROM date_trunc('{element.unit}', {moment})) AS BIGINT) * 1000000"
    return _in_range(micros, start)


# --- numbers ---------------------------------------------------------------------------------


class Divide(FunctionElement[float]):
    """Float division; NULL where the divisor is 0."""

    inherit_cache = True
    type = Float()
    name = "divide"


@compiles(Divide, "sqlite")
def _divide_sqlite(element: Divide, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"(CAST({a} AS REAL) / NULLIF({b}, 0))"


@compiles(Divide, "postgresql")
def _divide_pg(element: Divide, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"(CAST({a} AS DOUBLE PRECISION) / CAST(NULLIF({b}, 0) AS DOUBLE PRECISION))"


class Modulo(FunctionElement[float]):
    """The remainder of a float division; NULL where the divisor is 0."""

    inherit_cache = True
    type = Float()
    name = "modulo"


@compiles(Modulo, "sqlite")
def _modulo_sqlite(element: Modulo, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"mod({a}, NULLIF({b}, 0))"


@compiles(Modulo, "postgresql")
def _modulo_pg(element: Modulo, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = _args(element, compiler, **kw)
    return f"CAST(mod(CAST({a} AS NUMERIC), CAST(NULLIF({b}, 0) AS NUMERIC)) AS DOUBLE PRECISION)"


class Rounded(FunctionElement[float]):
    """round / floor / ceiling (``how``), half away from zero on both backends."""

    inherit_cache = False
    type = Float()
    name = "rounded"

    def __init__(self, value: Any, how: str) -> None:
        super().__init__(value)
        self.how = how


@compiles(Rounded, "sqlite")
def _rounded_sqlite(element: Rounded, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return f"{element.how}({value})"


@compiles(Rounded, "postgresql")
def _rounded_pg(element: Rounded, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    if element.how == "round":
        return f"CAST(round(CAST({value} AS NUMERIC)) AS DOUBLE PRECISION)"
    return f"{element.how}({value})"


class AsText(FunctionElement[str]):
    """A number as text: integers without a fraction, on both backends."""

    inherit_cache = True
    type = Text()
    name = "as_text"


@compiles(AsText, "sqlite")
def _as_text_sqlite(element: AsText, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return (
        f"(CASE WHEN {value} = CAST({value} AS INTEGER) AND abs({value}) < 9e15 "
        f"THEN CAST(CAST({value} AS INTEGER) AS TEXT) ELSE CAST({value} AS TEXT) END)"
    )


@compiles(AsText, "postgresql")
def _as_text_pg(element: AsText, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return f"CAST({value} AS TEXT)"


# --- strings (case-sensitive on both backends) -----------------------------------------------


class StringFunction(FunctionElement[Any]):
    """length, indexof (0-based, -1 if absent), substring (0-based), startswith, endswith,
    contains."""

    inherit_cache = False
    name = "string_function"

    def __init__(self, function: str, *args: Any) -> None:
        super().__init__(*args)
        self.function = function
        self.type = (
            Boolean()
            if function in ("startswith", "endswith", "contains")
            else (Text() if function == "substring" else Integer())
        )


@compiles(StringFunction, "sqlite")
def _string_sqlite(element: StringFunction, compiler: SQLCompiler, **kw: Any) -> str:
    args = _args(element, compiler, **kw)
    fn = element.function
    if fn == "length":
        return f"length({args[0]})"
    if fn == "indexof":
        return f"(instr({args[0]}, {args[1]}) - 1)"
    if fn == "substring":
        if len(args) == 3:
            return f"substr({args[0]}, ({args[1]}) + 1, {args[2]})"
        return f"substr({args[0]}, ({args[1]}) + 1)"
    if fn == "startswith":
        return f"(substr({args[0]}, 1, length({args[1]})) = {args[1]})"
    if fn == "endswith":
        return (
            f"(length({args[1]}) = 0 OR (length({args[0]}) >= length({args[1]}) AND "
            f"substr({args[0]}, -length({args[1]})) = {args[1]}))"
        )
    return f"(instr({args[0]}, {args[1]}) > 0)"


@compiles(StringFunction, "postgresql")
def _string_pg(element: StringFunction, compiler: SQLCompiler, **kw: Any) -> str:
    args = _args(element, compiler, **kw)
    fn = element.function
    if fn == "length":
        return f"char_length({args[0]})"
    if fn == "indexof":
        return f"(strpos({args[0]}, {args[1]}) - 1)"
    if fn == "substring":
        start = f"GREATEST(CAST({args[1]} AS INTEGER), 0) + 1"
        if len(args) == 3:
            return f"substr({args[0]}, {start}, GREATEST(CAST({args[2]} AS INTEGER), 0))"
        return f"substr({args[0]}, {start})"
    if fn == "startswith":
        return f"(left({args[0]}, char_length({args[1]})) = {args[1]})"
    if fn == "endswith":
        return f"(right({args[0]}, char_length({args[1]})) = {args[1]})"
    return f"(strpos({args[0]}, {args[1]}) > 0)"
