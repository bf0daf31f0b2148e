"""A gate given a bare CSV (no clean Parquet beside it: tests, the benchmark) types it here.

The pipeline and ``ogp validate`` never come here: the clean step's Parquet is typed by the
normaliser (:mod:`pipelines.normalize.cast`) and the gate reads it as it is. For a CSV alone,
each text batch of the one streamed read is cast in DuckDB (missing values and cells that do
not cast become null: the schema check reports those) and appended to a Parquet file, in a
thread of its own, for the suite and the privacy guard to read.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.schema_types import SCHEMA_TYPES
from pipelines.validation.tables import TYPED_ROW_GROUP, BatchConsumer, column_names

RowGroupConsumer: TypeAlias = Callable[[pa.Table, int], None]  # (rows, first row number)

# Table Schema type -> the DuckDB type of the typed (clean) column; strings stay as read.
SQL_TYPES = {name: row.duckdb for name, row in SCHEMA_TYPES.items() if name != "string"}


def typed_select(labels: list[str], schema: dict[str, Any]) -> str:
    """The SQL select list casting text columns ``c0..cN`` per field type: missing values and
    cells that do not cast become null (the schema check reports those)."""
    fields = list(schema.get("fields", []))
    missing = list(schema.get("missingValues", [""]))
    columns = []
    for index, field in enumerate(fields[: len(labels)]):
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
    return ", ".join(columns)


class TypedParquetWriter:
    """Casts each text batch it is given (see :func:`typed_select`) and appends it to a Parquet
    file: the typed table the suite and the privacy guard read, built without holding it.

    Row groups hold exactly ``TYPED_ROW_GROUP`` rows (the last may hold fewer), which is how the
    file reads back in batches; each row group also goes to ``row_groups`` consumers with its
    first row number (header = row 1), so they see the table as a reader of the file would."""

    def __init__(
        self,
        path: Path,
        labels: list[str],
        schema: dict[str, Any],
        row_groups: Iterable[RowGroupConsumer] = (),
    ) -> None:
        import duckdb

        self.path = path
        self._width = len(labels)
        self._select = typed_select(labels, schema)
        self._con = duckdb.connect()
        self._writer: pq.ParquetWriter | None = None
        self._consumers = list(row_groups)
        self._pending: list[pa.Table] = []
        self._schema: pa.Schema | None = None
        self._first_row = 2

    def __call__(self, batch: pa.Table) -> None:
        self._con.register("text", batch)
        typed = self._con.sql(f"SELECT {self._select} FROM text").to_arrow_table()  # noqa: S608
        self._con.unregister("text")
        self._schema = typed.schema
        self._pending.append(typed)
        self._write(TYPED_ROW_GROUP)

    def _write(self, at_least: int) -> None:
        """Write row groups from the pending rows while ``at_least`` rows remain."""
        if not self._pending or self._schema is None:
            return
        pending = pa.concat_tables(self._pending)
        offset = 0
        while pending.num_rows - offset >= max(at_least, 1):
            group = pending.slice(offset, TYPED_ROW_GROUP)
            self._parquet().write_table(group, row_group_size=TYPED_ROW_GROUP)
            for consumer in self._consumers:
                consumer(group, self._first_row)
            self._first_row += group.num_rows
            offset += group.num_rows
        self._pending = [pending.slice(offset)] if offset < pending.num_rows else []

    def _parquet(self) -> pq.ParquetWriter:
        if self._writer is None:
            # Read back once, soon: dictionary pages cost more than they save (measured).
            self._writer = pq.ParquetWriter(self.path, self._schema, use_dictionary=False)
        return self._writer

    def close(self) -> Path:
        """Finish the file (an empty typed table when no batch came) and return its path."""
        if self._schema is None:
            self(pa.table({name: pa.array([], pa.string()) for name in column_names(self._width)}))
        self._write(1)
        self._con.close()
        self._parquet().close()
        return self.path


class InBackground:
    """Runs a batch consumer in a thread of its own, so that its work (Arrow, DuckDB and Parquet
    release the GIL) overlaps the reader's. Batches are handed over, never queued: a batch is
    given only once the thread is done with the last one (and has let it go), so at most one
    batch is held here while the reader reads the next."""

    _DONE = None

    def __init__(self, consumer: BatchConsumer) -> None:
        self._consumer = consumer
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=1)
        self._idle = threading.Semaphore(0)  # released each time the thread waits for a batch
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ogp-typed-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._idle.release()
            batch = self._queue.get()
            if batch is self._DONE:
                return
            if self._error is None:
                try:
                    self._consumer(batch)
                except BaseException as error:  # re-raised in the reader's thread by close()
                    self._error = error
            del batch  # not held while waiting for the next

    def __call__(self, batch: pa.Table) -> None:
        self._idle.acquire()
        if self._error is not None:
            self.close()
        self._queue.put(batch)

    def __enter__(self) -> InBackground:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait until every batch was consumed; raise what the consumer raised, if anything."""
        if self._thread.is_alive():
            self._queue.put(self._DONE)
            self._thread.join()
        if self._error is not None:
            raise self._error
