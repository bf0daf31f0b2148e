"""Streaming reads: the digest that comes with the one read, typed row groups, the background
consumer."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.hashing import file_sha256
from pipelines.validation.tables import TYPED_ROW_GROUP, read_csv_text
from pipelines.validation.typed_csv import InBackground, TypedParquetWriter

SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name"])
        writer.writerows([str(number), f"ชื่อ {number}"] for number in range(rows))
    return path


def test_digest_of_the_streamed_read_is_the_files(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", 50_000)
    text = read_csv_text(path)
    text.drain()
    assert text.num_rows == 50_000
    assert text.sha256 == file_sha256(path)


def test_typed_row_groups_are_whole_and_numbered(tmp_path: Path) -> None:
    rows = TYPED_ROW_GROUP * 2 + 123
    text = read_csv_text(write_csv(tmp_path / "t.csv", rows))
    seen: list[tuple[int, int, int]] = []  # first row number, rows, first id

    def consumer(table: pa.Table, first: int) -> None:
        seen.append((first, table.num_rows, table.column("id")[0].as_py()))

    writer = TypedParquetWriter(tmp_path / "typed.parquet", text.labels, SCHEMA, [consumer])
    text.subscribe(writer)
    text.drain()
    parquet = pq.ParquetFile(writer.close())
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert sizes == [TYPED_ROW_GROUP, TYPED_ROW_GROUP, 123]
    assert seen == [
        (2, TYPED_ROW_GROUP, 0),
        (2 + TYPED_ROW_GROUP, TYPED_ROW_GROUP, TYPED_ROW_GROUP),
        (2 + 2 * TYPED_ROW_GROUP, 123, 2 * TYPED_ROW_GROUP),
    ]
    assert parquet.schema_arrow.field("id").type == pa.int64()


def test_typed_writer_without_rows_writes_an_empty_typed_table(tmp_path: Path) -> None:
    text = read_csv_text(write_csv(tmp_path / "t.csv", 0))
    writer = TypedParquetWriter(tmp_path / "typed.parquet", text.labels, SCHEMA)
    text.subscribe(writer)
    text.drain()
    table = pq.read_table(writer.close())
    assert table.num_rows == 0
    assert table.schema.field("id").type == pa.int64()


def test_background_consumer_sees_every_batch_in_order() -> None:
    seen: list[int] = []
    with InBackground(lambda batch: seen.append(batch.num_rows)) as background:
        for rows in range(1, 6):
            background(pa.table({"a": list(range(rows))}))
    assert seen == [1, 2, 3, 4, 5]


def test_background_consumer_takes_a_batch_only_when_done_with_the_last() -> None:
    # Batches are handed over, not queued: a second one waits until the first is consumed.
    release = threading.Event()
    background = InBackground(lambda batch: release.wait(timeout=10))
    background(pa.table({"a": [1]}))
    handed = threading.Thread(target=background, args=(pa.table({"a": [2]}),))
    handed.start()
    handed.join(timeout=0.3)
    assert handed.is_alive()  # still waiting: the thread holds the first batch
    release.set()
    handed.join(timeout=10)
    assert not handed.is_alive()
    background.close()


def test_background_consumer_error_reaches_the_reader() -> None:
    def broken(batch: pa.Table) -> None:
        raise ValueError(f"cannot take {batch.num_rows} rows")

    background = InBackground(broken)
    background(pa.table({"a": [1, 2]}))
    with pytest.raises(ValueError, match="cannot take 2 rows"):
        background.close()
