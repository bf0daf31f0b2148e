"""Which rows broke a row-level business rule, so that a ``quarantine`` policy can leave them
out like rows with schema errors, and which rows a ``warning`` rule flags (published all the
same, and listed in the report: a contract over its budget is published and red-flagged).

GX names a failing row by its primary key (the second pass of
:func:`~pipelines.validation.suite.failed_row_keys`); here the keys become row numbers in the
schema errors' numbering (header = row 1), read from the typed table, whose rows are in file
order. A failed rule whose rows cannot all be named keeps blocking the partition: a table-level
rule (row count, min/max, column list), a table without a primary key, a key GX does not
return, or a rule failing on more rows than the error rate allows anyway (not worth naming).

Reports carry the row number, the rule and its columns — never a cell value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.validation.suite import (
    Engine,
    ExpectationOutcome,
    ExpectationSpec,
    Suite,
    SuiteReport,
    failed_row_keys,
    is_row_level,
)

_ROW = "__ogp_row_number"
WARNING_ROWS_NAMED = 10_000  # a warning rule failing on more rows is reported by its count
_KEY = "__ogp_key"


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One row that broke one business rule."""

    row_number: int
    rule: str
    type: str
    columns: tuple[str, ...]
    severity: str = "error"  # "warning": the row is published and flagged, not quarantined

    def to_dict(self) -> dict[str, Any]:
        return {
            "rowNumber": self.row_number,
            "rule": self.rule,
            "type": self.type,
            "columns": list(self.columns),
            "severity": self.severity,
        }


@dataclass(slots=True)
class RuleRows:
    """The rows of the failed rules that could be named (``error`` rows are quarantined,
    ``warning`` rows flagged), and the ``error`` rules that could not (these block)."""

    rows: list[RuleRow] = field(default_factory=list)
    blocking: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def row_numbers(self) -> set[int]:
        """The rows to quarantine: those of ``error`` rules only."""
        return {row.row_number for row in self.rows if row.severity == "error"}


def locate_rule_rows(
    suite: Suite,
    report: SuiteReport,
    table: pa.Table | Path,
    key_columns: Sequence[str],
    *,
    max_rows: int,
    engine: Engine = "duckdb",
    parameters: Mapping[str, Any] | None = None,
) -> RuleRows:
    """Name the rows behind each failed rule of ``report``: an ``error`` rule's rows are
    quarantined (one that cannot be named blocks), a ``warning`` rule's rows are flagged and
    published (one that cannot be named is reported by its count only, never blocks).
    ``max_rows``: the most invalid rows the policy tolerates; an ``error`` rule failing on more
    blocks without a second pass. A ``warning`` rule is named up to ``WARNING_ROWS_NAMED`` rows
    (or ``max_rows`` if more): it costs no publication, so the error rate does not bound it."""
    failed = _failed(report, "error")
    warned = _failed(report, "warning")

    def nameable(outcomes: dict[int, ExpectationOutcome], most: int) -> dict[int, int]:
        return {
            index: int(outcome.unexpected_count)
            for index, outcome in outcomes.items()
            if key_columns
            and outcome.unexpected_count is not None
            and 0 < outcome.unexpected_count <= most
            and is_row_level(suite.expectations[index])
        }

    named_errors = nameable(failed, max_rows)
    named_warnings = nameable(warned, max(max_rows, WARNING_ROWS_NAMED))
    if len(named_errors) < len(failed):  # the partition blocks whatever the rows: save the pass
        return RuleRows(blocking=list(failed.values()))
    if not failed and not named_warnings:
        return RuleRows()
    wanted = {**named_errors, **named_warnings}
    keys = failed_row_keys(suite, table, wanted, key_columns, engine=engine, parameters=parameters)
    located = RuleRows()
    with _KeyIndex(table, key_columns) as index:
        for number in wanted:
            outcome = report.outcomes[number]
            found = keys[number]
            numbers = None if found is None else index.row_numbers(found)
            if numbers is None:
                if outcome.severity == "error":
                    located.blocking.append(outcome)
                continue
            columns = _columns(suite.expectations[number])
            located.rows += [
                RuleRow(n, outcome.label, outcome.type, columns, outcome.severity) for n in numbers
            ]
    located.rows.sort(key=lambda row: (row.row_number, row.rule))
    return located


def _failed(report: SuiteReport, severity: str) -> dict[int, ExpectationOutcome]:
    return {
        index: outcome
        for index, outcome in enumerate(report.outcomes)
        if not outcome.success and outcome.severity == severity
    }


def _columns(spec: ExpectationSpec) -> tuple[str, ...]:
    """The columns a rule names in its arguments (none for an SQL query)."""
    columns: list[str] = []
    for name in ("column", "column_A", "column_B", "column_list"):
        value = spec.kwargs.get(name)
        if isinstance(value, list):
            columns += [str(item) for item in value]
        elif value is not None:
            columns.append(str(value))
    return tuple(columns)


class _KeyIndex:
    """Key values -> row numbers (header = row 1; the typed table's rows are in file order),
    by a DuckDB join that reads only the key columns (of a Parquet file: streamed)."""

    def __init__(self, table: pa.Table | Path, key_columns: Sequence[str]) -> None:
        import duckdb

        self._columns = list(key_columns)
        self._con = duckdb.connect()
        selected = ", ".join(f'"{name}"' for name in self._columns)
        if isinstance(table, Path):
            literal = str(table.resolve()).replace("'", "''")
            self._con.execute(
                f'CREATE VIEW r AS SELECT {selected}, file_row_number + 2 AS "{_ROW}" '  # noqa: S608
                f"FROM read_parquet('{literal}', file_row_number = true)"
            ).fetchall()  # DuckDB 2 refuses further work while a result is unfinished
            self._schema = pq.read_schema(table)
        else:
            keys = table.select(self._columns)
            numbers = pa.array(range(2, keys.num_rows + 2), pa.int64())
            self._con.register("r", keys.append_column(_ROW, numbers))
            self._schema = table.schema

    def __enter__(self) -> _KeyIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def row_numbers(self, keys: list[dict[str, Any]]) -> list[int] | None:
        """The rows holding these keys (all of them, should a key be duplicated); None when a
        key matches no row."""
        if not keys:
            return []
        key_schema = pa.schema([self._schema.field(name) for name in self._columns])
        try:
            wanted = pa.Table.from_pylist(keys, schema=key_schema)
        except (pa.ArrowException, TypeError, ValueError):
            return None  # a key in a type the table does not hold: it names no row
        self._con.register("k", wanted.append_column(_KEY, pa.array(range(len(keys)))))
        on = " AND ".join(f'r."{name}" IS NOT DISTINCT FROM k."{name}"' for name in self._columns)
        ((count, numbers),) = self._con.execute(
            f'SELECT count(DISTINCT k."{_KEY}"), list(DISTINCT r."{_ROW}" ORDER BY r."{_ROW}") '  # noqa: S608
            f"FROM k JOIN r ON {on}"
        ).fetchall()
        self._con.unregister("k")
        return [int(number) for number in numbers] if count == len(keys) else None
