"""Table Schema validation compiled into DuckDB SQL, with frictionless's exact errors.

How it stays identical to frictionless (``frictionless_ref``) while being vectorised:

1. SQL decides, per cell, only the *certain* cases: missing (``missingValues``), and
   "surely valid": a conservative pattern for the type (``2024-01-31``, ``-12``, ``1.5``) whose
   value then passes every constraint. Everything else is a *suspect*.
2. Suspects (rare in clean data) are judged by frictionless's own cell reader, so the type and
   constraint notes are frictionless's by construction. A type or format SQL does not know
   simply makes every cell of that column a suspect: correct, only slower.
3. unique, primary-key and foreign-key errors are computed in SQL on the cast values, with
   frictionless's rules (missing values skipped, "all None" keys, the last earlier row quoted).
4. Errors are ordered as frictionless emits them (header, then row by row: cells in field order,
   extra, missing, unique, primary key, foreign keys) and capped at the same ``limit_errors``.

The SQL is built from the schema only (identifiers are our own ``c0..cN``; constraint values
become quoted literals through ``_quote``), hence the ``noqa: S608`` markers.

What falls back to frictionless for the whole table (``FastPathUnsupportedError``, reason recorded
in the report): records with a cell count different from the header's, key columns whose
values SQL cannot cast exactly (a valid but unusual literal such as ``1_000`` in a unique
column, a type without a SQL form), foreign keys to a resource that was not given or whose key
types differ, self-referencing foreign keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.validation.errors import (
    DEFAULT_LIMIT_ERRORS,
    SchemaError,
    SchemaReport,
    cap_errors,
    invalid_rows_of,
)
from pipelines.validation.frictionless_ref import (
    ReferenceTable,
    frictionless_resource,
    to_schema_error,
    validate_with_frictionless,
)
from pipelines.validation.tables import Source, TextTable, as_csv_path, read_text, row_numbers

ROW = "__row"
# The key table with its row numbers (see _scan_batches).
NUMBERED = "numbered"
# Error phases inside one row, in frictionless's order (table/row.py, resources/table.py).
WIDTH = 4  # columns per field in the cell query: suspect, missing, typed, cell
CELL, EXTRA, MISSING, UNIQUE, PRIMARY, FOREIGN = range(6)
# Number literals SQL may cast: at most 15 characters (so at most 15 significant digits,
# where DOUBLE orders and compares exactly like Decimal), no exponent.
NUMBER_RE = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
NUMBER_MAX_CHARS = 15
# Python's re and RE2 agree on ASCII text; these escapes are Unicode-aware only in Python.
UNICODE_SENSITIVE = re.compile(r"\\[dDwWsSbB]|\(\?[a-zA-Z]*i")


class FastPathUnsupportedError(Exception):
    """The table needs the reference engine; the message says why."""


Predicate = Callable[[str, str], str]  # (cell column, cast value expression) -> SQL


@dataclass(frozen=True, slots=True)
class SqlType:
    """How SQL recognises surely valid cells of a type, and their cast value."""

    valid: Callable[[str], str]  # cell column -> predicate
    value: Callable[[str], str]  # cell column -> cast value (exact where ``valid`` holds)
    literal: Callable[[Any], str | None]  # Python cast value -> SQL literal (None: cannot)


def _quote(text: str) -> str:
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
    return _quote(value) if isinstance(value, str) else None


def _literal_bool(value: Any) -> str | None:
    return ("TRUE" if value else "FALSE") if isinstance(value, bool) else None


def _matches(pattern: str) -> Callable[[str], str]:
    return lambda c: f"regexp_full_match({c}, {_quote(pattern)})"


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
    true = [_quote(value) for value in field.true_values]
    false = [_quote(value) for value in field.false_values]
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
        return " AND ".join([*guards, f"regexp_full_match({c}, {_quote(anchored)})"])

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
    compiled.missing_sql = (
        f"{column} IN ({', '.join(map(_quote, missing))})" if missing else "FALSE"
    )
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


@dataclass(slots=True)
class FastValidation:
    """One run of the fast path over a text table."""

    text: TextTable
    schema: Any  # frictionless.Schema
    references: Mapping[str, ReferenceTable]
    con: duckdb.DuckDBPyConnection
    fields: list[CompiledField] = field(default_factory=list)
    extra_columns: list[int] = field(default_factory=list)
    events: dict[int, list[tuple[int, int, SchemaError]]] = field(default_factory=dict)

    def add(self, row: int, phase: int, order: int, error: SchemaError) -> None:
        self.events.setdefault(row, []).append((phase, order, error))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()


def _header(text: TextTable, schema: Any) -> tuple[list[SchemaError], list[Any]]:
    from frictionless.table import Header

    header = Header(text.labels, fields=schema.fields, row_numbers=[1])
    errors = [to_schema_error(error) for error in header.errors]
    return errors, header.get_expected_fields()


def _cell_errors(run: FastValidation, relation: str) -> set[str]:
    """Blank rows, required-but-missing cells and suspects judged by frictionless, in the
    rows of ``relation`` (one batch of the table).

    Returns the names of key fields holding a cell frictionless reads but SQL could not cast.
    """
    present = [item for item in run.fields if item.present]
    columns = [
        f"{item.missing_sql} AS m{item.index}, NOT ({item.missing_sql}) AND NOT {item.ok_sql}"
        f" AS s{item.index}, {item.typed_sql} AS t{item.index}"
        for item in present
    ]
    blank = " AND ".join(f"m{item.index}" for item in present) or "TRUE"
    flagged = [f"s{item.index}" for item in present]
    flagged += [f"m{item.index}" for item in present if item.required]
    where = " OR ".join([*flagged, "blank"]) if flagged else "blank"
    if run.extra_columns or len(present) < len(run.fields):
        where = "TRUE"  # every row has extra or missing cells
    cells = ", ".join(
        f"s{item.index}, m{item.index}, t{item.index},"
        f" CASE WHEN s{item.index} OR m{item.index} THEN c{item.index} END"
        for item in present
    )
    extra = "".join(f", c{index}" for index in run.extra_columns)
    computed = "".join(f", {column}" for column in columns)
    sql = (
        f"WITH f AS (SELECT *{computed} FROM {relation}), g AS (SELECT *, {blank} AS blank FROM f) "  # noqa: S608
        f"SELECT {ROW}, blank{', ' + cells if cells else ''}{extra} FROM g WHERE {where} "
        f"ORDER BY {ROW}"
    )
    keys = _key_field_names(run)
    odd_keys: set[str] = set()
    for record in run.query(sql):
        row, is_blank = record[0], record[1]
        if is_blank:
            run.add(row, CELL, 0, SchemaError("blank-row", row_number=row))
            continue
        values = record[2:]
        for position, item in enumerate(present):
            suspect, missing, typed, cell = values[WIDTH * position : WIDTH * position + WIDTH]
            if missing and item.required:
                note = 'constraint "required" is "True"'
                run.add(
                    row, CELL, item.number, _cell_error("constraint-error", note, row, item, cell)
                )
            elif suspect and _judge(run, row, item, cell) and not typed and item.name in keys:
                odd_keys.add(item.name)
        for offset, index in enumerate(run.extra_columns):
            cell = values[WIDTH * len(present) + offset]
            error = SchemaError("extra-cell", row_number=row, field_number=index + 1, cell=cell)
            run.add(row, EXTRA, index + 1, error)
        for item in run.fields:
            if not item.present and item.required:  # frictionless reads the absent cell as None
                note = 'constraint "required" is "True"'
                run.add(
                    row, CELL, item.number, _cell_error("constraint-error", note, row, item, "None")
                )
        for item in run.fields:
            if not item.present:
                error = _cell_error("missing-cell", "", row, item, "")
                run.add(row, MISSING, item.number, error)
    return odd_keys


def _cell_error(kind: str, note: str, row: int, item: CompiledField, cell: str) -> SchemaError:
    return SchemaError(kind, note, row, item.name, item.number, cell)


def _judge(run: FastValidation, row: int, item: CompiledField, cell: str) -> bool:
    """frictionless's verdict on one cell; True when it reads a value SQL could not cast."""
    target, notes = item.reader(cell)
    notes = dict(notes or {})
    type_note = notes.pop("type", None)
    if type_note:
        run.add(row, CELL, item.number, _cell_error("type-error", type_note, row, item, cell))
    for note in notes.values():
        run.add(row, CELL, item.number, _cell_error("constraint-error", note, row, item, cell))
    return target is not None and not type_note


