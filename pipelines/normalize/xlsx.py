"""Spreadsheets: what an XLSX must be before it is parsed, then its rows as text.

An XLSX is a zip of XML parts. A few megabytes can unpack to gigabytes (a zip bomb) and an XML
DTD can expand entities without end (billion laughs), so before the reader opens anything:

- the declared uncompressed size of all parts must stay within ``OGP_XLSX_MAX_XML_BYTES``
  (default 200 MB) and no large part may compress better than ``OGP_XLSX_MAX_RATIO`` (default
  250:1) -- Python's zip reader never unpacks more than a member declares, so checking the
  declarations bounds the work;
- no XML part may declare a DTD (``<!DOCTYPE``): spreadsheet programs never write one, so a
  DTD is refused, not expanded (the reader's XML parser, quick-xml, expands no entity a DTD
  declares either: a second guard);
- a formula cell saved without its value (a file written by a program that never calculated
  it) is named, since reading it as empty would lose data silently.

The cells are then read by calamine (python-calamine, Rust), several times faster than
openpyxl, which the pipeline used before. An error cell (``#DIV/0!``), which calamine gives as
empty, keeps its text, read from the sheet's XML, so it is reported as a cast error rather than
lost; :mod:`.xlsx_cells` turns the cells into text.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.xlsx_range import check_used_range

MAX_XML_BYTES = 200 << 20
MAX_RATIO = 250
# Small parts (styles, relations) may compress very well and cannot hurt.
RATIO_MIN_BYTES = 1 << 20
MAX_MEMBERS = 10_000
PROLOG_BYTES = 64 << 10
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_FORMULA = (b"<f>", b"<f ", b":f>", b":f ")
_ERROR = (b't="e"', b"t='e'")
_REFERENCE = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_OFFICE_DOCUMENT = "/officeDocument"


@dataclass(frozen=True)
class Budget:
    max_xml_bytes: int = MAX_XML_BYTES
    max_ratio: float = MAX_RATIO

    @classmethod
    def from_settings(cls) -> Budget:
        from pipelines.settings import get_settings

        settings = get_settings()
        return cls(
            int(getattr(settings, "xlsx_max_xml_bytes", MAX_XML_BYTES)),
            float(getattr(settings, "xlsx_max_ratio", MAX_RATIO)),
        )


def _megabytes(size: float) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def check_workbook(path: Path, budget: Budget | None = None) -> None:
    """Refuse an XLSX that would take unbounded time or memory to parse (before parsing)."""
    budget = budget or Budget.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise NormalizeError(path, f"{len(members)} parts in the workbook: refused")
            total = sum(member.file_size for member in members)
            if total > budget.max_xml_bytes:
                raise NormalizeError(
                    path,
                    f"workbook unpacks to {_megabytes(total)} of XML, over the limit of "
                    f"{_megabytes(budget.max_xml_bytes)} (OGP_XLSX_MAX_XML_BYTES): refused "
                    "before parsing; split it or send CSV",
                )
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size >= RATIO_MIN_BYTES and ratio > budget.max_ratio:
                    raise NormalizeError(
                        path,
                        f"part {member.filename!r} compresses {ratio:,.0f}:1 (limit "
                        f"{budget.max_ratio:,.0f}:1, OGP_XLSX_MAX_RATIO): a zip bomb? refused",
                    )
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    _refuse_dtd(path, archive, member.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
        raise NormalizeError(path, f"not a valid XLSX workbook ({type(error).__name__})") from None
    except (OSError, EOFError, RuntimeError, ValueError) as error:  # corrupt or encrypted parts
        raise NormalizeError(path, f"unreadable XLSX workbook ({type(error).__name__})") from None


def _refuse_dtd(path: Path, archive: zipfile.ZipFile, name: str) -> None:
    """A DTD can only come before the root element: read the prolog, never the whole part."""
    with archive.open(name) as handle:
        head = handle.read(PROLOG_BYTES)
    position = 0
    while match := _PROLOG_ITEM.match(head, position):
        position = match.end()
    rest = head[position:].lstrip()
    if rest.startswith(b"<!--") or (not rest.startswith(b"<") and len(head) == PROLOG_BYTES):
        raise NormalizeError(path, f"part {name!r} has an XML prolog over 64 KB: refused")
    if rest.startswith(b"<!"):
        raise NormalizeError(
            path, f"part {name!r} declares a DTD or entities (XML entity bomb?): refused"
        )


# --- the sheet's XML: which part, uncached formulas, error cells --------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of ``part`` (its ``_rels/<name>.rels``)."""
    from defusedxml.ElementTree import fromstring

    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for item in fromstring(archive.read(rels)):
        target = item.get("Target", "")
        if item.get("TargetMode") == "External":
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[item.get("Id", "")] = (item.get("Type", ""), posixpath.normpath(resolved))
    return found


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> the zip part holding its cells (``xl/worksheets/sheet1.xml``)."""
    from defusedxml.ElementTree import fromstring

    with zipfile.ZipFile(path) as archive:
        workbook = next(
            (
                target
                for kind, target in _relations(archive, "").values()
                if kind.endswith(_OFFICE_DOCUMENT)
            ),
            "xl/workbook.xml",
        )
        if workbook not in archive.namelist():
            return {}
        targets = _relations(archive, workbook)
        parts = {}
        for element in fromstring(archive.read(workbook)).iter():
            if _local(element.tag) != "sheet":
                continue
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            if rid in targets:
                parts[element.get("name", "")] = targets[rid][1]
        return parts


def _position(reference: str | None, row: int, column: int) -> tuple[int, int]:
    """0-based (row, column) of a cell: from its ``r`` (``B7``), else after the previous one."""
    match = _REFERENCE.match(reference or "")
    if not match:
        return row, column
    number = 0
    for letter in match[1]:
        number = number * 26 + ord(letter) - ord("A") + 1
    return int(match[2]) - 1, number - 1


@dataclass
class SheetScan:
    """What calamine does not say: a formula without its value, and the text of error cells."""

    uncached_formula: str | None = None
    errors: dict[int, dict[int, str]] = field(default_factory=dict)  # row -> column -> text


def scan_sheet(path: Path, sheet_part: str, data: bytes | None = None) -> SheetScan:
    """One pass over the sheet's XML, only when a byte search finds formulas or error cells.
    ``data``: the part's bytes when the caller has read them already."""
    scan = SheetScan()
    if data is None:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part.lstrip("/")
            if part not in archive.namelist():
                return scan
            data = archive.read(part)
    if not any(_search(data)):
        return scan
    from defusedxml.ElementTree import iterparse

    row = column = -1
    for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                r = element.get("r")
                row, column = (int(r) - 1 if r and r.isdigit() else row + 1), -1
            continue
        if tag != "c":
            if tag == "row":
                element.clear()
            continue
        row, column = _position(element.get("r"), row, column + 1)
        children = {_local(child.tag): child for child in element}
        formula, value = children.get("f"), children.get("v")
        cached = value is not None and (bool(value.text) or element.get("t") == "str")
        if formula is not None and not cached and scan.uncached_formula is None:
            scan.uncached_formula = str(element.get("r") or "?")
            return scan
        if element.get("t") == "e" and value is not None and value.text:
            scan.errors.setdefault(row, {})[column] = value.text
        element.clear()
    return scan


