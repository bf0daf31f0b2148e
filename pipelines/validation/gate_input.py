"""What the gate is given, as typed objects: the partition it judges (:class:`GateInput`) and how
it runs (:class:`GateOptions`). The contract is the contracts' own ``DatasetSpec``.

The clean step and ``ogp validate`` build the input the same way, from the clean partition the
normaliser wrote (:meth:`GateInput.from_clean`): its Parquet, the cells it could not type and
the personal data it found in the text as received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.contracts import DatasetSpec
from pipelines.validation.errors import DEFAULT_LIMIT_ERRORS
from pipelines.validation.frictionless_ref import ReferenceTable
from pipelines.validation.suite_model import Engine
from pipelines.validation.tables import Source

if TYPE_CHECKING:
    from pipelines.normalize.partition import CleanPartition


@dataclass(frozen=True, slots=True)
class GateInput:
    """One clean partition (family x agency) and what normalisation found on the way.

    ``clean``: the clean Parquet (its CSV sibling is what the schema check reads), an Arrow
    table, or a bare CSV (typed by :mod:`pipelines.validation.typed_csv`). ``cast_errors``:
    ``{"row_number", "field", "cell", "type", "note"}`` per cell the normaliser could not type;
    ``personal_data``: ``{"file", "row_number", "column", "kind", "mapped"}`` per finding in the
    text as received (never the value)."""

    family: str
    agency: str
    clean: Source
    spec: DatasetSpec
    cast_errors: Sequence[Mapping[str, Any]] = ()
    personal_data: Sequence[Mapping[str, Any]] = ()

    @classmethod
    def from_clean(cls, spec: DatasetSpec, agency: str, partition: CleanPartition) -> GateInput:
        """The input of the clean step's gate: the partition :func:`~pipelines.normalize.
        partition.clean` wrote, under the agency the gate's outputs are filed by."""
        return cls(
            family=spec.name,
            agency=agency,
            clean=partition.files.parquet,
            spec=spec,
            cast_errors=partition.result.cast_errors,
            personal_data=partition.result.personal_data,
        )

    @property
    def string_fields(self) -> list[str]:
        """The string columns: the ones the guard scans and masks."""
        fields = self.spec.schema.get("fields", [])
        return [f["name"] for f in fields if f.get("type", "string") == "string"]


@dataclass(frozen=True, slots=True)
class GateOptions:
    """How the gate runs; the defaults are the pipeline's.

    ``references``: the foreign keys' target tables (default: the registries they name);
    ``out_dir``: where the report and publishable table go (default:
    ``<data_dir>/validation/<family>/<agency>``); ``suite_parameters`` override the suite's;
    ``limit_errors`` caps the errors listed in the report (the counts keep them all)."""

    references: Mapping[str, ReferenceTable] | None = None
    out_dir: Path | None = None
    suite_parameters: Mapping[str, Any] | None = None
    engine: Engine = "duckdb"
    expectations_dir: Path | None = None
    limit_errors: int | None = DEFAULT_LIMIT_ERRORS


__all__ = ["GateInput", "GateOptions"]
