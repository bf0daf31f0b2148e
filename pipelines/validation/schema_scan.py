"""The one pass of the fast schema check over a text table, and its integrity queries.

Batch by batch, SQL (the fields compiled by :mod:`pipelines.validation.schema_compile`) picks
the cells it cannot vouch for — blank rows, required cells missing, suspects — and
frictionless's own cell reader judges those, so type and constraint notes are frictionless's
by construction. The key columns are kept in a DuckDB table; unique, primary-key and
foreign-key errors are computed on it in SQL on the cast values, with frictionless's rules
(missing values skipped, "all None" keys, the last earlier row quoted). Errors are recorded as
events for :mod:`pipelines.validation.schema_order`.

Raises :class:`FastPathUnsupportedError` (the reason) for what needs frictionless on the
whole table: foreign keys to a resource not given or whose key types differ, self-references
(records of an odd width and key cells SQL cannot cast are detected by the caller).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.validation.errors import SchemaError
from pipelines.validation.frictionless_ref import (
    ReferenceTable,
    frictionless_resource,
    to_schema_error,
)
from pipelines.validation.schema_compile import CompiledField
from pipelines.validation.schema_order import (
    CELL,
    EXTRA,
    FOREIGN,
    MISSING,
    PRIMARY,
    UNIQUE,
    Event,
)
from pipelines.validation.tables import TextTable, row_numbers

ROW = "__row"
# The key table with its row numbers (see scan_batches).
NUMBERED = "numbered"
WIDTH = 4  # columns per field in the cell query: suspect, missing, typed, cell


class FastPathUnsupportedError(Exception):
    """The table needs the reference engine; the message says why."""


@dataclass(slots=True)
class FastValidation:
    """One run of the fast path over a text table."""

    text: TextTable
    schema: Any  # frictionless.Schema
    references: Mapping[str, ReferenceTable]
    con: duckdb.DuckDBPyConnection
    fields: list[CompiledField] = field(default_factory=list)
    extra_columns: list[int] = field(default_factory=list)
    events: dict[int, list[Event]] = field(default_factory=dict)

    def add(self, row: int, phase: int, order: int, error: SchemaError) -> None:
        self.events.setdefault(row, []).append((phase, order, error))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()


def header(text: TextTable, schema: Any) -> tuple[list[SchemaError], list[Any]]:
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


def unique_errors(run: FastValidation) -> None:
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


def primary_key_errors(run: FastValidation) -> None:
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


def foreign_key_errors(run: FastValidation) -> None:
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


def scan_batches(run: FastValidation) -> set[str]:
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


__all__ = [
    "FastPathUnsupportedError",
    "FastValidation",
    "foreign_key_errors",
    "header",
    "primary_key_errors",
    "scan_batches",
    "unique_errors",
]
