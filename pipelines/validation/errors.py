"""The error model shared by both schema engines: frictionless's own error vocabulary.

Row numbers count the header as row 1 (frictionless's convention), so the first data row is 2.
Cell values are kept for the steward's eyes but never rendered into a published report
without passing through the privacy guard (see ``report.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# frictionless caps a report at 1000 errors by default; we cap ours the same way.
DEFAULT_LIMIT_ERRORS = 1000


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One frictionless-style error (``type`` is a frictionless error code)."""

    type: str
    note: str = ""
    row_number: int | None = None
    field_name: str | None = None
    field_number: int | None = None
    cell: str | None = None

    @property
    def key(self) -> tuple[str, int | None, str | None]:
        """What the differential test compares: (type, rowNumber, fieldName)."""
        return (self.type, self.row_number, self.field_name or None)

    def to_dict(self, *, with_cell: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "note": self.note}
        if self.row_number is not None:
            data["rowNumber"] = self.row_number
        if self.field_name:
            data["fieldName"] = self.field_name
        if self.field_number is not None:
            data["fieldNumber"] = self.field_number
        if with_cell and self.cell is not None:
            data["cell"] = self.cell
        return data


@dataclass(slots=True)
class SchemaReport:
    """Errors of one table, in frictionless's order, plus how they were found."""

    errors: list[SchemaError]
    row_count: int
    engine: str  # "duckdb" or "frictionless"
    fallback_reason: str | None = None
    limit_errors: int | None = DEFAULT_LIMIT_ERRORS
    truncated: bool = False
    invalid_rows: set[int] = field(default_factory=set)

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(error.type for error in self.errors).items()))

    def header_errors(self) -> list[SchemaError]:
        return [error for error in self.errors if error.row_number is None]


def cap_errors(errors: list[SchemaError], limit: int | None) -> tuple[list[SchemaError], bool]:
    """Keep the first ``limit`` errors (frictionless: 0 or None means no limit)."""
    if limit and len(errors) >= limit:
        return errors[:limit], True
    return errors, False


def invalid_rows_of(errors: list[SchemaError]) -> set[int]:
    return {error.row_number for error in errors if error.row_number is not None}
