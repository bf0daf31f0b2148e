"""Read a received file into a table of strings with canonical column names.

Every reader returns a :class:`RawTable`: all columns are strings (identifiers keep their
leading zeros; typing happens later, in one place), unknown columns are left out and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.normalize import json_records
from pipelines.normalize.diagnose import (
    check_batch,
    csv_error,
    ends_inside_quotes,
    first_broken_record,
    first_undecodable_line,
)
from pipelines.normalize.encoding import detect_encoding, read_sample
from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.headers import DuplicateHeaderError, HeaderMap
from pipelines.normalize.xlsx import sheet_rows
from pipelines.normalize.xlsx_cells import row_text, text_batch

_T = TypeVar("_T")
HEADER_SEARCH_ROWS = 30
# No contract has more than a few dozen fields; thousands of columns is a broken export.
MAX_COLUMNS = 2000
XLSX_BATCH_ROWS = 50_000

# Streaming in blocks keeps memory near the size of the typed result, not of the text.
BLOCK_BYTES = 8 << 20
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


@dataclass
class RawTable:
    """String columns with canonical names, as record batches (CSV streams block by block)."""

    columns: list[str]
    batches: Iterable[pa.RecordBatch]
    unknown_columns: list[str] = field(default_factory=list)
    # The batches also carry the columns the contract does not map, as ``_unknown_<position>``
    # string columns, so the personal-data guard can scan them; they are never published.
    unknown_headers: dict[str, str] = field(default_factory=dict)  # _unknown_<i> -> header
    aliased_headers: int = 0
    encoding: str | None = None
    header_row: int = 0  # 0-based index of the header row in the file or sheet


def read_raw(
    path: Path,
    headers: HeaderMap,
    *,
    sheet: str | None = None,
    source: json_records.JsonSource | None = None,
) -> RawTable:
    """Dispatch on the file's suffix (the landing area keeps the source's extension); a JSON
    file is read as ``source`` declares (plain records, JSON lines or OCDS), or refused."""
    fmt = source.format if source is not None else None
    suffix = path.suffix.lower()
    if not read_sample(path, 4096).strip():
        raise NormalizeError(path, "empty file")
    if source is not None and fmt in ("json", "jsonl"):
        return json_records.read_records(path, headers, source)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path, headers, sheet=sheet)
    if suffix in JSON_SUFFIXES:
        if fmt == "ocds":
            return read_ocds(path, headers)
        raise NormalizeError(
            path,
            "a JSON file, but its contract's source does not say how to read JSON "
            "(format: json with a records path, jsonl, or ocds)",
        )
    if suffix in CSV_SUFFIXES or not suffix:
        return read_csv(path, headers)
    raise NormalizeError(path, f"unsupported file type {suffix!r} (CSV, XLSX or JSON)")


def _rename(
    path: Path, headers: HeaderMap, header: Sequence[object], header_row: int
) -> tuple[list[str], list[str], int]:
    """The header's canonical names; too many columns or a field named twice is an error."""
    if len(header) > MAX_COLUMNS:
        raise NormalizeError(
            path, f"{len(header):,} columns (at most {MAX_COLUMNS:,}): refused", row=header_row + 1
        )
    try:
        return headers.rename(header)
    except DuplicateHeaderError as error:
        raise NormalizeError(path, str(error), row=header_row + 1) from None


# --- CSV ---------------------------------------------------------------------------------------


