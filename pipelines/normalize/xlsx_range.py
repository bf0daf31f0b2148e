"""A sheet's used range, bounded before calamine reads it.

Calamine builds a sheet as one dense rectangle from its first to its last cell, so a few
kilobytes holding A1 and XFD1048576 ask for half a terabyte (the process aborts, taking a whole
``ogp run`` with it). Before the sheet is read, its rows x columns must stay within
:data:`CELLS_PER_STORED_CELL` times the cells the sheet stores (at least :data:`MIN_RANGE`).

The check reads the sheet's XML as bytes, without parsing it: every ``r="…"`` reference (a
cell's ``XFD1048576``, a row's ``1048576``) is decoded at once with numpy, giving the last row and
column and the cells stored.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pipelines.normalize.errors import NormalizeError

CELLS_PER_STORED_CELL = 8
MIN_RANGE = 1_000_000  # a sheet of a few cells may still be a 1000 x 1000 rectangle
_WINDOW = 12  # bytes after ' r="': up to 3 column letters and 7 row digits, then the quote
_POWERS = np.array([26**2, 26, 1], dtype=np.int64)


def _references(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(letters, numbers) of every ``r="…"`` attribute: a cell's reference has letters (its
    column, 0 for a row's own number) and digits (its row). Vectorised over the whole part."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    if len(buffer) < 8:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    space = np.isin(buffer[:-4], (32, 9, 10, 13))
    found = space & (buffer[1:-3] == 114) & (buffer[2:-2] == 61) & (buffer[3:-1] == 34)
    starts = np.flatnonzero(found) + 4
    window = buffer[np.minimum(starts[:, None] + np.arange(_WINDOW), len(buffer) - 1)]
    letter = (window >= 65) & (window <= 90)
    digit = (window >= 48) & (window <= 57)
    # leading letters (at most 3), then leading digits (at most 7)
    letters = np.argmin(np.c_[letter[:, :3], np.zeros(len(window), bool)], axis=1)
    columns = np.zeros(len(window), dtype=np.int64)
    for k in range(3):
        value = window[:, k].astype(np.int64) - 64
        columns = np.where(k < letters, columns * 26 + value, columns)
    rows = np.zeros(len(window), dtype=np.int64)
    still = np.ones(len(window), dtype=bool)
    for k in range(8):
        at = np.minimum(letters + k, _WINDOW - 1)
        char = window[np.arange(len(window)), at]
        is_digit = digit[np.arange(len(window)), at] & still & (k < 7)
        rows = np.where(is_digit, rows * 10 + (char.astype(np.int64) - 48), rows)
        still &= is_digit
    return columns, rows


def _beyond(number: str, alphabet: str) -> bytes:
    """A regular expression for the strings over ``alphabet`` (digits or capital letters,
    without leading zeros) that come after ``number`` in its order: longer, or as long and
    greater at the first difference."""
    klass = f"[{alphabet[0]}-{alphabet[-1]}]"
    options = [f"{klass}{{{len(number) + 1},}}"]
    for index, char in enumerate(number):
        higher = alphabet[alphabet.index(char) + 1 :]
        if higher:
            rest = len(number) - index - 1
            options.append(f"{number[:index]}[{higher[0]}-{higher[-1]}]{klass}{{{rest}}}")
    return "|".join(options).encode()


def _column_letters(count: int) -> str:
    """The letters of the ``count``-th column (1 = A, 27 = AA)."""
    letters = ""
    while count:
        count, remainder = divmod(count - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LAST_ROW = re.compile(rb'<row r="([0-9]{1,7})"')


def _within(data: bytes, budget: int) -> bool:
    """A quick proof that the span fits the budget, for sheets written in order (rows ascending,
    as spreadsheet programs write them): no reference below the last row, none right of the
    widest column the budget then allows. Two searches, run in C; False: not proven."""
    rows = data.count(b"<row") + data.count(b":row")
    last = data.rfind(b'<row r="')
    if last >= 0 and (found := _LAST_ROW.match(data, last)):
        rows = max(rows, int(found.group(1)))
    rows = max(rows, 1)
    if rows > budget:
        return False
    below = re.compile(b' r="[A-Z]{0,3}(?:' + _beyond(str(rows), _DIGITS) + b')"')
    if below.search(data):
        return False
    columns = budget // rows
    if columns >= 16_384:  # the widest a sheet can be
        return True
    right = re.compile(b' r="(?:' + _beyond(_column_letters(columns), _LETTERS) + b")[0-9]")
    return right.search(data) is None


def check_used_range(path: Path, data: bytes) -> None:
    """Refuse a sheet (``data``: its XML part) whose used range is far larger than the cells
    it stores; ``path`` names the file in the message."""
    stored = data.count(b"<c ") + data.count(b":c ") + data.count(b"<c>")
    budget = max(MIN_RANGE, CELLS_PER_STORED_CELL * stored)
    if _within(data, budget):
        return
    columns, rows = _references(data)  # out of order or wide: every reference, exactly
    last_row = max(int(rows.max()) if len(rows) else 1, 1)
    last_column = max(int(columns.max()) if len(columns) else 1, 1)
    if last_row * last_column > budget:
        raise NormalizeError(
            path,
            f"the sheet's cells span {last_row:,} rows x {last_column:,} columns but hold only"
            f" {stored:,} cells (at most {budget:,} in that span): a sparse sheet like this would"
            " take gigabytes to read; refused",
        )
