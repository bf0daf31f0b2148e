"""The used-range guard: a sheet whose span is far larger than the cells it holds is refused
before the reader allocates the span; dense sheets, rows out of order and sheets without row
numbers pass (the quick proof, or the exact count of every reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.xlsx_range import MIN_RANGE, _references, check_used_range


def sheet(rows: list[str]) -> bytes:
    return ("<worksheet><sheetData>" + "".join(rows) + "</sheetData></worksheet>").encode()


def dense(rows: int, columns: int) -> list[str]:
    letters = [chr(65 + i) for i in range(columns)]
    return [
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters) + "</row>"
        for r in range(1, rows + 1)
    ]


def test_a_dense_sheet_passes() -> None:
    check_used_range(Path("dense.xlsx"), sheet(dense(2000, 15)))


def test_rows_out_of_order_pass_by_the_exact_count() -> None:
    rows = dense(50, 5)
    check_used_range(Path("shuffled.xlsx"), sheet([rows[-1], *rows[:-1]]))


def test_a_far_corner_is_refused_naming_the_span() -> None:
    xml = sheet(['<row r="1"><c r="A1"><v>1</v></c></row>', '<c r="XFD1048576"><v>2</v></c>'])
    with pytest.raises(NormalizeError, match="1,048,576 rows x 16,384 columns"):
        check_used_range(Path("bomb.xlsx"), xml)


def test_a_cell_far_right_in_an_ordinary_row_is_refused() -> None:
    rows = dense(3000, 3)
    rows[10] = rows[10].replace("</row>", '<c r="ZZ11"><v>9</v></c></row>')
    # 3000 rows x 702 columns = 2.1M cells for 9001 stored: beyond 8 per stored cell
    assert max(MIN_RANGE, 8 * 9001) < 3000 * 702
    with pytest.raises(NormalizeError, match="sparse"):
        check_used_range(Path("wide.xlsx"), sheet(rows))


def test_references_are_decoded_exactly() -> None:
    columns, rows = _references(b'<row r="7"><c r="B7"/><c r="XFD1048576"/><x:c\tr="AA12"/>')
    assert columns.tolist() == [0, 2, 16_384, 27]
    assert rows.tolist() == [7, 7, 1_048_576, 12]
