"""The clean procurement table as this package reads it: canonical columns, uniform types.

The Parquet writer may store dates as strings or timestamps and amounts as decimals; every
consumer here wants date32 and float64, so the conversion happens once, at the boundary.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

COLUMNS = (
    "project_id",
    "agency_code",
    "fiscal_year",
    "project_name",
    "method",
    "budget",
    "reference_price",
    "announce_date",
    "bid_close_date",
    "award_date",
    "contract_date",
    "number_of_bidders",
    "winner_tax_id",
    "winner_name",
    "contract_value",
    "status",
)
DATE_COLUMNS = ("announce_date", "bid_close_date", "award_date", "contract_date")
# Optional columns: a table without one (written before it existed) reads it as nulls.
OPTIONAL = ("award_date",)
AMOUNT_COLUMNS = ("budget", "reference_price", "contract_value")
TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys(COLUMNS, pa.string()),
    "fiscal_year": pa.int64(),
    "number_of_bidders": pa.int64(),
    **dict.fromkeys(DATE_COLUMNS, pa.date32()),
    **dict.fromkeys(AMOUNT_COLUMNS, pa.float64()),
}
SCHEMA = pa.schema([(name, TYPES[name]) for name in COLUMNS])


class ProcurementTableError(ValueError):
    """The table lacks a canonical column or holds a value of the wrong type."""


def typed(table: pa.Table, source: str = "procurement table") -> pa.Table:
    """The canonical columns of ``table``, in order, cast to :data:`SCHEMA`."""
    for name in OPTIONAL:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, TYPES[name]))
    return cast_columns(table, SCHEMA, source, ProcurementTableError)


def cast_columns(
    table: pa.Table, schema: pa.Schema, source: str, error: type[ValueError]
) -> pa.Table:
    """The columns of ``schema`` taken from ``table``, in its order and cast to its types (the
    integrity stage's tables: procurement, bids); ``error`` names ``source``, and the field."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise error(f"{source}: missing column(s) {', '.join(missing)}")
    columns = []
    for field in schema:
        try:
            columns.append(pc.cast(table[field.name], field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as cause:
            raise error(
                f"{source}, field {field.name}: cannot read as {field.type}: {cause}"
            ) from cause
    return pa.Table.from_arrays(columns, schema=schema)


def read_procurement(path: Path) -> pa.Table:
    """Read a clean procurement Parquet file, typed."""
    return typed(pq.read_table(path), source=str(path))
