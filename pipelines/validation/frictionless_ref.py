"""The reference engine: frictionless-py validates the table, we translate its report.

Used for everything the fast path does not cover and as the oracle of the differential tests.
frictionless is imported lazily (it costs ~0.2 s and pulls in many modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.validation.errors import (
    DEFAULT_LIMIT_ERRORS,
    SchemaError,
    SchemaReport,
    invalid_rows_of,
)

MAIN_RESOURCE = "data"


@dataclass(frozen=True, slots=True)
class ReferenceTable:
    """A resource that foreign keys point to (e.g. the agency registry), as a CSV file."""

    path: Path
    schema: Mapping[str, Any]


def _csv_resource(name: str, path: Path, schema: Mapping[str, Any]) -> Any:
    import frictionless
    from frictionless.formats import CsvControl

    # Clean tables are UTF-8 comma-separated: say so rather than let frictionless guess.
    return frictionless.Resource(
        path=str(path.resolve()),
        name=name,
        format="csv",
        encoding="utf-8",
        schema=frictionless.Schema.from_descriptor(dict(schema)),
        dialect=frictionless.Dialect(controls=[CsvControl(delimiter=",")]),
    )


def frictionless_resource(
    path: Path,
    schema: Mapping[str, Any],
    references: Mapping[str, ReferenceTable] | None = None,
) -> Any:
    """The table as a frictionless resource, inside a package when it has references."""
    import frictionless

    resource = _csv_resource(MAIN_RESOURCE, path, schema)
    if references:
        others = [_csv_resource(name, ref.path, ref.schema) for name, ref in references.items()]
        frictionless.Package(resources=[resource, *others])
    return resource


def to_schema_error(error: Any) -> SchemaError:
    return SchemaError(
        type=error.type,
        note=error.note,
        row_number=getattr(error, "row_number", None),
        field_name=getattr(error, "field_name", None) or None,
        field_number=getattr(error, "field_number", None),
        cell=getattr(error, "cell", None),
    )


def validate_with_frictionless(
    path: Path,
    schema: Mapping[str, Any],
    *,
    references: Mapping[str, ReferenceTable] | None = None,
    limit_errors: int | None = DEFAULT_LIMIT_ERRORS,
) -> SchemaReport:
    """Validate a CSV with frictionless; ``limit_errors`` 0/None means every error."""
    import frictionless

    resource = frictionless_resource(path, schema, references)
    # Our own files, by absolute path: frictionless refuses those unless trusted.
    with frictionless.system.use_context(trusted=True):
        report = resource.validate(limit_errors=limit_errors or 0)
    task = report.tasks[0]
    errors = [to_schema_error(error) for error in task.errors]
    return SchemaReport(
        errors=errors,
        row_count=int(task.stats.get("rows") or 0),
        engine="frictionless",
        limit_errors=limit_errors,
        truncated=any("reached error limit" in warning for warning in task.warnings),
        invalid_rows=invalid_rows_of(errors),
    )
