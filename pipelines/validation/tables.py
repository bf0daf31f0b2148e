"""Read clean tables as text, the way frictionless sees a CSV: every cell a string, the header
as labels, one row per CSV record. Parquet and in-memory tables are rendered to the same text.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Source: TypeAlias = Path | pa.Table


class UnreadableTableError(Exception):
    """The file cannot be read as a table (names the file and why)."""


@dataclass(frozen=True, slots=True)
class TextTable:
    """Cells as strings in columns ``c0..cN`` (labels kept apart: they may repeat or be blank)."""

    labels: list[str]
    table: pa.Table
    irregular_rows: int  # records whose cell count differs from the header's (skipped here)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def column_names(count: int) -> list[str]:
    return [f"c{index}" for index in range(count)]


def read_labels(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def read_csv_text(path: Path) -> TextTable:
    """All cells as strings; an empty line is a row of empty cells (as in frictionless)."""
    try:
        labels = read_labels(path)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableTableError(f"{path}: {error}") from error
    names = column_names(len(labels))
    irregular = 0

    def count_irregular(_row: pacsv.InvalidRow) -> str:
        nonlocal irregular
        irregular += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=count_irregular,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableTableError(f"{path}: {error}") from error
    return TextTable(labels=labels, table=table, irregular_rows=irregular)


def to_text(table: pa.Table) -> TextTable:
    """Render a typed table as the text its CSV export would hold (null → empty cell)."""
    columns = []
    for column in table.columns:
        text = column if pa.types.is_string(column.type) else _render(column)
        columns.append(pc.fill_null(text, ""))
    names = column_names(table.num_columns)
    return TextTable(
        labels=list(table.column_names),
        table=pa.table(columns, names=names),
        irregular_rows=0,
    )


def _render(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """As a CSV writer spells it: booleans as true/false, everything else by Arrow's cast."""
    if pa.types.is_boolean(column.type):
        return pc.if_else(column, "true", "false")
    return column.cast(pa.string())


def read_text(source: Source) -> TextTable:
    """A CSV or Parquet path, or an Arrow table, as text."""
    if isinstance(source, pa.Table):
        return to_text(source)
    if not source.is_file():
        raise UnreadableTableError(f"{source}: no such file")
    if source.suffix.lower() == ".parquet":
        return to_text(read_parquet(source))
    return read_csv_text(source)


def read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableTableError(f"{path}: {error}") from error


def as_csv_path(source: Source, workdir: Path | None = None) -> Path:
    """A CSV path for tools that only read files (frictionless); tables are written out."""
    if isinstance(source, Path) and source.suffix.lower() != ".parquet":
        return source
    table = read_parquet(source) if isinstance(source, Path) else source
    text = to_text(table)
    directory = Path(workdir or tempfile.mkdtemp(prefix="ogp-validate-"))
    path = directory / "table.csv"
    pacsv.write_csv(text.table.rename_columns(text.labels), path)
    return path


# Table Schema type -> the DuckDB type of the typed (clean) column.
SQL_TYPES = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "year": "INTEGER",
}


def typed_from_text(text: TextTable, schema: dict[str, Any]) -> pa.Table:
    """The typed table the suite and the privacy guard read: cells cast per field type,
    missing values and cells that do not cast become null (the schema check reports those)."""
    import duckdb

    fields = list(schema.get("fields", []))
    missing = list(schema.get("missingValues", [""]))
    con = duckdb.connect()
    try:
        con.register("text", text.table)
        columns = []
        for index, field in enumerate(fields[: len(text.labels)]):
            cell = f"c{index}"
            if missing:
                listed = ", ".join("'" + value.replace("'", "''") + "'" for value in missing)
                cell = f"CASE WHEN c{index} IN ({listed}) THEN NULL ELSE c{index} END"
            sql_type = SQL_TYPES.get(field.get("type", "string"))
            if field.get("type") == "boolean":
                cell = (
                    f"CASE WHEN {cell} IN ('true', 'True', 'TRUE', '1') THEN TRUE "
                    f"WHEN {cell} IN ('false', 'False', 'FALSE', '0') THEN FALSE END"
                )
            elif sql_type:
                cell = f"TRY_CAST(trim({cell}) AS {sql_type})"
            name = field["name"].replace('"', '""')
            columns.append(f'{cell} AS "{name}"')
        return con.sql(f"SELECT {', '.join(columns)} FROM text").to_arrow_table()  # noqa: S608
    finally:
        con.close()
