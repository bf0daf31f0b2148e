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

One concept per module: :mod:`~pipelines.validation.schema_compile` (1: the SQL of each
field), :mod:`~pipelines.validation.schema_scan` (2, 3: the pass over the text and the key
queries), :mod:`~pipelines.validation.schema_order` (4: frictionless's order); this module runs
them and falls back to frictionless.

What falls back to frictionless for the whole table (``FastPathUnsupportedError``, reason recorded
in the report): records with a cell count different from the header's, key columns whose
values SQL cannot cast exactly (a valid but unusual literal such as ``1_000`` in a unique
column, a type without a SQL form), foreign keys to a resource that was not given or whose key
types differ, self-referencing foreign keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from pipelines.validation.errors import (
    DEFAULT_LIMIT_ERRORS,
    SchemaError,
    SchemaReport,
    cap_errors,
    invalid_rows_of,
)
from pipelines.validation.frictionless_ref import ReferenceTable, validate_with_frictionless
from pipelines.validation.schema_compile import compile_field
from pipelines.validation.schema_order import integrity_plan, ordered
from pipelines.validation.schema_scan import (
    FastPathUnsupportedError,
    FastValidation,
    foreign_key_errors,
    header,
    primary_key_errors,
    scan_batches,
    unique_errors,
)
from pipelines.validation.tables import Source, TextTable, as_csv_path, read_text


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
    header_errors, expected = header(text, schema)
    con = duckdb.connect()
    try:
        run = FastValidation(text=text, schema=schema, references=references or {}, con=con)
        width = len(text.labels)
        run.fields = [
            compile_field(item, index, index < width, schema, con)
            for index, item in enumerate(expected)
        ]
        run.extra_columns = list(range(len(expected), width))
        odd_keys = scan_batches(run)
        if text.irregular_rows:
            raise FastPathUnsupportedError(
                f"{text.irregular_rows} record(s) with a different number of cells than the header"
            )
        if odd_keys:
            raise FastPathUnsupportedError(
                f"key field(s) {', '.join(sorted(odd_keys))} hold values SQL cannot cast exactly"
            )
        unique_errors(run)
        primary_key_errors(run)
        foreign_key_errors(run)
    finally:
        con.close()
    return header_errors + ordered(run.events, integrity_plan(run.fields, schema)), text.num_rows


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
