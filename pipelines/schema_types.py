"""Table Schema field types and what each becomes in every store: the one table.

A contract's ``schema.json`` types its fields with Frictionless Table Schema types. Each stage
stores a typed column in its own system; this module is the only place that says how:

* ``arrow``: the clean table's column (:mod:`pipelines.normalize`, Parquet);
* ``duckdb``: the typed column the gate casts the clean CSV text to (:mod:`pipelines.validation`);
* ``datastore``: the PostgreSQL type of the CKAN DataStore column (:mod:`pipelines.publish`);
* ``frictionless``: the frictionless-py field class that reads and checks the type.

Every type a contract may use has all four. The other Table Schema types are *refused* when a
contract is loaded (:func:`check_field_type`), each with its reason: the normaliser cannot turn
what Thai agencies write into that type, so the column would reach the DataStore unchecked (a
Buddhist Era timestamp read as a year 2566 timestamp). Nothing falls back silently to text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class StorageTypes:
    """One Table Schema type in every store."""

    table_schema: str
    arrow: pa.DataType
    duckdb: str
    datastore: str
    frictionless: str  # class name in ``frictionless.fields``


# The one table: one row per Table Schema type a contract may use, a column per target.
_ROWS: tuple[StorageTypes, ...] = (
    #            Table Schema  Arrow         DuckDB     DataStore  frictionless
    StorageTypes("string", pa.string(), "VARCHAR", "text", "StringField"),
    StorageTypes("integer", pa.int64(), "BIGINT", "int8", "IntegerField"),
    StorageTypes("number", pa.float64(), "DOUBLE", "numeric", "NumberField"),
    StorageTypes("boolean", pa.bool_(), "BOOLEAN", "bool", "BooleanField"),
    StorageTypes("date", pa.date32(), "DATE", "date", "DateField"),
)
SCHEMA_TYPES: dict[str, StorageTypes] = {row.table_schema: row for row in _ROWS}

_NOT_NORMALISED = "the normaliser does not read Thai forms of it"
# The other Table Schema types (v1, and v2's list), each with why a contract may not use it.
REFUSED: dict[str, str] = {
    "year": f"{_NOT_NORMALISED} (Buddhist Era years): use integer with "
    "normalize.buddhist_era_year_fields",
    "yearmonth": f"{_NOT_NORMALISED} (Buddhist Era years, Thai month names)",
    "datetime": f"{_NOT_NORMALISED} (Buddhist Era years, Thai month names)",
    "time": _NOT_NORMALISED,
    "duration": _NOT_NORMALISED,
    "object": "nested values have no column in the clean table or the CSV",
    "array": "nested values have no column in the clean table or the CSV",
    "list": "nested values have no column in the clean table or the CSV",
    "geopoint": "no DataStore column type without PostGIS",
    "geojson": "no DataStore column type without PostGIS",
    "any": "a column needs one type in Parquet and in the DataStore",
}
DEFAULT_TYPE = "string"  # a field without "type" (Table Schema v1)


class UnsupportedTypeError(ValueError):
    """A Table Schema type the pipeline does not carry, with the reason."""


def field_type(field: dict[str, object]) -> str:
    """The Table Schema type of a field descriptor (``string`` when absent)."""
    return str(field.get("type") or DEFAULT_TYPE)


def check_field_type(type_name: str) -> StorageTypes:
    """The row of a type a contract may use; otherwise a refusal that says why."""
    row = SCHEMA_TYPES.get(type_name)
    if row is not None:
        return row
    reason = REFUSED.get(type_name, "not a Table Schema type")
    supported = ", ".join(SCHEMA_TYPES)
    raise UnsupportedTypeError(
        f"type {type_name!r} is not supported ({reason}); a contract may use {supported}"
    )


def arrow_type(type_name: str) -> pa.DataType:
    return check_field_type(type_name).arrow


def duckdb_type(type_name: str) -> str:
    return check_field_type(type_name).duckdb


def datastore_type(type_name: str) -> str:
    return check_field_type(type_name).datastore


def frictionless_field(type_name: str) -> str:
    return check_field_type(type_name).frictionless
