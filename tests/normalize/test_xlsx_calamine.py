"""The calamine XLSX reader gives what the openpyxl reader gave (``xlsx_reference.py``), over
generated workbooks of many shapes from both writers (``xlsx_shapes.py``); error cells keep their
text; the sheet's part is found however it is named; the runtime never imports openpyxl.

One difference is intended: openpyxl took the sheet's declared extent, so formatted empty cells
right of the data became columns with no header and no value, listed as unknown columns named
``'None'``. Calamine reads only cells with a value; the comparison leaves those trailing phantom
columns out of the reference, and a test shows they are gone. (Blank columns before or between
the data keep their positions, and their ``'None'`` names, as before.)

Other differences, outside what agencies' spreadsheets hold and so outside the shapes: a
date-formatted cell whose serial is beyond any date reads as the number's text where openpyxl
gave ``#VALUE!``, and a negative serial as a time of day where openpyxl gave a day of 1899 (a
cast error of that row and field either way; ``xlsx_date_serial_overflow`` in the hostile
corpus); a whole number over 2**53 saved without a decimal point (never by a spreadsheet
program, which keeps 15 digits) loses its last digits, as a double; and the text ``_x000D_``
saved unescaped is read as the escape it is (a carriage return), as spreadsheet programs do.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.contracts import load_spec, load_specs
from pipelines.normalize import NormalizeError, normalize_file
from pipelines.normalize.headers import HeaderMap
from pipelines.normalize.readers import RawTable, read_xlsx
from pipelines.normalize.xlsx_cells import cell_text, text_batch
from tests.normalize.hostile_files import HEADER, row
from tests.normalize.hostile_xlsx import workbook_bytes
from tests.normalize.xlsx_reference import read_xlsx_openpyxl
from tests.normalize.xlsx_shapes import Shape, shapes, write

REPO = Path(__file__).resolve().parents[2]
PROCUREMENT = load_spec("procurement")
HEADERS = HeaderMap.from_spec(PROCUREMENT)
SHAPES = shapes(48)


def snapshot(raw: RawTable) -> dict[str, Any]:
    batches = list(raw.batches)
    return {
        "columns": raw.columns,
        "unknown_columns": raw.unknown_columns,
        "unknown_headers": raw.unknown_headers,
        "aliased_headers": raw.aliased_headers,
        "header_row": raw.header_row,
        "rows": pa.Table.from_batches(batches).to_pylist() if batches else [],
    }


def without_phantom_columns(snap: dict[str, Any]) -> dict[str, Any]:
    """The reference without the columns right of the last one with a header or a value."""
    if not snap["rows"]:
        return snap
    order = list(snap["rows"][0])  # every column, in position order
    headers = snap["unknown_headers"]

    def phantom(name: str) -> bool:
        empty = all(record[name] is None for record in snap["rows"])
        return headers.get(name) == "None" and empty

    keep = len(order)
    while keep and phantom(order[keep - 1]):
        keep -= 1
    dropped = set(order[keep:])
    kept = dict(snap)
    kept["unknown_headers"] = {k: v for k, v in headers.items() if k not in dropped}
    kept["unknown_columns"] = list(kept["unknown_headers"].values())
    kept["rows"] = [{k: v for k, v in r.items() if k not in dropped} for r in snap["rows"]]
    return kept


def test_the_shapes_cover_what_they_should() -> None:
    assert {shape.writer for shape in SHAPES} == {"openpyxl", "xlsxwriter"}
    for flag in ("blank_rows_inside", "beyond_header", "epoch_1904", "formatted_tail"):
        assert {getattr(shape, flag) for shape in SHAPES} == {True, False}, flag
    assert {shape.sheet for shape in SHAPES} == {None, "จัดซื้อจัดจ้าง"}
    assert {shape.title_rows for shape in SHAPES} >= {0, 1, 2}
    assert {shape.blank_columns_before for shape in SHAPES} >= {0, 1, 2}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_calamine_reads_what_openpyxl_read(shape: Shape, tmp_path: Path) -> None:
    path = write(shape, tmp_path)
    expected = snapshot(read_xlsx_openpyxl(path, HEADERS, sheet=shape.sheet))
    actual = snapshot(read_xlsx(path, HEADERS, sheet=shape.sheet))
    assert actual["rows"], "a shape without rows proves nothing"
    assert actual == without_phantom_columns(expected)


DEMO_XLSX = sorted((REPO / "datasets" / "drops").rglob("*.xlsx"))


@pytest.mark.parametrize("path", DEMO_XLSX, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_demo_spreadsheet_reads_as_before(path: Path) -> None:
    family = path.name.rsplit("_", 1)[0]
    spec = load_specs()[family]
    sheet = getattr(spec.source_for(path.parent.name), "sheet", None)
    headers = HeaderMap.from_spec(spec)
    expected = snapshot(read_xlsx_openpyxl(path, headers, sheet=sheet))
    assert snapshot(read_xlsx(path, headers, sheet=sheet)) == expected
    assert expected["rows"]


def test_formatted_empty_cells_are_no_columns(tmp_path: Path) -> None:
    [shape] = [s for s in SHAPES if s.formatted_tail and not s.extra and not s.beyond_header][:1]
    path = write(shape, tmp_path)
    old = snapshot(read_xlsx_openpyxl(path, HEADERS, sheet=shape.sheet))
    new = snapshot(read_xlsx(path, HEADERS, sheet=shape.sheet))
    assert "None" in old["unknown_columns"]  # openpyxl's phantom columns
    assert new["unknown_columns"] == []
    assert new["rows"] == without_phantom_columns(old)["rows"]


EDGE_NUMBERS = [0.0, -0.0, 1e-4, 9.9999e-5, 1.5e-7, 5e-324, 1e10 - 0.5, 1e10 + 0.5, 2.0**53 + 2]
EDGE_NUMBERS += [2.0**63, -(2.0**63), 1e20, 1.7976931348623157e308, 419101.89, 0.1 + 0.2]


def _column(kind: str, rng: random.Random, size: int) -> list[object]:
    """Cells as calamine gives them: ``""`` when empty, floats for numbers, dates, ..."""

    def one() -> object:
        if rng.random() < 0.1:
            return ""
        if kind == "float":
            bits = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
            choices = [
                round(rng.uniform(-1e9, 1e9), rng.randint(0, 6)),
                float(rng.randint(0, 9999)),
            ]
            value = rng.choice([*choices, bits, rng.choice(EDGE_NUMBERS)])
            return value if value == value and abs(value) != float("inf") else 1.5
        if kind == "date":
            return dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(80_000))
        if kind == "datetime":
            day = dt.datetime(1900, 1, 1) + dt.timedelta(seconds=rng.randrange(80_000 * 86_400))
            return day if rng.random() < 0.7 else day.date()
        if kind == "text":
            return rng.choice(["ไทย", " a ", "007", "1,234.50", "#N/A"])
        return rng.choice([1.5, True, dt.time(7, 30), dt.timedelta(hours=30), "x", dt.date.today()])

    return [one() for _ in range(size)]


def test_columns_become_the_text_each_cell_would() -> None:
    rng = random.Random(14)
    kinds = ["float", "date", "datetime", "text", "mixed"] * 4
    columns = [_column(kind, rng, 3_000) for kind in kinds]
    columns.append([""] * 3_000)  # an empty column
    rows = [list(cells) for cells in zip(*columns, strict=True)]
    names = [f"c{i}" for i in range(len(columns))]
    batch = text_batch(names, rows)
    for name, cells in zip(names, columns, strict=True):
        assert batch.column(name).to_pylist() == [cell_text(cell) for cell in cells], name
    assert [cell_text(value) for value in (2567.0, -0.0, 1.5e-7, True)] == [
        "2567",
        "0",
        "1.5e-07",
        "true",
    ]


def test_an_error_cell_is_a_cast_error_naming_row_and_field(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in [HEADER, row(1), row(2)]:
        sheet.append(line)
    budget = sheet.cell(row=3, column=HEADER.index("budget") + 1)
    budget.value, budget.data_type = "#DIV/0!", "e"
    path = tmp_path / "procurement.xlsx"
    book.save(path)
    result = normalize_file(path, PROCUREMENT, agency="cgd")
    assert result.rows == 2
    [error] = result.cast_errors
    assert (error["row_number"], error["field"], error["cell"]) == (3, "budget", "#DIV/0!")


def _renamed_sheet_part(data: bytes, new: str) -> bytes:
    """The workbook with its sheet part moved to ``new``, referred to by an absolute target."""
    out = io.BytesIO()
    old = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            name = new if item.filename == old else item.filename
            if item.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b'"/xl/worksheets/sheet1.xml"', f'"/{new}"'.encode())
                body = body.replace(b'"worksheets/sheet1.xml"', f'"/{new}"'.encode())
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"/xl/worksheets/sheet1.xml", f"/{new}".encode())
            target.writestr(name, body)
    return out.getvalue()


def test_an_uncached_formula_is_found_in_a_sheet_part_of_any_name(tmp_path: Path) -> None:
    rows: list[list[Any]] = [row(1), row(2)]
    rows[1][HEADER.index("budget")] = "=G2*2"  # openpyxl writes <f> without a cached <v>
    path = tmp_path / "procurement.xlsx"
    path.write_bytes(_renamed_sheet_part(workbook_bytes(rows), "xl/worksheets/data.xml"))
    with pytest.raises(NormalizeError, match="formula saved without its value") as caught:
        normalize_file(path, PROCUREMENT, agency="cgd")
    assert caught.value.row == 3
    path.write_bytes(_renamed_sheet_part(workbook_bytes([row(1)]), "xl/worksheets/data.xml"))
    assert normalize_file(path, PROCUREMENT, agency="cgd").rows == 1  # the part is read


@pytest.mark.timeout(120)
def test_the_runtime_reads_xlsx_without_importing_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "procurement.xlsx"
    path.write_bytes(workbook_bytes([row(1), row(2)]))
    code = (
        "import sys\n"
        "from pipelines.contracts import load_spec\n"
        "from pipelines.normalize import normalize_file\n"
        f"result = normalize_file({str(path)!r}, load_spec('procurement'), agency='cgd')\n"
        "print(result.rows, 'openpyxl' in sys.modules, 'python_calamine' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.split() == ["2", "False", "True"], out.stderr[-2000:]
