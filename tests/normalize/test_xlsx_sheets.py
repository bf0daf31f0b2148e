"""Which sheet of a workbook is read when the contract names none: the first worksheet the
agency can see, never a hidden one (lookups, drafts)."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.xlsx import sheet_rows


def workbook(path: Path, hidden_first: bool, visible: bool = True) -> Path:
    book = xlsxwriter.Workbook(str(path))
    secret = book.add_worksheet("lookup")
    secret.write_row(0, 0, ["project_id", "winner_name"])
    secret.write_row(1, 0, ["68000000001", "นายลับ มาก"])
    shown = book.add_worksheet("จัดซื้อ")
    shown.write_row(0, 0, ["project_id", "budget"])
    shown.write_row(1, 0, ["68000000002", 100])
    if hidden_first:
        shown.activate()
        secret.hide()
    if not visible:
        shown.hide()
    book.close()
    return path


def test_a_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    rows = list(sheet_rows(workbook(tmp_path / "book.xlsx", hidden_first=True)))
    assert [list(map(str, row)) for row in rows] == [
        ["project_id", "budget"],
        ["68000000002", "100.0"],
    ]


def test_a_workbook_without_a_visible_worksheet_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", hidden_first=True, visible=False)
    with pytest.raises(NormalizeError, match="no visible worksheet"):
        list(sheet_rows(path))
