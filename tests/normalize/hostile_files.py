"""Hostile received files, generated (deterministically) for ``ogp validate``.

Each :class:`Hostile` writes one file and says how ``ogp validate`` must end: exit 1 (read,
found invalid: the output names file, row and field) or 2 (refused: one line naming the file,
and the row when there is one). Files that are read correctly despite their form (CR-only line
endings, a double BOM, a 200 KB cell...) carry one deliberately invalid row, so exit 1 with
that row's number proves the file was read to the right place rather than half-read.
The spreadsheet kinds live in :mod:`tests.normalize.hostile_xlsx`.
"""

from __future__ import annotations

import codecs
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contracts import load_spec

PROCUREMENT = load_spec("procurement")
HEADER = PROCUREMENT.field_names
MB = 1 << 20


@dataclass(frozen=True)
class Hostile:
    name: str  # file name, its extension included
    write: Callable[[Path], object]
    exit_code: int
    expect: tuple[str, ...] = ()  # further text the output must hold (besides the file name)
    family: str = "procurement"
    tags: tuple[str, ...] = field(default=())


def row(number: int, **changes: str) -> list[str]:
    """A valid procurement row (the demo's shape); ``changes`` spoil one field."""
    values = {
        "project_id": f"670190{number:05d}",
        "agency_code": "cgd",
        "fiscal_year": "2568",
        "project_name": f"โครงการ {number}",
        "method": "specific",
        "budget": "1,000.50",
        "reference_price": "1000",
        "announce_date": "01/11/2567",
        "bid_close_date": "",
        "award_date": "",
        "contract_date": "2024-12-01",
        "number_of_bidders": "1",
        "winner_tax_id": "0105536012345",
        "winner_name": "บริษัท ก จำกัด",
        "contract_value": "900",
        "status": "contracted",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


BAD_ID = {"project_id": "12"}  # fails the pattern ^[0-9]{11}$: a row-level schema error


def csv_text(
    rows: list[list[str]], *, header: list[str] | None = HEADER, newline: str = "\n"
) -> str:
    """CSV with the header first (``header=None``: rows only)."""

    def cell(value: str) -> str:
        if any(mark in value for mark in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = rows if header is None else [header, *rows]
    return "".join(",".join(cell(v) for v in line) + newline for line in lines)


def text_file(text: str, encoding: str = "utf-8", prefix: bytes = b"") -> Callable[[Path], object]:
    return lambda path: path.write_bytes(prefix + text.encode(encoding))


def raw(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _lines(count: int, start: int = 1) -> list[list[str]]:
    return [row(number) for number in range(start, start + count)]


def _rows_for(size: int) -> int:
    """How many valid rows make at least ``size`` bytes of CSV."""
    return size // len(csv_text([row(1)], header=None).encode()) + 1


# --- files read in full, one invalid row: exit 1 naming it ------------------------------------


def _mixed_endings(path: Path) -> None:
    rows = [HEADER, row(1), row(2), row(3, **BAD_ID), row(4)]
    lines = [csv_text([line], header=None).rstrip("\n") for line in rows]
    path.write_bytes(
        "\r\n".join(lines[:2]).encode() + b"\n" + "\r".join(lines[2:]).encode() + b"\r"
    )


def _big_cell(size: int) -> Callable[[Path], object]:
    return text_file(csv_text([row(1, project_name="ก" * (size // 3)), row(2, **BAD_ID)]))


def _long_header(path: Path) -> None:
    header = [*HEADER, "x" * (200 * 1024)]
    rows = [[*row(1), "a"], [*row(2, **BAD_ID), "b"]]
    path.write_text(csv_text(rows, header=header), encoding="utf-8")


def _blank_lines(path: Path) -> None:
    path.write_text(csv_text([row(1, **BAD_ID)]) + "\n" * 500_000, encoding="utf-8")


IMPOSSIBLE = [
    ("nan.csv", {"budget": "NaN"}, "budget"),
    ("infinity.csv", {"budget": "Infinity"}, "budget"),
    ("minus_inf.csv", {"reference_price": "-inf"}, "reference_price"),
    ("overflow_1e309.csv", {"contract_value": "1e309"}, "contract_value"),
    ("amount_over_maximum.csv", {"budget": "5,000,000,000,000"}, "budget"),
    ("integer_overflow.csv", {"number_of_bidders": "99999999999999999999"}, "number_of_bidders"),
    ("be_year_2700.csv", {"fiscal_year": "2700"}, "fiscal_year"),
    ("be_year_2400.csv", {"fiscal_year": "2400"}, "fiscal_year"),
    ("date_9999_12_31.csv", {"contract_date": "9999-12-31"}, "contract_date"),
    ("date_0001_01_01.csv", {"contract_date": "0001-01-01"}, "contract_date"),
    ("date_be_2700.csv", {"announce_date": "01/01/2700"}, "announce_date"),
    ("decimal_comma.csv", {"budget": "1.234,56"}, "budget"),
    ("ambiguous_comma.csv", {"budget": "1,5"}, "budget"),
]

READ_THEN_INVALID: list[Hostile] = [
    Hostile("header_only.csv", text_file(csv_text([])), 1, ("0 rows",)),
    Hostile("header_only_no_newline.csv", text_file(",".join(HEADER)), 1, ("0 rows",)),
    Hostile("only_delimiters.csv", text_file(",,,,,\n,,,,,\n,,,,,\n"), 1, ("row 3", "blank-row")),
    Hostile("only_semicolons.csv", text_file(";;;;\n;;;;\n;;;;\n"), 1, ("row 3", "blank-row")),
    Hostile("blank_lines_500k.csv", _blank_lines, 1, ("row 2", "'project_id'")),
    Hostile(
        "cr_only.csv",
        text_file(csv_text([row(1), row(2, **BAD_ID)], newline="\r")),
        1,
        ("row 3", "'project_id'"),
    ),
    Hostile(
        "crlf.csv",
        text_file(csv_text([row(1, **BAD_ID), row(2)], newline="\r\n")),
        1,
        ("row 2", "'project_id'"),
    ),
    Hostile("mixed_line_endings.csv", _mixed_endings, 1, ("row 4", "'project_id'")),
    Hostile(
        "thai_header_bom_twice.csv",
        text_file(
            csv_text(
                [row(1), row(2, **BAD_ID)],
                header=[str(f.get("title_th")) for f in PROCUREMENT.fields],
            ),
            prefix=codecs.BOM_UTF8 * 2,
        ),
        1,
        ("row 3", "'project_id'"),
    ),
    Hostile("header_cell_200kb.csv", _long_header, 1, ("row 3", "'project_id'")),
    *(
        Hostile(name, text_file(csv_text([row(1), row(2, **change)])), 1, ("row 3", f"'{field}'"))
        for name, change, field in IMPOSSIBLE
    ),
    Hostile(
        "budget_decimal_comma.csv",
        text_file(
            "budget_line_id,fiscal_year,agency_code,plan,economic_category,allocated,revised,disbursed\n"
            'B1,2568,cgd,แผน,operating,"1.000,00",1000,10\n'
        ),
        1,
        ("row 2", "'allocated'"),
        family="budget",
    ),
]


# --- refused: exit 2 naming the file ------------------------------------------------------------


AFTER_FIRST_MB = _rows_for(MB + 64 * 1024)  # valid rows filling more than the first megabyte


def _switch_after_first_mb(encoded: bytes) -> Callable[[Path], object]:
    """UTF-8 for more than a megabyte, then one row in another encoding."""

    def write(path: Path) -> None:
        head = csv_text(_lines(AFTER_FIRST_MB)).encode()
        tail = csv_text([row(AFTER_FIRST_MB + 1, project_name="@@")], header=None).encode()
        path.write_bytes(head + tail.replace(b"@@", encoded))

    return write


def _line_after_rows(count: int) -> str:
    return f"row {count + 2}"  # header line 1, then ``count`` rows


def _nul_after_first_mb(path: Path) -> None:
    rows = _lines(AFTER_FIRST_MB)
    tail = row(len(rows) + 1, project_name="a\x00b")
    path.write_text(csv_text([*rows, tail]), encoding="utf-8")


def _garbage(seed: int, size: int) -> bytes:
    generator = random.Random(seed)
    return bytes(generator.randrange(256) for _ in range(size))


def _high_bytes(size: int) -> bytes:
    """Bytes no UTF-8 or cp874 decoder accepts (0xDB..0xDE are unassigned in cp874)."""
    generator = random.Random(7)
    return bytes(generator.choice((0xDB, 0xDC, 0xDD, 0xDE, 0xFC, 0xFF)) for _ in range(size))


def _truncated_after_big_cell(path: Path) -> None:
    text = csv_text([row(1, project_name="ข" * 100_000), row(2)])
    path.write_text(text[: len(text) - 40], encoding="utf-8")


def _columns(count: int) -> Callable[[Path], object]:
    header = [*HEADER, *(f"extra_{i}" for i in range(count - len(HEADER)))]
    return text_file(csv_text([[*row(1), *("x" * (count - len(HEADER)))]], header=header))


def _deep_json(depth: int) -> Callable[[Path], object]:
    return text_file("[" * depth + "]" * depth)


OCDS_NAN = (
    '{"releases": [{"ocid": "ocds-th0000-67019000001", "id": "1", "date": "2024-11-01T00:00:00Z",'
    ' "tag": ["tender"], "buyer": {"id": "cgd"}, "tender": {"id": "67019000001",'
    ' "title": "x", "value": {"amount": NaN, "currency": "THB"}}}]}'
)


def _fifo(path: Path) -> None:
    import os

    os.mkfifo(path)


REFUSED: list[Hostile] = [
    Hostile("empty.csv", text_file(""), 2, ("empty",)),
    Hostile("whitespace_only.csv", text_file("  \n\n\t\n"), 2, ("empty",)),
    Hostile("only_tabs.tsv", text_file("\t\t\t\n\t\t\t\n"), 2, ("empty",)),
    Hostile("utf16le_bom.csv", text_file(csv_text([row(1)]), "utf-16"), 2, ("UTF-16",)),
    Hostile(
        "utf16be_bom.csv",
        raw(codecs.BOM_UTF16_BE + csv_text([row(1)]).encode("utf-16-be")),
        2,
        ("UTF-16",),
    ),
    Hostile("utf16le_no_bom.csv", text_file(csv_text([row(1)]), "utf-16-le"), 2, ("NUL",)),
    Hostile("utf32le_bom.csv", text_file(csv_text([row(1)]), "utf-32"), 2, ("UTF-32",)),
    Hostile(
        "utf32be_bom.csv",
        raw(codecs.BOM_UTF32_BE + csv_text([row(1)]).encode("utf-32-be")),
        2,
        ("UTF-32",),
    ),
    Hostile("utf32le_no_bom.csv", text_file(csv_text([row(1)]), "utf-32-le"), 2, ("NUL",)),
    Hostile(
        "encoding_switch_after_1mb.csv",
        _switch_after_first_mb("โครงการ".encode("cp874")),
        2,
        ("undecodable", _line_after_rows(AFTER_FIRST_MB)),
    ),
    Hostile(
        "cp874_undefined_after_1mb.csv",
        lambda path: path.write_bytes(
            csv_text(_lines(AFTER_FIRST_MB)).encode("cp874") + _high_bytes(64) + b"\n"
        ),
        2,
        ("undecodable",),
    ),
    Hostile(
        "nul_in_first_mb.csv",
        text_file(csv_text([row(1, project_name="a\x00b")])),
        2,
        ("NUL", "row 2"),
    ),
    Hostile(
        "nul_after_first_mb.csv",
        _nul_after_first_mb,
        2,
        ("NUL", _line_after_rows(AFTER_FIRST_MB), "'project_name'"),
    ),
    Hostile("undecodable_bytes.csv", raw(_high_bytes(4096)), 2, ("undecodable",)),
    Hostile("binary_garbage.csv", raw(_garbage(1, 64 * 1024)), 2, ()),
    Hostile("binary_garbage_no_nul.csv", raw(_garbage(2, 4096).replace(b"\x00", b"\x01")), 2, ()),
    Hostile("png_named.csv", raw(b"\x89PNG\r\n\x1a\n" + _garbage(3, 2048)), 2, ("PNG",)),
    Hostile("pdf_named.csv", raw(b"%PDF-1.7\n" + _garbage(4, 2048)), 2, ("PDF",)),
    Hostile("gzip_named.csv", raw(b"\x1f\x8b\x08\x00" + _garbage(5, 2048)), 2, ("gzip",)),
    Hostile(
        "old_xls_named.csv",
        raw(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _garbage(6, 2048)),
        2,
        (".xls",),
    ),
    Hostile("cell_200kb.csv", _big_cell(200 * 1024), 2, ("row 2", "'project_name'", "KB")),
    Hostile("one_row_10mb_cell.csv", _big_cell(10 * MB), 2, ("row 2", "'project_name'", "KB")),
    Hostile("truncated_inside_big_cell.csv", _truncated_after_big_cell, 2, ("row",)),
    Hostile(
        "unterminated_quote.csv", text_file(csv_text([row(1)]) + '67019000002,"cgd'), 2, ("quoted",)
    ),
    Hostile("ragged_rows.csv", text_file(csv_text([row(1), row(2)[:5]])), 2, ("row 3", "fields")),
    Hostile("columns_20000.csv", _columns(20_000), 2, ("20,000 columns",)),
    Hostile(
        "duplicate_headers.csv",
        text_file(csv_text([[*row(1), "67019000009"]], header=[*HEADER, "project_id"])),
        2,
        ("columns 1", f"and {len(HEADER) + 1}", "project_id"),
    ),
    Hostile(
        "duplicate_headers_thai_alias.csv",
        text_file(csv_text([[*row(1), "67019000009"]], header=[*HEADER, "เลขที่โครงการ"])),
        2,
        ("columns 1", f"and {len(HEADER) + 1}", "เลขที่โครงการ"),
    ),
    Hostile(
        "decisions_duplicate_titles.csv",
        text_file("เลขที่คำวินิจฉัย,เรื่อง,Decision id\nD1,x,D2\n"),
        2,
        ("columns 1", "and 3", "decision_id"),
        family="decisions",
    ),
    Hostile("report.docx", raw(b"PK\x03\x04" + _garbage(8, 512)), 2, ("unsupported",)),
    Hostile("deep_nested.json", _deep_json(200_000), 2, ("nested",)),
    Hostile("deep_nested_objects.json", text_file('{"a":' * 100_000 + "1" + "}" * 100_000), 2, ()),
    Hostile("json_not_ocds.json", text_file(json.dumps({"hello": "world"})), 2, ("OCDS",)),
    Hostile("json_numbers.json", text_file("[1, 2, 3]"), 2, ("OCDS",)),
    Hostile("json_broken.json", text_file('{"releases": [{"ocid": '), 2, ("JSON",)),
    Hostile("json_empty.json", text_file(""), 2, ("empty",)),
    Hostile("json_cp874.json", raw('{"releases": []} โครงการ'.encode("cp874")), 2, ("UTF-8",)),
    Hostile("directory.csv", lambda path: path.mkdir(), 2, ("not a regular file",)),
    Hostile("fifo.csv", _fifo, 2, ("not a regular file",)),
]

OCDS_READ: list[Hostile] = [
    Hostile("ocds_nan_amount.json", text_file(OCDS_NAN), 1, ("'budget'",)),
]


def csv_and_text_cases() -> list[Hostile]:
    return [*READ_THEN_INVALID, *REFUSED, *OCDS_READ]