def _key_field_names(run: FastValidation) -> set[str]:
    names = {item.name for item in run.fields if item.frictionless_field.constraints.get("unique")}
    names |= set(run.schema.primary_key)
    for fk in run.schema.foreign_keys:
        names |= set(fk["fields"])
    return names


def _by_name(run: FastValidation) -> dict[str, CompiledField]:
    return {item.name: item for item in run.fields}


def _keys_select(
    fields: Mapping[str, CompiledField], names: Sequence[str]
) -> tuple[str, list[str]]:
    """The select list giving the comparable key of each named field as ``k0, k1, ...``, and
    those column names."""
    columns = [f"k{i}" for i in range(len(names))]
    selected = ", ".join(
        f"{fields[name].key_sql} AS {column}" for name, column in zip(names, columns, strict=True)
    )
    return selected, columns


def _all_null(columns: Sequence[str]) -> str:
    return " AND ".join(f"{column} IS NULL" for column in columns)


def _repeats_sql(keyed: str, keys: list[str], carried: str = "") -> str:
    """Rows of ``keyed`` (a CTE with ``__row`` and the ``keys`` columns) whose key, not all
    null, occurred in an earlier row, with that row's number as ``previous``. Repeated keys are
    found by grouping first, so that only their rows are windowed, not the whole table."""
    listed = ", ".join(keys)
    same = " AND ".join(f"r.{key} IS NOT DISTINCT FROM d.{key}" for key in keys)
    repeated = (
        f"SELECT {listed} FROM {keyed} WHERE NOT ({_all_null(keys)}) GROUP BY ALL "  # noqa: S608
        "HAVING count(*) > 1"
    )
    partition = ", ".join(f"r.{key}" for key in keys)
    return (
        f"SELECT {ROW}, previous{carried} FROM (SELECT r.*, lag(r.{ROW}) OVER "  # noqa: S608
        f"(PARTITION BY {partition} ORDER BY r.{ROW}) AS previous "
        f"FROM {keyed} r SEMI JOIN ({repeated}) d ON {same}) WHERE previous IS NOT NULL"
    )


