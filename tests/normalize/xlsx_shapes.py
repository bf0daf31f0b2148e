"""Workbooks of many shapes, generated (same seed, same cells), to compare XLSX readers.

Each :class:`Shape` is drawn from its seed: title rows (merged) above the header, blank rows
and columns before the data, blank rows inside and after it, columns the contract does not
know, a value right of the header, the data on a named second sheet, the 1904 date system,
formatted empty cells right of and below the data, and cells of every kind an agency's
spreadsheet holds: Thai text (with spaces, line breaks, emoji, rich text), identifiers with
leading zeros stored as text, numbers as text with separators, integers, decimals,
percentages, dates in many number formats (Thai locale and Buddhist-calendar ones too),
date-times, times of day, durations, booleans, error cells and formulas with their saved
values. Two writers: openpyxl (inline strings, as the demo drops) and xlsxwriter (a
shared-string table, as spreadsheet programs write).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.thai import ce_to_be

HEADER = [
    "เลขที่โครงการ",
    "ปีงบประมาณ",
    "ชื่อโครงการ",
    "วิธีการจัดหา",
    "วงเงินงบประมาณ (บาท)",
    "วันที่ประกาศ",
    "วันที่ลงนามสัญญา",
    "จำนวนผู้เสนอราคา",
    "เลขประจำตัวผู้เสียภาษี",
    "ผู้ชนะการเสนอราคา",
    "มูลค่าสัญญา",
    "สถานะ",
]
KINDS = [
    "id",
    "year",
    "text",
    "method",
    "amount",
    "date",
    "datetime",
    "int",
    "tax_id",
    "text",
    "amount",
    "status",
]
EXTRA = {  # columns the contract does not know: header -> kind
    "หมายเหตุ": "text",
    "เวลา": "time",
    "ระยะเวลา": "duration",
    "ร้อยละ": "percent",
    "ผ่าน": "bool",
    "ผสม": "mixed",
    "ค่าคำนวณ": "formula",
    "ตัวเลขใหญ่": "big",
}
DATE_FORMATS = [
    "yyyy-mm-dd",
    "dd/mm/yyyy",
    "d/m/yy",
    "[$-th-TH]d mmmm yyyy",
    "[$-1070000]d/mm/yyyy;@",
    "[$-101041E]d mmm yy",
    "mmm d, yyyy",
    "dd-mmm-yy",
    'd"/"m"/"yyyy',
    "[$-409]dddd, mmmm d, yyyy",
]
DATETIME_FORMATS = ["dd/mm/yyyy hh:mm:ss", "m/d/yyyy h:mm", "yyyy-mm-dd hh:mm"]
AMOUNT_FORMATS = ["General", "#,##0.00", '"฿"#,##0.00', "0.00", "#,##0.00_);[Red](#,##0.00)"]
ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?"]
WORDS = ["จ้างขุดลอกคลอง", "ซื้อวัสดุสำนักงาน", "ก่อสร้างถนน คสล.", "เช่ารถยนต์", "Road works"]
METHODS = ["วิธีเฉพาะเจาะจง", "e-bidding", "วิธีคัดเลือก", "ตลาดอิเล็กทรอนิกส์", "วิธีประกาศเชิญชวนทั่วไป"]
STATUSES = ["ประกาศผู้ชนะ", "ลงนามสัญญา", "ยกเลิก", "announced"]
TITLE = "ข้อมูลการจัดซื้อจัดจ้าง ปีงบประมาณ พ.ศ. 2567"
OTHER_SHEET = "สรุป"
DATA_SHEET = "จัดซื้อจัดจ้าง"


@dataclass(frozen=True)
class Cell:
    """A value and, for numbers and dates, the number format it is shown with."""

    value: Any
    number_format: str | None = None
    formula: str | None = None  # written as a formula whose saved value is ``value``
    error: bool = False  # an error cell (``#N/A``), saved as the result of a formula
    rich: bool = False  # text in two runs, the second bold


@dataclass(frozen=True)
class Shape:
    seed: int
    writer: str
    rows: int
    title_rows: int
    blank_rows_before: int
    blank_columns_before: int
    blank_rows_inside: bool
    blank_rows_after: int
    extra: tuple[str, ...]
    beyond_header: bool
    sheet: str | None
    epoch_1904: bool
    blank_share: float
    formatted_tail: bool  # formatted empty cells right of and below the data

    def __str__(self) -> str:
        return f"{self.writer}-{self.seed}"


def shapes(count: int, seed: int = 2568) -> list[Shape]:
    """``count`` shapes, alternating writers, each drawn from its own seed."""
    found = []
    for number in range(count):
        rng = random.Random(f"{seed}:{number}")
        found.append(
            Shape(
                seed=number,
                writer=("openpyxl", "xlsxwriter")[number % 2],
                rows=rng.choice([1, 2, 5, 40, 120]),
                title_rows=rng.choice([0, 0, 1, 2]),
                blank_rows_before=rng.choice([0, 0, 1, 3]),
                blank_columns_before=rng.choice([0, 0, 1, 2]),
                blank_rows_inside=rng.random() < 0.3,
                blank_rows_after=rng.choice([0, 2]),
                extra=tuple(rng.sample(sorted(EXTRA), rng.randint(0, len(EXTRA)))),
                beyond_header=rng.random() < 0.2,
                sheet=DATA_SHEET if rng.random() < 0.3 else None,
                epoch_1904=rng.random() < 0.2,
                blank_share=rng.choice([0.0, 0.1, 0.4]),
                formatted_tail=rng.random() < 0.25,
            )
        )
    return found


def _day(rng: random.Random) -> dt.date:
    return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 100))


def _text(rng: random.Random) -> Cell:
    choice = rng.randrange(8)
    if choice == 0:
        return Cell(f"  {rng.choice(WORDS)}  ")  # spaces kept as received
    if choice == 1:
        return Cell(f"{rng.choice(WORDS)}\nบรรทัดที่สอง")
    if choice == 2:
        return Cell(f"{rng.choice(WORDS)} 🙂 ๑๒๓")
    if choice == 3:
        return Cell(rng.choice(WORDS) * rng.randint(50, 200))
    if choice == 4:
        return Cell(rng.choice(WORDS), rich=True)
    if choice == 5:
        return Cell("1,234.50 บาท")
    return Cell(rng.choice(WORDS))


def _value(kind: str, rng: random.Random) -> Cell:
    if kind == "id":
        return Cell(f"0{rng.randrange(10**10):010d}")  # leading zero: text
    if kind == "tax_id":
        value = f"0{rng.randrange(10**12):012d}"
        return Cell(value) if rng.random() < 0.8 else Cell(int(value), "0")
    if kind == "year":
        return Cell(rng.choice([2567, 2568])) if rng.random() < 0.8 else Cell("๒๕๖๗")
    if kind == "text":
        return _text(rng)
    if kind == "method":
        return Cell(rng.choice(METHODS))
    if kind == "status":
        return Cell(rng.choice(STATUSES))
    if kind == "amount":
        if rng.random() < 0.15:
            return Cell(f"{rng.uniform(0, 1e7):,.2f}")  # a number typed as text
        amount = round(rng.uniform(-1e3, 1e8), rng.choice([0, 1, 2, 6]))
        return Cell(amount, rng.choice(AMOUNT_FORMATS))
    if kind == "date":
        if rng.random() < 0.15:
            day = _day(rng)
            return Cell(f"{day.day:02d}/{day.month:02d}/{ce_to_be(day.year)}")  # B.E. text
        return Cell(_day(rng), rng.choice(DATE_FORMATS))
    if kind == "datetime":
        moment = dt.datetime.combine(_day(rng), dt.time(rng.randrange(24), rng.randrange(60)))
        return Cell(moment, rng.choice(DATETIME_FORMATS))
    if kind == "int":
        return Cell(rng.randint(-1, 20))
    if kind == "time":
        return Cell(dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60)), "hh:mm:ss")
    if kind == "duration":
        return Cell(dt.timedelta(hours=rng.randrange(100), minutes=rng.randrange(60)), "[h]:mm:ss")
    if kind == "percent":
        return Cell(round(rng.random(), 4), "0.00%")
    if kind == "bool":
        return Cell(rng.random() < 0.5)
    if kind == "big":
        return Cell(rng.choice([10**15 - 1, 1e20, 1.5e-7, -0.0, 123456789012345]))
    if kind == "formula":
        if rng.random() < 0.4:
            return Cell(rng.choice(ERRORS), formula="=1/0", error=True)
        result = rng.randint(0, 1000)
        return Cell(result, formula=f"={result}*1")
    return _value(rng.choice(["text", "amount", "date", "int", "bool"]), rng)  # mixed


def layout(shape: Shape) -> list[list[Cell | None]]:
    """The sheet's rows from A1: blank rows and columns, titles, header, data, blank tail."""
    rng = random.Random(f"cells:{shape.seed}")
    header = [*HEADER, *shape.extra]
    kinds = [*KINDS, *(EXTRA[name] for name in shape.extra)]
    lead: list[Cell | None] = [None] * shape.blank_columns_before
    rows: list[list[Cell | None]] = [[] for _ in range(shape.blank_rows_before)]
    rows += [[*lead, Cell(f"{TITLE} ({n + 1})")] for n in range(shape.title_rows)]
    rows.append([*lead, *(Cell(name) for name in header)])
    for number in range(shape.rows):
        cells: list[Cell | None] = [
            None if rng.random() < shape.blank_share else _value(kind, rng) for kind in kinds
        ]
        cells[0] = _value("id", rng)  # every record has its project number
        if shape.beyond_header and number == 0:
            cells += [None, Cell("ค่าเกินหัวตาราง")]
        rows.append([*lead, *cells])
        if shape.blank_rows_inside and number % 7 == 3:
            rows.append([])
    rows += [[] for _ in range(shape.blank_rows_after)]
    return rows


