"""Table Schema fields compiled to DuckDB SQL: per field, the SQL that says a cell is missing,
surely of its type (a conservative pattern, whose cast value is then exact) and surely valid
(type and every constraint). What SQL cannot decide stays a *suspect* for frictionless's own
cell reader (:mod:`pipelines.validation.schema_scan`).

The SQL is built from the schema only (identifiers are our own ``c0..cN``; constraint values
become quoted literals through :func:`quote`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

# Number literals SQL may cast: at most 15 characters (so at most 15 significant digits,
# where DOUBLE orders and compares exactly like Decimal), no exponent.
NUMBER_RE = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
NUMBER_MAX_CHARS = 15
# Python's re and RE2 agree on ASCII text; these escapes are Unicode-aware only in Python.
UNICODE_SENSITIVE = re.compile(r"\\[dDwWsSbB]|\(\?[a-zA-Z]*i")


Predicate = Callable[[str, str], str]  # (cell column, cast value expression) -> SQL


@dataclass(frozen=True, slots=True)
class SqlType:
    """How SQL recognises surely valid cells of a type, and their cast value."""

    valid: Callable[[str], str]  # cell column -> predicate
    value: Callable[[str], str]  # cell column -> cast value (exact where ``valid`` holds)
    literal: Callable[[Any], str | None]  # Python cast value -> SQL literal (None: cannot)


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_list(items: Sequence[str]) -> str:
    return ", ".join(items)


def _literal_int(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _literal_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    text = str(value)
    fits = re.fullmatch(NUMBER_RE, text) and len(text) <= NUMBER_MAX_CHARS
    return f"{text}::DOUBLE" if fits else None


def _literal_date(value: Any) -> str | None:
    return f"DATE '{value.isoformat()}'" if isinstance(value, date) else None


def _literal_string(value: Any) -> str | None:
    return quote(value) if isinstance(value, str) else None


def _literal_bool(value: Any) -> str | None:
    return ("TRUE" if value else "FALSE") if isinstance(value, bool) else None


def _matches(pattern: str) -> Callable[[str], str]:
    return lambda c: f"regexp_full_match({c}, {quote(pattern)})"


STRING = SqlType(lambda c: "TRUE", lambda c: c, _literal_string)
INTEGER = SqlType(_matches("[+-]?[0-9]{1,18}"), lambda c: f"TRY_CAST({c} AS BIGINT)", _literal_int)
NUMBER = SqlType(
    lambda c: f"(length({c}) <= {NUMBER_MAX_CHARS} AND {_matches(NUMBER_RE)(c)})",
    lambda c: f"TRY_CAST({c} AS DOUBLE)",
    _literal_number,
)
DATE = SqlType(
    lambda c: (
        f"({_matches('[0-9]{4}-[0-9]{2}-[0-9]{2}')(c)} AND {c} >= '0001'"
        f" AND TRY_CAST({c} AS DATE) IS NOT NULL)"
    ),
    lambda c: f"TRY_CAST({c} AS DATE)",
    _literal_date,
)
YEAR = SqlType(_matches("[0-9]{4}"), lambda c: f"TRY_CAST({c} AS INTEGER)", _literal_int)


def _boolean(field: Any) -> SqlType:
    true = [quote(value) for value in field.true_values]
    false = [quote(value) for value in field.false_values]
    return SqlType(
        lambda c: f"{c} IN ({_in_list(true + false)})",
        lambda c: f"{c} IN ({_in_list(true)})",
        _literal_bool,
    )


def sql_type(field: Any) -> SqlType | None:
    """The SQL form of a frictionless field's type, or None when SQL does not know it."""
    kind, fmt, defined = field.type, field.format, set(field.list_defined())
    if (kind == "string" and fmt == "default") or kind == "any":
        return STRING
    if kind == "integer" and "bare_number" not in defined:
        return INTEGER
    if kind == "number" and not {"bare_number", "group_char", "decimal_char"} & defined:
        return NUMBER
    if kind == "boolean":
        return _boolean(field)
    if kind == "date" and fmt == "default":
        return DATE
    if kind == "year":
        return YEAR
    return None


BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