def _unique_errors(run: FastValidation) -> None:
    for item in run.fields:
        if not item.frictionless_field.constraints.get("unique") or not item.present:
            continue
        sql = (
            f"WITH k AS NOT MATERIALIZED (SELECT {ROW}, c{item.index} AS cell, "  # noqa: S608
            f"{item.key_sql} AS k0 FROM {NUMBERED}) {_repeats_sql('k', ['k0'], ', cell')}"
        )
        for row, previous, cell in run.query(sql):
            note = f"the same as in the row at position {previous}"
            value = str(item.reader(cell)[0])  # frictionless quotes the cast value
            error = SchemaError("unique-error", note, row, item.name, item.number, value)
            run.add(row, UNIQUE, item.number, error)


def _primary_key_errors(run: FastValidation) -> None:
    names = list(run.schema.primary_key)
    fields = _by_name(run)
    if not names or not set(names) <= set(fields):
        return
    keys, columns = _keys_select(fields, names)
    sql = (
        f"WITH k AS NOT MATERIALIZED (SELECT {ROW}, {keys} FROM {NUMBERED}) "  # noqa: S608
        f"SELECT {ROW}, NULL FROM k WHERE {_all_null(columns)} "
        f"UNION ALL {_repeats_sql('k', columns)}"
    )
    for row, previous in run.query(sql):
        note = (
            'cells composing the primary keys are all "None"'
            if previous is None
            else f"the same as in the row at position {previous}"
        )
        run.add(row, PRIMARY, 0, SchemaError("primary-key", note, row))


