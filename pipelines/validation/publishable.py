"""The publishable table of one partition: what the gate lets through — personal data masked
or dropped, quarantined rows left out — written batch by batch beside the report."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.layout import PUBLISHABLE_PARQUET
from pipelines.validation.tables import row_numbers


class PublishableWriter:
    """Writes the publishable table batch by batch as the privacy guard masks it: quarantined
    (invalid) rows left out; columns to drop are removed once all findings are known."""

    def __init__(
        self, path: Path, invalid_rows: set[int], beside: PublishableWriter | None = None
    ) -> None:
        self.path = path
        self._invalid = pa.array(sorted(invalid_rows), pa.int64())
        self._writer: pq.ParquetWriter | None = None
        # A second table fed the same masked batches, leaving out its own rows (the gate's
        # schema-valid table: business-rule quarantine kept, for the red flags).
        self.beside = beside

    def __call__(self, table: pa.Table, first_row_number: int) -> None:
        if self.beside is not None:
            self.beside(table, first_row_number)
        if len(self._invalid):
            numbers = row_numbers(first_row_number, table.num_rows)
            table = table.filter(pc.invert(pc.is_in(numbers, value_set=self._invalid)))
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self, dropped: Sequence[str]) -> Path:
        if self._writer is None:
            raise ValueError(f"{self.path}: no rows were written")
        if self.beside is not None:
            self.beside.close(dropped)
        self._writer.close()
        if dropped:
            _drop_columns(self.path, dropped)
        return self.path


def _drop_columns(path: Path, dropped: Sequence[str]) -> None:
    """Rewrite the file without the dropped columns, batch by batch."""
    source = pq.ParquetFile(path)
    kept = [name for name in source.schema_arrow.names if name not in dropped]
    rewritten = path.with_name(path.name + ".kept")
    with pq.ParquetWriter(
        rewritten, source.schema_arrow.remove_metadata().empty_table().select(kept).schema
    ) as writer:
        for batch in source.iter_batches(columns=kept):
            writer.write_batch(batch)
    rewritten.replace(path)


def write_publishable(
    written: Path | None, directory: Path, name: str = PUBLISHABLE_PARQUET
) -> Path:
    """Move the table publishing may use — privacy-cleaned, quarantined rows left out — beside
    the report, so the publisher never reads the unmasked clean table. A blocked partition
    leaves no such file: the portal keeps its previous version. ``name``: another gate table
    (the schema-valid one), moved the same way."""
    path = directory / name
    if written is None:
        path.unlink(missing_ok=True)
    else:
        tmp = path.with_suffix(".parquet.tmp")
        shutil.move(written, tmp)
        tmp.replace(path)
    return path