def write(shape: Shape, folder: Path) -> Path:
    path = folder / f"{shape}.xlsx"
    WRITERS[shape.writer](shape, layout(shape), path)
    return path


def _width(rows: list[list[Cell | None]]) -> int:
    return max(len(row) for row in rows)


def _title_span(shape: Shape) -> tuple[int, int]:
    first = shape.blank_columns_before
    return first, first + len(HEADER) - 1


def _write_openpyxl(shape: Shape, rows: list[list[Cell | None]], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = Workbook()
    if shape.epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    if shape.sheet:
        sheet.title = OTHER_SHEET
        sheet.append(["ไม่ใช่ข้อมูล", 1])
        sheet = book.create_sheet(shape.sheet)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell is None:
                continue
            target = sheet.cell(row=r, column=c)
            if cell.rich:
                target.value = CellRichText(
                    [cell.value[:2], TextBlock(InlineFont(b=True), cell.value[2:])]
                )
            else:
                target.value = cell.value  # a formula cannot keep its value here: written as is
            if cell.error:
                target.value, target.data_type = cell.value, "e"
            elif cell.formula:
                target.value = cell.value
            if cell.number_format:
                target.number_format = cell.number_format
    if shape.formatted_tail:
        sheet.cell(row=len(rows) + 4, column=_width(rows) + 3).number_format = "0.00"
    first, last = _title_span(shape)
    for n in range(shape.title_rows):
        r = shape.blank_rows_before + n + 1
        sheet.merge_cells(start_row=r, start_column=first + 1, end_row=r, end_column=last + 1)
    book.save(path)


def _write_xlsxwriter(shape: Shape, rows: list[list[Cell | None]], path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"date_1904": shape.epoch_1904})
    book.set_properties({"created": dt.datetime(2025, 10, 1)})
    formats: dict[str, Any] = {}
    bold = book.add_format({"bold": True})

    def style(code: str | None) -> Any:
        if code is None:
            return None
        if code not in formats:
            formats[code] = book.add_format({"num_format": code})
        return formats[code]

    if shape.sheet:
        other = book.add_worksheet(OTHER_SHEET)
        other.write_row(0, 0, ["ไม่ใช่ข้อมูล", 1])
    sheet = book.add_worksheet(shape.sheet or "Sheet1")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if cell.formula:
                sheet.write_formula(r, c, cell.formula, None, cell.value)
            elif cell.rich:
                sheet.write_rich_string(r, c, cell.value[:2], bold, cell.value[2:])
            elif isinstance(cell.value, str):
                sheet.write_string(r, c, cell.value)
            elif isinstance(cell.value, (dt.date, dt.time, dt.timedelta)):
                sheet.write_datetime(r, c, cell.value, style(cell.number_format))
            else:
                sheet.write(r, c, cell.value, style(cell.number_format))
    if shape.formatted_tail:
        sheet.write_blank(len(rows) + 3, _width(rows) + 2, None, style("0.00"))
    first, last = _title_span(shape)
    for n in range(shape.title_rows):
        r = shape.blank_rows_before + n
        title = rows[r][first]
        assert title is not None
        sheet.merge_range(r, first, r, last, title.value)
    book.close()


WRITERS: dict[str, Callable[[Shape, list[list[Cell | None]], Path], None]] = {
    "openpyxl": _write_openpyxl,
    "xlsxwriter": _write_xlsxwriter,
}
