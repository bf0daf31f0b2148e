"""Read clean tables as text, the way frictionless sees a CSV: every cell a string, the header
as labels, one row per CSV record. Parquet and in-memory tables are rendered to the same text.

Tables are streamed in record batches, never held whole: a national-scale partition (millions
of rows) is read once, and each batch goes to every consumer that asked for it (the schema
check; for a gate given a bare CSV, :mod:`pipelines.validation.typed_csv`), then is let go.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Source: TypeAlias = Path | pa.Table
BatchConsumer: TypeAlias = Callable[[pa.Table], None]
# Rows per batch handed to consumers: large enough that a query per batch costs little.
BATCH_ROWS = 1 << 16
# CSV block size: pyarrow's streaming reader keeps some 40 blocks in flight (measured), so
# small blocks bound its memory (256 KB: the 1M-row bench peaks ~20 MB lower than with 1 MB, at
# no measured cost in time); they are regrouped into BATCH_ROWS batches.
BLOCK_SIZE = 1 << 18
# Row groups of the typed Parquet: reading one back costs memory in proportion.
TYPED_ROW_GROUP = 1 << 15


class UnreadableTableError(Exception):
    """The file cannot be read as a table (names the file and why)."""


class TextTable:
    """Cells as strings in columns ``c0..cN`` (labels kept apart: they may repeat or be blank),
    as a stream of batches (Arrow tables of about ``BATCH_ROWS`` rows) that can be read once.

    ``num_rows`` and ``irregular_rows`` count what has been read so far; they are final once
    the stream is exhausted (see :meth:`drain`).
    """

    def __init__(
        self,
        labels: list[str],
        batches: Iterable[pa.RecordBatch],
        irregular: Callable[[], int] = lambda: 0,
        source: str = "table",
        file: HashingFile | None = None,
    ) -> None:
        self.labels = labels
        self.source = source
        self.num_rows = 0
        self._batches = iter(batches)
        self._irregular = irregular
        self._consumers: list[BatchConsumer] = []
        self._file = file

    @property
    def irregular_rows(self) -> int:
        """Records whose cell count differs from the header's (skipped here)."""
        return self._irregular()

    @property
    def sha256(self) -> str | None:
        """The hex sha256 of the file read, once read to its end (None before, or for a
        table that is not read from a file as bytes: Parquet, Arrow)."""
        return None if self._file is None else self._file.sha256

    def subscribe(self, consumer: BatchConsumer) -> None:
        """Have ``consumer`` see every batch read from now on, before the reader gets it."""
        self._consumers.append(consumer)

    def batches(self) -> Iterator[pa.Table]:
        try:
            for batch in _regrouped(self._batches, BATCH_ROWS):
                self.num_rows += batch.num_rows
                for consumer in self._consumers:
                    consumer(batch)
                yield batch
                pa.default_memory_pool().release_unused()  # the batch is gone: give it back
        except (pa.ArrowInvalid, OSError) as error:
            raise UnreadableTableError(f"{self.source}: {error}") from error
        finally:
            if self._file is not None:
                self._file.close()

    def drain(self) -> None:
        """Read whatever is left, so that every consumer saw the whole table."""
        for _ in self.batches():
            pass


def _regrouped(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Consecutive record batches as tables of at least ``rows`` rows (the last may be less)."""
    group: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        group.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(group)
            group, count = [], 0
    if group:
        yield pa.Table.from_batches(group)


def row_numbers(first: int, count: int) -> pa.Array:
    """``first, first + 1, …``: the row numbers of a batch (built without Python ints)."""
    import numpy as np

    return pa.array(np.arange(first, first + count, dtype=np.int64))


def column_names(count: int) -> list[str]:
    return [f"c{index}" for index in range(count)]


def read_labels(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


class HashingFile(io.RawIOBase):
    """A binary file that digests (sha256) what is read from it, so that the one streamed read
    of a partition also yields the digest its report cites; complete once read to its end."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._handle = path.open("rb", buffering=0)
        self._digest = hashlib.sha256()
        self._at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer) or 0
        if count:
            self._digest.update(memoryview(buffer)[:count])  # hashlib releases the GIL
        else:
            self._at_end = True
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()

    @property
    def sha256(self) -> str | None:
        return self._digest.hexdigest() if self._at_end else None


def read_csv_text(path: Path) -> TextTable:
    """All cells as strings; an empty line is a row of empty cells (as in frictionless)."""
    try:
        labels = read_labels(path)
        file = HashingFile(path)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableTableError(f"{path}: {error}") from error
    names = column_names(len(labels))
    irregular = 0

    def count_irregular(_row: pacsv.InvalidRow) -> str:
        nonlocal irregular
        irregular += 1
        return "skip"

    try:
        reader = pacsv.open_csv(
            file,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_SIZE),
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
        file.close()
        raise UnreadableTableError(f"{path}: {error}") from error
    return TextTable(labels, reader, lambda: irregular, source=str(path), file=file)


def render_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A typed batch as the text its CSV export would hold (null → empty cell)."""
    columns = []
    for column in batch.columns:
        text = column if pa.types.is_string(column.type) else _render(column)
        columns.append(pc.fill_null(text, ""))
    return pa.RecordBatch.from_arrays(columns, names=column_names(batch.num_columns))


def _render(column: pa.Array) -> pa.Array:
    """As a CSV writer spells it: booleans as true/false, everything else by Arrow's cast."""
    if pa.types.is_boolean(column.type):
        return pc.if_else(column, "true", "false")
    return column.cast(pa.string())


def to_text(table: pa.Table) -> TextTable:
    """A typed table as text, rendered batch by batch."""
    batches = table.to_batches(max_chunksize=BATCH_ROWS)
    return TextTable(list(table.column_names), map(render_batch, batches))


def read_text(source: Source) -> TextTable:
    """A CSV or Parquet path, or an Arrow table, as text."""
    if isinstance(source, pa.Table):
        return to_text(source)
    if not source.is_file():
        raise UnreadableTableError(f"{source}: no such file")
    if source.suffix.lower() == ".parquet":
        parquet = _parquet_file(source)
        batches = parquet.iter_batches(batch_size=BATCH_ROWS)
        return TextTable(parquet.schema_arrow.names, map(render_batch, batches), source=str(source))
    return read_csv_text(source)


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableTableError(f"{path}: {error}") from error


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
    directory = Path(workdir or tempfile.mkdtemp(prefix="ogp-validate-"))
    path = directory / "table.csv"
    text = pa.Table.from_batches(
        [render_batch(batch) for batch in table.to_batches()],
        schema=pa.schema([(name, pa.string()) for name in column_names(table.num_columns)]),
    )
    pacsv.write_csv(text.rename_columns(table.column_names), path)
    return path
