"""Spreadsheet cells (as calamine gives them) -> the text a steward would type.

Integers without ``.0`` (``2567``), other numbers as Python writes them (``419101.89``), dates
and date-times as ISO dates (a time of day is dropped), ``true``/``false``, times of day and
durations as Python writes them; an empty cell is null. A batch of rows is turned into string
columns by Arrow, column by column, when a column holds one kind of cell, else cell by cell:
the same text either way (``tests/normalize/test_xlsx_calamine.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def cell_text(value: object) -> str | None:
    """A cell as calamine gives it -> the text a steward would type (None when empty)."""
    kind = type(value)
    if kind is str:
        return value or None  # type: ignore[return-value]
    if kind is float:
        number: float = value  # type: ignore[assignment]
        return str(int(number)) if number.is_integer() else repr(number)
    if kind is dt.datetime:
        return value.date().isoformat()  # type: ignore[attr-defined]
    if kind is dt.date:
        return value.isoformat()  # type: ignore[attr-defined]
    if kind is bool:
        return "true" if value else "false"
    return None if value is None else str(value)  # int, time of day, duration


def row_text(row: list[Any]) -> list[str | None]:
    return [cell if cell.__class__ is str and cell else cell_text(cell) for cell in row]


_NO_TEXT = pa.scalar(None, pa.string())
_DAYS = {dt.date, dt.datetime}
# Arrow writes a double as Python's repr does between these bounds (tested against repr);
# outside them (1.5e-07, 1.5e+10) it writes another exponent form: those cells go cell by cell.
_PLAIN_DECIMALS = (1e-4, 1e10)
_INT64_BOUND = 2.0**63


def text_batch(names: list[str], rows: list[list[Any]]) -> pa.RecordBatch:
    """Rows of one width (a sheet's) -> string columns, each turned into text by Arrow when
    it holds one kind of cell (text, numbers, dates), else cell by cell."""
    columns = list(zip(*rows, strict=True))
    return pa.record_batch([_text_column(column) for column in columns], names=names)


def _text_column(cells: tuple[Any, ...]) -> pa.Array:
    try:
        array = pa.array(cells, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return _typed_column(cells)
    empty = pc.equal(array, "")
    return pc.if_else(empty, _NO_TEXT, array) if pc.any(empty).as_py() else array


def _typed_column(cells: tuple[Any, ...]) -> pa.Array:
    """Numbers as :func:`cell_text` writes them (``2567``, ``419101.89``), dates as ISO dates."""
    values = [None if cell == "" else cell for cell in cells]
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {float}:
        return _number_text(pa.array(values, pa.float64()))
    if kinds and kinds <= _DAYS:  # a date-time's time of day is dropped, as before
        return pc.cast(pa.array(values, pa.date32()), pa.string())
    return pa.array(row_text(list(cells)), pa.string())


def _number_text(numbers: pa.Array) -> pa.Array:
    """Whole numbers through int64, others as Arrow writes them where that is Python's repr."""
    size = pc.abs(numbers)
    whole = pc.equal(pc.floor(numbers), numbers)
    small = pc.and_(whole, pc.less(size, _INT64_BOUND))
    integers = pc.cast(pc.if_else(small, numbers, 0.0), pa.int64())  # exact below 2**63
    text = pc.if_else(whole, pc.cast(integers, pa.string()), pc.cast(numbers, pa.string()))
    low, high = _PLAIN_DECIMALS
    plain = pc.if_else(whole, small, pc.and_(pc.greater_equal(size, low), pc.less(size, high)))
    odd = pc.invert(pc.fill_null(plain, True))
    if pc.any(odd).as_py():
        others = [cell_text(value) for value in pc.filter(numbers, odd).to_pylist()]
        text = pc.replace_with_mask(text, odd, pa.array(others, pa.string()))
    return text