DELIMITERS = ",;\t|"
SNIFF_ROWS = 50


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the most rows of one common width (> 1) among the first rows.

    Linear in the sample: ``csv.Sniffer``'s quote regex backtracks quadratically (half a
    minute on a megabyte of blank lines). Ties go to the earlier of ``,;\t|``.
    """
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        widths = Counter(len(row) for row in _take(rows, SNIFF_ROWS) if any(row))
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        score = (count, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: Path, headers: HeaderMap) -> RawTable:
    sample = read_sample(path)
    if not sample.strip():
        raise NormalizeError(path, "empty file")
    encoding = detect_encoding(path, sample)
    text = sample.decode(encoding, errors="ignore")
    delimiter = _sniff_delimiter(text)
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)  # any line endings
    first_rows = list(_take(lines, HEADER_SEARCH_ROWS))
    header_row = headers.find_header_row(first_rows)
    header = first_rows[header_row] if first_rows else []
    names, unknown, aliased = _rename(path, headers, header, header_row)
    if not names:
        raise NormalizeError(path, "no header row")
    keep = [name for name in names if not name.startswith("_unknown_")]
    if ends_inside_quotes(path):
        line = first_broken_record(path, encoding, delimiter, len(names), header_row + 1)
        raise NormalizeError(path, "file ends inside a quoted cell: truncated", row=line)
    read = partial(
        pacsv.open_csv,
        path,
        read_options=pacsv.ReadOptions(
            encoding="utf8" if encoding.startswith("utf-8") else encoding,
            skip_rows=header_row + 1,
            column_names=names,
            block_size=BLOCK_BYTES,
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            include_columns=names,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )

    def batches() -> Iterator[pa.RecordBatch]:
        first_row = header_row + 2  # 1-based record number in the file
        try:
            with read() as reader:
                for batch in reader:
                    check_batch(path, batch, first_row)
                    first_row += batch.num_rows
                    yield batch
        except pa.ArrowInvalid as error:
            if "skip initial" in str(error) and path.stat().st_size < BLOCK_BYTES:
                return  # a header without a newline and nothing after it: no rows
            raise csv_error(path, error, encoding, delimiter, len(names), header_row + 1) from None
        except (UnicodeDecodeError, pa.ArrowException):
            line = first_undecodable_line(path, encoding)
            raise NormalizeError(
                path, f"undecodable: not {encoding} throughout", row=line
            ) from None

    return RawTable(
        keep, batches(), unknown, _unknown_headers(names, header), aliased, encoding, header_row
    )


def _unknown_headers(names: Sequence[str], header: Sequence[object]) -> dict[str, str]:
    return {
        name: str(header[i]) if i < len(header) else name
        for i, name in enumerate(names)
        if name.startswith("_unknown_")
    }


def _take(rows: Iterable[list[_T]], count: int) -> Iterator[list[_T]]:
    """The first ``count`` rows, leaving the rest in the iterator."""
    return itertools.islice(rows, count)


# --- XLSX --------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """A JSON value as the text a steward would type; integers without ``.0``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, headers: HeaderMap, *, sheet: str | None = None) -> RawTable:
    """The sheet's rows in batches, read by calamine after the checks of :mod:`.xlsx`."""
    rows = sheet_rows(path, sheet)
    first = list(_take(rows, HEADER_SEARCH_ROWS))
    if not first:
        raise NormalizeError(path, "empty sheet")
    texts = [row_text(row) for row in first]
    header_row = headers.find_header_row(texts)
    names, unknown, aliased = _rename(path, headers, texts[header_row], header_row)

    def batches() -> Iterator[pa.RecordBatch]:
        # The next batch is read and turned into text while the caller casts this one.
        source = itertools.chain(first[header_row + 1 :], rows)
        first_row = header_row + 2
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(_next_batch, path, source, names, first_row)
            while (batch := ahead.result()) is not None:
                first_row += batch.num_rows
                ahead = pool.submit(_next_batch, path, source, names, first_row)
                yield batch

    return RawTable(
        [name for name in names if not name.startswith("_unknown_")],
        batches(),
        unknown,
        _unknown_headers(names, texts[header_row]),
        aliased,
        None,
        header_row,
    )


def _next_batch(
    path: Path, rows: Iterator[list[Any]], names: list[str], first_row: int
) -> pa.RecordBatch | None:
    chunk = list(_take(rows, XLSX_BATCH_ROWS))
    if not chunk:
        return None
    batch = text_batch(names, chunk)
    check_batch(path, batch, first_row)
    return batch


def _raw_table(
    table: pa.Table,
    unknown: list[str],
    unknown_headers: dict[str, str],
    aliased: int,
    encoding: str | None,
    header_row: int,
) -> RawTable:
    return RawTable(
        [name for name in table.column_names if not name.startswith("_unknown_")],
        table.combine_chunks().to_batches(),
        unknown,
        unknown_headers,
        aliased,
        encoding,
        header_row,
    )


def _strings_table(names: Sequence[str], rows: Sequence[Sequence[object]]) -> pa.Table:
    columns = {
        name: pa.array([row[i] if i < len(row) else None for row in rows], pa.string())
        for i, name in enumerate(names)
    }
    return pa.table(columns)


# --- OCDS --------------------------------------------------------------------------------------


def read_ocds(path: Path, headers: HeaderMap) -> RawTable:
    from pipelines.sources.ocds import read_releases, releases_to_rows

    try:
        rows = releases_to_rows(read_releases(path))
    except RecursionError:
        raise NormalizeError(path, "JSON nested too deeply: not OCDS releases") from None
    except UnicodeDecodeError:
        raise NormalizeError(path, "undecodable: JSON must be UTF-8") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        problem = str(error) if isinstance(error, ValueError) else type(error).__name__
        raise NormalizeError(path, f"not OCDS releases: {problem[:200]}") from None
    found = sorted({key for row in rows for key in row})
    names, unknown, aliased = _rename(path, headers, found, 0)
    records = [[_cell_text(row.get(key)) for key in found] for row in rows]
    table = _strings_table(names, records)
    return _raw_table(table, unknown, _unknown_headers(names, found), aliased, "utf-8", 0)
