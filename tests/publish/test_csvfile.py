"""Spreadsheet-safe CSVs: formula-like text is neutralised, everything else is untouched."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from pipelines.publish.csvfile import FORMULA_TRIGGERS, neutralise_cell, to_safe_csv


def read_back(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers() -> None:
    table = pa.table(
        {
            "text": ["=1+2", "+66 2 123 4567", "-x", "@SUM(A1)", "ปกติ", None],
            "amount": [-5.5, 1.0, 2.0, 3.0, 4.0, None],
            "day": [dt.date(2024, 1, 31)] * 6,
        }
    )
    rows = read_back(to_safe_csv(table))
    assert rows[0] == ["text", "amount", "day"]
    assert [row[0] for row in rows[1:]] == [
        "'=1+2",
        "'+66 2 123 4567",
        "'-x",
        "'@SUM(A1)",
        "ปกติ",
        "",
    ]
    assert rows[1][1] == "-5.5"
    assert rows[1][2] == "2024-01-31"


def test_output_is_utf8_and_reproducible() -> None:
    table = pa.table({"name": ["กรมบัญชีกลาง"], "n": [1]})
    first, second = to_safe_csv(table), to_safe_csv(table)
    assert first == second
    assert "กรมบัญชีกลาง".encode() in first


def test_large_string_columns_are_neutralised_too() -> None:
    table = pa.table({"t": pa.array(["=cmd"], pa.large_string())})
    assert read_back(to_safe_csv(table))[1] == ["'=cmd"]


@given(st.text())
def test_neutralised_cells_never_start_a_formula_and_lose_nothing(value: str) -> None:
    safe = neutralise_cell(value)
    assert not safe.startswith(FORMULA_TRIGGERS)
    original = safe[1:] if value.startswith(FORMULA_TRIGGERS) else safe
    assert original == value
    assert (safe != value) == value.startswith(FORMULA_TRIGGERS)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"])), max_size=20))
def test_vectorised_and_per_cell_neutralisation_agree(values: list[str]) -> None:
    table = pa.table({"v": pa.array(values, pa.string())})
    rows = read_back(to_safe_csv(table))
    expected = [neutralise_cell(value) for value in values]
    assert [row[0] if row else "" for row in rows[1:]] == expected