def constraint_sql(
    field: Any, name: str, constraint: Any, kind: SqlType, con: duckdb.DuckDBPyConnection
) -> Predicate | None:
    """A predicate that holds only when frictionless's check surely passes (None: unknown)."""
    read = field.create_value_reader()
    if name in BOUNDS:
        bound = kind.literal(read(constraint))
        operator = BOUNDS[name]
        return (lambda c, v: f"{v} {operator} {bound}") if bound else None
    if name == "enum":
        literals = [kind.literal(read(item)) for item in constraint]
        if not literals or None in literals:
            return None
        members = _in_list([str(item) for item in literals])
        return lambda c, v: f"{v} IN ({members})"
    if name in {"minLength", "maxLength"} and field.type == "string":
        operator = ">=" if name == "minLength" else "<="
        return lambda c, v: f"length({c}) {operator} {int(constraint)}"
    if name == "pattern" and field.type == "string":
        return _pattern_sql(str(constraint), con)
    return None


def _pattern_sql(pattern: str, con: duckdb.DuckDBPyConnection) -> Predicate | None:
    anchored = f"^{pattern}$"  # frictionless: re.compile("^{0}$").match(cell)
    try:
        con.execute("SELECT regexp_full_match('', ?)", [anchored]).fetchall()
    except duckdb.Error:
        return None  # RE2 cannot compile it: every cell goes to frictionless
    ascii_only = bool(UNICODE_SENSITIVE.search(pattern))

    def predicate(c: str, v: str) -> str:
        # Python's `$` also matches before a final newline; such cells go to frictionless.
        guards = [f"NOT ends_with({c}, chr(10))"]
        if ascii_only:
            guards.append(f"NOT regexp_matches({c}, '[^\\x00-\\x7F]')")
        return " AND ".join([*guards, f"regexp_full_match({c}, {quote(anchored)})"])

    return predicate


@dataclass(slots=True)
class CompiledField:
    """One expected field at column ``c{index}`` (or past the last column: missing cells)."""

    frictionless_field: Any
    index: int  # 0-based position in the data
    present: bool  # the data has a column at this position
    missing_sql: str = "FALSE"
    value_sql: str = "NULL"
    typed_sql: str = "FALSE"  # cell is surely of the type (its SQL value is exact)
    ok_sql: str = "FALSE"  # cell is surely valid: type and every constraint
    reader: Callable[[Any], tuple[Any, dict[str, str] | None]] = lambda cell: (cell, None)

    @property
    def name(self) -> str:
        return str(self.frictionless_field.name)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def required(self) -> bool:
        return bool(self.frictionless_field.constraints.get("required"))

    @property
    def key_sql(self) -> str:
        """The cast value as frictionless keeps it for keys: None when missing or not typed."""
        if not self.present:
            return "NULL"
        return f"CASE WHEN NOT ({self.missing_sql}) AND {self.typed_sql} THEN {self.value_sql} END"


def _missing_values(field: Any, schema: Any) -> list[str]:
    if field.has_defined("missing_values") or not field.schema:
        return list(field.missing_values)
    return list(schema.missing_values)


def compile_field(
    field: Any, index: int, present: bool, schema: Any, con: duckdb.DuckDBPyConnection
) -> CompiledField:
    compiled = CompiledField(field, index, present, reader=field.create_cell_reader())
    if not present:
        return compiled
    column = f"c{index}"
    missing = _missing_values(field, schema)
    compiled.missing_sql = f"{column} IN ({', '.join(map(quote, missing))})" if missing else "FALSE"
    kind = sql_type(field)
    if kind is None:
        return compiled
    value = kind.value(column)
    compiled.value_sql = value
    compiled.typed_sql = kind.valid(column)
    checks = [compiled.typed_sql]
    for name in field.supported_constraints:
        constraint = field.constraints.get(name)
        if constraint is None or name == "required":
            continue  # required fails only on missing cells, which SQL knows exactly
        predicate = constraint_sql(field, name, constraint, kind, con)
        checks.append(f"({predicate(column, value)})" if predicate else "FALSE")
    compiled.ok_sql = f"({' AND '.join(checks)})"
    return compiled


__all__ = ["CompiledField", "SqlType", "compile_field", "constraint_sql", "quote", "sql_type"]
