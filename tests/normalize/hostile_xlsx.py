"""Hostile spreadsheets, generated: zip bombs, XML entity bombs, uncached formulas, broken parts.

Workbooks start as real openpyxl output; the malicious ones then have one part replaced or
added by rewriting the zip, as an attacker would.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.normalize.hostile_files import BAD_ID, HEADER, Hostile, csv_text, row

SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BOMB_BYTES = 1 << 30  # 1 GB of sheet XML, as in the report that prompted the budget


def workbook_bytes(rows: list[list[Any]], header: list[Any] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in [header if header is not None else HEADER, *rows]:
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The workbook with parts replaced (or removed, for None) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename in parts:
                continue
            target.writestr(item, source.read(item.filename))
        for name, content in parts.items():
            if content is not None:
                target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _valid() -> bytes:
    return workbook_bytes([row(1), row(2)])


def with_parts(parts: dict[str, bytes | None]) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(_rewrite(_valid(), parts))


def _sheet_xml(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>{body}</sheetData></worksheet>'
    ).encode()


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
BILLION_LAUGHS = _sheet_xml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', LAUGHS
)
# A1 and the last cell a sheet can have: a few hundred bytes asking for 17 billion cells (the
# reader allocates a sheet's whole span: the process aborted), and a cell far right of a row.
SPARSE_CORNERS = _sheet_xml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
)
SPARSE_FAR_RIGHT = _sheet_xml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    '<row r="20000"><c r="A20000" t="inlineStr"><is><t>y</t></is>'
    '</c><c r="XFD20000" t="inlineStr"><is><t>z</t></is></c></row>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>'
).encode()
# A DTD hidden behind a long comment, beyond what a quick look at the first bytes would see.
DTD_AFTER_LONG_COMMENT = _sheet_xml("", "<!--" + " " * (100 * 1024) + "-->" + LAUGHS)


def _bomb(size: int, level: int = 9) -> Callable[[Path], object]:
    """A workbook whose sheet part unpacks to ``size`` bytes of plausible rows."""

    def write(path: Path) -> None:
        # One row repeated: within deflate's 32 KB window, so it packs about 340:1.
        chunk = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' * 400
        with zipfile.ZipFile(io.BytesIO(_valid())) as source:
            kept = [(i, source.read(i.filename)) for i in source.infolist() if i.filename != SHEET]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
            for item, content in kept:
                target.writestr(item, content)
            with target.open(SHEET, "w", force_zip64=True) as handle:
                handle.write(_sheet_xml("").split(b"<sheetData>")[0] + b"<sheetData>")
                written = 0
                while written < size:
                    handle.write(chunk)
                    written += len(chunk)
                handle.write(b"</sheetData></worksheet>")

    return write


def _many_parts(path: Path) -> None:
    parts: dict[str, bytes | None] = {f"xl/media/pad{i}.bin": b"" for i in range(10_001)}
    path.write_bytes(_rewrite(_valid(), parts))


def _uncached_formula(path: Path) -> None:
    rows: list[list[Any]] = [row(1), row(2)]
    rows[1][HEADER.index("budget")] = "=G2*2"  # openpyxl writes <f> without a cached <v>
    path.write_bytes(workbook_bytes(rows))


def _cells(rows: list[list[Any]], **number_formats: str) -> Callable[[Path], object]:
    def write(path: Path) -> None:
        book = Workbook()
        sheet = book.active
        for line in [HEADER, *rows]:
            sheet.append(line)
        for column, number_format in number_formats.items():
            for cell in sheet[column][1:]:
                cell.number_format = number_format
        book.save(path)

    return write


def _typed_row(number: int, **changes: Any) -> list[Any]:
    values: list[Any] = list(row(number))
    for name, value in changes.items():
        values[HEADER.index(name)] = value
    return values


def _truncated(path: Path) -> None:
    data = _valid()
    path.write_bytes(data[: len(data) // 2])


CONTRACT = f"{chr(ord('A') + HEADER.index('contract_date'))}"  # column letter of contract_date

XLSX: list[Hostile] = [
    Hostile(
        "xlsx_bad_row.xlsx",
        lambda p: p.write_bytes(workbook_bytes([row(1), row(2, **BAD_ID)])),
        1,
        ("row 3", "'project_id'"),
    ),
    Hostile("xlsx_header_only.xlsx", lambda p: p.write_bytes(workbook_bytes([])), 1, ("0 rows",)),
    Hostile(
        "xlsx_empty_sheet.xlsx",
        lambda p: p.write_bytes(workbook_bytes([], header=[])),
        2,
        ("empty sheet",),
    ),
    Hostile(
        "xlsx_nan_text.xlsx",
        lambda p: p.write_bytes(workbook_bytes([row(1), row(2, budget="NaN")])),
        1,
        ("row 3", "'budget'"),
    ),
    Hostile(
        "xlsx_date_9999.xlsx",
        _cells([_typed_row(1), _typed_row(2, contract_date=dt.datetime(9999, 12, 31))]),
        1,
        ("row 3", "'contract_date'"),
    ),
    Hostile(
        "xlsx_date_serial_overflow.xlsx",
        _cells([_typed_row(1, contract_date=1e10)], **{CONTRACT: "yyyy-mm-dd"}),
        1,
        ("row 2", "'contract_date'"),
    ),
    Hostile("xlsx_uncached_formula.xlsx", _uncached_formula, 2, ("formula", "row 3")),
    Hostile(  # a value right of the header: kept as an unnamed column, rows not shifted
        "xlsx_value_beyond_header.xlsx",
        lambda p: p.write_bytes(workbook_bytes([row(1), [*row(2, **BAD_ID), None, "x"]])),
        1,
        ("row 3", "'project_id'"),
    ),
    Hostile(
        "xlsx_duplicate_headers.xlsx",
        lambda p: p.write_bytes(
            workbook_bytes([[*row(1), "x"]], header=[*HEADER, "วงเงินงบประมาณ (บาท)"])
        ),
        2,
        ("columns 6", f"and {len(HEADER) + 1}", "'budget'"),
    ),
    Hostile(
        "xlsx_columns_16384.xlsx",  # the most a sheet can have
        lambda p: p.write_bytes(
            workbook_bytes(
                [row(1)], header=[*HEADER, *(f"c{i}" for i in range(16_384 - len(HEADER)))]
            )
        ),
        2,
        ("16,384 columns",),
    ),
    Hostile(
        "xlsx_bomb_1gb.xlsx", _bomb(BOMB_BYTES), 2, ("over the limit", "OGP_XLSX_MAX_XML_BYTES")
    ),
    Hostile("xlsx_ratio_bomb.xlsx", _bomb(120 << 20), 2, ("compresses", "zip bomb")),
    Hostile("xlsx_many_parts.xlsx", _many_parts, 2, ("parts",)),
    Hostile("xlsx_sparse_corners.xlsx", with_parts({SHEET: SPARSE_CORNERS}), 2, ("sparse",)),
    Hostile("xlsx_sparse_far_right.xlsx", with_parts({SHEET: SPARSE_FAR_RIGHT}), 2, ("sparse",)),
    Hostile("xlsx_billion_laughs.xlsx", with_parts({SHEET: BILLION_LAUGHS}), 2, ("DTD",)),
    Hostile("xlsx_external_entity.xlsx", with_parts({SHARED: EXTERNAL_ENTITY}), 2, ("DTD",)),
    Hostile(
        "xlsx_dtd_after_long_comment.xlsx",
        with_parts({SHEET: DTD_AFTER_LONG_COMMENT}),
        2,
        ("64 KB",),
    ),
    Hostile(
        "xlsx_malformed_sheet.xlsx",
        with_parts({SHEET: b'<worksheet xmlns="x"><sheetData><row><c'}),
        2,
        (),
    ),
    Hostile("xlsx_sheet_not_xml.xlsx", with_parts({SHEET: b"\x00\x01 not xml at all"}), 2, ()),
    Hostile("xlsx_no_workbook_part.xlsx", with_parts({"xl/workbook.xml": None}), 2, ("XLSX",)),
    Hostile("xlsx_truncated.xlsx", _truncated, 2, ("XLSX",)),
    Hostile("xlsx_empty_file.xlsx", lambda p: p.write_bytes(b""), 2, ("empty",)),
    Hostile(
        "csv_named.xlsx", lambda p: p.write_text(csv_text([row(1)]), encoding="utf-8"), 2, ("XLSX",)
    ),
]
