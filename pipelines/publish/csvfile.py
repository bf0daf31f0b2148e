"""Published CSV files: UTF-8, spreadsheet-safe, byte-for-byte reproducible.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return) is run as a
formula by spreadsheet programs (OWASP "CSV injection"). Published CSVs prefix such text cells
with an apostrophe; the DataStore and JSON keep the exact values. Only text columns are
touched, so negative numbers stay numbers.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_PATTERN = "^[=+\\-@\t\r]"
NEUTRALISER = "'"


def neutralise_cell(value: str) -> str:
    """The text a spreadsheet shows literally (one cell)."""
    return NEUTRALISER + value if value.startswith(FORMULA_TRIGGERS) else value


def _neutralise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.null_count == len(column):
        return column
    risky = pc.match_substring_regex(column, _TRIGGER_PATTERN)
    prefixed = pc.binary_join_element_wise(NEUTRALISER, column, "")
    return pc.if_else(risky, prefixed, column)


def neutralise_table(table: pa.Table) -> pa.Table:
    """The same table with every risky text cell neutralised."""
    columns = [
        _neutralise_column(column) if pa.types.is_string(column.type) else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, schema=table.schema)


def _text_safe_types(table: pa.Table) -> pa.Table:
    """Large strings as plain strings (the CSV writer and the regex kernel want one type)."""
    schema = pa.schema(
        pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
        for f in table.schema
    )
    return table.cast(schema)


def to_safe_csv(table: pa.Table) -> bytes:
    """The table as the UTF-8 CSV bytes the public downloads (header row, neutralised text)."""
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=True, quoting_style="needed")
    pa_csv.write_csv(neutralise_table(_text_safe_types(table)), buffer, write_options=options)
    return buffer.getvalue()