def uncached_formula(path: Path, sheet_part: str) -> str | None:
    """The reference (``B7``) of the first formula cell saved without a value, if any."""
    return scan_sheet(path, sheet_part).uncached_formula


def _search(data: bytes) -> tuple[bool, bool]:
    """Whether the part holds formulas, and error cells (byte searches, in C)."""
    return any(needle in data for needle in _FORMULA), any(needle in data for needle in _ERROR)


# --- the rows -------------------------------------------------------------------------------


def _refuse_formula(path: Path, cell: str) -> NormalizeError:
    digits = "".join(filter(str.isdigit, cell))
    return NormalizeError(
        path,
        f"cell {cell} holds a formula saved without its value: open the file "
        "in a spreadsheet program, let it calculate, and save it again",
        row=int(digits) if digits else None,
    )


def sheet_rows(path: Path, sheet: str | None = None) -> Iterator[list[Any]]:
    """The sheet's non-empty rows as calamine gives the cells (``""`` when empty), each as wide
    as the sheet from column A; :mod:`.xlsx_cells` turns them into text.

    The workbook passes :func:`check_workbook` before calamine opens it; a formula saved
    without its value is refused before any row is read. Calamine reads the whole sheet at
    once (its memory is bounded by the XML budget).
    """
    from python_calamine import SheetTypeEnum, SheetVisibleEnum, load_workbook

    check_workbook(path)
    try:
        workbook = load_workbook(path)
    except Exception as error:  # calamine raises its own kinds, and OSError, on a broken zip
        raise NormalizeError(path, f"not a valid XLSX workbook ({type(error).__name__})") from None
    with workbook:
        names = list(workbook.sheet_names)
        if not names:  # no workbook part, or one that lists no sheet
            raise NormalizeError(path, "not a valid XLSX workbook (it lists no sheet)")
        if sheet is not None and sheet not in names:
            raise NormalizeError(path, f"no sheet {sheet!r}; sheets are {names}")
        if sheet is None:
            # the first worksheet the agency can see: a hidden one holds lookups or drafts
            sheets = [
                m.name
                for m in workbook.sheets_metadata
                if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible
            ]
            if not sheets:
                raise NormalizeError(path, f"no visible worksheet; sheets are {names}")
            sheet = sheets[0]
        part = sheet_parts(path).get(sheet)
        if part is None:
            raise NormalizeError(path, f"sheet {sheet!r} has no part in the workbook: refused")
        with zipfile.ZipFile(path) as archive:  # within the XML budget checked above
            data = archive.read(part.lstrip("/"))
        check_used_range(path, data)  # before calamine allocates the sheet's whole span
        # Calamine parses without the GIL: the formula and error-cell scan runs beside it.
        with ThreadPoolExecutor(1) as pool:
            scanning = pool.submit(scan_sheet, path, part, data)
            try:
                cells, failure = workbook.get_sheet_by_name(sheet), None
            except Exception as error:  # malformed sheet XML, bad shared strings, ...
                cells, failure = None, type(error).__name__
            try:
                scan = scanning.result()
            except Exception as error:  # the sheet's XML is malformed
                cells, failure = None, type(error).__name__
            else:
                if scan.uncached_formula is not None:
                    raise _refuse_formula(path, scan.uncached_formula)
        if failure is not None:
            raise NormalizeError(path, f"unreadable sheet {sheet!r} ({failure})")
    return _rows(path, cells, scan.errors)


def _rows(path: Path, cells: Any, errors: dict[int, dict[int, str]]) -> Iterator[list[Any]]:
    start = cells.start
    offset = start[1] if start else 0  # calamine's rows start at the first column with data
    pad = [""] * offset
    number = 0  # rows read so far (calamine's rows start at row 1)
    try:
        for row in cells.iter_rows():
            if number in errors:
                for column, text in errors[number].items():
                    if 0 <= column - offset < len(row):
                        row[column - offset] = text
            number += 1
            if row.count("") != len(row):
                yield pad + row if offset else row
    except Exception as error:  # a cell calamine cannot convert
        raise NormalizeError(
            path, f"unreadable cell ({type(error).__name__})", row=number + 1
        ) from None