def _reference_keys(reference: ReferenceTable, fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """The reference resource's key tuples as frictionless casts them (all-None skipped)."""
    import frictionless

    resource = frictionless_resource(reference.path, reference.schema)
    keys = set()
    with frictionless.system.use_context(trusted=True), resource:
        for row in resource.row_stream:
            cells = tuple(row.get(field_name) for field_name in fields)
            if set(cells) != {None}:
                keys.add(cells)
    return sorted(keys, key=repr)


def _foreign_key_errors(run: FastValidation) -> None:
    fields = _by_name(run)
    for order, fk in enumerate(run.schema.foreign_keys):
        target, source = list(fk["fields"]), list(fk["reference"]["fields"])
        source_name = fk["reference"]["resource"]
        if not set(target) <= set(fields):
            continue
        if not source_name:
            raise FastPathUnsupportedError("self-referencing foreign key")
        reference = run.references.get(source_name)
        if reference is None:
            raise FastPathUnsupportedError(f'foreign key to resource "{source_name}", not given')
        types = {f["name"]: f.get("type", "string") for f in reference.schema.get("fields", [])}
        if [types.get(name) for name in source] != [
            fields[n].frictionless_field.type for n in target
        ]:
            raise FastPathUnsupportedError(
                f'foreign key types differ from resource "{source_name}"'
            )
        rows = _reference_keys(reference, source)
        lookup = pa.table(
            {f"r{i}": [row[i] for row in rows] for i in range(len(source))}
            if rows
            else {f"r{i}": pa.array([], pa.string()) for i in range(len(source))}
        )
        run.con.register(f"lookup{order}", lookup)
        keys, columns = _keys_select(fields, target)
        match = " AND ".join(f"r{i} IS NOT DISTINCT FROM k{i}" for i in range(len(target)))
        sql = (
            f"WITH k AS (SELECT {ROW}, {keys} FROM {NUMBERED} WHERE TRUE) "  # noqa: S608
            f"SELECT {ROW}, {', '.join(columns)} FROM k WHERE NOT ({_all_null(columns)}) "
            f"AND NOT EXISTS (SELECT 1 FROM lookup{order} WHERE {match})"
        )
        for row, *cells in run.query(sql):
            note = 'for "{}": values "{}" not found in the lookup table "{}" as "{}"'.format(
                ", ".join(target),
                ", ".join(str(_python_value(cell)) for cell in cells),
                source_name,
                ", ".join(source),
            )
            run.add(row, FOREIGN, order, SchemaError("foreign-key", note, row))


def _python_value(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def _numbered(batch: pa.Table, first_row: int) -> pa.Table:
    return batch.append_column(ROW, row_numbers(first_row, batch.num_rows))


def _key_columns(run: FastValidation) -> list[str]:
    """The text columns the unique, primary-key and foreign-key queries read."""
    keys = _key_field_names(run)
    return [f"c{item.index}" for item in run.fields if item.present and item.name in keys]


def _scan_batches(run: FastValidation) -> set[str]:
    """One pass over the text: cell errors batch by batch, and the key columns kept in the
    table ``data`` (all the integrity queries read, through :data:`NUMBERED`), so the whole
    text is never held. Row numbers are not stored: they follow from the insertion order."""
    # Column -> (its value in a batch, its type); a table needs a column: with no key column,
    # one of nulls counts the rows.
    kept = {column: (column, "VARCHAR") for column in _key_columns(run)} or {
        "none": ("NULL", "BOOLEAN")
    }
    definition = ", ".join(f"{name} {sql_type}" for name, (_, sql_type) in kept.items())
    selected = ", ".join(value for value, _ in kept.values())
    run.con.execute(f"CREATE TABLE data ({definition})")
    # The rows are appended in order, one insert at a time, so rowid 0 is row 2 (after the header).
    run.con.execute(f"CREATE VIEW {NUMBERED} AS SELECT rowid + 2 AS {ROW}, * FROM data")  # noqa: S608
    odd_keys: set[str] = set()
    first_row = 2
    for batch in run.text.batches():
        run.con.register("batch", _numbered(batch, first_row))
        odd_keys |= _cell_errors(run, "batch")
        run.con.execute(f"INSERT INTO data SELECT {selected} FROM batch")  # noqa: S608
        run.con.unregister("batch")
        first_row += batch.num_rows
    return odd_keys


def validate_text_fast(
    text: TextTable,
    descriptor: Mapping[str, Any],
    *,
    references: Mapping[str, ReferenceTable] | None = None,
) -> tuple[list[SchemaError], int]:
    """Every error frictionless would report for this text table, in its order (uncapped).

    Reads the whole stream even when it ends in :class:`FastPathUnsupportedError`.
    """
    import frictionless

    schema = frictionless.Schema.from_descriptor(dict(descriptor))
    header_errors, expected = _header(text, schema)
    con = duckdb.connect()
    try:
        run = FastValidation(text=text, schema=schema, references=references or {}, con=con)
        width = len(text.labels)
        run.fields = [
            compile_field(item, index, index < width, schema, con)
            for index, item in enumerate(expected)
        ]
        run.extra_columns = list(range(len(expected), width))
        odd_keys = _scan_batches(run)
        if text.irregular_rows:
            raise FastPathUnsupportedError(
                f"{text.irregular_rows} record(s) with a different number of cells than the header"
            )
        if odd_keys:
            raise FastPathUnsupportedError(
                f"key field(s) {', '.join(sorted(odd_keys))} hold values SQL cannot cast exactly"
            )
        _unique_errors(run)
        _primary_key_errors(run)
        _foreign_key_errors(run)
    finally:
        con.close()
    plan = _integrity_plan(run)
    rows = [error for row in sorted(run.events) for error in _in_row_order(run.events[row], plan)]
    return header_errors + rows, text.num_rows


@dataclass(frozen=True, slots=True)
class IntegrityPlan:
    """Which fields frictionless reads, one by one, before it processes a whole row."""

    fields: list[int]  # every expected field number, in order
    unique: list[int]
    primary_key: list[int] | None
    foreign_keys: list[tuple[int, list[int]]]  # (foreign key index, its field numbers)


def _integrity_plan(run: FastValidation) -> IntegrityPlan:
    numbers = {item.name: item.number for item in run.fields}
    unique = [
        item.number for item in run.fields if item.frictionless_field.constraints.get("unique")
    ]
    key = list(run.schema.primary_key)
    primary = [numbers[name] for name in key] if key and set(key) <= set(numbers) else None
    foreign = [
        (order, [numbers[name] for name in fk["fields"]])
        for order, fk in enumerate(run.schema.foreign_keys)
        if set(fk["fields"]) <= set(numbers)
    ]
    return IntegrityPlan([item.number for item in run.fields], unique, primary, foreign)


def _in_row_order(
    events: list[tuple[int, int, SchemaError]], plan: IntegrityPlan
) -> list[SchemaError]:
    """Replay frictionless's row processing: a row's cells are read lazily, so the key fields'
    cell errors come first, and the first integrity error triggers reading the whole row
    (remaining cells, extra cells, missing cells; a blank row keeps only its blank-row error).
    """
    cells: dict[int, list[SchemaError]] = {}
    tail: list[tuple[int, int, SchemaError]] = []
    blank: list[SchemaError] = []
    integrity: dict[tuple[int, int], SchemaError] = {}
    for phase, order, error in events:
        if error.type == "blank-row":
            blank.append(error)
        elif phase == CELL:
            cells.setdefault(order, []).append(error)
        elif phase in (EXTRA, MISSING):
            tail.append((phase, order, error))
        else:
            integrity[(phase, order)] = error
    out: list[SchemaError] = []
    read: set[int] = set()
    whole = False

    def read_cell(number: int) -> None:
        if not whole and number not in read:
            read.add(number)
            out.extend(cells.get(number, []))

    def read_row() -> None:
        nonlocal whole, out
        if whole:
            return
        for number in plan.fields:
            read_cell(number)
        out.extend(error for _, _, error in sorted(tail, key=lambda item: item[:2]))
        if blank:
            out = list(blank)
        whole = True

    def check(numbers: list[int], key: tuple[int, int]) -> None:
        for number in numbers:
            read_cell(number)
        if key in integrity:
            read_row()
            out.append(integrity[key])

    for number in plan.unique:
        check([number], (UNIQUE, number))
    if plan.primary_key is not None:
        check(plan.primary_key, (PRIMARY, 0))
    for order, numbers in plan.foreign_keys:
        check(numbers, (FOREIGN, order))
    read_row()
    return out


def validate_schema(
    source: Source,
    descriptor: Mapping[str, Any],
    *,
    references: Mapping[str, ReferenceTable] | None = None,
    limit_errors: int | None = DEFAULT_LIMIT_ERRORS,
    text: TextTable | None = None,
) -> SchemaReport:
    """Validate a clean table against its Table Schema: fast path, else frictionless.

    ``source`` is a CSV or Parquet path or an Arrow table; ``text`` may pass an already read
    :class:`TextTable` of it. ``limit_errors`` caps the report as frictionless does (0/None: all).
    """
    try:
        table_text = text or read_text(source)
        errors, row_count = validate_text_fast(table_text, descriptor, references=references)
    except FastPathUnsupportedError as why:
        report = validate_with_frictionless(
            as_csv_path(source), descriptor, references=references, limit_errors=limit_errors
        )
        report.fallback_reason = str(why)
        return report
    capped, truncated = cap_errors(errors, limit_errors)
    return SchemaReport(
        errors=capped,
        row_count=row_count,
        engine="duckdb",
        limit_errors=limit_errors,
        truncated=truncated,
        invalid_rows=invalid_rows_of(errors),
    )


__all__ = [
    "FastPathUnsupportedError",
    "ReferenceTable",
    "validate_schema",
    "validate_text_fast",
]
