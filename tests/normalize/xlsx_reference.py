"""The openpyxl XLSX reader the pipeline used before calamine, kept here as the reference the
calamine reader is compared with (tests and the benchmark's baseline; never the runtime)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.normalize.diagnose import check_batch
from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.headers import HeaderMap
from pipelines.normalize.readers import (  # the OCDS reader keeps the old cell text
    HEADER_SEARCH_ROWS,
    XLSX_BATCH_ROWS,
    RawTable,
    _cell_text,
    _rename,
    _strings_table,
    _unknown_headers,
)
from pipelines.normalize.xlsx import check_workbook, uncached_formula


def read_xlsx_openpyxl(path: Path, headers: HeaderMap, *, sheet: str | None = None) -> RawTable:
    """The old ``read_xlsx``, line for line (openpyxl read-only, values only)."""
    from openpyxl import load_workbook

    check_workbook(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise NormalizeError(path, f"not a valid XLSX workbook ({type(error).__name__})") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise NormalizeError(path, f"no sheet {sheet!r}; sheets are {workbook.sheetnames}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        formula_cell = uncached_formula(path, str(getattr(worksheet, "_worksheet_path", "")))
        if formula_cell is not None:
            raise NormalizeError(
                path, f"cell {formula_cell} holds a formula saved without its value"
            )
        rows = _sheet_rows(path, worksheet)
        first = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    except BaseException:
        workbook.close()
        raise
    if not first:
        workbook.close()
        raise NormalizeError(path, "empty sheet")
    header_row = headers.find_header_row(first)
    names, unknown, aliased = _rename(path, headers, first[header_row], header_row)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            pending = first[header_row + 1 :]
            first_row = header_row + 2
            for row in itertools.chain(rows, [None]):
                if row is not None:
                    pending.append(row)
                if pending and (row is None or len(pending) >= XLSX_BATCH_ROWS):
                    for batch in _strings_table(names, pending).to_batches():
                        check_batch(path, batch, first_row)
                        first_row += batch.num_rows
                        yield batch
                    pending = []
        finally:
            workbook.close()

    return RawTable(
        [name for name in names if not name.startswith("_unknown_")],
        batches(),
        unknown,
        _unknown_headers(names, first[header_row]),
        aliased,
        None,
        header_row,
    )


def _sheet_rows(path: Path, worksheet: Any) -> Iterator[list[str | None]]:
    number = 0
    try:
        for row in worksheet.iter_rows(values_only=True):
            number += 1
            if any(value not in (None, "") for value in row):
                yield [_cell_text(value) for value in row]
    except Exception as error:
        raise NormalizeError(
            path, f"unreadable cell ({type(error).__name__})", row=number + 1
        ) from None
