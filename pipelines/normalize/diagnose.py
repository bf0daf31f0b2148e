"""Where a CSV is broken, and which rows must be refused: the readers' error path and checks.

The helpers that say *where* (line of the first broken record or undecodable byte) run only
when reading has already failed; Python's csv module is slow but says where.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.normalize.errors import NormalizeError

# Open data rows are a few KB; the gate reads the clean CSV in 256 KB blocks a row must fit in
# (even with every character quoted twice), so a longer row is refused here, by name.
MAX_ROW_BYTES = 100 << 10
# Python's csv module refuses cells over 128 KB; pyarrow reads any size, so must the helpers.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def ends_inside_quotes(path: Path) -> bool:
    """An odd number of quote characters means the last quoted field never closed.

    pyarrow accepts an unterminated quote at end of file, so a file cut inside a quoted cell
    would pass silently; checked only for files not ending in a newline (the truncated ones).
    """
    with path.open("rb") as handle:
        handle.seek(-1, io.SEEK_END)
        if handle.read(1) in (b"\n", b"\r"):
            return False
        handle.seek(0)
        quotes = sum(chunk.count(b'"') for chunk in iter(lambda: handle.read(1 << 23), b""))
    return quotes % 2 == 1


def first_broken_record(path: Path, encoding: str, delimiter: str, width: int, skip: int) -> int:
    """1-based line of the first record with the wrong number of fields or an unclosed quote.

    Only on the error path: Python's csv module is slow but says where.
    """
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            for index, row in enumerate(reader):
                if index >= skip and len(row) != width:
                    return reader.line_num
        except csv.Error:
            return reader.line_num
    return 0


def check_batch(path: Path, batch: pa.RecordBatch, first_row: int) -> None:
    """No NUL bytes (never text; the first megabyte was checked, this covers the rest) and no
    row over MAX_ROW_BYTES. ``first_row``: the batch's first record number in the file."""
    if not batch.num_rows:
        return
    lengths = [pc.fill_null(pc.binary_length(column), 0) for column in batch.columns]
    total = lengths[0]
    for length in lengths[1:]:
        total = pc.add(total, length)
    if pc.max(total).as_py() > MAX_ROW_BYTES:
        index = pc.indices_nonzero(pc.greater(total, MAX_ROW_BYTES))[0].as_py()
        widest = max(range(len(lengths)), key=lambda i: lengths[i][index].as_py())
        raise NormalizeError(
            path,
            f"row of {total[index].as_py() >> 10:,} KB (at most {MAX_ROW_BYTES >> 10} KB; "
            f"this field holds {lengths[widest][index].as_py() >> 10:,} KB): refused",
            row=first_row + index,
            field=_label(batch.schema.names[widest]),
        )
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        found = pc.fill_null(pc.match_substring(column, "\x00"), False)
        if pc.any(found).as_py():
            index = pc.indices_nonzero(found)[0].as_py()
            raise NormalizeError(
                path,
                "NUL byte in a cell: binary content",
                row=first_row + index,
                field=_label(name),
            )


def _label(name: str) -> str:
    return f"column {int(name.rsplit('_', 1)[1]) + 1}" if name.startswith("_unknown_") else name


def first_undecodable_line(path: Path, encoding: str) -> int | None:
    """1-based line holding the first byte the encoding cannot decode (error path only)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return None


def csv_error(
    path: Path, error: pa.ArrowInvalid, encoding: str, delimiter: str, width: int, skip: int
) -> NormalizeError:
    message = str(error)
    if "Expected" in message and "columns" in message:
        line = first_broken_record(path, encoding, delimiter, width, skip)
        return NormalizeError(
            path, f"wrong number of fields (expected {width}): truncated or malformed", row=line
        )
    if "UTF8" in message or "UTF-8" in message:
        return NormalizeError(
            path,
            "undecodable: invalid UTF-8 after the first megabyte",
            row=first_undecodable_line(path, encoding),
        )
    return NormalizeError(path, f"unreadable CSV ({message.split(':', 1)[0][:200]})")
