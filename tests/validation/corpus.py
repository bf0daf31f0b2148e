"""Small schemas and a generator of bad files for the validation tests (the corpus)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

AGENCIES_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "agency_code", "type": "string", "constraints": {"required": True}},
        {"name": "name_en", "type": "string"},
    ],
    "primaryKey": ["agency_code"],
}
AGENCIES = [["agency_code", "name_en"], ["cgd", "Comptroller General"], ["pcd", "Pollution"]]

# One field per rule type the fast path compiles (and one it does not: format email).
SCHEMA: dict[str, Any] = {
    "fields": [
        {
            "name": "project_id",
            "type": "string",
            "constraints": {"required": True, "pattern": "[0-9]{11}"},
        },
        {"name": "agency_code", "type": "string"},
        {
            "name": "fiscal_year",
            "type": "integer",
            "constraints": {"minimum": 2000, "maximum": 2100},
        },
        {"name": "budget", "type": "number", "constraints": {"minimum": 0, "required": True}},
        {"name": "announce_date", "type": "date", "constraints": {"minimum": "2000-01-01"}},
        {
            "name": "method",
            "type": "string",
            "constraints": {"enum": ["e_bidding", "specific"], "minLength": 3, "maxLength": 9},
        },
        {"name": "consulted", "type": "boolean"},
        {"name": "year", "type": "year"},
        {"name": "code", "type": "integer", "constraints": {"unique": True}},
        {"name": "contact", "type": "string", "format": "email"},
    ],
    "primaryKey": ["project_id"],
    "foreignKeys": [
        {"fields": "agency_code", "reference": {"resource": "agencies", "fields": "agency_code"}}
    ],
    "missingValues": ["", "-"],
}
GOOD_ROW = [
    "12345678901",
    "cgd",
    "2024",
    "1500.50",
    "2024-01-31",
    "specific",
    "true",
    "2024",
    "1",
    "a@example.org",
]

# Cells worth trying per column: valid, invalid and the odd literals where SQL and Python
# could disagree (whitespace, underscores, Thai digits, unpadded dates, trailing newline).
VOCABULARY: list[list[str]] = [
    ["12345678901", "12345678902", "1234567890", "๑2345678901", "12345678901\n", "", "-"],
    ["cgd", "pcd", "zzz", "", "CGD"],
    ["2024", "1999", "2101", " 2024 ", "2_024", "x", "", "+2024", "2024.0", "๒๐๒๔"],
    ["1500.50", "0", "-1", ".5", "1.", "1e3", "NaN", "1,000", "", "12345678901234567", "abc"],
    [
        "2024-01-31",
        "2024-1-5",
        "2024-02-30",
        "1999-12-31",
        "0000-01-01",
        "31/12/2024",
        "",
        " 2024-01-01",
    ],
    ["e_bidding", "specific", "selection", "", "E_BIDDING"],
    ["true", "False", "1", "0", "yes", ""],
    ["2024", "202", " 202", "-202", "abcd", ""],
    ["1", "2", "01", " 3", "", "x"],
    ["a@example.org", "not-an-email", ""],
]
HEADER = [field["name"] for field in SCHEMA["fields"]]


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def with_cell(column: str, value: str, row: Sequence[str] = GOOD_ROW) -> list[str]:
    changed = list(row)
    changed[HEADER.index(column)] = value
    return changed


def rule_cases() -> dict[str, list[list[str]]]:
    """One bad file per rule type (header first), plus a combination of them all."""
    good = list(GOOD_ROW)
    second = with_cell("code", "2", with_cell("project_id", "12345678902"))
    cases: dict[str, list[list[str]]] = {
        "type-integer": [HEADER, with_cell("fiscal_year", "twenty")],
        "type-number": [HEADER, with_cell("budget", "1,000")],
        "type-date": [HEADER, with_cell("announce_date", "2024-02-30")],
        "type-boolean": [HEADER, with_cell("consulted", "yes")],
        "type-year": [HEADER, with_cell("year", "24")],
        "format-email": [HEADER, with_cell("contact", "nobody")],
        "required": [HEADER, with_cell("budget", "-")],
        "enum": [HEADER, with_cell("method", "selection")],
        "pattern": [HEADER, with_cell("project_id", "1234")],
        "minimum": [HEADER, with_cell("fiscal_year", "1999")],
        "maximum": [HEADER, with_cell("fiscal_year", "2101")],
        "minLength": [HEADER, with_cell("method", "sp")],
        "maxLength": [HEADER, with_cell("method", "e_bidding_x")],
        "unique": [HEADER, good, with_cell("code", "01", second)],
        "primary-key": [HEADER, good, with_cell("code", "2")],
        "primary-key-none": [HEADER, with_cell("project_id", "")],
        "foreign-key": [HEADER, with_cell("agency_code", "zzz")],
        "blank-row": [HEADER, good, [""] * len(HEADER), second],
        "missing-label": [HEADER[:-1], good[:-1]],
        "extra-label": [[*HEADER, "extra"], [*good, "x"]],
        "incorrect-label": [[*HEADER[:-1], "mail"], good],
        "missing-cell": [HEADER, good[:-2]],
        "extra-cell": [HEADER, [*good, "surplus"]],
    }
    combined = [HEADER]
    for name, rows in cases.items():
        if "label" not in name and "cell" not in name:
            combined.extend(rows[1:])
    cases["combined"] = combined
    return cases
