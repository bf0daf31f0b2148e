"""JSON and JSON-lines files of plain records (never OCDS: that is ``kind: ocds``).

A contract's file (or HTTP) source says ``format: json`` (``records``: the dotted path to the
list of records, e.g. ``data.items``; the top level when absent) or ``format: jsonl`` (one
record per line). Each record is one JSON object whose keys are the columns; a cell is one value
(string, number, boolean or null). Numbers are kept as written (a 40-digit amount is not
rounded or refused here; casting decides), so every column is text, as from a CSV.

What cannot be read is one :class:`NormalizeError` naming the file and the record (never a
traceback, never a cell's content): not a list at the records path, a record that is not an
object, a nested object or list in a cell, NaN/Infinity, broken or undecodable JSON, nesting
too deep, a document or a line too large to hold (a 1 GB single line is refused after reading
:data:`MAX_LINE_BYTES` of it).

The reader dispatch (``readers.read_raw``) is given the source the file came from: its
``format`` decides. A ``.json`` file whose source declares no format is refused: JSON is read
as OCDS only when the contract says ``format: ocds``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.contracts import FileSource, HttpSource
from pipelines.normalize.errors import NormalizeError

if TYPE_CHECKING:
    from pipelines.normalize.headers import HeaderMap
    from pipelines.normalize.readers import RawTable

MAX_DOCUMENT_BYTES = 256 << 20  # a larger export is sent as JSON lines
MAX_LINE_BYTES = 16 << 20  # one record of JSON lines

JsonSource = FileSource | HttpSource


class _Number(str):
    """A JSON number as written (a string to the table, a number to the error messages)."""

    __slots__ = ()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object naming a key twice is refused: which value would be the field's (the review's
    record carried the declarant and a relative under one key, the relative winning)?"""
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError("an object names the same key twice")  # the key may be personal
    return record


def _number(text: str) -> _Number:
    """A JSON number as written, but an integral one written as a float (``3.0``, as pandas
    exports counts) without its zero fraction, as a spreadsheet cell reads."""
    return _Number(_INTEGRAL_FLOAT.sub("", text))


_INTEGRAL_FLOAT = re.compile(r"(?<=[0-9])\.0+$")


def _loads(text: str) -> Any:
    return json.loads(
        text,
        parse_int=_Number,
        parse_float=_number,
        parse_constant=_reject_constant,
        object_pairs_hook=_one_value_per_key,
    )


def _problem(error: Exception, *, one_line: bool = False) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        where = "" if one_line else f"line {error.lineno}, "
        return f"not valid JSON: {error.msg} ({where}column {error.colno})"
    return f"not valid JSON: {str(error)[:120]}"


def _document_records(path: Path, records: str | None) -> list[Any]:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise NormalizeError(
            path,
            f"{size:,} bytes: a JSON document is read whole, at most {MAX_DOCUMENT_BYTES:,};"
            " send JSON lines (format: jsonl)",
        )
    try:
        document = _loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NormalizeError(path, "undecodable: JSON must be UTF-8") from None
    except (ValueError, RecursionError) as error:
        raise NormalizeError(path, _problem(error)) from None
    walked: list[str] = []
    for part in records.split(".") if records else []:
        if not isinstance(document, dict) or part not in document:
            where = ".".join(walked) or "the top level"
            raise NormalizeError(path, f"records path {records!r}: no key {part!r} at {where}")
        document = document[part]
        walked.append(part)
    if not isinstance(document, list):
        raise NormalizeError(
            path, f"records path {records or '(top level)'!r}: {_kind(document)}, not a list"
        )
    return document


def _line_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        number = 0
        while line := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise NormalizeError(
                    path, f"JSON record {number}: longer than {MAX_LINE_BYTES:,} bytes", row=number
                )
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
                yield number, _loads(text)
            except UnicodeDecodeError:
                raise NormalizeError(
                    path, f"JSON record {number}: undecodable (must be UTF-8)", row=number
                ) from None
            except (ValueError, RecursionError) as error:
                problem = _problem(error, one_line=True)
                raise NormalizeError(path, f"JSON record {number}: {problem}", row=number) from None


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        _Number: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _cell(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return str(value) if isinstance(value, _Number) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(path: Path, numbered: Iterator[tuple[int, Any]]) -> tuple[list[str], list[dict]]:
    keys: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for number, record in numbered:
        if not isinstance(record, dict):
            problem = f"JSON record {number}: {_kind(record)}, not an object"
            raise NormalizeError(path, problem, row=number)
        for key, value in record.items():
            if isinstance(value, dict | list):
                problem = f"JSON record {number}: {_kind(value)} in a cell (one value per field)"
                raise NormalizeError(path, problem, row=number, field=key)
            keys.setdefault(key)
        rows.append(record)
    return list(keys), rows


def read_records(path: Path, headers: HeaderMap, source: JsonSource) -> RawTable:
    """The file's records as a :class:`RawTable` of strings with canonical column names."""
    from pipelines.normalize.diagnose import check_batch
    from pipelines.normalize.readers import _raw_table, _rename, _strings_table, _unknown_headers

    if source.format == "jsonl":
        numbered = _line_records(path)
    else:
        numbered = enumerate(_document_records(path, source.records), start=1)
    found, rows = _rows(path, numbered)
    names, unknown, aliased = _rename(path, headers, found, 0)
    table = _strings_table(names, [[_cell(row.get(key)) for key in found] for row in rows])
    first = 1
    for batch in table.to_batches():  # a record over 100 KB, a NUL: refused as in a CSV
        check_batch(path, batch, first_row=first)
        first += batch.num_rows
    return _raw_table(table, unknown, _unknown_headers(names, found), aliased, "utf-8", 0)
